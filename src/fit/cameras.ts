/**
 * Cameras as parameter blocks and the pinhole projection with its Jacobians (DESIGN.md: OpenCV,
 * x_cam = R·X + t, pixel (i, j) covers [i, i+1)×[j, j+1)).
 *
 * Camera c has `camR:c` (rotation, left-perturbed: R ← exp([δω]×)·R), `camT:c` [3], a focal length
 * f [1] (`focal`, shared, or `focal:c`) with fixed aspect (fx = f·ax, fy = f·ay from the initial K),
 * and a principal point `pp:c` [2]. Skewed K is refused.
 */
import { UsageError } from '../util/errors.js';
import { ParameterBlock, type ParameterSet } from './parameters.js';

export interface CameraInit {
  /** K [9] row-major, Rt [12] row-major 3×4. */
  K: ArrayLike<number>;
  Rt: ArrayLike<number>;
  width: number;
  height: number;
}

export interface CameraBlocks {
  R: ParameterBlock;
  t: ParameterBlock;
  focal: ParameterBlock;
  pp: ParameterBlock;
  aspect: [number, number];
  width: number;
  height: number;
}

/** Number of extra Jacobian columns a camera contributes: δω (3), t (3), f (1), pp (2). */
export const CAMERA_COLUMNS = 9;

export interface CameraOptions {
  /** One focal length for all cameras (default true). */
  sharedFocal?: boolean;
  /** Hold everything constant (known calibration). */
  constant?: boolean;
  /** Estimate the principal point (default false: held at its initial value). */
  principalPoint?: boolean;
}

/** Adds the blocks of C cameras to a parameter set. */
export function addCameras(params: ParameterSet, cams: CameraInit[], options: CameraOptions = {}): CameraBlocks[] {
  const shared = options.sharedFocal ?? true;
  let sharedFocal: ParameterBlock | undefined;
  return cams.map((c, k) => {
    const K = c.K;
    if (Math.abs(K[1]!) > 1e-9 * Math.abs(K[0]!) || K[3] !== 0 || K[6] !== 0 || K[7] !== 0 || K[8] !== 1) {
      throw new UsageError(`camera ${k}: K must be [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] (no skew), got [${Array.from(K).join(', ')}]`);
    }
    const fx = K[0]!, fy = K[4]!;
    if (!(fx > 0 && fy > 0)) throw new UsageError(`camera ${k}: focal lengths must be positive, got fx=${fx}, fy=${fy}`);
    const R = Float64Array.from([c.Rt[0]!, c.Rt[1]!, c.Rt[2]!, c.Rt[4]!, c.Rt[5]!, c.Rt[6]!, c.Rt[8]!, c.Rt[9]!, c.Rt[10]!]);
    checkRotation(R, k);
    const f0 = shared && sharedFocal ? sharedFocal.values[0]! : fx;
    const aspect: [number, number] = [fx / f0, fy / f0];
    let focal: ParameterBlock;
    if (shared) {
      sharedFocal ??= params.add(new ParameterBlock('focal', Float64Array.of(fx), { lower: [1e-3 * fx], constant: options.constant }));
      focal = sharedFocal;
    } else focal = params.add(new ParameterBlock(`focal:${k}`, Float64Array.of(fx), { lower: [1e-3 * fx], constant: options.constant }));
    return {
      R: params.add(new ParameterBlock(`camR:${k}`, R, { manifold: 'rotation', constant: options.constant })),
      t: params.add(new ParameterBlock(`camT:${k}`, Float64Array.of(c.Rt[3]!, c.Rt[7]!, c.Rt[11]!), { constant: options.constant })),
      focal,
      pp: params.add(new ParameterBlock(`pp:${k}`, Float64Array.of(K[2]!, K[5]!), { constant: options.constant || !options.principalPoint })),
      aspect,
      width: c.width,
      height: c.height,
    };
  });
}

function checkRotation(R: Float64Array, k: number): void {
  let err = 0;
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    let d = 0;
    for (let m = 0; m < 3; m++) d += R[3 * a + m]! * R[3 * b + m]!;
    err = Math.max(err, Math.abs(d - (a === b ? 1 : 0)));
  }
  const det = R[0]! * (R[4]! * R[8]! - R[5]! * R[7]!) - R[1]! * (R[3]! * R[8]! - R[5]! * R[6]!) + R[2]! * (R[3]! * R[7]! - R[4]! * R[6]!);
  if (err > 1e-5 || det < 0) throw new UsageError(`camera ${k}: Rt's left 3×3 is not a rotation (orthonormality error ${err.toExponential(1)}, det ${det.toFixed(3)})`);
}

/** K [9] and Rt [12] of a camera's current values. */
export function cameraMatrices(c: CameraBlocks): { K: Float64Array; Rt: Float64Array } {
  const f = c.focal.values[0]!, R = c.R.values, t = c.t.values;
  return {
    K: Float64Array.of(f * c.aspect[0], 0, c.pp.values[0]!, 0, f * c.aspect[1], c.pp.values[1]!, 0, 0, 1),
    Rt: Float64Array.of(R[0]!, R[1]!, R[2]!, t[0]!, R[3]!, R[4]!, R[5]!, t[1]!, R[6]!, R[7]!, R[8]!, t[2]!),
  };
}

/**
 * Projects world point (x, y, z). Writes the pixel position into uv [2] and, when `jac` is given,
 * the Jacobians into jac [2×3 wrt the point | 2×9 camera columns] laid out as two rows of 12:
 * [∂u/∂X (3), ∂u/∂δω (3), ∂u/∂t (3), ∂u/∂f (1), ∂u/∂pp (2)]. Returns false when the point is at
 * or behind the camera (z ≤ 1e-6 m).
 */
export function projectPoint(c: CameraBlocks, x: number, y: number, z: number, uv: Float64Array, jac?: Float64Array): boolean {
  const R = c.R.values, t = c.t.values;
  const X = R[0]! * x + R[1]! * y + R[2]! * z, Y = R[3]! * x + R[4]! * y + R[5]! * z, Z = R[6]! * x + R[7]! * y + R[8]! * z;
  const cx = X + t[0]!, cy = Y + t[1]!, cz = Z + t[2]!;
  if (!(cz > 1e-6)) return false;
  const f = c.focal.values[0]!, fx = f * c.aspect[0], fy = f * c.aspect[1];
  const iz = 1 / cz, px = cx * iz, py = cy * iz;
  uv[0] = fx * px + c.pp.values[0]!;
  uv[1] = fy * py + c.pp.values[1]!;
  if (!jac) return true;
  // ∂uv/∂(camera point) = [[fx/z, 0, −fx x/z²], [0, fy/z, −fy y/z²]]
  const a0 = fx * iz, a2 = -fx * px * iz, b1 = fy * iz, b2 = -fy * py * iz;
  // wrt world point: that · R
  jac[0] = a0 * R[0]! + a2 * R[6]!; jac[1] = a0 * R[1]! + a2 * R[7]!; jac[2] = a0 * R[2]! + a2 * R[8]!;
  jac[12] = b1 * R[3]! + b2 * R[6]!; jac[13] = b1 * R[4]! + b2 * R[7]!; jac[14] = b1 * R[5]! + b2 * R[8]!;
  // wrt δω: ∂(cam point)/∂δω = −[R x]× ; row · (−[p]×) = p × row … computed explicitly
  // −[p]× = [[0, Z, −Y], [−Z, 0, X], [Y, −X, 0]] with p = R x = (X, Y, Z)
  jac[3] = a2 * Y; jac[4] = a0 * Z - a2 * X; jac[5] = -a0 * Y;
  jac[15] = -b1 * Z + b2 * Y; jac[16] = -b2 * X; jac[17] = b1 * X;
  // wrt t
  jac[6] = a0; jac[7] = 0; jac[8] = a2;
  jac[18] = 0; jac[19] = b1; jac[20] = b2;
  // wrt f, pp
  jac[9] = c.aspect[0] * px; jac[10] = 1; jac[11] = 0;
  jac[21] = c.aspect[1] * py; jac[22] = 0; jac[23] = 1;
  return true;
}

/** Tangent offsets of a camera's 9 extra columns (−1 for constant blocks). */
export function cameraColumnOffsets(c: CameraBlocks, out = new Int32Array(CAMERA_COLUMNS)): Int32Array {
  for (let k = 0; k < 3; k++) out[k] = c.R.offset < 0 ? -1 : c.R.offset + k;
  for (let k = 0; k < 3; k++) out[3 + k] = c.t.offset < 0 ? -1 : c.t.offset + k;
  out[6] = c.focal.offset;
  out[7] = c.pp.offset < 0 ? -1 : c.pp.offset;
  out[8] = c.pp.offset < 0 ? -1 : c.pp.offset + 1;
  return out;
}
