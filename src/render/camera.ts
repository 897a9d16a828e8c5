/**
 * Pinhole cameras in the OpenCV convention (DESIGN.md): `x_cam = R·X + t`, the camera looks along
 * +Z, image +X right and +Y down. `K` is in pixels; image coordinates are continuous, the pixel
 * (i, j) covers [i, i+1)×[j, j+1) and its centre is (i + 0.5, j + 0.5). So `intrinsics` puts the
 * principal point at (W/2, H/2), the centre of the image, not the centre of a pixel.
 *
 * `K` is taken to have the last row (0, 0, 1) (no projective skew of depth): the projected point of
 * a camera-space point (x, y, z) is (K₀₀x + K₀₁y + K₀₂z, K₁₀x + K₁₁y + K₁₂z) / z, and the depth
 * the renderer uses is z. `checkCamera` enforces this.
 */
import { UsageError } from '../util/errors.js';

export interface Camera {
  /** K: Float64Array [9], row-major 3×3 intrinsics, pixels. */
  K: Float64Array;
  /** Rt: Float64Array [12], row-major 3×4 [R | t], world → camera, metres. */
  Rt: Float64Array;
  /** Image width and height, pixels. */
  width: number;
  height: number;
}

/** Largest image side the renderer accepts (keeps its fixed-point edge functions exact). */
export const MAX_IMAGE_SIDE = 16384;

/** Throws a UsageError unless the camera is well-formed (sizes, finite values, K's last row 0 0 1). */
export function checkCamera(camera: Camera, where = 'camera'): void {
  const { K, Rt, width, height } = camera;
  if (K.length !== 9) throw new UsageError(`${where}: K must have 9 elements (3×3 row-major), found ${K.length}`);
  if (Rt.length !== 12) throw new UsageError(`${where}: Rt must have 12 elements (3×4 row-major), found ${Rt.length}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new UsageError(`${where}: image size must be integers in [1, ${MAX_IMAGE_SIDE}], found ${width}×${height}`);
  }
  for (let i = 0; i < 9; i++) if (!Number.isFinite(K[i]!)) throw new UsageError(`${where}: K[${i}] is ${K[i]}`);
  for (let i = 0; i < 12; i++) if (!Number.isFinite(Rt[i]!)) throw new UsageError(`${where}: Rt[${i}] is ${Rt[i]}`);
  if (K[6] !== 0 || K[7] !== 0 || K[8] !== 1) {
    throw new UsageError(`${where}: K's last row must be (0, 0, 1), found (${K[6]}, ${K[7]}, ${K[8]})`);
  }
}

/**
 * Camera-space points. points: [N*3] world, metres; Rt: [12]; out: Float64Array [N*3], metres.
 * Reads each point before writing, so `out === points` is safe.
 */
export function worldToCamera(out: Float64Array, points: ArrayLike<number>, Rt: ArrayLike<number>): Float64Array {
  const n = Math.floor(points.length / 3);
  if (out.length < 3 * n) throw new RangeError(`worldToCamera: out has ${out.length} elements, need ${3 * n}`);
  const r00 = Rt[0]!, r01 = Rt[1]!, r02 = Rt[2]!, t0 = Rt[3]!;
  const r10 = Rt[4]!, r11 = Rt[5]!, r12 = Rt[6]!, t1 = Rt[7]!;
  const r20 = Rt[8]!, r21 = Rt[9]!, r22 = Rt[10]!, t2 = Rt[11]!;
  for (let i = 0; i < n; i++) {
    const X = points[3 * i]!, Y = points[3 * i + 1]!, Z = points[3 * i + 2]!;
    out[3 * i] = r00 * X + r01 * Y + r02 * Z + t0;
    out[3 * i + 1] = r10 * X + r11 * Y + r12 * Z + t1;
    out[3 * i + 2] = r20 * X + r21 * Y + r22 * Z + t2;
  }
  return out;
}

/**
 * Pixel coordinates and camera depth in one pass; the renderer's projection. points: [N*3] world,
 * metres; outXY: Float64Array [N*2], pixels (DESIGN convention); outZ: Float64Array [N], camera z,
 * metres. Points at z = 0 give infinite or NaN pixel coordinates; callers test z first.
 * Bit-identical to `projectPoints` and `worldToCamera`.
 */
export function projectWithDepth(outXY: Float64Array, outZ: Float64Array, points: ArrayLike<number>, camera: Camera): void {
  const n = Math.floor(points.length / 3);
  const K = camera.K, Rt = camera.Rt;
  const k00 = K[0]!, k01 = K[1]!, k02 = K[2]!, k10 = K[3]!, k11 = K[4]!, k12 = K[5]!;
  const r00 = Rt[0]!, r01 = Rt[1]!, r02 = Rt[2]!, t0 = Rt[3]!;
  const r10 = Rt[4]!, r11 = Rt[5]!, r12 = Rt[6]!, t1 = Rt[7]!;
  const r20 = Rt[8]!, r21 = Rt[9]!, r22 = Rt[10]!, t2 = Rt[11]!;
  for (let i = 0; i < n; i++) {
    const X = points[3 * i]!, Y = points[3 * i + 1]!, Z = points[3 * i + 2]!;
    const x = r00 * X + r01 * Y + r02 * Z + t0;
    const y = r10 * X + r11 * Y + r12 * Z + t1;
    const z = r20 * X + r21 * Y + r22 * Z + t2;
    outXY[2 * i] = (k00 * x + k01 * y + k02 * z) / z;
    outXY[2 * i + 1] = (k10 * x + k11 * y + k12 * z) / z;
    outZ[i] = z;
  }
}

let _z = new Float64Array(0); // scratch, module scope

/**
 * Projects world points to pixel coordinates (DESIGN convention: pixel (i, j) has its centre at
 * (i + 0.5, j + 0.5)). points: [N*3] world, metres; out: Float64Array [N*2], pixels.
 */
export function projectPoints(out: Float64Array, points: ArrayLike<number>, camera: Camera): Float64Array {
  const n = Math.floor(points.length / 3);
  if (out.length < 2 * n) throw new RangeError(`projectPoints: out has ${out.length} elements, need ${2 * n}`);
  if (_z.length < n) _z = new Float64Array(n);
  projectWithDepth(out, _z, points, camera);
  return out;
}

/**
 * World → camera extrinsics [R | t] (Float64Array [12]) of a camera at `eye` looking at `target`,
 * with `up` (world) appearing upwards in the image. OpenCV axes: camera +Z is the viewing
 * direction, +Y points down the image (opposite `up`), +X = Y × Z points right.
 */
export function lookAtRt(eye: ArrayLike<number>, target: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const ex = eye[0]!, ey = eye[1]!, ez = eye[2]!;
  let zx = target[0]! - ex, zy = target[1]! - ey, zz = target[2]! - ez;
  const zn = Math.hypot(zx, zy, zz);
  if (!(zn > 0)) throw new UsageError(`lookAtRt: eye and target coincide (${ex}, ${ey}, ${ez})`);
  zx /= zn; zy /= zn; zz /= zn;
  // x = z × up (right), then y = z × x (down)
  let xx = zy * up[2]! - zz * up[1]!, xy = zz * up[0]! - zx * up[2]!, xz = zx * up[1]! - zy * up[0]!;
  const xn = Math.hypot(xx, xy, xz);
  if (!(xn > 1e-12 * Math.hypot(up[0]!, up[1]!, up[2]!))) {
    throw new UsageError(`lookAtRt: up (${up[0]}, ${up[1]}, ${up[2]}) is parallel to the viewing direction`);
  }
  xx /= xn; xy /= xn; xz /= xn;
  const yx = zy * xz - zz * xy, yy = zz * xx - zx * xz, yz = zx * xy - zy * xx;
  return new Float64Array([
    xx, xy, xz, -(xx * ex + xy * ey + xz * ez),
    yx, yy, yz, -(yx * ex + yy * ey + yz * ez),
    zx, zy, zz, -(zx * ex + zy * ey + zz * ez),
  ]);
}

/** Intrinsics K (Float64Array [9]) with square pixels of focal length `focalPx` and the principal point at (W/2, H/2). */
export function intrinsics(focalPx: number, width: number, height: number): Float64Array {
  return new Float64Array([focalPx, 0, width / 2, 0, focalPx, height / 2, 0, 0, 1]);
}

/** Focal length in pixels of a lens of `mm` millimetres on a full-frame sensor (36 mm wide) imaged `width` pixels wide. */
export function focalFromFullFrameMm(mm: number, width: number): number {
  return (mm * width) / 36;
}
