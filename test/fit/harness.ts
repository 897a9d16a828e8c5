/** Small fitting problems for tests: a random FLAME-structured model, cameras, observations. */
import { Problem } from '../../src/fit/problem.js';
import { addCameras, type CameraBlocks } from '../../src/fit/cameras.js';
import { AlignmentTerm, type Observations } from '../../src/fit/terms/alignment.js';
import type { Loss } from '../../src/fit/loss.js';
import { l2 } from '../../src/fit/loss.js';
import { lookAtRt, intrinsics } from '../../src/render/camera.js';
import { Rng } from '../../src/util/rng.js';
import { randomModel } from '../flame/random-model.js';
import type { FlameModel } from '../../src/flame/model.js';
import { rodrigues } from '../../src/flame/rotation.js';

export function ringCameras(C: number, distance = 0.8, size = 512): Array<{ K: Float64Array; Rt: Float64Array; width: number; height: number }> {
  return Array.from({ length: C }, (_, c) => {
    const yaw = C === 1 ? 0 : -0.5 + c / (C - 1);
    const eye: [number, number, number] = [distance * Math.sin(yaw), 0.05 * c, distance * Math.cos(yaw)];
    return { K: intrinsics(900 + 30 * c, size, size), Rt: lookAtRt(eye, [0, 0, 0], [0, 1, 0]), width: size, height: size };
  });
}

export interface TestProblem {
  problem: Problem;
  model: FlameModel;
  cams: CameraBlocks[];
  obs: Observations;
  align: AlignmentTerm;
}

/** Sets random parameters on every frame block (and shape). */
export function randomizeParams(problem: Problem, rng: Rng, options: { poseScale?: number; zeroJointPose?: boolean; sameFrames?: boolean } = {}): void {
  const f = problem.frames!;
  f.shape.values.forEach((_, k) => { f.shape.values[k] = rng.normal(0, 0.5); });
  if (f.offsets) f.offsets.values.forEach((_, k) => { f.offsets!.values[k] = rng.normal(0, 0.002); });
  const first = { expr: new Float64Array(f.model.numExpr).map(() => rng.normal(0, 0.5)), pose: new Float64Array(12).map(() => rng.normal(0, options.poseScale ?? 0.2)), aa: [rng.normal(0, 0.2), rng.normal(0, 0.3), rng.normal(0, 0.1)], tr: [rng.normal(0, 0.02), rng.normal(0, 0.02), rng.normal(0, 0.02)] };
  for (let t = 0; t < f.T; t++) {
    const src = options.sameFrames ? first : { expr: new Float64Array(f.model.numExpr).map(() => rng.normal(0, 0.5)), pose: new Float64Array(12).map(() => rng.normal(0, options.poseScale ?? 0.2)), aa: [rng.normal(0, 0.2), rng.normal(0, 0.3), rng.normal(0, 0.1)], tr: [rng.normal(0, 0.02), rng.normal(0, 0.02), rng.normal(0, 0.02)] };
    f.expr[t]!.values.set(src.expr);
    f.pose[t]!.values.set(src.pose);
    if (options.zeroJointPose) f.pose[t]!.values.fill(0);
    rodrigues(f.headR[t]!.values, 0, src.aa);
    f.headT[t]!.values.set(src.tr);
  }
}

/** Observations: projections of the current world vertices (plus noise), every vertex in every view. */
export async function observe(problem: Problem, cams: CameraBlocks[], rng: Rng, noise = 0): Promise<Observations> {
  const f = problem.frames!;
  await f.update();
  const T = f.T, C = cams.length, V = f.V;
  const mu = new Float64Array(T * C * V * 2), sigma = new Float64Array(T * C * V);
  const { projectPoint } = await import('../../src/fit/cameras.js');
  const uv = new Float64Array(2);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let i = 0; i < V; i++) {
    const k = (t * C + c) * V + i;
    const x = f.world[t]!;
    projectPoint(cams[c]!, x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!, uv);
    mu[2 * k] = uv[0]! + rng.normal(0, noise);
    mu[2 * k + 1] = uv[1]! + rng.normal(0, noise);
    sigma[k] = 0.5 + rng.next();
  }
  return { frames: T, cameras: C, vertices: V, mu, sigma };
}

export async function alignmentProblem(seed: number, options: { T?: number; C?: number; loss?: Loss; hessianVertices?: number; offsets?: boolean; camerasVariable?: boolean; model?: FlameModel } = {}): Promise<TestProblem> {
  const model = options.model ?? randomModel(seed, 30, 4, 5);
  const problem = new Problem();
  const T = options.T ?? 2;
  const frames = problem.addFrames({ model, frames: T, hessianVertices: options.hessianVertices ?? model.numVertices, ...(options.offsets ? { offsetRegion: Uint32Array.from([1, 5, 9]) } : {}), chunk: 2, precision: 'float64' });
  const cams = addCameras(problem.parameters, ringCameras(options.C ?? 2), { constant: !options.camerasVariable, sharedFocal: true });
  const obs: Observations = { frames: T, cameras: cams.length, vertices: model.numVertices, mu: new Float64Array(T * cams.length * model.numVertices * 2), sigma: new Float64Array(T * cams.length * model.numVertices) };
  const align = new AlignmentTerm(obs, cams, options.loss ?? l2);
  frames.addTerm(align);
  return { problem, model, cams, obs, align };
}
