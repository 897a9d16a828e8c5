/**
 * The multi-view capture rig of a synthetic FaceScape subject: cameras on the front hemisphere
 * around the head (view 0 frontal), studio lights, and the frame changes between the model's frame
 * (metres, where the photos are rendered) and the scan's frame (FaceScape's canonical frame:
 * millimetres after a rigid placement), in which `params.json` states the cameras.
 *
 * Frames: a model-frame point X (metres) is at X_s = s·(R_p X + t_p) in the scan frame (s = 1000
 * for millimetres). A camera with model-frame extrinsics [R_c | t_c] then has scan-frame
 * extrinsics [R_c R_pᵀ | s·(t_c − R_c R_pᵀ t_p)]: camera coordinates scale by s, which the
 * projection divides out, so K is the same in both frames and the translation is in scan units.
 */
import { type Rng, UsageError } from '../util/index.js';
import { type Camera, lookAtRt, type LightRig, colorTemperature } from '../render/index.js';

/** Directions (yaw, pitch in degrees; yaw + towards the subject's left, +X) of up to 16 views, spread over the front hemisphere. */
export const RIG_DIRECTIONS: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [-35, 0], [35, 0], [-70, 2], [70, 2], [0, 28], [0, -24], [-42, 24], [42, 24],
  [-45, -20], [45, -20], [-82, 15], [82, 15], [-18, 10], [18, 10], [0, 50],
];
export const MAX_VIEWS = RIG_DIRECTIONS.length;

/** A similarity-free rigid placement with a unit scale: X_s = scale·(R X + t). */
export interface Placement {
  /** R: Float64Array [9], row-major rotation. */
  R: Float64Array;
  /** t: Float64Array [3], metres (before scaling). */
  t: Float64Array;
  /** Model metres → scan units (1000 for millimetres, 1 for metres). */
  scale: number;
}

/** Rotation matrix (row-major [9]) R = Rz(c)·Ry(b)·Rx(a), angles in radians. */
export function eulerXYZ(a: number, b: number, c: number): Float64Array {
  const ca = Math.cos(a), sa = Math.sin(a), cb = Math.cos(b), sb = Math.sin(b), cc = Math.cos(c), sc = Math.sin(c);
  return Float64Array.of(
    cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa,
    sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa,
    -sb, cb * sa, cb * ca,
  );
}

/** Row-major 3×3 product A·B. */
export function mul33(A: ArrayLike<number>, B: ArrayLike<number>): Float64Array {
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[3 * i + j] = A[3 * i]! * B[j]! + A[3 * i + 1]! * B[3 + j]! + A[3 * i + 2]! * B[6 + j]!;
  return out;
}

/** A random placement: rotation up to about ±6° about each axis, translation up to ±40 mm, then `scale`. */
export function randomPlacement(rng: Rng, scale: number): Placement {
  const deg = Math.PI / 180;
  return {
    R: eulerXYZ(rng.uniform(-6, 6) * deg, rng.uniform(-6, 6) * deg, rng.uniform(-6, 6) * deg),
    t: Float64Array.of(rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04)),
    scale,
  };
}

/** Model-frame points (metres) → scan frame: out = scale·(R p + t). out may alias points. */
export function toScanFrame(out: Float64Array, points: ArrayLike<number>, p: Placement): Float64Array {
  const R = p.R, s = p.scale;
  const n = Math.floor(points.length / 3);
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]!, y = points[3 * i + 1]!, z = points[3 * i + 2]!;
    out[3 * i] = s * (R[0]! * x + R[1]! * y + R[2]! * z + p.t[0]!);
    out[3 * i + 1] = s * (R[3]! * x + R[4]! * y + R[5]! * z + p.t[1]!);
    out[3 * i + 2] = s * (R[6]! * x + R[7]! * y + R[8]! * z + p.t[2]!);
  }
  return out;
}

/** Scan-frame extrinsics [12] of a camera with model-frame extrinsics Rt [12] (file header). */
export function scanFrameRt(Rt: ArrayLike<number>, p: Placement): Float64Array {
  const R = p.R, s = p.scale;
  const out = new Float64Array(12);
  // R' = R_c R_pᵀ
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) out[4 * i + j] = Rt[4 * i]! * R[3 * j]! + Rt[4 * i + 1]! * R[3 * j + 1]! + Rt[4 * i + 2]! * R[3 * j + 2]!;
  }
  // t' = s·(t_c − R' t_p)
  for (let i = 0; i < 3; i++) {
    out[4 * i + 3] = s * (Rt[4 * i + 3]! - (out[4 * i]! * p.t[0]! + out[4 * i + 1]! * p.t[1]! + out[4 * i + 2]! * p.t[2]!));
  }
  return out;
}

export interface RigOptions {
  views: number;
  /** Image side, pixels. */
  size: number;
  /** Width of the scene (metres) across the image at the target. Default 0.32. */
  field?: number;
}

/**
 * Cameras of a subject in the model frame, aimed at `target` (metres): view v at direction
 * RIG_DIRECTIONS[v] ± 3°, 0.85–0.95 m away, rolled ±2°, focal lengths ±3 % around the one that
 * makes `field` metres fill the image, principal point within ±1 % of the centre.
 */
export function rigCameras(rng: Rng, target: readonly number[], o: RigOptions): Camera[] {
  if (!(Number.isInteger(o.views) && o.views >= 1 && o.views <= MAX_VIEWS)) throw new UsageError(`synth facescape: --views must be an integer 1–${MAX_VIEWS}, got ${o.views}`);
  const field = o.field ?? 0.32, W = o.size;
  const deg = Math.PI / 180;
  const cams: Camera[] = [];
  for (let v = 0; v < o.views; v++) {
    const [yaw0, pitch0] = RIG_DIRECTIONS[v]!;
    const jitter = v === 0 ? 0.5 : 3;
    const yaw = (yaw0 + rng.uniform(-jitter, jitter)) * deg, pitch = (pitch0 + rng.uniform(-jitter, jitter)) * deg;
    const dist = rng.uniform(0.85, 0.95);
    const dir = [Math.sin(yaw) * Math.cos(pitch), Math.sin(pitch), Math.cos(yaw) * Math.cos(pitch)];
    const eye = [target[0]! + dist * dir[0]!, target[1]! + dist * dir[1]!, target[2]! + dist * dir[2]!];
    const roll = rng.uniform(-2, 2) * deg;
    const up = [Math.sin(roll), Math.cos(roll), 0];
    const Rt = lookAtRt(eye, target, up);
    const f = ((W * dist) / field) * rng.uniform(0.97, 1.03);
    const K = Float64Array.of(f, 0, W / 2 + rng.uniform(-0.01, 0.01) * W, 0, f, W / 2 + rng.uniform(-0.01, 0.01) * W, 0, 0, 1);
    cams.push({ K, Rt, width: W, height: W });
  }
  return cams;
}

/** Studio lights in the model frame: a warm key from the upper left front, a cooler fill, ambient, a little variation. */
export function studioLights(rng: Rng): LightRig {
  const key = colorTemperature(rng.uniform(4800, 5800)), fill = colorTemperature(rng.uniform(6000, 7500));
  const k = rng.uniform(0.85, 1.05), f = rng.uniform(0.25, 0.4), a = rng.uniform(0.18, 0.26);
  return {
    ambient: [a, a, a],
    directional: [
      { direction: [rng.uniform(0.3, 0.5), rng.uniform(-0.6, -0.4), -0.75], color: [key[0] * k, key[1] * k, key[2] * k] },
      { direction: [rng.uniform(-0.7, -0.5), rng.uniform(-0.2, 0), -0.7], color: [fill[0] * f, fill[1] * f, fill[2] * f] },
    ],
    point: [],
  };
}

/** 3×3 and 3×4 row-major arrays as nested lists. */
function rows(a: ArrayLike<number>, r: number, c: number): number[][] {
  return Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => a[i * c + j]!));
}

/**
 * FaceScape's `params.json` for the views of one scan: `{v}_K` (3×3), `{v}_Rt` (3×4, scan frame →
 * camera, translation in scan units), `{v}_distortion` [k1, k2, p1, p2, k3] (zeros: the photos are
 * rendered without distortion), `{v}_width`, `{v}_height`, `{v}_valid`.
 */
export function paramsJson(cameras: readonly Camera[], placement: Placement, valid: readonly boolean[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  cameras.forEach((cam, v) => {
    out[`${v}_K`] = rows(cam.K, 3, 3);
    out[`${v}_Rt`] = rows(scanFrameRt(cam.Rt, placement), 3, 4);
    out[`${v}_distortion`] = [0, 0, 0, 0, 0];
    out[`${v}_width`] = cam.width;
    out[`${v}_height`] = cam.height;
    out[`${v}_valid`] = valid[v] ?? true;
  });
  return out;
}
