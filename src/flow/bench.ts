/**
 * `benchFlow`: the standard optical-flow benchmark (for a `workbench bench flow` command): a
 * seeded textured pair at size×size related by an expression-like field of 40 px (at 1024;
 * scaled with the size), flow computed by `computeFlow` on the calling thread. Reports the time
 * and the endpoint error against the exact flow over the pixels whose match stays 8 px inside.
 */
import { Rng } from '../util/rng.js';
import { computeFlow, type FlowOptions } from './classical.js';
import { expressionField, randomTexture, renderImage, renderTexture, textureAt } from './synthetic.js';

export interface FlowBenchOptions {
  /** Image side, pixels. Default 1024. */
  size?: number;
  seed?: number | string;
  /** Options for computeFlow. */
  flow?: FlowOptions;
}

export interface FlowBenchResult {
  bench: 'flow';
  size: number;
  /** Wall-clock seconds of computeFlow. */
  seconds: number;
  /** CPU seconds (user + system) of the process during computeFlow: the one-core cost even on a busy machine. */
  cpu_seconds: number;
  max_motion_px: number;
  median_epe_px: number;
  p90_epe_px: number;
}

export function benchFlow(options: FlowBenchOptions = {}): FlowBenchResult {
  const S = options.size ?? 1024;
  const tex = randomTexture(new Rng(options.seed ?? 0).fork('flow-bench'), { waves: 64, minWavelength: 5, maxWavelength: S / 2 });
  const field = expressionField(S, S, (40 * S) / 1024);
  const a = renderTexture(tex, S, S);
  const b = renderImage(S, S, (x, y) => { const [ex, ey] = field.backward(x, y); return textureAt(tex, x + ex, y + ey); });
  const t0 = performance.now(), c0 = process.cpuUsage();
  const flow = computeFlow(a, b, options.flow);
  const cpu = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  const errors: number[] = [];
  let maxMotion = 0;
  for (let j = 0; j < S; j += 2) {
    for (let i = 0; i < S; i += 2) {
      const x = i + 0.5, y = j + 0.5;
      const [fx, fy] = field.forward(x, y);
      maxMotion = Math.max(maxMotion, Math.hypot(fx, fy));
      if (x + fx < 8 || y + fy < 8 || x + fx > S - 8 || y + fy > S - 8) continue;
      const p = 2 * (j * S + i);
      errors.push(Math.hypot(flow.data[p]! - fx, flow.data[p + 1]! - fy));
    }
  }
  errors.sort((u, v) => u - v);
  const round = (v: number): number => Math.round(v * 1e4) / 1e4;
  return {
    bench: 'flow',
    size: S,
    seconds: Math.round(seconds * 1000) / 1000,
    cpu_seconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    max_motion_px: round(maxMotion),
    median_epe_px: round(errors[errors.length >> 1] ?? NaN),
    p90_epe_px: round(errors[Math.floor(errors.length * 0.9)] ?? NaN),
  };
}
