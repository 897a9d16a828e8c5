/**
 * Umeyama (1991): the similarity s·R·x + t that best maps points X onto Y in least squares
 * (weighted), with R a proper rotation. Used to remove the gauge when comparing with truth and to
 * align scans to the model from landmarks.
 */
import { eigSym3 } from './sym3.js';

export interface Similarity {
  /** scale, R [9] row-major, t [3]: y ≈ s·R·x + t. */
  s: number;
  R: Float64Array;
  t: Float64Array;
}

/** 3×3 SVD-free polar factor via the eigen-decomposition of MᵀM, handling reflections (Umeyama's S). */
export function umeyama(X: ArrayLike<number>, Y: ArrayLike<number>, options: { scale?: boolean; weights?: ArrayLike<number> } = {}): Similarity {
  const n = X.length / 3;
  if (n < 3 || Y.length !== X.length) throw new RangeError(`umeyama: need ≥ 3 point pairs of equal count, got ${n} and ${Y.length / 3}`);
  let wsum = 0;
  const mx = [0, 0, 0], my = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const w = options.weights ? options.weights[i]! : 1;
    wsum += w;
    for (let k = 0; k < 3; k++) { mx[k]! += w * X[3 * i + k]!; my[k]! += w * Y[3 * i + k]!; }
  }
  for (let k = 0; k < 3; k++) { mx[k]! /= wsum; my[k]! /= wsum; }
  // covariance Σ = (1/W) Σ w (y − my)(x − mx)ᵀ and variance of x
  const C = new Float64Array(9);
  let varX = 0;
  for (let i = 0; i < n; i++) {
    const w = (options.weights ? options.weights[i]! : 1) / wsum;
    const xs = [X[3 * i]! - mx[0]!, X[3 * i + 1]! - mx[1]!, X[3 * i + 2]! - mx[2]!];
    const ys = [Y[3 * i]! - my[0]!, Y[3 * i + 1]! - my[1]!, Y[3 * i + 2]! - my[2]!];
    varX += w * (xs[0]! ** 2 + xs[1]! ** 2 + xs[2]! ** 2);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) C[3 * a + b]! += w * ys[a]! * xs[b]!;
  }
  // SVD of C via eig of CᵀC = V Λ Vᵀ; U = C V Λ^(−1/2)
  const CtC = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) { let s = 0; for (let k = 0; k < 3; k++) s += C[3 * k + a]! * C[3 * k + b]!; CtC[3 * a + b] = s; }
  const lam = new Float64Array(3), Vm = new Float64Array(9);
  eigSym3(CtC, lam, Vm);
  // sort singular values descending
  const order = [0, 1, 2].sort((a, b) => lam[b]! - lam[a]!);
  const sv = order.map((k) => Math.sqrt(Math.max(0, lam[k]!)));
  const Vcols = order.map((k) => [Vm[k]!, Vm[3 + k]!, Vm[6 + k]!]);
  const Ucols: number[][] = [];
  for (let j = 0; j < 3; j++) {
    if (sv[j]! > 1e-12 * (sv[0]! || 1)) {
      const v = Vcols[j]!;
      Ucols.push([0, 1, 2].map((a) => (C[3 * a]! * v[0]! + C[3 * a + 1]! * v[1]! + C[3 * a + 2]! * v[2]!) / sv[j]!));
    } else {
      // complete an orthonormal basis
      const u0 = Ucols[0] ?? [1, 0, 0], u1 = Ucols[1] ?? [0, 1, 0];
      Ucols.push(j === 2 ? [u0[1]! * u1[2]! - u0[2]! * u1[1]!, u0[2]! * u1[0]! - u0[0]! * u1[2]!, u0[0]! * u1[1]! - u0[1]! * u1[0]!] : [0, 0, 1]);
    }
  }
  const det3 = (c: number[][]) => c[0]![0]! * (c[1]![1]! * c[2]![2]! - c[1]![2]! * c[2]![1]!) - c[1]![0]! * (c[0]![1]! * c[2]![2]! - c[0]![2]! * c[2]![1]!) + c[2]![0]! * (c[0]![1]! * c[1]![2]! - c[0]![2]! * c[1]![1]!);
  const d = det3(Ucols) * det3(Vcols) < 0 ? -1 : 1;
  const S = [1, 1, d];
  const R = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) { let s = 0; for (let k = 0; k < 3; k++) s += Ucols[k]![a]! * S[k]! * Vcols[k]![b]!; R[3 * a + b] = s; }
  const s = options.scale ? (sv[0]! + sv[1]! + d * sv[2]!) / varX : 1;
  const t = Float64Array.from([0, 1, 2].map((a) => my[a]! - s * (R[3 * a]! * mx[0]! + R[3 * a + 1]! * mx[1]! + R[3 * a + 2]! * mx[2]!)));
  return { s, R, t };
}

/** out = s·R·x + t for points [n*3]. */
export function applySimilarity(sim: Similarity, points: ArrayLike<number>, out = new Float64Array(points.length)): Float64Array {
  const { s, R, t } = sim;
  for (let i = 0; i < points.length / 3; i++) {
    const x = points[3 * i]!, y = points[3 * i + 1]!, z = points[3 * i + 2]!;
    for (let a = 0; a < 3; a++) out[3 * i + a] = s * (R[3 * a]! * x + R[3 * a + 1]! * y + R[3 * a + 2]! * z) + t[a]!;
  }
  return out;
}
