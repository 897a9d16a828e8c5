/**
 * The Gauss–Newton normal equations of a problem, stored by its block structure, and their
 * damped solution by the Schur complement.
 *
 * With the tangent vector ordered [shared | frame 0 | frame 1 | …] (see `ParameterSet.layout`):
 * - `shared`  [ns × ns]          Hessian of the shared variables (shape, offsets, cameras),
 * - `diag[k]` [n_k × n_k]        Hessian of frame group k (expression, pose, head transform),
 * - `cross[k]` [n_k × ns]        coupling of frame group k with the shared variables (allocated
 *                                on first use: a block-coordinate system never holds them),
 * - `gradient` [n]               Jᵀr (the cost is ½‖r‖², so the Newton step solves A δ = −g).
 * Couplings between different frames (from E_temp) are not stored: the per-frame blocks receive
 * their diagonal part and the step is an inexact (block-Jacobi) Newton step; the gradient stays
 * exact, so the solver still converges to the true minimum (LM checks every step's actual decrease).
 *
 * Solve: per frame B_k = diag[k] + λ·D_k (Cholesky), then the reduced system on the shared
 * variables S δ_s = −g_s + Σ_k cross_kᵀ B_k⁻¹ g_k with S = shared + λD_s − Σ_k cross_kᵀ B_k⁻¹ cross_k,
 * and back-substitution δ_k = −B_k⁻¹ (g_k + cross_k δ_s). Damping D = diag(A) clamped to
 * [1e-6, 1e32] (Marquardt scaling, as Ceres).
 *
 * tried (120 frames × 118 frame variables, 328 shared): JavaScript Cholesky solves for the Schur
 * products cost ~15 ms per frame (1.8 s per solve); the products B_k⁻¹·cross_k and Σ cross_kᵀ·X_k go
 * through onnxruntime's float64 MatMul when the work is large (`schurOnKernel`).
 */
import { cholesky, choleskySolve, invertLower } from '../kernels/linalg.js';
import { matmul } from '../kernels/matmul.js';
import { profile } from '../util/profile.js';
import type { Layout } from './parameters.js';

export interface SolveOptions {
  /** Use onnxruntime for the Schur products when the estimated work exceeds this many multiply-adds. */
  kernelThreshold?: number;
}

export class NormalEquations {
  readonly layout: Layout;
  readonly n: number;
  readonly ns: number;
  readonly gradient: Float64Array;
  readonly shared: Float64Array;
  readonly diag: Float64Array[];
  /** Couplings of each frame group with the shared variables; undefined = zero (see `crossOf`). */
  readonly cross: Array<Float64Array | undefined>;
  /** Number of Hessian entries dropped because they coupled two different frames. */
  droppedCouplings = 0;
  private readonly groupStarts: Int32Array;

  constructor(layout: Layout) {
    this.layout = layout;
    this.n = layout.size;
    this.ns = layout.sharedSize;
    this.gradient = new Float64Array(this.n);
    this.shared = new Float64Array(this.ns * this.ns);
    this.diag = layout.groups.map((g) => new Float64Array(g.size * g.size));
    this.cross = layout.groups.map(() => undefined);
    this.groupStarts = Int32Array.from(layout.groups.map((g) => g.start));
  }

  /** Clears the gradient, and the Hessian blocks unless `keepHessian` (reuse of an earlier Hessian). */
  clear(keepHessian = false): void {
    this.gradient.fill(0);
    if (keepHessian) return;
    this.shared.fill(0);
    for (const d of this.diag) d.fill(0);
    for (const c of this.cross) c?.fill(0);
    this.droppedCouplings = 0;
  }

  /** Whether another system has the same tangent layout (so its Hessian can be reused). */
  sameLayout(other: NormalEquations): boolean {
    if (other.n !== this.n || other.ns !== this.ns || other.layout.groups.length !== this.layout.groups.length) return false;
    return this.layout.groups.every((g, k) => g.start === other.layout.groups[k]!.start && g.size === other.layout.groups[k]!.size);
  }

  /** Copies the Hessian blocks of a system with the same layout. */
  copyHessianFrom(other: NormalEquations): void {
    this.shared.set(other.shared);
    this.diag.forEach((d, k) => d.set(other.diag[k]!));
    this.cross.forEach((c, k) => { const o = other.cross[k]; if (o) this.crossOf(k).set(o); else c?.fill(0); });
  }

  /** Index of the frame group containing tangent offset o (−1 for shared). */
  groupOf(o: number): number {
    if (o < this.ns) return -1;
    let lo = 0, hi = this.groupStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.groupStarts[mid]! <= o) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** Frame group k's coupling block [n_k × ns], allocated (zero) on first use. */
  crossOf(k: number): Float64Array {
    let c = this.cross[k];
    if (!c) { c = new Float64Array(this.layout.groups[k]!.size * this.ns); this.cross[k] = c; }
    return c;
  }

  /** g[offset + k] += values[k] for k < n. */
  addGradient(offset: number, values: ArrayLike<number>, n = values.length, scale = 1): void {
    for (let k = 0; k < n; k++) this.gradient[offset + k]! += scale * values[k]!;
  }

  /**
   * Adds a Hessian block H [rows × cols] (row-major) at tangent offsets (r0, c0), and its
   * transpose at (c0, r0) when the two ranges differ. For r0 === c0, H must be symmetric.
   */
  addHessian(r0: number, c0: number, H: ArrayLike<number>, rows: number, cols: number, scale = 1): void {
    this.addOne(r0, c0, H, rows, cols, false, scale);
    if (r0 !== c0) this.addOne(c0, r0, H, cols, rows, true, scale);
  }

  private addOne(r0: number, c0: number, H: ArrayLike<number>, rows: number, cols: number, transposed: boolean, scale: number): void {
    const gr = this.groupOf(r0), gc = this.groupOf(c0);
    const ns = this.ns;
    const at = (i: number, j: number): number => (transposed ? H[j * rows + i]! : H[i * cols + j]!) * scale;
    if (gr < 0 && gc < 0) {
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) this.shared[(r0 + i) * ns + c0 + j]! += at(i, j);
    } else if (gr >= 0 && gr === gc) {
      const g = this.layout.groups[gr]!, d = this.diag[gr]!, lr = r0 - g.start, lc = c0 - g.start;
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) d[(lr + i) * g.size + lc + j]! += at(i, j);
    } else if (gr >= 0 && gc < 0) {
      const g = this.layout.groups[gr]!, x = this.crossOf(gr), lr = r0 - g.start;
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) x[(lr + i) * ns + c0 + j]! += at(i, j);
    } else if (gr < 0 && gc >= 0) {
      // stored once, as cross (frame rows × shared cols), by the transposed call
    } else {
      this.droppedCouplings += rows * cols;
    }
  }

  /**
   * Adds a dense symmetric matrix H [m × m] over arbitrary tangent indices `index` (−1 = skip that
   * row/column, e.g. a constant block).
   */
  addHessianIndexed(index: ArrayLike<number>, H: ArrayLike<number>, m: number, scale = 1): void {
    const ns = this.ns;
    for (let a = 0; a < m; a++) {
      const ia = index[a]!;
      if (ia < 0) continue;
      const ga = this.groupOf(ia);
      for (let b = 0; b < m; b++) {
        const ib = index[b]!;
        if (ib < 0) continue;
        const v = H[a * m + b]! * scale;
        if (v === 0) continue;
        const gb = this.groupOf(ib);
        if (ga < 0 && gb < 0) this.shared[ia * ns + ib]! += v;
        else if (ga >= 0 && ga === gb) {
          const g = this.layout.groups[ga]!;
          this.diag[ga]![(ia - g.start) * g.size + ib - g.start]! += v;
        } else if (ga >= 0 && gb < 0) {
          const g = this.layout.groups[ga]!;
          this.crossOf(ga)[(ia - g.start) * ns + ib]! += v;
        } else if (ga < 0 && gb >= 0) {
          // the (frame, shared) entry carries it
        } else this.droppedCouplings++;
      }
    }
  }

  /**
   * Adds a block M [m × n] whose rows sit at tangent indices rowIndex and columns at colIndex
   * (−1 = skip), and its transpose. The two index sets must not overlap (an off-diagonal block).
   */
  addHessianCross(rowIndex: ArrayLike<number>, colIndex: ArrayLike<number>, M: ArrayLike<number>, m: number, n: number, scale = 1): void {
    const ns = this.ns;
    for (let a = 0; a < m; a++) {
      const ia = rowIndex[a]!;
      if (ia < 0) continue;
      const ga = this.groupOf(ia);
      for (let b = 0; b < n; b++) {
        const ib = colIndex[b]!;
        if (ib < 0) continue;
        const v = M[a * n + b]! * scale;
        if (v === 0) continue;
        const gb = this.groupOf(ib);
        if (ga < 0 && gb < 0) { this.shared[ia * ns + ib]! += v; this.shared[ib * ns + ia]! += v; }
        else if (ga >= 0 && ga === gb) {
          const g = this.layout.groups[ga]!, d = this.diag[ga]!;
          d[(ia - g.start) * g.size + ib - g.start]! += v;
          d[(ib - g.start) * g.size + ia - g.start]! += v;
        } else if (ga >= 0 && gb < 0) this.crossOf(ga)[(ia - this.layout.groups[ga]!.start) * ns + ib]! += v;
        else if (ga < 0 && gb >= 0) this.crossOf(gb)[(ib - this.layout.groups[gb]!.start) * ns + ia]! += v;
        else this.droppedCouplings++;
      }
    }
  }

  /** Diagonal of the full Hessian [n]. */
  diagonal(): Float64Array {
    const d = new Float64Array(this.n);
    for (let i = 0; i < this.ns; i++) d[i] = this.shared[i * this.ns + i]!;
    this.layout.groups.forEach((g, k) => {
      for (let i = 0; i < g.size; i++) d[g.start + i] = this.diag[k]![i * g.size + i]!;
    });
    return d;
  }

  /** Predicted cost decrease of a step: −(gᵀδ + ½δᵀAδ) (frame couplings excluded, as stored). */
  predictedDecrease(delta: Float64Array): number {
    let lin = 0;
    for (let i = 0; i < this.n; i++) lin += this.gradient[i]! * delta[i]!;
    let quad = 0;
    const ns = this.ns;
    // shared block
    for (let i = 0; i < ns; i++) {
      let s = 0;
      for (let j = 0; j < ns; j++) s += this.shared[i * ns + j]! * delta[j]!;
      quad += delta[i]! * s;
    }
    this.layout.groups.forEach((g, k) => {
      const D = this.diag[k]!, X = this.cross[k];
      for (let i = 0; i < g.size; i++) {
        let s = 0;
        for (let j = 0; j < g.size; j++) s += D[i * g.size + j]! * delta[g.start + j]!;
        let c = 0;
        if (X) for (let j = 0; j < ns; j++) c += X[i * ns + j]! * delta[j]!;
        quad += delta[g.start + i]! * (s + 2 * c);
      }
    });
    return -(lin + 0.5 * quad);
  }

  /**
   * Solves (A + λ·diag(clamp(diag A))) δ = −g. Returns δ, or null when a factorisation fails
   * (the caller raises λ).
   */
  async solve(lambda: number, options: SolveOptions = {}): Promise<Float64Array | null> {
    const ns = this.ns, groups = this.layout.groups;
    const clampD = (v: number): number => Math.min(1e32, Math.max(1e-6, v));
    const delta = new Float64Array(this.n);
    // per-frame factorisations B_k = L_k L_kᵀ and y_k = B_k⁻¹ g_k
    const factors: Float64Array[] = [];
    const ys: Float64Array[] = [];
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k]!, m = g.size;
      const B = Float64Array.from(this.diag[k]!);
      for (let i = 0; i < m; i++) B[i * m + i]! += lambda * clampD(B[i * m + i]!);
      if (!cholesky(B, m)) return null;
      factors.push(B);
      ys.push(choleskySolve(B, m, this.gradient.slice(g.start, g.start + m)));
    }
    if (ns > 0) {
      const S = Float64Array.from(this.shared);
      for (let i = 0; i < ns; i++) S[i * ns + i]! += lambda * clampD(S[i * ns + i]!);
      const rhs = new Float64Array(ns);
      for (let i = 0; i < ns; i++) rhs[i] = -this.gradient[i]!;
      const work = groups.reduce((s, g) => s + g.size * g.size * ns + g.size * ns * ns, 0);
      const coupled = this.cross.some((c) => c !== undefined && c.some((v) => v !== 0));
      if (!coupled) { /* no couplings: the shared system is solved on its own */ }
      else if (work > (options.kernelThreshold ?? 2e7) && groups.length > 0) await profile.timeAsync('fit.solve-schur-kernel', () => this.schurOnKernel(factors, S));
      else profile.time('fit.solve-schur-js', () => this.schurInJs(factors, S));
      // rhs += Σ cross_kᵀ y_k
      groups.forEach((g, k) => {
        const X = this.cross[k], y = ys[k]!;
        if (!X) return;
        for (let i = 0; i < g.size; i++) {
          const yi = y[i]!;
          if (yi === 0) continue;
          const o = i * ns;
          for (let j = 0; j < ns; j++) rhs[j]! += X[o + j]! * yi;
        }
      });
      if (!profile.time('fit.solve-shared-cholesky', () => cholesky(S, ns))) return null;
      choleskySolve(S, ns, rhs);
      delta.set(rhs, 0);
    }
    // back-substitution δ_k = −B_k⁻¹ (g_k + cross_k δ_s)
    groups.forEach((g, k) => {
      const m = g.size, X = this.cross[k];
      const b = this.gradient.slice(g.start, g.start + m);
      if (ns > 0 && X) {
        for (let i = 0; i < m; i++) {
          let s = 0;
          const o = i * ns;
          for (let j = 0; j < ns; j++) s += X[o + j]! * delta[j]!;
          b[i]! += s;
        }
      }
      choleskySolve(factors[k]!, m, b);
      for (let i = 0; i < m; i++) delta[g.start + i] = -b[i]!;
    });
    return delta;
  }

  /** S −= Σ_k cross_kᵀ B_k⁻¹ cross_k with Cholesky solves in JavaScript. */
  private schurInJs(factors: Float64Array[], S: Float64Array): void {
    const ns = this.ns;
    this.layout.groups.forEach((g, k) => {
      const m = g.size, X = this.cross[k], L = factors[k]!;
      if (!X) return;
      // Z = L⁻¹ cross_k (forward substitution, column by column of the shared dimension)
      const Z = Float64Array.from(X);
      for (let i = 0; i < m; i++) {
        const li = L[i * m + i]!;
        for (let j = 0; j < ns; j++) {
          let s = Z[i * ns + j]!;
          for (let p = 0; p < i; p++) s -= L[i * m + p]! * Z[p * ns + j]!;
          Z[i * ns + j] = s / li;
        }
      }
      // S −= Zᵀ Z
      for (let p = 0; p < m; p++) {
        const o = p * ns;
        for (let a = 0; a < ns; a++) {
          const za = Z[o + a]!;
          if (za === 0) continue;
          const row = a * ns;
          for (let b = 0; b < ns; b++) S[row + b]! -= za * Z[o + b]!;
        }
      }
    });
  }

  /** The same through onnxruntime (float64): Z_k = L_k⁻¹ cross_k for all frames, then S −= ZᵀZ. */
  private async schurOnKernel(factors: Float64Array[], S: Float64Array): Promise<void> {
    const ns = this.ns, groups = this.layout.groups;
    const rows = groups.reduce((s, g) => s + g.size, 0);
    const Z = new Float64Array(rows * ns);
    let r = 0;
    for (let k = 0; k < groups.length; k++) {
      const m = groups[k]!.size, X = this.cross[k];
      if (X) Z.set(await matmul(invertLower(factors[k]!, m), X, m, m, ns), r * ns);
      r += m;
    }
    const ZtZ = await matmul(Z, Z, ns, rows, ns, { transA: true });
    for (let i = 0; i < ns * ns; i++) S[i]! -= ZtZ[i]!;
  }
}
