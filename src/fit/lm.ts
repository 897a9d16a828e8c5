/**
 * Levenberg–Marquardt over a Problem: Gauss–Newton steps on the block-structured normal
 * equations with Marquardt damping, accepted when the cost decreases (trust-region ratio update
 * of λ, as Ceres). A step or cost that is NaN/∞ is rejected; a problem that cannot produce a
 * finite cost fails loudly with a NumericError.
 */
import { NumericError } from '../util/errors.js';
import { profile } from '../util/profile.js';
import type { Problem } from './problem.js';
import type { NormalEquations } from './system.js';
import { totalCost } from './problem.js';

export interface LMOptions {
  /** Maximum outer iterations (default 50). */
  maxIterations?: number;
  /** Stop when the accepted step lowers the cost by less than this fraction of it (default 1e-6). */
  functionTolerance?: number;
  /** Stop when max |g_i| falls below this (default 1e-10). */
  gradientTolerance?: number;
  /** Stop when ‖δ‖ < tol · (‖x‖ + tol) (default 1e-8). */
  parameterTolerance?: number;
  /** Initial damping λ (default 1e-4). */
  initialLambda?: number;
  /** Give up (no_convergence) after this many seconds (default ∞). */
  maxSeconds?: number;
  /** Schur products on onnxruntime above this many multiply-adds (see NormalEquations.solve). */
  kernelThreshold?: number;
  /**
   * Recompute the Gauss–Newton Hessian at most every this many iterations (default 1: always).
   * Between refreshes the gradient is exact and the Hessian is the last one computed; a step that
   * is rejected or poorly predicted (ratio < 0.25) forces a refresh.
   */
  hessianRefresh?: number;
  /** Start from this system's Hessian (same layout), e.g. the previous frame's in sequential tracking. */
  reuseHessian?: NormalEquations;
  /** Called after every accepted iteration. */
  onIteration?: (info: { iteration: number; cost: number; lambda: number; seconds: number }) => void;
}

export const LM_DEFAULTS: Required<Omit<LMOptions, 'onIteration' | 'kernelThreshold' | 'reuseHessian'>> = {
  maxIterations: 50,
  functionTolerance: 1e-6,
  gradientTolerance: 1e-10,
  parameterTolerance: 1e-8,
  initialLambda: 1e-4,
  maxSeconds: Infinity,
  hessianRefresh: 1,
};

export type Termination = 'convergence' | 'no_convergence' | 'failure';

export interface SolveSummary {
  solver: 'lm' | 'adamw';
  termination: Termination;
  reason: string;
  iterations: number;
  seconds: number;
  initialCost: number;
  finalCost: number;
  /** Cost of every term before and after. */
  perTerm: Record<string, { initial: number; final: number }>;
  /** Hessian entries dropped because they coupled two frames (E_temp), at the last linearisation. */
  droppedCouplings?: number;
  /** Number of Hessian (re)computations. */
  hessians?: number;
  /** The last system (its Hessian can seed the next solve with `reuseHessian`). */
  system?: NormalEquations;
}

function checkFinite(costs: Record<string, number>, when: string): void {
  for (const [k, v] of Object.entries(costs)) if (!Number.isFinite(v)) throw new NumericError(`${when}: term ${k} has cost ${v}`);
}

export async function solveLM(problem: Problem, options: LMOptions = {}): Promise<SolveSummary> {
  const o = { ...LM_DEFAULTS, ...options };
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  const eq = problem.system();
  const initial = await problem.costs();
  checkFinite(initial, 'LM: initial cost');
  let cost = totalCost(initial);
  let lambda = o.initialLambda, nu = 2;
  let iterations = 0;
  let termination: Termination = 'no_convergence';
  let reason = `reached ${o.maxIterations} iterations`;
  let last = initial;
  const params = problem.parameters;
  const variable = params.blocks.filter((b) => !b.constant);
  if (eq.n === 0) { termination = 'convergence'; reason = 'no variable parameters'; }
  let hessianAge = Infinity, hessians = 0, refresh = false;
  if (options.reuseHessian && eq.sameLayout(options.reuseHessian)) { eq.copyHessianFrom(options.reuseHessian); hessianAge = 0; }
  outer: for (; eq.n > 0 && iterations < o.maxIterations; iterations++) {
    const fresh = refresh || hessianAge >= o.hessianRefresh;
    await problem.linearize(eq, fresh);
    if (fresh) { hessianAge = 0; hessians++; refresh = false; }
    hessianAge++;
    let gmax = 0;
    for (let i = 0; i < eq.n; i++) gmax = Math.max(gmax, Math.abs(eq.gradient[i]!));
    if (!Number.isFinite(gmax)) throw new NumericError(`LM: gradient is ${gmax} at iteration ${iterations}`);
    if (gmax < o.gradientTolerance) { termination = 'convergence'; reason = `gradient ${gmax.toExponential(2)} below ${o.gradientTolerance}`; break; }
    for (let attempt = 0; ; attempt++) {
      if (seconds() > o.maxSeconds) { reason = `time limit ${o.maxSeconds} s`; break outer; }
      if (lambda > 1e32 || attempt > 40) { termination = iterations > 0 ? 'convergence' : 'failure'; reason = 'no step lowers the cost (damping at its limit)'; break outer; }
      const delta = await profile.timeAsync('fit.solve', () => eq.solve(lambda, { kernelThreshold: o.kernelThreshold }));
      if (!delta) {
        if (hessianAge > 1) { refresh = true; iterations--; continue outer; }
        lambda *= nu; nu *= 2; continue;
      }
      let dn = 0, xn = 0;
      for (let i = 0; i < delta.length; i++) dn += delta[i]! * delta[i]!;
      for (const b of variable) for (let k = 0; k < b.values.length; k++) xn += b.values[k]! * b.values[k]!;
      dn = Math.sqrt(dn); xn = Math.sqrt(xn);
      if (dn < o.parameterTolerance * (xn + o.parameterTolerance)) { termination = 'convergence'; reason = `step ${dn.toExponential(2)} below parameter tolerance`; break outer; }
      const predicted = profile.time('fit.predict', () => eq.predictedDecrease(delta));
      const saved = params.save();
      for (const b of variable) b.plus(delta, b.offset);
      const trial = await problem.costs();
      const newCost = totalCost(trial);
      if (Number.isFinite(newCost) && newCost < cost) {
        const rho = predicted > 0 ? (cost - newCost) / predicted : 0;
        if (rho < 0.25 && hessianAge > 1) refresh = true;
        lambda *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
        nu = 2;
        const decrease = cost - newCost;
        cost = newCost;
        last = trial;
        o.onIteration?.({ iteration: iterations, cost, lambda, seconds: seconds() });
        if (decrease < o.functionTolerance * cost) { iterations++; termination = 'convergence'; reason = `relative cost decrease ${(decrease / cost).toExponential(2)} below ${o.functionTolerance}`; break outer; }
        break;
      }
      params.restore(saved);
      if (hessianAge > 1) { refresh = true; iterations--; continue outer; }
      lambda *= nu; nu *= 2;
    }
  }
  // leave the frames evaluated at the final values
  const final = await problem.costs();
  checkFinite(final, 'LM: final cost');
  void last;
  const perTerm: SolveSummary['perTerm'] = {};
  for (const k of new Set([...Object.keys(initial), ...Object.keys(final)])) perTerm[k] = { initial: initial[k] ?? 0, final: final[k] ?? 0 };
  return {
    solver: 'lm', termination, reason, iterations, seconds: seconds(),
    initialCost: totalCost(initial), finalCost: totalCost(final), perTerm, droppedCouplings: eq.droppedCouplings, hessians, system: eq,
  };
}
