/**
 * Fitting FLAME and the cameras to dense 2D alignments over all frames and views.
 *
 * Schedule (`mode`): `sequential` (frame by frame, each warm-started from its neighbour), `joint`
 * (all frames and views at once, with E_temp and the shared identity), or `both` (default).
 *
 * Gauge: with unknown cameras, the world is the head's frame at the gauge frame — the first frame
 * that every view observes — whose head rotation and translation are held at identity and zero;
 * the cameras are estimated relative to it. With known cameras the world is the cameras' world and
 * every frame's head transform is free. Scale is set by the model's head size (and its prior).
 *
 * Frames without observations: between observed frames they are filled by E_temp in the joint
 * stage (an error when E_temp is off); before the first or after the last observed frame they are
 * held at that frame's parameters.
 */
import { UsageError, NumericError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import type { FlameModel } from '../flame/model.js';
import { rotationToAxisAngle } from '../flame/rotation.js';
import { Problem } from './problem.js';
import { addCameras, cameraMatrices, type CameraBlocks, type CameraInit } from './cameras.js';
import type { FlameFrames, HessianCoupling } from './flame-frames.js';
import { AlignmentTerm, observed, type Observations } from './terms/alignment.js';
import { TemporalTerm } from './terms/temporal.js';
import { MicaTerm, SquaredNormTerm } from './terms/priors.js';
import { lossByName, type LossName } from './loss.js';
import { solveLM, type LMOptions, type SolveSummary } from './lm.js';
import { solveAdamW, type AdamWOptions } from './adamw.js';
import { cameraFromCorrespondences, poseFromCorrespondences } from './init.js';
import { FlameBatchEvaluator } from '../flame/batch.js';
import { evenVertexSubset, restrictModel } from '../flame/restrict.js';

export interface SequenceData {
  obs: Observations;
  /** image_size [C*2] (width, height per camera). */
  imageSize: Float64Array;
  /** Known intrinsics K [C*9] and extrinsics Rt [C*12] (world → camera). */
  K?: Float64Array;
  Rt?: Float64Array;
  /** Neutral-shape template for E_MICA [V*3]. */
  micaTemplate?: Float64Array;
  fps?: number;
}

export interface FitWeights {
  /** E_FLAME on β and on ψ (per frame). */
  shape?: number;
  expr?: number;
  /** Weak prior on neck/jaw/eye rotations. */
  pose?: number;
  /** E_temp (1/m²). */
  temporal?: number;
  /** E_MICA (1/m², per vertex coordinate). */
  mica?: number;
  /** E_deform (1/m²). */
  deform?: number;
}

export const WEIGHT_DEFAULTS: Required<FitWeights> = { shape: 0.5, expr: 0.5, pose: 1, temporal: 1e4, mica: 1e4, deform: 1e5 };

export interface FitOptions {
  mode?: 'sequential' | 'joint' | 'both';
  solver?: 'lm' | 'adamw';
  loss?: LossName;
  /** Robust loss scale in units of σ (default 2). */
  lossScale?: number;
  /** Refine given cameras (default: hold them). Unknown cameras are always estimated. */
  refineCameras?: boolean;
  sharedFocal?: boolean;
  weights?: FitWeights;
  /** Region with per-vertex offsets (E_deform), used with several views (default 'nose'; null: none). */
  deformRegion?: string | null;
  /** Vertex subset for the joint stage's Hessian (default 2048; all vertices with ≥ V). */
  hessianVertices?: number;
  /** Vertices (evenly spread) of the init and sequential stages (default 1500; all with ≥ V). */
  sequentialVertices?: number;
  /** LM iterations per frame in the sequential stage (default 8; 40 for the gauge frame). */
  sequentialIterations?: number;
  /** Joint-stage Hessian: 'blocks' (default: per-frame and shared blocks, no couplings) or 'full'. */
  jointCoupling?: HessianCoupling;
  /** LM iterations of the joint stage (default 4). */
  jointIterations?: number;
  lm?: LMOptions;
  adamw?: AdamWOptions;
  precision?: 'float32' | 'float64';
  logger?: Logger;
}

export interface StageSummary {
  stage: 'init' | 'sequential' | 'joint';
  seconds: number;
  iterations: number;
  initialCost: number;
  finalCost: number;
  termination: string;
  reason: string;
  perTerm: Record<string, { initial: number; final: number }>;
}

export interface FitResult {
  /** FLAME parameters: shape [S], offsets [V*3], expr [T*E], pose [T*15] (global = head rotation), transl [T*3]. */
  shape: Float64Array;
  offsets: Float64Array;
  expr: Float64Array;
  pose: Float64Array;
  transl: Float64Array;
  /** Cameras: K [C*9], Rt [C*12] mapping the world of `vertices` to each camera. */
  K: Float64Array;
  Rt: Float64Array;
  /** World vertices [T*V*3]. */
  vertices: Float64Array;
  summary: {
    frames: number;
    views: number;
    vertices: number;
    gauge: string;
    cameras: 'given' | 'refined' | 'estimated';
    framesWithoutObservations: number[];
    heldFrames: number[];
    stages: StageSummary[];
    seconds: number;
    /** Observations ignored because μ was not finite though σ was valid. */
    nonFiniteMu: number;
  };
}

let current: { frames: FlameFrames; cameras: CameraBlocks[] } | undefined;
/** The problem of the fit in progress (for progress reports and benchmarks that watch it). */
export function currentFitState(): { frames: FlameFrames; cameras: CameraBlocks[] } | undefined {
  return current;
}

/** Checks shapes and values; returns per-frame observation counts. */
export function validateSequence(model: FlameModel, data: SequenceData, file = 'observations'): { counts: Int32Array; viewCounts: Int32Array; nonFiniteMu: number } {
  const { obs } = data;
  const { frames: T, cameras: C, vertices: V } = obs;
  if (V !== model.numVertices) throw new UsageError(`${file}: observations have ${V} vertices, the model '${model.source}' has ${model.numVertices}`);
  if (T < 1 || C < 1) throw new UsageError(`${file}: need at least one frame and one camera, got T=${T}, C=${C}`);
  if (obs.mu.length !== T * C * V * 2) throw new UsageError(`${file}: mu has ${obs.mu.length} values, expected T×C×V×2 = ${T * C * V * 2}`);
  if (obs.sigma.length !== T * C * V) throw new UsageError(`${file}: sigma has ${obs.sigma.length} values, expected T×C×V = ${T * C * V}`);
  if (data.imageSize.length !== 2 * C) throw new UsageError(`${file}: image_size has ${data.imageSize.length / 2} rows, expected ${C}`);
  if (data.K && data.K.length !== 9 * C) throw new UsageError(`${file}: K has ${data.K.length / 9} cameras, expected ${C}`);
  if (data.Rt && data.Rt.length !== 12 * C) throw new UsageError(`${file}: Rt has ${data.Rt.length / 12} cameras, expected ${C}`);
  if (Boolean(data.K) !== Boolean(data.Rt)) throw new UsageError(`${file}: give both K and Rt, or neither`);
  if (data.micaTemplate && data.micaTemplate.length !== 3 * V) throw new UsageError(`${file}: mica_template has ${data.micaTemplate.length / 3} vertices, expected ${V}`);
  const counts = new Int32Array(T), viewCounts = new Int32Array(T * C);
  let nonFiniteMu = 0;
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let i = 0; i < V; i++) {
    const k = (t * C + c) * V + i;
    const s = obs.sigma[k]!;
    if (s < 0) throw new UsageError(`${file}: sigma[${t},${c},${i}] is negative (${s}); use 0, inf or NaN for a missing observation`);
    if (!(s > 0 && s < Infinity)) continue;
    if (!Number.isFinite(obs.mu[2 * k]!) || !Number.isFinite(obs.mu[2 * k + 1]!)) { nonFiniteMu++; continue; }
    counts[t]!++;
    viewCounts[t * C + c]!++;
  }
  if (counts.every((n) => n === 0)) throw new UsageError(`${file}: no valid observation in any frame`);
  for (const k of [0, 4, 8]) if (data.K) for (let c = 0; c < C; c++) if (!Number.isFinite(data.K[9 * c + k]!)) throw new UsageError(`${file}: K of camera ${c} is not finite`);
  return { counts, viewCounts, nonFiniteMu };
}

/** Observations of a vertex subset. */
export function restrictObservations(obs: Observations, rows: Uint32Array): Observations {
  const { frames: T, cameras: C, vertices: V } = obs, n = rows.length;
  const mu = new Float32Array(T * C * n * 2), sigma = new Float32Array(T * C * n);
  for (let tc = 0; tc < T * C; tc++) rows.forEach((i, k) => {
    sigma[tc * n + k] = obs.sigma[tc * V + i]!;
    mu[2 * (tc * n + k)] = obs.mu[2 * (tc * V + i)]!;
    mu[2 * (tc * n + k) + 1] = obs.mu[2 * (tc * V + i) + 1]!;
  });
  return { frames: T, cameras: C, vertices: n, mu, sigma, ...(obs.vertexWeight ? { vertexWeight: Float64Array.from(rows, (i) => obs.vertexWeight![i]!) } : {}) };
}

function restrictRows(a: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length * 3);
  rows.forEach((i, k) => out.set(a.subarray(3 * i, 3 * i + 3), 3 * k));
  return out;
}

/** The most confident observed vertices of (t, c): indices and weights 1/σ. */
function confident(obs: Observations, t: number, c: number, max: number): number[] {
  const V = obs.vertices, list: Array<[number, number]> = [];
  for (let i = 0; i < V; i++) if (observed(obs, t, c, i)) list.push([obs.sigma[(t * obs.cameras + c) * V + i]!, i]);
  list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return list.slice(0, max).map((x) => x[1]);
}

export async function fitSequence(model: FlameModel, data: SequenceData, options: FitOptions = {}): Promise<FitResult> {
  const start = performance.now();
  const log = options.logger ?? silentLogger;
  const { obs } = data;
  const { frames: T, cameras: C, vertices: V } = obs;
  const { counts, viewCounts, nonFiniteMu } = validateSequence(model, data);
  if (nonFiniteMu) log.warn(`fit: ${nonFiniteMu} observations have a valid sigma but a non-finite mu; treated as missing`);
  const w = { ...WEIGHT_DEFAULTS, ...options.weights };
  const mode = options.mode ?? 'both';
  const loss = lossByName(options.loss ?? 'huber', options.lossScale ?? 2);
  const empty = [...counts.keys()].filter((t) => counts[t] === 0);
  const firstObserved = counts.findIndex((n) => n > 0);
  let lastObserved = T - 1;
  while (counts[lastObserved] === 0) lastObserved--;
  const held = empty.filter((t) => t < firstObserved || t > lastObserved);
  const interiorGaps = empty.filter((t) => t > firstObserved && t < lastObserved);
  if (interiorGaps.length && mode !== 'sequential' && !(w.temporal > 0)) {
    throw new UsageError(`fit: frames ${interiorGaps.join(', ')} have no observations and E_temp is off (weight 0), so nothing determines them`);
  }
  const camerasKnown = Boolean(data.K && data.Rt);
  const cameraMode: FitResult['summary']['cameras'] = !camerasKnown ? 'estimated' : options.refineCameras ? 'refined' : 'given';
  // gauge: with unknown cameras, the first frame seen by every view
  let gauge = firstObserved;
  if (!camerasKnown) {
    gauge = -1;
    for (let t = 0; t < T && gauge < 0; t++) {
      let ok = true;
      for (let c = 0; c < C; c++) if (viewCounts[t * C + c]! < 20) ok = false;
      if (ok) gauge = t;
    }
    if (gauge < 0) throw new UsageError('fit: cameras are unknown and no frame has at least 20 observations in every view, so the cameras cannot be initialised; give K and Rt');
  }
  const stages: StageSummary[] = [];

  // ---- cameras: given, or from a DLT of the mean head per view at the gauge frame ----
  let camInit: CameraInit[];
  if (camerasKnown) {
    camInit = Array.from({ length: C }, (_, c) => ({ K: data.K!.subarray(9 * c, 9 * c + 9), Rt: data.Rt!.subarray(12 * c, 12 * c + 12), width: data.imageSize[2 * c]!, height: data.imageSize[2 * c + 1]! }));
  } else {
    camInit = [];
    for (let c = 0; c < C; c++) {
      const ids = confident(obs, gauge, c, 2000);
      const pts = new Float64Array(ids.length * 3), px = new Float64Array(ids.length * 2), wts = new Float64Array(ids.length);
      ids.forEach((i, k) => {
        pts.set(model.vTemplate.subarray(3 * i, 3 * i + 3), 3 * k);
        const o = (gauge * C + c) * V + i;
        px[2 * k] = obs.mu[2 * o]!; px[2 * k + 1] = obs.mu[2 * o + 1]!;
        wts[k] = 1 / obs.sigma[o]!;
      });
      const cam = cameraFromCorrespondences({ points: pts, pixels: px, weights: wts }, data.imageSize[2 * c]!, data.imageSize[2 * c + 1]!);
      camInit.push({ K: cam.K, Rt: Float64Array.of(...cam.R.slice(0, 3), cam.t[0]!, ...cam.R.slice(3, 6), cam.t[1]!, ...cam.R.slice(6, 9), cam.t[2]!), width: data.imageSize[2 * c]!, height: data.imageSize[2 * c + 1]! });
    }
    if (options.sharedFocal ?? true) {
      const f = camInit.reduce((s, c) => s + c.K[0]!, 0) / C;
      camInit = camInit.map((c) => ({ ...c, K: Float64Array.of(f, 0, c.K[2]!, 0, f, c.K[5]!, 0, 0, 1) }));
    }
  }
  const region = C > 1 && options.deformRegion !== null ? model.regions[options.deformRegion ?? 'nose'] : undefined;
  if (options.deformRegion && !model.regions[options.deformRegion]) throw new UsageError(`fit: the model has no region '${options.deformRegion}' (has: ${Object.keys(model.regions).join(', ')})`);
  const build = (m: FlameModel, o: Observations, offsetRegion: Uint32Array | undefined, mica: Float64Array | undefined) => {
    const problem = new Problem();
    const frames = problem.addFrames({ model: m, frames: T, hessianVertices: options.hessianVertices ?? 1024, precision: options.precision ?? 'float32', ...(offsetRegion ? { offsetRegion } : {}) });
    const cams = addCameras(problem.parameters, camInit, { sharedFocal: options.sharedFocal ?? true, constant: cameraMode === 'given' });
    frames.addTerm(new AlignmentTerm(o, cams, loss));
    // E_FLAME, with its shape (β) and expression (ψ) parts reported separately
    problem.addTerm(new SquaredNormTerm('E_FLAME', [frames.shape], w.shape));
    problem.addTerm(new SquaredNormTerm('E_FLAME_expr', frames.expr, w.expr));
    problem.addTerm(new SquaredNormTerm('E_pose', frames.pose, w.pose));
    if (frames.offsets) problem.addTerm(new SquaredNormTerm('E_deform', [frames.offsets], w.deform));
    if (mica && w.mica > 0) problem.addTerm(new MicaTerm(m, mica, frames.shape, w.mica, frames.offsets, frames.offsetRegion));
    return { problem, frames, cams };
  };
  const full = build(model, obs, region, data.micaTemplate);
  // init and the sequential stage run on an evenly spread vertex subset (the joint stage refines on
  // every vertex): a frame costs a fraction, and the subset is plenty to initialise
  const seqRows = evenVertexSubset(V, options.sequentialVertices ?? 1500);
  const sub = seqRows.length < V && mode !== 'joint'
    ? build(restrictModel(model, seqRows), restrictObservations(obs, seqRows), undefined, data.micaTemplate ? restrictRows(data.micaTemplate, seqRows) : undefined)
    : full;
  const temporal = w.temporal > 0 && T >= 3 ? new TemporalTerm(w.temporal) : undefined;
  const camerasVariable = cameraMode !== 'given';
  const record = (stage: StageSummary['stage'], s: SolveSummary, seconds: number) => {
    stages.push({ stage, seconds, iterations: s.iterations, initialCost: s.initialCost, finalCost: s.finalCost, termination: s.termination, reason: s.reason, perTerm: s.perTerm });
  };
  const copyFrame = (f: FlameFrames, from: number, to: number) => {
    f.expr[to]!.values.set(f.expr[from]!.values);
    f.pose[to]!.values.set(f.pose[from]!.values);
    f.headR[to]!.values.set(f.headR[from]!.values);
    f.headT[to]!.values.set(f.headT[from]!.values);
  };
  const frameBlocks = (f: FlameFrames, t: number) => [f.expr[t]!, f.pose[t]!, f.headR[t]!, f.headT[t]!];
  const setConstantAll = (p: Problem) => { for (const b of p.parameters.blocks) b.constant = true; };

  // ---- stages on the subset problem ----
  {
    const { problem, frames, cams } = sub;
    current = { frames, cameras: cams };
  // ---- init: head pose at the first frame (known cameras), cameras refined (unknown) ----
  {
    const t = gauge;
    if (camerasKnown) {
      // head pose from the best-observed view's correspondences with the mean head
      let best = 0;
      for (let c = 1; c < C; c++) if (viewCounts[t * C + c]! > viewCounts[t * C + best]!) best = c;
      const ids = confident(obs, t, best, 2000);
      const pts = new Float64Array(ids.length * 3), px = new Float64Array(ids.length * 2);
      ids.forEach((i, k) => { pts.set(model.vTemplate.subarray(3 * i, 3 * i + 3), 3 * k); const o = (t * C + best) * V + i; px[2 * k] = obs.mu[2 * o]!; px[2 * k + 1] = obs.mu[2 * o + 1]!; });
      const { R, t: tc } = poseFromCorrespondences({ points: pts, pixels: px }, data.K!.subarray(9 * best, 9 * best + 9));
      const Rc = cams[best]!.R.values, tcw = cams[best]!.t.values;
      // head in world: R_h = R_cᵀ R, t_h = R_cᵀ (t − t_c)
      const Rh = frames.headR[t]!.values, th = frames.headT[t]!.values;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Rh[3 * a + b] = Rc[a]! * R[b]! + Rc[3 + a]! * R[3 + b]! + Rc[6 + a]! * R[6 + b]!;
      for (let a = 0; a < 3; a++) th[a] = Rc[a]! * (tc[0]! - tcw[0]!) + Rc[3 + a]! * (tc[1]! - tcw[1]!) + Rc[6 + a]! * (tc[2]! - tcw[2]!);
    }
    // rigid refinement: head (known cameras) or cameras (unknown), mean shape and expression
    setConstantAll(problem);
    frames.active = [t, t + 1];
    if (camerasKnown) { frames.headR[t]!.constant = false; frames.headT[t]!.constant = false; }
    else for (const c of cams) for (const b of [c.R, c.t, c.focal]) b.constant = false;
    const s0 = performance.now();
    const s = await solveLM(problem, { maxIterations: 30, functionTolerance: 1e-6 });
    record('init', s, (performance.now() - s0) / 1000);
    log.debug(`fit: init ${s.termination} in ${s.iterations} iterations`, { cost: s.finalCost });
  }

  // ---- sequential ----
  if (mode === 'sequential' || mode === 'both') {
    const s0 = performance.now();
    let iterations = 0, initialCost = 0, finalCost = 0;
    const perTerm: StageSummary['perTerm'] = {};
    const order = [gauge, ...Array.from({ length: T - gauge - 1 }, (_, k) => gauge + 1 + k), ...Array.from({ length: gauge }, (_, k) => gauge - 1 - k)];
    let prev = -1;
    let previousSystem: SolveSummary['system'];
    for (const t of order) {
      if (prev >= 0) copyFrame(frames, t > gauge ? t - 1 : t + 1, t);
      prev = t;
      if (counts[t] === 0) continue; // held or filled later
      setConstantAll(problem);
      frames.active = [t, t + 1];
      for (const b of frameBlocks(frames, t)) b.constant = false;
      if (t === gauge && !camerasKnown) { frames.headR[t]!.constant = true; frames.headT[t]!.constant = true; }
      // one frame at a time: the Hessian uses every vertex (exact; ~3 iterations a frame against ~8
      // with a 1024-vertex subset, measured on the standard problem)
      frames.setHessianVertices(Infinity);
      if (t === gauge) {
        frames.shape.constant = false;
        if (camerasVariable) for (const c of cams) for (const b of [c.R, c.t, c.focal]) b.constant = false;
      }
      // consecutive frames start from the previous frame's Hessian (same layout, similar pose)
      const s = await solveLM(problem, {
        maxIterations: t === gauge ? 40 : options.sequentialIterations ?? 8, functionTolerance: t === gauge ? 1e-6 : 1e-4,
        ...(previousSystem && t !== gauge ? { reuseHessian: previousSystem, hessianRefresh: 2 } : {}), ...options.lm,
      });
      previousSystem = s.system;
      log.debug(`fit: sequential frame ${t}: ${s.iterations} iterations, ${s.hessians} Hessians, ${s.seconds.toFixed(2)} s, cost ${s.initialCost.toExponential(3)} → ${s.finalCost.toExponential(3)} (${s.reason})`);
      iterations += s.iterations; initialCost += s.initialCost; finalCost += s.finalCost;
      for (const [k, v] of Object.entries(s.perTerm)) { perTerm[k] ??= { initial: 0, final: 0 }; perTerm[k]!.initial += v.initial; perTerm[k]!.final += v.final; }
    }
    stages.push({ stage: 'sequential', seconds: (performance.now() - s0) / 1000, iterations, initialCost, finalCost, termination: 'convergence', reason: `${order.length} frames`, perTerm });
    log.info(`fit: sequential stage: ${T} frames, ${iterations} iterations, ${((performance.now() - s0) / 1000).toFixed(1)} s`);
  }
  }
  // the subset's parameters seed the full problem (same blocks by name; offsets are not on the subset)
  if (sub !== full) for (const b of sub.problem.parameters.blocks) if (full.problem.parameters.has(b.name)) full.problem.parameters.get(b.name).values.set(b.values);
  const { problem, frames, cams } = full;
  current = { frames, cameras: cams };
  const solve = async (stage: StageSummary['stage'], lmOverrides: LMOptions = {}): Promise<SolveSummary> => {
    if ((options.solver ?? 'lm') === 'adamw' && stage === 'joint') return solveAdamW(problem, options.adamw);
    return solveLM(problem, { ...lmOverrides, ...options.lm });
  };
  // frames held at the ends copy their nearest observed frame
  for (const t of held) copyFrame(frames, t < firstObserved ? firstObserved : lastObserved, t);

  // ---- joint ----
  if (mode === 'joint' || mode === 'both') {
    setConstantAll(problem);
    frames.active = [0, T];
    if (temporal) frames.addTerm(temporal);
    for (let t = 0; t < T; t++) if (!held.includes(t)) for (const b of frameBlocks(frames, t)) b.constant = false;
    if (!camerasKnown) { frames.headR[gauge]!.constant = true; frames.headT[gauge]!.constant = true; }
    frames.shape.constant = false;
    if (camerasVariable) for (const c of cams) for (const b of [c.R, c.t, c.focal]) b.constant = false;
    frames.setHessianVertices(options.hessianVertices ?? 2048);
    // near the optimum, block-coordinate Newton steps (no shape/camera–frame coupling products) are
    // as good per iteration and several times cheaper (see docs/fitting.md)
    frames.coupling = options.jointCoupling ?? 'blocks';
    const s0 = performance.now();
    // The sequential stage leaves the joint one close to the optimum: on the standard problem the
    // first two joint iterations take the reprojection error from ~0.26 to ~0.12 px, the next 20
    // only to ~0.10 px. Default: at most 4 iterations, stopping below 1e-4 relative decrease.
    const jointLM: LMOptions = { functionTolerance: 1e-4, maxIterations: options.jointIterations ?? 4, hessianRefresh: 3 };
    let s = await solve('joint', jointLM);
    if (frames.offsets) {
      // per-vertex offsets (E_deform): their own block-diagonal step with everything else held,
      // then a short joint pass; keeping them out of the dense shared block keeps the reduced
      // system at shape + cameras
      const variable = problem.parameters.blocks.filter((b) => !b.constant);
      for (const b of variable) b.constant = true;
      frames.offsets.constant = false;
      await solveLM(problem, { maxIterations: 5, functionTolerance: 1e-5 });
      frames.offsets.constant = true;
      for (const b of variable) b.constant = false;
      const polish = await solve('joint', { ...jointLM, maxIterations: Math.min(8, jointLM.maxIterations!) });
      s = { ...polish, initialCost: s.initialCost, iterations: s.iterations + polish.iterations, seconds: s.seconds + polish.seconds,
        perTerm: Object.fromEntries(Object.entries(polish.perTerm).map(([k, v]) => [k, { initial: s.perTerm[k]?.initial ?? v.initial, final: v.final }])) };
    }
    record('joint', s, (performance.now() - s0) / 1000);
    log.info(`fit: joint stage: ${s.termination} after ${s.iterations} iterations in ${((performance.now() - s0) / 1000).toFixed(1)} s (${s.reason})`);
  }

  // frames held at the ends copy their nearest observed frame's final parameters
  for (const t of held) copyFrame(frames, t < firstObserved ? firstObserved : lastObserved, t);

  // ---- results ----
  frames.active = [0, T];
  const E = model.numExpr;
  const expr = new Float64Array(T * E), pose = new Float64Array(T * 15), transl = new Float64Array(T * 3), vertices = new Float64Array(T * V * 3);
  const ev = await FlameBatchEvaluator.create(model, 'float64');
  const offsetsFull = new Float64Array(V * 3);
  if (frames.offsets) frames.offsetRegion.forEach((i, r) => offsetsFull.set(frames.offsets!.values.subarray(3 * r, 3 * r + 3), 3 * i));
  await ev.setIdentity(frames.shape.values, offsetsFull);
  const aa = new Float64Array(3);
  for (let t = 0; t < T; t++) {
    expr.set(frames.expr[t]!.values, t * E);
    const p = frames.flamePose(t);
    await ev.evaluate(frames.expr[t]!.values, p, undefined, 1, undefined, (_tl, st) => {
      const Rh = frames.headR[t]!.values, th = frames.headT[t]!.values, J0 = st.joints;
      rotationToAxisAngle(aa, Rh);
      pose.set(aa, 15 * t);
      pose.set(frames.pose[t]!.values, 15 * t + 3);
      // x = R_h x0 + t_h = FLAME(global R_h, transl) with transl = t_h − (I − R_h) J_0
      for (let a = 0; a < 3; a++) transl[3 * t + a] = th[a]! - (J0[a]! - (Rh[3 * a]! * J0[0]! + Rh[3 * a + 1]! * J0[1]! + Rh[3 * a + 2]! * J0[2]!));
      const v = st.vertices;
      for (let i = 0; i < V; i++) for (let a = 0; a < 3; a++) vertices[(t * V + i) * 3 + a] = Rh[3 * a]! * v[3 * i]! + Rh[3 * a + 1]! * v[3 * i + 1]! + Rh[3 * a + 2]! * v[3 * i + 2]! + th[a]!;
    });
  }
  const K = new Float64Array(9 * C), Rt = new Float64Array(12 * C);
  cams.forEach((c, k) => { const mtx = cameraMatrices(c); K.set(mtx.K, 9 * k); Rt.set(mtx.Rt, 12 * k); });
  for (const v of vertices) if (!Number.isFinite(v)) throw new NumericError('fit: the result has non-finite vertices');
  return {
    shape: Float64Array.from(frames.shape.values), offsets: offsetsFull, expr, pose, transl, K, Rt, vertices,
    summary: {
      frames: T, views: C, vertices: V,
      gauge: camerasKnown ? 'the cameras\' world (K, Rt given)' : `the head at frame ${gauge} (rotation identity, translation zero)`,
      cameras: cameraMode, framesWithoutObservations: empty, heldFrames: held, stages,
      seconds: (performance.now() - start) / 1000, nonFiniteMu,
    },
  };
}
