/**
 * `workbench bench flame`: FLAME evaluation time at the model's size (FLAME: 5023 vertices,
 * 300 + 100 components). full = set a new identity and evaluate one frame; incremental = a new
 * frame's expression and pose with the identity fixed. Both paths are measured: the
 * onnxruntime-backed batch evaluator (the reported figures) and the pure-JavaScript evaluator.
 */
import { Rng } from '../util/rng.js';
import { FlameEvaluator } from './lbs.js';
import { FlameBatchEvaluator } from './batch.js';
import type { FlameModel } from './model.js';

export interface FlameBenchResult {
  bench: 'flame';
  vertices: number;
  full_ms: number;
  incremental_ms: number;
  /** Per frame when 120 frames are evaluated in one call. */
  batch120_ms_per_frame: number;
  js_full_ms: number;
  js_incremental_ms: number;
}

async function timeAsync(f: () => Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < Math.min(10, runs); i++) await f();
  const t = performance.now();
  for (let i = 0; i < runs; i++) await f();
  return (performance.now() - t) / runs;
}

function timeSync(f: () => unknown, runs: number): number {
  for (let i = 0; i < Math.min(10, runs); i++) f();
  const t = performance.now();
  for (let i = 0; i < runs; i++) f();
  return (performance.now() - t) / runs;
}

export async function benchFlame(model: FlameModel, seed: number | string = 0, runs = 200): Promise<FlameBenchResult> {
  const rng = new Rng(seed);
  const S = model.numShape, E = model.numExpr;
  const shapes = Array.from({ length: 8 }, () => new Float64Array(S).map(() => rng.normal()));
  const exprs = Array.from({ length: 8 }, () => new Float64Array(E).map(() => rng.normal()));
  const poses = Array.from({ length: 8 }, () => new Float64Array(15).map(() => rng.normal(0, 0.1)));
  const transl = new Float64Array(3);
  let k = 0;
  const fast = await FlameBatchEvaluator.create(model);
  const full = await timeAsync(async () => {
    await fast.setIdentity(shapes[k % 8]!);
    await fast.evaluate(exprs[k % 8]!, poses[k++ % 8]!, transl, 1);
  }, runs);
  const incremental = await timeAsync(() => fast.evaluate(exprs[k % 8]!, poses[k++ % 8]!, transl, 1), runs);
  const T = 120;
  const bExpr = new Float64Array(T * E).map(() => rng.normal()), bPose = new Float64Array(T * 15).map(() => rng.normal(0, 0.1));
  const batch = (await timeAsync(() => fast.evaluate(bExpr, bPose, undefined, T), 10)) / T;
  const js = new FlameEvaluator(model);
  const jsFull = timeSync(() => { js.setIdentity(shapes[k % 8]!); js.evaluate(exprs[k % 8]!, poses[k++ % 8]!, transl); }, Math.max(20, runs / 4));
  const jsIncremental = timeSync(() => js.evaluate(exprs[k % 8]!, poses[k++ % 8]!, transl), Math.max(20, runs / 4));
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    bench: 'flame', vertices: model.numVertices, full_ms: r3(full), incremental_ms: r3(incremental),
    batch120_ms_per_frame: r3(batch), js_full_ms: r3(jsFull), js_incremental_ms: r3(jsIncremental),
  };
}
