/**
 * A model restricted to a subset of its vertices: every per-vertex array keeps only those rows,
 * and the joints — which FLAME regresses from the whole mesh — come along as precomputed linear
 * maps (`jointMaps`), so the restricted model evaluates its vertices exactly as the full one does.
 * Used to fit on fewer vertices (the fitter's sequential stage).
 */
import type { FlameModel } from './model.js';
import { NUM_JOINTS, POSE_FEATURES } from './model.js';
import { jointMapsOf } from './lbs.js';

export function restrictModel(model: FlameModel, rows: Uint32Array): FlameModel {
  const S = model.numShape, E = model.numExpr, J = NUM_JOINTS, n = rows.length;
  const pick = (src: Float64Array, width: number): Float64Array => {
    const out = new Float64Array(n * width);
    rows.forEach((i, k) => out.set(src.subarray(i * width, (i + 1) * width), k * width));
    return out;
  };
  const slot = new Int32Array(model.numVertices).fill(-1);
  rows.forEach((i, k) => { slot[i] = k; });
  const regions: Record<string, Uint32Array> = {};
  for (const [name, idx] of Object.entries(model.regions)) regions[name] = Uint32Array.from([...idx].filter((i) => slot[i]! >= 0).map((i) => slot[i]!));
  return {
    source: `${model.source}[${n} vertices]`,
    numVertices: n, numShape: S, numExpr: E,
    vTemplate: pick(model.vTemplate, 3),
    faces: new Uint32Array(0),
    shapeDirs: pick(model.shapeDirs, 3 * S),
    exprDirs: pick(model.exprDirs, 3 * E),
    poseDirs: pick(model.poseDirs, 3 * POSE_FEATURES),
    jRegressor: new Float64Array(J * n),
    weights: pick(model.weights, J),
    parents: model.parents,
    regions,
    landmarks: {},
    jointMaps: jointMapsOf(model),
  };
}

/** n vertex indices spread evenly over the mesh (every V/n-th). */
export function evenVertexSubset(V: number, n: number): Uint32Array {
  if (n >= V) return Uint32Array.from({ length: V }, (_, i) => i);
  return Uint32Array.from({ length: n }, (_, k) => Math.floor(((k + 0.5) * V) / n));
}
