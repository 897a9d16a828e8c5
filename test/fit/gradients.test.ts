import { describe, expect, it } from 'vitest';
import { checkGradient } from '../../src/util/gradient-check.js';
import { Rng } from '../../src/util/rng.js';
import { totalCost, type Problem } from '../../src/fit/problem.js';
import { huber, gemanMcClure, l2 } from '../../src/fit/loss.js';
import { TemporalTerm } from '../../src/fit/terms/temporal.js';
import { PointsTerm, LandmarksTerm } from '../../src/fit/terms/points.js';
import { SquaredNormTerm, MicaTerm } from '../../src/fit/terms/priors.js';
import { alignmentProblem, observe, randomizeParams } from './harness.js';

/** Tangent vector ↔ parameters: cost as a function of a tangent displacement from the current values. */
async function costAt(problem: Problem, delta: Float64Array): Promise<number> {
  const saved = problem.parameters.save();
  for (const b of problem.parameters.blocks) if (b.offset >= 0) b.plus(delta, b.offset);
  const c = totalCost(await problem.costs());
  problem.parameters.restore(saved);
  return c;
}

/** Central differences of the cost (async), compared with the analytic gradient via checkGradient. */
async function gradientCheck(problem: Problem, h = 1e-6) {
  const eq = problem.system();
  await problem.linearize(eq, false);
  const n = eq.n;
  const fd = new Float64Array(n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d.fill(0); d[i] = h; const p = await costAt(problem, d);
    d[i] = -h; const m = await costAt(problem, d);
    fd[i] = (p - m) / (2 * h);
  }
  // checkGradient compares a Jacobian with differences of a function: here f(x) = fd·x is linear, so
  // its "numeric Jacobian" is exactly fd; the analytic one is the assembled gradient.
  return checkGradient((x) => [fd.reduce((s, v, k) => s + v * x[k]!, 0)], new Float64Array(n), eq.gradient);
}

describe('fitting engine gradients (finite differences)', () => {
  for (const [name, loss] of [['l2', l2], ['huber', huber(0.7)], ['geman-mcclure', gemanMcClure(1.5)]] as const) {
    it(`E_A with ${name}: expression, pose, head, shape, offsets and camera gradients (seed 31)`, async () => {
      const { problem, cams } = await alignmentProblem(31, { loss, offsets: true, camerasVariable: true, T: 2 });
      const rng = new Rng(31);
      randomizeParams(problem, rng);
      const obs = await observe(problem, cams, rng, 4);
      Object.assign((problem.frames!.terms[0] as { obs: typeof obs }).obs, obs);
      randomizeParams(problem, new Rng(32));
      problem.block('pp:0').constant = false;
      const r = await gradientCheck(problem);
      expect(r.maxRelError, JSON.stringify(r.worst)).toBeLessThan(2e-5);
    });
  }

  it('E_temp, points, planes, landmarks (l2 and Geman–McClure), E_FLAME, E_MICA, E_deform (seed 33)', async () => {
    const { problem, model, cams } = await alignmentProblem(33, { offsets: true, T: 4 });
    const rng = new Rng(33);
    randomizeParams(problem, rng);
    const obs = await observe(problem, cams, rng, 2);
    Object.assign((problem.frames!.terms[0] as { obs: typeof obs }).obs, obs);
    randomizeParams(problem, new Rng(34));
    const f = problem.frames!;
    f.addTerm(new TemporalTerm(50));
    const pts = new PointsTerm('E_point', f.T), planes = new PointsTerm('E_plane', f.T, { loss: huber(1), scale: 0.01 });
    const lmk = new LandmarksTerm('E_lmk', f.T, model.faces, 3);
    const lmkRobust = new LandmarksTerm('E_lmk_robust', f.T, model.faces, 3, gemanMcClure(0.1));
    for (let t = 0; t < f.T; t++) {
      const vs = Uint32Array.from([0, 3, 7, 11]);
      pts.targets[t] = { vertices: vs, points: new Float64Array(12).map(() => rng.normal(0, 0.05)) };
      const n = new Float64Array(12).map(() => rng.normal());
      for (let k = 0; k < 4; k++) { const l = Math.hypot(n[3 * k]!, n[3 * k + 1]!, n[3 * k + 2]!); for (let a = 0; a < 3; a++) n[3 * k + a]! /= l; }
      planes.targets[t] = { vertices: vs, points: new Float64Array(12).map(() => rng.normal(0, 0.05)), normals: n, weights: Float64Array.of(1, 2, 0.5, 1) };
      lmk.targets[t] = { faceIdx: Uint32Array.of(2, 10), bary: Float64Array.of(0.2, 0.3, 0.5, 0.6, 0.1, 0.3), points: new Float64Array(6).map(() => rng.normal(0, 0.05)) };
      lmkRobust.targets[t] = { faceIdx: Uint32Array.of(5, 12), bary: Float64Array.of(0.3, 0.3, 0.4, 0.1, 0.6, 0.3), points: new Float64Array(6).map(() => rng.normal(0, 0.05)) };
    }
    f.addTerm(pts); f.addTerm(planes); f.addTerm(lmk); f.addTerm(lmkRobust);
    problem.addTerm(new SquaredNormTerm('E_FLAME', [f.shape, ...f.expr], 0.5));
    problem.addTerm(new SquaredNormTerm('E_pose', f.pose, 2));
    problem.addTerm(new SquaredNormTerm('E_deform', [f.offsets!], 1e3));
    problem.addTerm(new MicaTerm(model, new Float64Array(model.vTemplate).map((v) => v + rng.normal(0, 0.003)), f.shape, 100, f.offsets, f.offsetRegion));
    const r = await gradientCheck(problem);
    expect(r.maxRelError, JSON.stringify(r.worst)).toBeLessThan(2e-5);
  });
});

describe('fitting engine Hessian (Gauss–Newton blocks at a zero-residual point)', () => {
  it('matches finite differences of the gradient: frame blocks, shape, offsets, cameras and their couplings (seed 35)', async () => {
    const { problem, cams } = await alignmentProblem(35, { offsets: true, camerasVariable: true, T: 2 });
    const rng = new Rng(35);
    randomizeParams(problem, rng);
    const obs = await observe(problem, cams, rng, 0); // residuals exactly zero: GN Hessian = true Hessian
    Object.assign((problem.frames!.terms[0] as { obs: typeof obs }).obs, obs);
    problem.block('pp:1').constant = false;
    const eq = problem.system();
    await problem.linearize(eq, true);
    const n = eq.n, h = 1e-6;
    const e2 = problem.system();
    const fdH = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const saved = problem.parameters.save();
      const d = new Float64Array(n);
      d[i] = h;
      for (const b of problem.parameters.blocks) if (b.offset >= 0) b.plus(d, b.offset);
      await problem.linearize(e2, false);
      const gp = Float64Array.from(e2.gradient);
      problem.parameters.restore(saved);
      d[i] = -h;
      for (const b of problem.parameters.blocks) if (b.offset >= 0) b.plus(d, b.offset);
      await problem.linearize(e2, false);
      problem.parameters.restore(saved);
      for (let j = 0; j < n; j++) fdH[j * n + i] = (gp[j]! - e2.gradient[j]!) / (2 * h);
    }
    // assemble the stored blocks into a dense matrix
    const A = new Float64Array(n * n), ns = eq.ns;
    for (let i = 0; i < ns; i++) for (let j = 0; j < ns; j++) A[i * n + j] = eq.shared[i * ns + j]!;
    eq.layout.groups.forEach((g, k) => {
      for (let i = 0; i < g.size; i++) {
        for (let j = 0; j < g.size; j++) A[(g.start + i) * n + g.start + j] = eq.diag[k]![i * g.size + j]!;
        for (let j = 0; j < ns; j++) { const x = eq.crossOf(k)[i * ns + j]!; A[(g.start + i) * n + j] = x; A[j * n + g.start + i] = x; }
      }
    });
    let scale = 0;
    for (const v of fdH) scale = Math.max(scale, Math.abs(v));
    let worst = 0, at = [0, 0];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const e = Math.abs(A[i * n + j]! - fdH[i * n + j]!) / (Math.abs(fdH[i * n + j]!) + 1e-4 * scale);
      if (e > worst) { worst = e; at = [i, j]; }
    }
    // float32 GEMMs in the kernel: agreement to ~1e-5 relative
    expect(worst, `entry ${at} analytic ${A[at[0]! * n + at[1]!]} numeric ${fdH[at[0]! * n + at[1]!]}`).toBeLessThan(2e-3);
  });
});
