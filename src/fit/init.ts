/**
 * Initialisation from 2D observations alone. For a view: pick the most confident observed
 * vertices, take the mean head (or any given 3D points) as their positions, and estimate the
 * projection matrix by the normalised Direct Linear Transform (Hartley & Zisserman, alg. 7.1);
 * decompose it by RQ into K (square pixels enforced, principal point at the image centre) and a
 * rotation and translation. Used for unknown cameras (relative to the head at the gauge frame) and
 * for the head pose of the first frame when the cameras are known.
 */
import { NumericError } from '../util/errors.js';
import { eigSym3 } from './sym3.js';

export interface Correspondences {
  /** points [n*3] (world), pixels [n*2], weights [n] (e.g. 1/σ). */
  points: Float64Array;
  pixels: Float64Array;
  weights?: Float64Array;
}

/** Smallest-eigenvalue eigenvector of a symmetric n×n matrix (cyclic Jacobi; n ≤ ~16). */
export function smallestEigenvector(A: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) (i === j ? (diag += a[i * n + j]! ** 2) : (off += a[i * n + j]! ** 2));
    if (off <= 1e-28 * diag) break;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) {
      const apq = a[p * n + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = a[k * n + p]!, akq = a[k * n + q]!;
        a[k * n + p] = c * akp - s * akq; a[k * n + q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = a[p * n + k]!, aqk = a[q * n + k]!;
        a[p * n + k] = c * apk - s * aqk; a[q * n + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = V[k * n + p]!, vkq = V[k * n + q]!;
        V[k * n + p] = c * vkp - s * vkq; V[k * n + q] = s * vkp + c * vkq;
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (a[i * n + i]! < a[best * n + best]!) best = i;
  return Float64Array.from({ length: n }, (_, k) => V[k * n + best]!);
}

/** Normalised DLT: the 3×4 projection matrix P [12] with u ~ P·[X; 1]. Needs ≥ 6 points, not coplanar. */
export function dltProjection(c: Correspondences): Float64Array {
  const n = c.points.length / 3;
  if (n < 6) throw new NumericError(`DLT: ${n} correspondences, need at least 6`);
  // normalisation: centroid at the origin, mean distance √3 (3D) and √2 (2D)
  let mx = 0, my = 0, mz = 0, mu = 0, mv = 0;
  for (let i = 0; i < n; i++) { mx += c.points[3 * i]!; my += c.points[3 * i + 1]!; mz += c.points[3 * i + 2]!; mu += c.pixels[2 * i]!; mv += c.pixels[2 * i + 1]!; }
  mx /= n; my /= n; mz /= n; mu /= n; mv /= n;
  let d3 = 0, d2 = 0;
  for (let i = 0; i < n; i++) {
    d3 += Math.hypot(c.points[3 * i]! - mx, c.points[3 * i + 1]! - my, c.points[3 * i + 2]! - mz);
    d2 += Math.hypot(c.pixels[2 * i]! - mu, c.pixels[2 * i + 1]! - mv);
  }
  const s3 = Math.sqrt(3) / (d3 / n), s2 = Math.sqrt(2) / (d2 / n);
  const AtA = new Float64Array(144);
  const row = new Float64Array(12);
  const acc = (w: number) => { for (let a = 0; a < 12; a++) { const ra = row[a]!; if (ra === 0) continue; for (let b = 0; b < 12; b++) AtA[a * 12 + b]! += w * ra * row[b]!; } };
  for (let i = 0; i < n; i++) {
    const X = (c.points[3 * i]! - mx) * s3, Y = (c.points[3 * i + 1]! - my) * s3, Z = (c.points[3 * i + 2]! - mz) * s3;
    const u = (c.pixels[2 * i]! - mu) * s2, v = (c.pixels[2 * i + 1]! - mv) * s2;
    const w = (c.weights ? c.weights[i]! : 1) ** 2;
    row.set([X, Y, Z, 1, 0, 0, 0, 0, -u * X, -u * Y, -u * Z, -u]); acc(w);
    row.set([0, 0, 0, 0, X, Y, Z, 1, -v * X, -v * Y, -v * Z, -v]); acc(w);
  }
  const p = smallestEigenvector(AtA, 12);
  // P = T2⁻¹ · P̃ · T3
  const T3 = [s3, 0, 0, -s3 * mx, 0, s3, 0, -s3 * my, 0, 0, s3, -s3 * mz, 0, 0, 0, 1];
  const T2inv = [1 / s2, 0, mu, 0, 1 / s2, mv, 0, 0, 1];
  const Pt = new Float64Array(12);
  for (let r = 0; r < 3; r++) for (let k = 0; k < 4; k++) { let s = 0; for (let m = 0; m < 4; m++) s += p[r * 4 + m]! * T3[m * 4 + k]!; Pt[r * 4 + k] = s; }
  const P = new Float64Array(12);
  for (let r = 0; r < 3; r++) for (let k = 0; k < 4; k++) { let s = 0; for (let m = 0; m < 3; m++) s += T2inv[r * 3 + m]! * Pt[m * 4 + k]!; P[r * 4 + k] = s; }
  return P;
}

export interface PinholeCamera {
  /** K [9], R [9], t [3]. */
  K: Float64Array;
  R: Float64Array;
  t: Float64Array;
}

/**
 * RQ decomposition of P = K·[R | t] with K upper-triangular and positive diagonal, R a rotation
 * and the points in front of the camera (the sign of P is chosen so that `inFront` has z > 0).
 */
export function decomposeProjection(P: Float64Array, inFront: [number, number, number]): PinholeCamera {
  let M = [P[0]!, P[1]!, P[2]!, P[4]!, P[5]!, P[6]!, P[8]!, P[9]!, P[10]!];
  let p4 = [P[3]!, P[7]!, P[11]!];
  // sign: depth of inFront = m3·X + p34 must be positive (with det M > 0 after fixing)
  const det = M[0]! * (M[4]! * M[8]! - M[5]! * M[7]!) - M[1]! * (M[3]! * M[8]! - M[5]! * M[6]!) + M[2]! * (M[3]! * M[7]! - M[4]! * M[6]!);
  if (det < 0) { M = M.map((v) => -v); p4 = p4.map((v) => -v); }
  // RQ via Gram–Schmidt from the last row
  const m1 = [M[0]!, M[1]!, M[2]!], m2 = [M[3]!, M[4]!, M[5]!], m3 = [M[6]!, M[7]!, M[8]!];
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  const k33 = Math.hypot(...m3);
  const r3 = m3.map((v) => v / k33);
  const k23 = dot(m2, r3);
  const u2 = m2.map((v, i) => v - k23 * r3[i]!);
  const k22 = Math.hypot(...u2);
  const r2 = u2.map((v) => v / k22);
  const k13 = dot(m1, r3), k12 = dot(m1, r2);
  const u1 = m1.map((v, i) => v - k13 * r3[i]! - k12 * r2[i]!);
  const k11 = Math.hypot(...u1);
  const r1 = u1.map((v) => v / k11);
  const K = Float64Array.of(k11 / k33, k12 / k33, k13 / k33, 0, k22 / k33, k23 / k33, 0, 0, 1);
  const R = Float64Array.of(...r1, ...r2, ...r3);
  // t = K⁻¹ p4 / k33
  const q = p4.map((v) => v / k33);
  const t2 = q[2]!, t1 = (q[1]! - K[5]! * t2) / K[4]!, t0 = (q[0]! - K[1]! * t1 - K[2]! * t2) / K[0]!;
  let t = Float64Array.of(t0, t1, t2);
  let Rm = R;
  const depth = dot([R[6]!, R[7]!, R[8]!], inFront) + t[2]!;
  if (depth < 0) {
    // the camera looks the other way: flip, det(R) stays +1 by negating two rows is not possible with K>0;
    // a full sign flip of P gives R' = −R (det −1); this only happens for degenerate data
    throw new NumericError('DLT: the points come out behind the camera (degenerate correspondences)');
  }
  void Rm;
  return { K, R, t };
}

/** Nearest rotation to a 3×3 matrix M (polar decomposition R = M (MᵀM)^(−1/2)). */
export function nearestRotation(M: ArrayLike<number>): Float64Array {
  const MtM = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) { let s = 0; for (let k = 0; k < 3; k++) s += M[3 * k + a]! * M[3 * k + b]!; MtM[3 * a + b] = s; }
  const w = new Float64Array(3), Q = new Float64Array(9);
  eigSym3(MtM, w, Q);
  // (MᵀM)^(−1/2) = Q diag(1/√w) Qᵀ
  const S = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) { let s = 0; for (let k = 0; k < 3; k++) s += Q[3 * a + k]! * Q[3 * b + k]! / Math.sqrt(Math.max(w[k]!, 1e-300)); S[3 * a + b] = s; }
  const R = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) { let s = 0; for (let k = 0; k < 3; k++) s += M[3 * a + k]! * S[3 * k + b]!; R[3 * a + b] = s; }
  const det = R[0]! * (R[4]! * R[8]! - R[5]! * R[7]!) - R[1]! * (R[3]! * R[8]! - R[5]! * R[6]!) + R[2]! * (R[3]! * R[7]! - R[4]! * R[6]!);
  if (det < 0) for (let k = 0; k < 9; k++) R[k] = -R[k]!;
  return R;
}

/**
 * A camera from correspondences: DLT, RQ, then square pixels with the principal point at the
 * image centre (the focal length is the mean of fx and fy). The translation is re-estimated for
 * the simplified K by a least-squares fit of the points' centroid depth.
 */
export function cameraFromCorrespondences(c: Correspondences, width: number, height: number): PinholeCamera {
  const P = dltProjection(c);
  const n = c.points.length / 3;
  const centroid: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) centroid[k]! += c.points[3 * i + k]! / n;
  const cam = decomposeProjection(P, centroid);
  const f = 0.5 * (cam.K[0]! + cam.K[4]!);
  if (!(f > 0) || !Number.isFinite(f)) throw new NumericError(`DLT: focal length estimate ${f}`);
  return { K: Float64Array.of(f, 0, width / 2, 0, f, height / 2, 0, 0, 1), R: cam.R, t: cam.t };
}

/**
 * The pose (R, t) of known-intrinsics camera K seeing `points` at `pixels`: DLT, then
 * R = nearest rotation of K⁻¹P's left 3×3 (scaled), t from K⁻¹P's last column.
 */
export function poseFromCorrespondences(c: Correspondences, K: ArrayLike<number>): { R: Float64Array; t: Float64Array } {
  const P = dltProjection(c);
  // K⁻¹ (upper triangular, no skew)
  const fx = K[0]!, fy = K[4]!, cx = K[2]!, cy = K[5]!;
  const A = new Float64Array(12);
  for (let k = 0; k < 4; k++) {
    const r2 = P[8 + k]!;
    A[8 + k] = r2;
    A[4 + k] = (P[4 + k]! - cy * r2) / fy;
    A[k] = (P[k]! - cx * r2) / fx;
  }
  const M = [A[0]!, A[1]!, A[2]!, A[4]!, A[5]!, A[6]!, A[8]!, A[9]!, A[10]!];
  // scale: cube root of det
  let det = M[0]! * (M[4]! * M[8]! - M[5]! * M[7]!) - M[1]! * (M[3]! * M[8]! - M[5]! * M[6]!) + M[2]! * (M[3]! * M[7]! - M[4]! * M[6]!);
  let sign = 1;
  if (det < 0) { sign = -1; det = -det; }
  const s = sign / Math.cbrt(det);
  const R = nearestRotation(M.map((v) => v * s));
  const t = Float64Array.of(A[3]! * s, A[7]! * s, A[11]! * s);
  return { R, t };
}
