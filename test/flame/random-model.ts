/** A small random model with FLAME's structure, for tests of the model maths. */
import { Rng } from '../../src/util/rng.js';
import type { FlameModel } from '../../src/flame/model.js';

export function randomModel(seed: number, V = 40, S = 6, E = 5): FlameModel {
  const rng = new Rng(seed);
  const vTemplate = new Float64Array(V * 3).map(() => rng.uniform(-0.1, 0.1));
  const F = V - 2;
  const faces = new Uint32Array(F * 3);
  for (let f = 0; f < F; f++) { faces[3 * f] = f; faces[3 * f + 1] = f + 1; faces[3 * f + 2] = f + 2; }
  const shapeDirs = new Float64Array(V * 3 * S).map(() => rng.normal(0, 0.01));
  const exprDirs = new Float64Array(V * 3 * E).map(() => rng.normal(0, 0.01));
  const poseDirs = new Float64Array(V * 3 * 36).map(() => rng.normal(0, 0.01));
  const J = 5;
  const jRegressor = new Float64Array(J * V);
  for (let j = 0; j < J; j++) {
    let s = 0;
    for (let i = 0; i < V; i++) if (rng.chance(0.3)) { jRegressor[j * V + i] = rng.uniform(0.1, 1); s += jRegressor[j * V + i]!; }
    if (s === 0) { jRegressor[j * V + j] = 1; s = 1; }
    for (let i = 0; i < V; i++) jRegressor[j * V + i]! /= s;
  }
  const weights = new Float64Array(V * J);
  for (let i = 0; i < V; i++) {
    let s = 0;
    for (let j = 0; j < J; j++) if (rng.chance(0.6) || j === i % J) { weights[i * J + j] = rng.uniform(0.05, 1); s += weights[i * J + j]!; }
    for (let j = 0; j < J; j++) weights[i * J + j]! /= s;
  }
  return {
    source: `random:${seed}`, numVertices: V, numShape: S, numExpr: E,
    vTemplate, faces, shapeDirs, exprDirs, poseDirs, jRegressor, weights,
    parents: Int32Array.from([-1, 0, 1, 1, 1]), regions: {}, landmarks: {},
  };
}
