/** Small symmetric 3×3 helpers for per-vertex information matrices. */

const _A = new Float64Array(9), _Q = new Float64Array(9);

/**
 * Eigen-decomposition of a symmetric 3×3 A (row-major) by cyclic Jacobi rotations.
 * Writes eigenvalues into w [3] and eigenvectors as the columns of Q [9].
 */
export function eigSym3(A: ArrayLike<number>, w: Float64Array, Q: Float64Array): void {
  const a = _A;
  for (let k = 0; k < 9; k++) a[k] = A[k]!;
  Q.fill(0); Q[0] = Q[4] = Q[8] = 1;
  for (let sweep = 0; sweep < 12; sweep++) {
    const off = a[1]! * a[1]! + a[2]! * a[2]! + a[5]! * a[5]!;
    const diag = a[0]! * a[0]! + a[4]! * a[4]! + a[8]! * a[8]!;
    if (off <= 1e-30 * diag || off === 0) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[3 * p + q]!;
      if (apq === 0) continue;
      const app = a[3 * p + p]!, aqq = a[3 * q + q]!;
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      // A ← Jᵀ A J with J the rotation in the (p, q) plane
      for (let k = 0; k < 3; k++) {
        const akp = a[3 * k + p]!, akq = a[3 * k + q]!;
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k]!, aqk = a[3 * q + k]!;
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const qkp = Q[3 * k + p]!, qkq = Q[3 * k + q]!;
        Q[3 * k + p] = c * qkp - s * qkq;
        Q[3 * k + q] = s * qkp + c * qkq;
      }
    }
  }
  w[0] = a[0]!; w[1] = a[4]!; w[2] = a[8]!;
}

const _w = new Float64Array(3);
/**
 * A square-root factor of a positive semi-definite symmetric 3×3 H: writes F [9] (row-major) with
 * Fᵀ·F = H (rows √λ_k q_kᵀ; negative eigenvalues from rounding are clamped to 0).
 */
export function sqrtFactor3(H: ArrayLike<number>, F: Float64Array, o = 0): void {
  eigSym3(H, _w, _Q);
  for (let k = 0; k < 3; k++) {
    const s = Math.sqrt(Math.max(0, _w[k]!));
    F[o + 3 * k] = s * _Q[k]!; F[o + 3 * k + 1] = s * _Q[3 + k]!; F[o + 3 * k + 2] = s * _Q[6 + k]!;
  }
}
