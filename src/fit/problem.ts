/**
 * A fitting problem: parameter blocks, the FLAME sequence with its vertex terms, and terms on
 * parameters. The solvers only see `costs()` and `linearize()`.
 *
 * ```ts
 * const problem = new Problem();
 * const frames = problem.addFrames({ model, frames: T });       // shape, expr:t, pose:t, headR:t, headT:t
 * const cams = addCameras(problem.parameters, initial, { constant: true });
 * frames.addTerm(new AlignmentTerm(obs, cams, huber(2)));
 * problem.addTerm(new SquaredNormTerm('E_FLAME', [frames.shape, ...frames.expr], 0.5));
 * problem.setConstant('headR:0');
 * const summary = await solveLM(problem, { maxIterations: 50, functionTolerance: 1e-6 });
 * ```
 */
import { ParameterSet, type ParameterBlock } from './parameters.js';
import { NormalEquations } from './system.js';
import { FlameFrames, type FlameFramesOptions } from './flame-frames.js';
import type { ParameterTerm } from './terms/priors.js';

export class Problem {
  readonly parameters = new ParameterSet();
  frames: FlameFrames | undefined;
  readonly terms: ParameterTerm[] = [];

  addFrames(options: FlameFramesOptions): FlameFrames {
    if (this.frames) throw new Error('Problem: frames already added');
    this.frames = new FlameFrames(this.parameters, options);
    return this.frames;
  }

  addTerm(term: ParameterTerm): void { this.terms.push(term); }

  block(name: string): ParameterBlock { return this.parameters.get(name); }

  setConstant(...names: string[]): void { for (const n of names) this.parameters.get(n).constant = true; }
  setVariable(...names: string[]): void { for (const n of names) this.parameters.get(n).constant = false; }

  /** Cost of every term at the current values. */
  async costs(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (this.frames) {
      await this.frames.update();
      Object.assign(out, this.frames.termCosts());
    }
    for (const t of this.terms) out[t.name] = (out[t.name] ?? 0) + t.cost();
    return out;
  }

  /** A fresh normal-equation system for the current layout (call after changing constants). */
  system(): NormalEquations {
    return new NormalEquations(this.parameters.layout());
  }

  /**
   * Fills eq and returns the cost of every term. With `wantHessian` false the Hessian blocks are
   * kept as they were (gradient-only linearisation, for Hessian reuse).
   */
  async linearize(eq: NormalEquations, wantHessian: boolean): Promise<Record<string, number>> {
    eq.clear(!wantHessian);
    const out: Record<string, number> = {};
    if (this.frames) Object.assign(out, await this.frames.linearize(eq, wantHessian));
    for (const t of this.terms) out[t.name] = (out[t.name] ?? 0) + (await t.linearize(eq, wantHessian));
    return out;
  }
}

export function totalCost(costs: Record<string, number>): number {
  let s = 0;
  for (const v of Object.values(costs)) s += v;
  return s;
}
