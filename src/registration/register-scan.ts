/**
 * Registration of one scan: the model's topology fitted to a scan surface, in four stages, all on
 * the fitting engine (`Problem`, `FlameFrames` with one frame, `LandmarksTerm`, `PointsTerm`,
 * priors, `solveLM`) except the sparse offsets of stage 4:
 *
 * 1. similarity from landmarks (Umeyama; unit detected) — the scan is taken into model space
 *    (metres), where everything else runs;
 * 2. landmark fit: shape, expression, pose and head transform to the 3D landmarks, with priors;
 * 3. closest-point fit: robust point-to-plane to closest scan points (BVH) with distance, normal
 *    and border rejection, the distance threshold shrinking over the rounds; landmarks stay in
 *    at a lower weight;
 * 4. non-rigid refinement: per-vertex offsets, smooth (Laplacian), following the scan where it is
 *    reliable and the model elsewhere (`nonrigid.ts`).
 *
 * With `shape` given (expression scans: the subject's identity from its neutral), β is held.
 */
import type { FlameModel, BarycentricLandmarks } from '../flame/model.js';
import { landmarkPositions } from '../flame/landmarks.js';
import { rotationToAxisAngle } from '../flame/rotation.js';
import { FlameBatchEvaluator } from '../flame/batch.js';
import { Problem } from '../fit/problem.js';
import { solveLM, type SolveSummary } from '../fit/lm.js';
import { PointsTerm, LandmarksTerm } from '../fit/terms/points.js';
import { SquaredNormTerm } from '../fit/terms/priors.js';
import { lossByName, type LossName } from '../fit/loss.js';
import type { Similarity } from '../fit/umeyama.js';
import type { Mesh } from '../io/mesh.js';
import { type Logger, silentLogger } from '../util/log.js';
import { UsageError } from '../util/errors.js';
import { alignLandmarks, scanToModel, modelToScan, type UnitGuess } from './align.js';
import { ScanSurface } from './scan-surface.js';
import { closestPointTargets, type CorrespondenceStats } from './correspondences.js';
import { fitOffsets, meshGraph, type NonRigidOptions, type NonRigidRound, type OffsetLandmarks } from './nonrigid.js';
import { buildFitModel, type FitModel } from './fit-model.js';

/** Landmarks of a scan matched to points on the model. */
export interface LandmarkTargets {
  /** The model points: triangle and barycentric weights per landmark (faceIdx [L], bary [L*3]). */
  embedding: Pick<BarycentricLandmarks, 'faceIdx' | 'bary'>;
  /** Scan positions [L*3] in scan units. */
  points: Float64Array;
  /** Per-landmark weight [L] (default 1; propagated landmarks may count less). */
  weights?: Float64Array;
}

export interface RegistrationWeights {
  /** Landmark noise σ in millimetres (their weight is 1/σ²; default 2). */
  landmarkSigma: number;
  /** Landmark weight in the closest-point stage relative to the landmark stage (default 1). */
  landmarkIcpFactor: number;
  /** Prior weights λ‖β‖², λ‖ψ‖², λ‖θ‖² (default 0.5: a unit-variance Gaussian prior). */
  shape: number;
  expr: number;
  pose: number;
  /** Closest-point residual scale in millimetres (default 1). */
  pointSigma: number;
}

export interface RegisterScanOptions {
  /** Hold the identity β at these values (expression scans). */
  shape?: Float64Array;
  weights?: Partial<RegistrationWeights>;
  /** Closest-point rounds: the rejection distance of each, in mm (default [10, 4, 2]; graduated [25, 10, 4, 2]). */
  icpDistances?: number[];
  /**
   * Graduated robustness: the robust scale of each closest-point round follows its rejection
   * distance (half of it) down to `lossScale`, so far-off parts still pull at first. Default: on
   * for expression scans (`shape` given), off for neutrals (where it lets hair caps pull).
   */
  graduated?: boolean;
  /** LM iterations per closest-point round (default 6). */
  icpIterations?: number;
  /** Maximum angle between model and scan normals, degrees (default 60). */
  maxNormalAngle?: number;
  loss?: LossName;
  /** Loss on the landmarks (default Geman–McClure at 3σ: a wrong landmark stops pulling). */
  landmarkLoss?: LossName;
  /** Robust loss scale in units of pointSigma (default 1: beyond ~1 mm a correspondence stops pulling, e.g. on a hair cap). */
  lossScale?: number;
  /** Non-rigid refinement options, or false to skip it. */
  nonrigid?: NonRigidOptions | false;
  /** Shape and expression components fitted (default 100 and 50; the rest stay 0, the non-rigid stage takes up what they would add). */
  shapeComponents?: number;
  exprComponents?: number;
  /** Vertices in the Hessian estimate of the parametric stages (default 1000; the gradient is exact). */
  hessianVertices?: number;
  /** LM Hessian refresh interval (default 2). */
  hessianRefresh?: number;
  /** Vertex weights of the closest-point terms (default: `fitWeights(model)`). */
  fitVertices?: { vertices: Uint32Array; weights: Float64Array };
  logger?: Logger;
}

export const REGISTRATION_WEIGHT_DEFAULTS: RegistrationWeights = {
  landmarkSigma: 2,
  landmarkIcpFactor: 1,
  shape: 0.5,
  expr: 0.5,
  pose: 0.5,
  pointSigma: 1,
};

export interface StageRecord {
  stage: 'align' | 'landmarks' | 'closest-point' | 'non-rigid';
  seconds: number;
  detail: Record<string, unknown>;
}

export interface RegistrationResult {
  /** Registered vertices [V*3] in the scan's frame and units. */
  vertices: Float64Array;
  /** The same in model space (metres, before the similarity) [V*3]. */
  modelVertices: Float64Array;
  similarity: Similarity;
  unit: UnitGuess;
  /** Model parameters: shape [S], expr [E], pose [15] (global = head rotation), transl [3], offsets [V*3] (model space, metres, added after posing). */
  shape: Float64Array;
  expr: Float64Array;
  pose: Float64Array;
  transl: Float64Array;
  offsets: Float64Array;
  /** Landmark residual after the similarity (scan units, RMS). */
  alignRms: number;
  stages: StageRecord[];
  correspondences: CorrespondenceStats | undefined;
  seconds: number;
}

/**
 * The vertices fitted to the scan by closest points and their weights: the face (with forehead,
 * nose, lips, eye region) at 1, ears and neck at 0.5; not the scalp (hair caps), not the eyeballs
 * (the scan has the eyelids' surface there at best) and not the mesh border. A model without
 * regions (a bare template) uses every vertex.
 */
export function fitWeights(model: FlameModel): { vertices: Uint32Array; weights: Float64Array } {
  const r = model.regions;
  const w = new Float64Array(model.numVertices);
  if (!r.face) w.fill(1);
  else {
    for (const name of ['left_ear', 'right_ear', 'neck']) for (const i of r[name] ?? []) w[i] = 0.5;
    for (const name of ['face', 'forehead', 'nose', 'lips', 'eye_region']) for (const i of r[name] ?? []) w[i] = 1;
  }
  for (const name of ['left_eyeball', 'right_eyeball', 'boundary']) for (const i of r[name] ?? []) w[i] = 0;
  const vertices: number[] = [], weights: number[] = [];
  w.forEach((x, i) => { if (x > 0) { vertices.push(i); weights.push(x); } });
  return { vertices: Uint32Array.from(vertices), weights: Float64Array.from(weights) };
}

/** Vertices that follow the model in the non-rigid stage (eyeballs). */
export function rigidVertices(model: FlameModel): Uint8Array {
  const out = new Uint8Array(model.numVertices);
  for (const name of ['left_eyeball', 'right_eyeball']) for (const i of model.regions[name] ?? []) out[i] = 1;
  return out;
}

/** Identity-shaped rest vertices T + S·β [V*3] (metres). */
export function shapedTemplate(model: FlameModel, shape?: Float64Array): Float64Array {
  const out = Float64Array.from(model.vTemplate);
  if (!shape) return out;
  const S = model.numShape;
  for (let r = 0; r < out.length; r++) {
    let s = 0;
    for (let l = 0; l < S; l++) s += model.shapeDirs[r * S + l]! * shape[l]!;
    out[r]! += s;
  }
  return out;
}

export async function registerScan(model: FlameModel, scan: Mesh, landmarks: LandmarkTargets, options: RegisterScanOptions = {}): Promise<RegistrationResult> {
  const t0 = performance.now();
  const log = options.logger ?? silentLogger;
  const w = { ...REGISTRATION_WEIGHT_DEFAULTS, ...options.weights };
  const L = landmarks.embedding.faceIdx.length;
  if (L < 4) throw new UsageError(`registration: ${L} landmarks; at least 4 are needed for the similarity`);
  const stages: StageRecord[] = [];
  const lap = (stage: StageRecord['stage'], since: number, detail: Record<string, unknown>) => {
    stages.push({ stage, seconds: (performance.now() - since) / 1000, detail });
  };

  // ---- 1. similarity ----
  let s0 = performance.now();
  const rest = shapedTemplate(model, options.shape);
  const modelLmk = landmarkPositions(rest, model.faces, landmarks.embedding);
  const align = alignLandmarks(modelLmk, landmarks.points);
  const sim = align.similarity;
  const scanModel = scanToModel(sim, scan.positions);
  const lmkModel = scanToModel(sim, landmarks.points);
  const surface = new ScanSurface(scanModel, scan.faces);
  lap('align', s0, { unit: align.unit.unit, scale: sim.s, estimatedScale: align.unit.estimatedScale, rms: align.rms, outliers: align.outliers.length });
  log.debug(`register: similarity scale ${sim.s.toFixed(4)} (unit ${align.unit.unit}), landmark RMS ${align.rms.toFixed(3)}`);

  // ---- the problems: one frame each, on a model restricted to the vertices with data ----
  const fitFull = options.fitVertices ?? fitWeights(model);
  const S = options.shapeComponents ?? 100, E = options.exprComponents ?? 50;
  const lmkWeight = 1 / ((w.landmarkSigma * 1e-3) ** 2);
  // a bare template (templateModel): no expression or pose to fit
  const isTemplate = model.exprDirs.every((v) => v === 0);
  const build = (fm: FitModel) => {
    const problem = new Problem();
    const frames = problem.addFrames({ model: fm.model, frames: 1, hessianVertices: options.hessianVertices ?? 1000, precision: 'float32' });
    const lmkTerm = new LandmarksTerm('E_landmarks', 1, fm.model.faces, lmkWeight, lossByName(options.landmarkLoss ?? 'geman-mcclure', 3));
    lmkTerm.targets[0] = { faceIdx: fm.landmarks.faceIdx, bary: fm.landmarks.bary, points: lmkModel, ...(landmarks.weights ? { weights: landmarks.weights } : {}) };
    frames.addTerm(lmkTerm);
    problem.addTerm(new SquaredNormTerm('E_shape', [frames.shape], w.shape));
    problem.addTerm(new SquaredNormTerm('E_expr', frames.expr, w.expr));
    problem.addTerm(new SquaredNormTerm('E_pose', frames.pose, w.pose));
    if (options.shape) { frames.shape.values.set(options.shape.subarray(0, fm.model.numShape)); frames.shape.constant = true; }
    if (isTemplate) { frames.expr[0]!.constant = true; frames.pose[0]!.constant = true; }
    return { problem, frames, lmkTerm };
  };
  const lm = { hessianRefresh: options.hessianRefresh ?? 2 };

  // ---- 2. landmarks: on the landmarks' triangles only ----
  s0 = performance.now();
  const lmkFit = build(buildFitModel(model, new Uint32Array(0), landmarks.embedding, S, E));
  const lmkSolve = await solveLM(lmkFit.problem, { maxIterations: 30, functionTolerance: 1e-6, ...lm });
  lap('landmarks', s0, summaryDetail(lmkSolve));

  const fm = buildFitModel(model, fitFull.vertices, landmarks.embedding, S, E);
  const fitVertices = Uint32Array.from(fitFull.vertices, (i) => fm.slot[i]!);
  const { problem, frames, lmkTerm } = build(fm);
  for (const [from, to] of [[lmkFit.frames.shape, frames.shape], [lmkFit.frames.expr[0]!, frames.expr[0]!], [lmkFit.frames.pose[0]!, frames.pose[0]!], [lmkFit.frames.headR[0]!, frames.headR[0]!], [lmkFit.frames.headT[0]!, frames.headT[0]!]] as const) to.values.set(from.values);
  const lossName = options.loss ?? 'geman-mcclure', lossScale = options.lossScale ?? 1;
  const pointTerm = new PointsTerm('E_points', 1, { loss: lossByName(lossName, lossScale), scale: w.pointSigma * 1e-3 });
  frames.addTerm(pointTerm);

  // ---- 3. closest points ----
  s0 = performance.now();
  const cos = options.maxNormalAngle ?? 60;
  lmkTerm.targets[0]!.weights = Float64Array.from({ length: L }, (_, k) => (landmarks.weights ? landmarks.weights[k]! : 1) * w.landmarkIcpFactor);
  let stats: CorrespondenceStats | undefined;
  let icpIterations = 0;
  const rounds: Array<Record<string, number>> = [];
  // expression scans (identity held) may be far from their landmark fit where landmarks could not
  // be carried (an opened jaw): a wider first round with a wide robust scale, then narrowing
  const graduated = options.graduated ?? options.shape !== undefined;
  const distances = options.icpDistances ?? (graduated ? [25, 10, 4, 2] : [10, 4, 2]);
  // a scan whose triangles face inwards gets its normals flipped (decided on the first round)
  await frames.update();
  const flipped = surface.orientOutward(frames.world[0]!, fm.model.faces, fitVertices, distances[0]! * 1e-3);
  if (flipped) log.warn(`register: the scan's triangles face inwards; its normals are flipped`);
  for (const dmm of distances) {
    await frames.update();
    const c = closestPointTargets(surface, frames.world[0]!, fm.model.faces, fitVertices, fitFull.weights, { maxDistance: dmm * 1e-3, maxNormalAngle: cos });
    stats = c.stats;
    pointTerm.targets[0] = c.targets;
    // graduated robustness: wide while the rejection distance is wide (a jaw far from its place
    // still pulls), down to the final scale
    if (graduated) pointTerm.loss = lossByName(lossName, Math.max(lossScale, (0.5 * dmm) / w.pointSigma));
    const s = await solveLM(problem, { maxIterations: options.icpIterations ?? 4, functionTolerance: 1e-5, ...lm });
    icpIterations += s.iterations;
    rounds.push({ distance_mm: dmm, accepted: c.stats.accepted, cost: s.finalCost });
  }
  lap('closest-point', s0, { iterations: icpIterations, rounds, flippedNormals: flipped });

  // ---- the full model at the fitted parameters ----
  const shape = new Float64Array(model.numShape), expr = new Float64Array(model.numExpr);
  shape.set(options.shape ? options.shape.subarray(0, model.numShape) : frames.shape.values);
  expr.set(frames.expr[0]!.values);
  const { pose, transl, vertices: base } = await evaluateFull(model, shape, expr, frames.pose[0]!.values, frames.headR[0]!.values, frames.headT[0]!.values);

  // ---- 4. non-rigid ----
  const offsets = new Float64Array(base.length);
  if (options.nonrigid !== false) {
    s0 = performance.now();
    const graph = meshGraph(model.numVertices, model.faces);
    // a bare template has only its rigid fit behind it: start stiff and far, as non-rigid ICP does
    const schedule: NonRigidOptions = isTemplate ? { smoothness: [10, 3, 1, 0.3, 0.1, 0.03], distances: [15, 8, 5, 3, 2, 1.5], cgIterations: 200 } : {};
    const nrOptions = { ...schedule, ...(options.nonrigid ?? {}) };
    const nrTerm = new PointsTerm('E_points', 1, { loss: lossByName(lossName, lossScale), scale: pointTerm.scale });
    const nonrigid: NonRigidRound[] = fitOffsets(base, offsets, graph, nrTerm, rigidVertices(model), (world, dmm) => {
      const c = closestPointTargets(surface, world, model.faces, fitFull.vertices, fitFull.weights, { maxDistance: dmm * 1e-3, maxNormalAngle: cos });
      nrTerm.targets[0] = c.targets;
      stats = c.stats;
      return c.stats.accepted;
    }, nrOptions,
    // landmarks hold the template's tangential position while it deforms far; a fitted model
    // already has them, and their click noise would only add to it
    isTemplate ? offsetLandmarks(model, landmarks.embedding, lmkModel, base, lmkWeight, landmarks.weights, 3 * w.landmarkSigma * 1e-3) : undefined);
    lap('non-rigid', s0, { rounds: nonrigid });
  }

  const modelVertices = new Float64Array(base.length);
  for (let k = 0; k < base.length; k++) modelVertices[k] = base[k]! + offsets[k]!;
  return {
    vertices: modelToScan(sim, modelVertices),
    modelVertices,
    similarity: sim,
    unit: align.unit,
    shape, expr, pose, transl, offsets,
    alignRms: align.rms,
    stages,
    correspondences: stats,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * The landmarks as rows of the non-rigid stage (model space), without those the fitted model
 * leaves farther than `outlier` metres from their target (wrong landmarks keep out).
 */
function offsetLandmarks(model: FlameModel, e: LandmarkTargets['embedding'], points: Float64Array, base: Float64Array, weight: number, weights: Float64Array | undefined, outlier: number): OffsetLandmarks {
  const at = landmarkPositions(base, model.faces, e);
  const keep: number[] = [];
  for (let k = 0; k < e.faceIdx.length; k++) {
    if (Math.hypot(at[3 * k]! - points[3 * k]!, at[3 * k + 1]! - points[3 * k + 1]!, at[3 * k + 2]! - points[3 * k + 2]!) <= outlier) keep.push(k);
  }
  const out: OffsetLandmarks = { vertices: new Uint32Array(3 * keep.length), bary: new Float64Array(3 * keep.length), points: new Float64Array(3 * keep.length), weights: new Float64Array(keep.length) };
  keep.forEach((k, j) => {
    for (let c = 0; c < 3; c++) {
      out.vertices[3 * j + c] = model.faces[3 * e.faceIdx[k]! + c]!;
      out.bary[3 * j + c] = e.bary[3 * k + c]!;
      out.points[3 * j + c] = points[3 * k + c]!;
    }
    out.weights[j] = weight * (weights ? weights[k]! : 1);
  });
  return out;
}

function summaryDetail(s: SolveSummary): Record<string, unknown> {
  return { iterations: s.iterations, termination: s.termination, initialCost: s.initialCost, finalCost: s.finalCost };
}

/**
 * The full model's world vertices R_h·FLAME(β, ψ, θ) + t_h [V*3], and the FLAME pose [15] (head
 * rotation as the global joint) and transl [3] that reproduce them.
 */
async function evaluateFull(model: FlameModel, shape: Float64Array, expr: Float64Array, pose12: Float64Array, Rh: Float64Array, th: Float64Array): Promise<{ pose: Float64Array; transl: Float64Array; vertices: Float64Array }> {
  const pose = new Float64Array(15), transl = new Float64Array(3), V = model.numVertices;
  rotationToAxisAngle(pose, Rh);
  pose.set(pose12, 3);
  const local = new Float64Array(15);
  local.set(pose12, 3);
  const vertices = new Float64Array(3 * V);
  const ev = await FlameBatchEvaluator.create(model, 'float64');
  await ev.setIdentity(shape);
  await ev.evaluate(expr, local, undefined, 1, undefined, (_t, st) => {
    // x = R_h x0 + t_h = FLAME(global R_h, transl) with transl = t_h − (I − R_h) J_0
    const J0 = st.joints, v = st.vertices;
    for (let a = 0; a < 3; a++) transl[a] = th[a]! - (J0[a]! - (Rh[3 * a]! * J0[0]! + Rh[3 * a + 1]! * J0[1]! + Rh[3 * a + 2]! * J0[2]!));
    for (let i = 0; i < V; i++) for (let a = 0; a < 3; a++) vertices[3 * i + a] = Rh[3 * a]! * v[3 * i]! + Rh[3 * a + 1]! * v[3 * i + 1]! + Rh[3 * a + 2]! * v[3 * i + 2]! + th[a]!;
  });
  return { pose, transl, vertices };
}
