/**
 * Small dense linear algebra in float64 (Cholesky, triangular inverse and solves) and
 * orthonormalisation of many long vectors through the MatMul kernel (CholQR2).
 */
import { matmul } from './matmul.js';

/**
 * In-place Cholesky factorisation of a symmetric positive-definite n×n row-major matrix: on
 * success the lower triangle holds L (A = L·Lᵀ) and the upper triangle is zeroed; returns false
 * (leaving `a` partly overwritten) when a pivot is not positive.
 */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!;
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      const io = i * n, jo = j * n;
      for (let k = 0; k < j; k++) s -= a[io + k]! * a[jo + k]!;
      a[i * n + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/** Solves L·Lᵀ·x = b in place (b: [n], L from `cholesky`). */
export function choleskySolve(L: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
  return b;
}

/** Inverse of a lower-triangular n×n matrix (row-major), also lower-triangular. */
export function invertLower(L: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    inv[j * n + j] = 1 / L[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k]! * inv[k * n + j]!;
      inv[i * n + j] = s / L[i * n + i]!;
    }
  }
  return inv;
}

/**
 * Orthonormalises the K rows of `rows` ([K*R], row-major) in order, exactly as Gram–Schmidt would
 * (row l becomes a combination of rows 0..l), using CholQR2: G = U·Uᵀ, G = L·Lᵀ, U ← L⁻¹·U, twice.
 * Needs the rows to be linearly independent (condition number well below 1e7); throws otherwise.
 */
export async function orthonormalizeRows(rows: Float64Array, K: number, R: number): Promise<Float64Array> {
  let U = rows;
  for (let pass = 0; pass < 2; pass++) {
    const G = await matmul(U, U, K, R, K, { transB: true });
    if (!cholesky(G, K)) throw new Error(`orthonormalizeRows: the ${K} vectors are (nearly) linearly dependent`);
    U = await matmul(invertLower(G, K), U, K, K, R);
  }
  return U;
}
