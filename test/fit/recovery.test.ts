import { beforeAll, describe, expect, it } from 'vitest';
import { builtinModel } from '../../src/flame/builtin/index.js';
import type { FlameModel } from '../../src/flame/model.js';
import { synthFitProblem } from '../../src/fit/synth-problem.js';
import { fitSequence, type FitOptions } from '../../src/fit/fit-sequence.js';
import { reprojectionError, alignedVertexError } from '../../src/eval/fit-metrics.js';
import { lbs } from '../../src/flame/lbs.js';

let model: FlameModel;
beforeAll(async () => { model = await builtinModel({ shape: 40, expr: 30 }); });

// priors almost off: noise-free data then has the truth as its exact minimum
const exact: FitOptions = { weights: { shape: 1e-8, expr: 1e-8, pose: 1e-8, temporal: 1e-2, deform: 1e2 }, loss: 'l2', hessianVertices: 100000, precision: 'float64' };

describe('fitSequence recovers noise-free problems', () => {
  it('one view, one frame, known camera: reprojection exact (seed 41)', async () => {
    const p = await synthFitProblem(model, { frames: 1, views: 1, noise: 0, seed: 41 });
    const r = await fitSequence(model, { obs: p.obs, imageSize: p.imageSize, K: p.truth.K, Rt: p.truth.Rt }, { ...exact, mode: 'both' });
    const e = reprojectionError(r.vertices, r.K, r.Rt, p.truth.vertices, p.truth.K, p.truth.Rt, 1, 1, p.obs.sigma);
    expect(e).toBeLessThan(0.01);
    expect(Array.from(r.K)).toEqual(Array.from(p.truth.K)); // held cameras are untouched
  });

  it('four views, one frame, unknown cameras: reprojection exact and 3D up to the gauge (seed 42)', async () => {
    const p = await synthFitProblem(model, { frames: 1, views: 4, noise: 0, seed: 42 });
    const r = await fitSequence(model, { obs: p.obs, imageSize: p.imageSize }, exact);
    expect(r.summary.cameras).toBe('estimated');
    const e = reprojectionError(r.vertices, r.K, r.Rt, p.truth.vertices, p.truth.K, p.truth.Rt, 1, 4, p.obs.sigma);
    expect(e).toBeLessThan(0.02);
    expect(alignedVertexError(r.vertices, p.truth.vertices)).toBeLessThan(2e-4);
  });

  it('a sequence of 6 frames, 3 views, known cameras: every frame recovered (seed 43)', async () => {
    const p = await synthFitProblem(model, { frames: 6, views: 3, noise: 0, seed: 43 });
    const r = await fitSequence(model, { obs: p.obs, imageSize: p.imageSize, K: p.truth.K, Rt: p.truth.Rt }, exact);
    const e = reprojectionError(r.vertices, r.K, r.Rt, p.truth.vertices, p.truth.K, p.truth.Rt, 6, 3, p.obs.sigma);
    expect(e).toBeLessThan(0.02);
    expect(alignedVertexError(r.vertices, p.truth.vertices, { scale: false })).toBeLessThan(2e-4);
    // the written FLAME parameters reproduce the vertices (global pose = head rotation, transl)
    const V = model.numVertices, E = model.numExpr;
    for (const t of [0, 5]) {
      const v = lbs(model, { shape: r.shape, expr: r.expr.subarray(t * E, (t + 1) * E), pose: r.pose.subarray(15 * t, 15 * t + 15), transl: r.transl.subarray(3 * t, 3 * t + 3), offsets: r.offsets });
      for (let k = 0; k < 3 * V; k += 37) expect(v[k]).toBeCloseTo(r.vertices[t * 3 * V + k]!, 9);
    }
  });
});
