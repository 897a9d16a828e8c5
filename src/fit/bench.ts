/**
 * `workbench bench fit`: the standard fitting problem — built-in model at FLAME size, 4 views,
 * 120 frames, 1 px noise, unknown cameras — solved by the default schedule (LM: sequential, then
 * joint) and by the paper's optimiser (AdamW on all variables from the same initialisation).
 * images_per_s = frames × views / fitting time; reproj_px = mean reprojection error against the
 * noise-free truth; vertex_mm = mean 3D error after removing the gauge (one similarity);
 * speedup = AdamW time to reach LM's reprojection error (or lower) / LM time.
 */
import type { FlameModel } from '../flame/model.js';
import { synthFitProblem } from './synth-problem.js';
import { currentFitState, fitSequence, type FitOptions, type FitResult } from './fit-sequence.js';
import { reprojectionError, alignedVertexError } from '../eval/fit-metrics.js';
import { cameraMatrices } from './cameras.js';
import type { Logger } from '../util/log.js';
import { profile } from '../util/profile.js';

export interface FitBenchOptions {
  frames?: number;
  views?: number;
  noise?: number;
  seed?: number | string;
  /** Run the AdamW baseline (default true). */
  adamw?: boolean;
  /** AdamW time budget as a multiple of LM's time (default 30, at most 900 s). */
  adamwBudget?: number;
  fit?: FitOptions;
  logger?: Logger;
}

export interface SolverFigures {
  seconds: number;
  images_per_s: number;
  reproj_px: number;
  vertex_mm: number;
  final_cost: number;
}

export async function benchFit(model: FlameModel, options: FitBenchOptions = {}) {
  const T = options.frames ?? 120, C = options.views ?? 4;
  const p = await synthFitProblem(model, { frames: T, views: C, noise: options.noise ?? 1, seed: options.seed ?? 0 });
  const data = { obs: p.obs, imageSize: p.imageSize };
  const figures = (r: FitResult, seconds: number): SolverFigures => ({
    seconds: round(seconds, 3),
    images_per_s: round((T * C) / seconds, 1),
    reproj_px: round(reprojectionError(r.vertices, r.K, r.Rt, p.truth.vertices, p.truth.K, p.truth.Rt, T, C, p.obs.sigma), 4),
    vertex_mm: round(1000 * alignedVertexError(r.vertices, p.truth.vertices), 4),
    final_cost: round(r.summary.stages.at(-1)!.finalCost, 2),
  });
  profile.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lmResult = await fitSequence(model, data, { ...options.fit, logger: options.logger });
  const lmSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const lmProfile = profile.report();
  const lm = figures(lmResult, lmSeconds);
  let adamw: (SolverFigures & { reached: boolean; iterations: number }) | undefined;
  let speedup: number | undefined;
  if (options.adamw ?? true) {
    const budget = Math.min(900, (options.adamwBudget ?? 30) * lmSeconds);
    let reachedAt: number | undefined;
    const t1 = performance.now();
    let iterations = 0;
    const r = await fitSequence(model, data, {
      ...options.fit, mode: 'joint', solver: 'adamw', logger: options.logger,
      adamw: {
        maxSeconds: budget,
        stopWhen: async ({ iteration }) => {
          iterations = iteration;
          if (iteration % 25 !== 0) return false;
          // the current fit's reprojection error against the truth (frames' world vertices are current)
          const problem = currentProblem();
          if (!problem) return false;
          const e = reprojectionError(problem.vertices, problem.K, problem.Rt, p.truth.vertices, p.truth.K, p.truth.Rt, T, C, p.obs.sigma);
          if (e <= lm.reproj_px) { reachedAt = (performance.now() - t1) / 1000; return true; }
          return false;
        },
      },
    });
    const seconds = (performance.now() - t1) / 1000;
    adamw = { ...figures(r, seconds), reached: reachedAt !== undefined, iterations };
    speedup = round((reachedAt ?? seconds) / lmSeconds, 1);
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  return {
    bench: 'fit' as const, frames: T, views: C, vertices: model.numVertices,
    lm, ...(adamw ? { adamw } : {}), ...(speedup !== undefined ? { speedup, speedup_is_lower_bound: !adamw!.reached } : {}),
    peak_rss_mb: Math.round(rss),
    stages: lmResult.summary.stages.map((s) => ({ stage: s.stage, seconds: round(s.seconds, 2), iterations: s.iterations })),
    lm_cpu_seconds: round((cpu.user + cpu.system) / 1e6, 2),
    lm_profile_ms: Object.fromEntries(Object.entries(lmProfile).map(([k, v]) => [k, v.ms])),
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** The current fit's world vertices and cameras (fitSequence publishes its problem while it runs). */
function currentProblem(): { vertices: Float64Array; K: Float64Array; Rt: Float64Array } | undefined {
  const s = currentFitState();
  if (!s) return undefined;
  const { frames, cameras } = s;
  const V = frames.V, T = frames.T;
  const vertices = new Float64Array(T * V * 3);
  for (let t = 0; t < T; t++) vertices.set(frames.world[t]!, t * V * 3);
  const K = new Float64Array(9 * cameras.length), Rt = new Float64Array(12 * cameras.length);
  cameras.forEach((c, k) => { const m = cameraMatrices(c); K.set(m.K, 9 * k); Rt.set(m.Rt, 12 * k); });
  return { vertices, K, Rt };
}
