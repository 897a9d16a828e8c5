/**
 * The paper's optimiser as a baseline, in the same engine: AdamW (β1 0.9, β2 0.999, ε 1e-8,
 * decoupled weight decay, default 0 because E_FLAME is the prior) with learning rate 1e-2 and
 * reduce-on-plateau (factor 0.5, patience 30 iterations, relative threshold 1e-4), until the
 * learning rate falls below `minLearningRate` or `maxIterations`.
 *
 * Steps are taken in each block's tangent space; rotations are updated on SO(3). Focal lengths
 * step in units of 1% of their initial value (a pixel-valued parameter would otherwise not move at
 * a learning rate of 1e-2).
 */
import { NumericError } from '../util/errors.js';
import type { Problem } from './problem.js';
import { totalCost } from './problem.js';
import type { SolveSummary } from './lm.js';

export interface AdamWOptions {
  learningRate?: number;
  weightDecay?: number;
  plateauFactor?: number;
  plateauPatience?: number;
  plateauThreshold?: number;
  minLearningRate?: number;
  maxIterations?: number;
  maxSeconds?: number;
  /** Stop early when this returns true (e.g. a target error reached). */
  stopWhen?: (info: { iteration: number; cost: number; seconds: number }) => boolean | Promise<boolean>;
  onIteration?: (info: { iteration: number; cost: number; learningRate: number; seconds: number }) => void;
}

export const ADAMW_DEFAULTS: Required<Omit<AdamWOptions, 'stopWhen' | 'onIteration'>> = {
  learningRate: 1e-2,
  weightDecay: 0,
  plateauFactor: 0.5,
  plateauPatience: 30,
  plateauThreshold: 1e-4,
  minLearningRate: 1e-6,
  maxIterations: 20000,
  maxSeconds: Infinity,
};

export async function solveAdamW(problem: Problem, options: AdamWOptions = {}): Promise<SolveSummary> {
  const o = { ...ADAMW_DEFAULTS, ...options };
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  const eq = problem.system();
  const initial = await problem.costs();
  for (const [k, v] of Object.entries(initial)) if (!Number.isFinite(v)) throw new NumericError(`AdamW: initial cost of ${k} is ${v}`);
  const variable = problem.parameters.blocks.filter((b) => !b.constant);
  const scale = new Float64Array(eq.n).fill(1);
  for (const b of variable) if (b.name.startsWith('focal')) for (let k = 0; k < b.size; k++) scale[b.offset + k] = 0.01 * Math.abs(b.values[k]!);
  const m = new Float64Array(eq.n), v = new Float64Array(eq.n), step = new Float64Array(eq.n);
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  let lr = o.learningRate, best = Infinity, bad = 0;
  let iterations = 0;
  let termination: SolveSummary['termination'] = 'no_convergence';
  let reason = `reached ${o.maxIterations} iterations`;
  for (; iterations < o.maxIterations; iterations++) {
    const costs = await problem.linearize(eq, false);
    const cost = totalCost(costs);
    if (!Number.isFinite(cost)) throw new NumericError(`AdamW: cost is ${cost} at iteration ${iterations}`);
    if (await o.stopWhen?.({ iteration: iterations, cost, seconds: seconds() })) { termination = 'convergence'; reason = 'target reached'; break; }
    // reduce on plateau
    if (cost < best * (1 - o.plateauThreshold)) { best = cost; bad = 0; }
    else if (++bad > o.plateauPatience) { lr *= o.plateauFactor; bad = 0; }
    if (lr < o.minLearningRate) { termination = 'convergence'; reason = `learning rate below ${o.minLearningRate}`; break; }
    if (seconds() > o.maxSeconds) { reason = `time limit ${o.maxSeconds} s`; break; }
    const t = iterations + 1;
    for (let i = 0; i < eq.n; i++) {
      const g = eq.gradient[i]! * scale[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      const mh = m[i]! / (1 - b1 ** t), vh = v[i]! / (1 - b2 ** t);
      step[i] = -lr * scale[i]! * mh / (Math.sqrt(vh) + eps);
    }
    for (const b of variable) {
      if (o.weightDecay && b.manifold === 'euclidean') for (let k = 0; k < b.size; k++) b.values[k]! *= 1 - lr * o.weightDecay;
      b.plus(step, b.offset);
    }
    o.onIteration?.({ iteration: iterations, cost, learningRate: lr, seconds: seconds() });
  }
  const final = await problem.costs();
  const perTerm: SolveSummary['perTerm'] = {};
  for (const k of new Set([...Object.keys(initial), ...Object.keys(final)])) perTerm[k] = { initial: initial[k] ?? 0, final: final[k] ?? 0 };
  return { solver: 'adamw', termination, reason, iterations, seconds: seconds(), initialCost: totalCost(initial), finalCost: totalCost(final), perTerm };
}
