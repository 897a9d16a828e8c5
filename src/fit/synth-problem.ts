/**
 * A synthetic fitting problem on a head model, with known truth (`workbench synth fit-problem`):
 * a random identity; a smooth talking sequence (jaw and mouth motion at syllable rate, blinks every
 * few seconds, brow movement, small gaze changes) with head turns of ±30° and some translation;
 * C cameras placed like MEAD's views (front, left_30, right_30, down, top, left_60, right_60) about
 * 1 m from the head, 512×512, one focal length for all; observations are the projections plus Gaussian noise of `noise` px
 * with matching σ, optional outliers displaced by 20–100 px, and vertices facing away from a
 * camera marked missing (σ = 0).
 */
import { Rng } from '../util/rng.js';
import type { FlameModel } from '../flame/model.js';
import { FlameBatchEvaluator } from '../flame/batch.js';
import { computeVertexNormals } from '../io/mesh.js';
import { lookAtRt, intrinsics } from '../render/camera.js';
import type { Observations } from './terms/alignment.js';

export const MEAD_VIEWS: Array<{ name: string; yaw: number; pitch: number }> = [
  { name: 'front', yaw: 0, pitch: 0 },
  { name: 'left_30', yaw: 30, pitch: 0 },
  { name: 'right_30', yaw: -30, pitch: 0 },
  { name: 'down', yaw: 0, pitch: -25 },
  { name: 'top', yaw: 0, pitch: 25 },
  { name: 'left_60', yaw: 60, pitch: 0 },
  { name: 'right_60', yaw: -60, pitch: 0 },
];

export interface SynthProblemOptions {
  frames: number;
  views: number;
  /** Gaussian pixel noise (σ of the observations; 0 gives exact observations with σ = 1). */
  noise?: number;
  /** Fraction of observations displaced by 20–100 px. */
  outliers?: number;
  seed?: number | string;
  fps?: number;
  size?: number;
}

export interface SynthProblem {
  obs: Observations;
  imageSize: Float64Array;
  fps: number;
  viewNames: string[];
  truth: {
    vertices: Float64Array; // [T*V*3]
    K: Float64Array; // [C*9]
    Rt: Float64Array; // [C*12]
    shape: Float64Array; // [S]
    expr: Float64Array; // [T*E]
    pose: Float64Array; // [T*15]
    transl: Float64Array; // [T*3]
  };
}

/** A smooth random signal: a sum of a few sinusoids with random frequencies (Hz) and phases. */
function smoothSignal(rng: Rng, T: number, fps: number, amp: number, fmin: number, fmax: number, terms = 3): Float64Array {
  const out = new Float64Array(T);
  for (let k = 0; k < terms; k++) {
    const f = rng.uniform(fmin, fmax), ph = rng.uniform(0, 2 * Math.PI), a = amp * rng.uniform(0.5, 1) / Math.sqrt(terms);
    for (let t = 0; t < T; t++) out[t]! += a * Math.sin((2 * Math.PI * f * t) / fps + ph);
  }
  return out;
}

export async function synthFitProblem(model: FlameModel, options: SynthProblemOptions): Promise<SynthProblem> {
  const T = options.frames, C = options.views;
  if (!(T >= 1 && C >= 1 && C <= MEAD_VIEWS.length)) throw new RangeError(`synth fit-problem: frames ≥ 1 and 1 ≤ views ≤ ${MEAD_VIEWS.length}, got ${T} and ${C}`);
  const fps = options.fps ?? 30, size = options.size ?? 512;
  const rng = new Rng(options.seed ?? 0);
  const S = model.numShape, E = model.numExpr, V = model.numVertices;
  // identity
  const shapeRng = rng.fork('shape');
  const shape = new Float64Array(S).map(() => shapeRng.normal(0, 0.8));
  // expression and pose sequence
  const expr = new Float64Array(T * E), pose = new Float64Array(T * 15), transl = new Float64Array(T * 3);
  const talk = rng.fork('talk');
  const syllable = smoothSignal(talk, T, fps, 1, 2.5, 5, 4);
  const mouth = [0, 1, 2, 7, 8, 9, 12, 13, 17, 19].map((k) => [k, smoothSignal(talk, T, fps, k === 0 ? 0.8 : 0.6, 0.5, 3)] as const);
  const others = Array.from({ length: E }, (_, k) => smoothSignal(rng.fork(`e${k}`), T, fps, k < 21 ? 0.15 : 0.05, 0.1, 1, 2));
  const brow = smoothSignal(rng.fork('brow'), T, fps, 0.8, 0.1, 0.5);
  const yaw = smoothSignal(rng.fork('yaw'), T, fps, 1, 0.05, 0.25, 2);
  const pitch = smoothSignal(rng.fork('pitch'), T, fps, (10 * Math.PI) / 180, 0.1, 0.4);
  const roll = smoothSignal(rng.fork('roll'), T, fps, (5 * Math.PI) / 180, 0.1, 0.4);
  const gaze = [smoothSignal(rng.fork('gx'), T, fps, 0.15, 0.1, 0.5), smoothSignal(rng.fork('gy'), T, fps, 0.2, 0.1, 0.5)];
  const tr = [0, 1, 2].map((a) => smoothSignal(rng.fork(`tr${a}`), T, fps, 0.02, 0.05, 0.3));
  // yaw normalised to span ±30° over the sequence
  let ymax = 1e-9;
  for (const v of yaw) ymax = Math.max(ymax, Math.abs(v));
  for (let t = 0; t < T; t++) {
    const e = expr.subarray(t * E, (t + 1) * E);
    for (let k = 0; k < E; k++) e[k] = others[k]![t]!;
    for (const [k, sig] of mouth) if (k < E) e[k]! += sig[t]! * Math.max(0, syllable[t]!);
    if (E > 3) e[3]! += brow[t]!;
    const p = pose.subarray(15 * t, 15 * t + 15);
    // head rotation as FLAME's global pose (axis-angle of yaw·pitch·roll, small-angle composition)
    p[0] = pitch[t]!; p[1] = (30 * Math.PI / 180) * yaw[t]! / ymax; p[2] = roll[t]!;
    p[6] = Math.max(0, 0.22 * syllable[t]!); // jaw opens with the syllables
    p[9] = gaze[1]![t]!; p[10] = gaze[0]![t]!; p[12] = gaze[1]![t]!; p[13] = gaze[0]![t]!;
    for (let a = 0; a < 3; a++) transl[3 * t + a] = tr[a]![t]!;
  }
  // blinks: both eyes close for ~0.2 s every 2–5 s (smooth pulses on the blink components 5 and 6)
  const blinkRng = rng.fork('blink');
  if (E > 6) {
    let tb = blinkRng.uniform(0.3, 1.5) * fps;
    while (tb < T) {
      const width = 0.1 * fps;
      for (let t = Math.max(0, Math.floor(tb - 3 * width)); t < Math.min(T, Math.ceil(tb + 3 * width)); t++) {
        const v = Math.exp(-0.5 * ((t - tb) / width) ** 2);
        expr[t * E + 5]! += v; expr[t * E + 6]! += v;
      }
      tb += blinkRng.uniform(2, 5) * fps;
    }
  }
  // vertices
  const ev = await FlameBatchEvaluator.create(model, 'float64');
  await ev.setIdentity(shape);
  const vertices = await ev.evaluate(expr, pose, transl, T);
  // cameras: looking at the head centre from ~1 m
  const K = new Float64Array(9 * C), Rt = new Float64Array(12 * C), imageSize = new Float64Array(2 * C);
  const camRng = rng.fork('cameras');
  const viewNames: string[] = [];
  const focal = camRng.uniform(1150, 1250); // MEAD's views share one camera model
  for (let c = 0; c < C; c++) {
    const v = MEAD_VIEWS[c]!;
    viewNames.push(v.name);
    const d = camRng.uniform(0.95, 1.05), yawR = (v.yaw * Math.PI) / 180, pitchR = (v.pitch * Math.PI) / 180;
    const eye: [number, number, number] = [d * Math.sin(yawR) * Math.cos(pitchR), d * Math.sin(pitchR), d * Math.cos(yawR) * Math.cos(pitchR)];
    K.set(intrinsics(focal, size, size), 9 * c);
    Rt.set(lookAtRt(eye, [0, -0.01, 0], [0, 1, 0]), 12 * c);
    imageSize[2 * c] = size; imageSize[2 * c + 1] = size;
  }
  // observations
  const noise = options.noise ?? 0, outliers = options.outliers ?? 0;
  const mu = new Float32Array(T * C * V * 2), sigma = new Float32Array(T * C * V);
  const normals = new Float64Array(V * 3);
  const obsRng = rng.fork('observations');
  for (let t = 0; t < T; t++) {
    const x = vertices.subarray(t * V * 3, (t + 1) * V * 3);
    computeVertexNormals(normals, x, model.faces);
    for (let c = 0; c < C; c++) {
      const k9 = K.subarray(9 * c, 9 * c + 9), R = Rt.subarray(12 * c, 12 * c + 12);
      // camera centre −Rᵀt
      const cx = -(R[0]! * R[3]! + R[4]! * R[7]! + R[8]! * R[11]!), cy = -(R[1]! * R[3]! + R[5]! * R[7]! + R[9]! * R[11]!), cz = -(R[2]! * R[3]! + R[6]! * R[7]! + R[10]! * R[11]!);
      for (let i = 0; i < V; i++) {
        const px = x[3 * i]!, py = x[3 * i + 1]!, pz = x[3 * i + 2]!;
        const o = (t * C + c) * V + i;
        const facing = normals[3 * i]! * (cx - px) + normals[3 * i + 1]! * (cy - py) + normals[3 * i + 2]! * (cz - pz);
        const X = R[0]! * px + R[1]! * py + R[2]! * pz + R[3]!, Y = R[4]! * px + R[5]! * py + R[6]! * pz + R[7]!, Z = R[8]! * px + R[9]! * py + R[10]! * pz + R[11]!;
        const u = k9[0]! * X / Z + k9[2]!, w = k9[4]! * Y / Z + k9[5]!;
        mu[2 * o] = u + (noise > 0 ? obsRng.normal(0, noise) : 0);
        mu[2 * o + 1] = w + (noise > 0 ? obsRng.normal(0, noise) : 0);
        sigma[o] = facing > 0 ? (noise > 0 ? noise : 1) : 0;
        if (facing > 0 && outliers > 0 && obsRng.chance(outliers)) {
          const ang = obsRng.uniform(0, 2 * Math.PI), len = obsRng.uniform(20, 100);
          mu[2 * o]! += len * Math.cos(ang); mu[2 * o + 1]! += len * Math.sin(ang);
        }
      }
    }
  }
  return {
    obs: { frames: T, cameras: C, vertices: V, mu, sigma }, imageSize, fps, viewNames,
    truth: { vertices, K, Rt, shape, expr, pose, transl },
  };
}
