/**
 * The one gradient checker every analytic Jacobian in the workbench is tested with: central
 * finite differences of a vector function against a row-major Jacobian.
 */

export interface GradientCheckOptions {
  /** Finite-difference step per parameter (scalar or per-parameter). Default 1e-6. */
  step?: number | ArrayLike<number>;
}

export interface GradientCheckResult {
  /** max |J_analytic − J_numeric| over all entries. */
  maxAbsError: number;
  /** max |J_analytic − J_numeric| / (|J_numeric| + scale), scale = 1e-3·max|J_numeric|. */
  maxRelError: number;
  /** Entry with the largest relative error. */
  worst: { row: number; col: number; analytic: number; numeric: number };
  /** max |J_numeric|. */
  scale: number;
}

/**
 * Compares `jacobian` ([m*n] row-major, ∂f_r/∂p_c at r*n + c) with central differences of `f`
 * around `p0` ([n]). `f` must not keep a reference to its argument.
 */
export function checkGradient(
  f: (p: Float64Array) => ArrayLike<number>,
  p0: ArrayLike<number>,
  jacobian: ArrayLike<number>,
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const n = p0.length;
  const base = Float64Array.from(p0);
  const m = f(Float64Array.from(base)).length;
  if (jacobian.length !== m * n) throw new RangeError(`checkGradient: Jacobian has ${jacobian.length} entries, expected ${m}×${n}`);
  const numeric = new Float64Array(m * n);
  const p = Float64Array.from(base);
  for (let c = 0; c < n; c++) {
    const h = typeof options.step === 'number' ? options.step : options.step ? options.step[c]! : 1e-6;
    p[c] = base[c]! + h;
    const fp = Float64Array.from(f(Float64Array.from(p)));
    p[c] = base[c]! - h;
    const fm = f(Float64Array.from(p));
    p[c] = base[c]!;
    for (let r = 0; r < m; r++) numeric[r * n + c] = (fp[r]! - fm[r]!) / (2 * h);
  }
  let scale = 0;
  for (let k = 0; k < numeric.length; k++) scale = Math.max(scale, Math.abs(numeric[k]!));
  const floor = 1e-3 * scale + 1e-300;
  let maxAbs = 0, maxRel = 0;
  let worst = { row: 0, col: 0, analytic: 0, numeric: 0 };
  for (let k = 0; k < numeric.length; k++) {
    const d = Math.abs(jacobian[k]! - numeric[k]!);
    maxAbs = Math.max(maxAbs, d);
    const rel = d / (Math.abs(numeric[k]!) + floor);
    if (rel > maxRel || Number.isNaN(rel)) {
      maxRel = Number.isNaN(rel) ? Infinity : rel;
      worst = { row: Math.floor(k / n), col: k % n, analytic: jacobian[k]!, numeric: numeric[k]! };
    }
  }
  return { maxAbsError: maxAbs, maxRelError: maxRel, worst, scale };
}
