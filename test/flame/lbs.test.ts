import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlameEvaluator, lbs, jacobianLayout } from '../../src/flame/lbs.js';
import { rodrigues, rotationToAxisAngle } from '../../src/flame/rotation.js';
import { checkGradient } from '../../src/util/gradient-check.js';
import { Rng } from '../../src/util/rng.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { randomModel } from './random-model.js';

function randomParams(rng: Rng, S: number, E: number, V: number, scale = 0.4) {
  return {
    shape: new Float64Array(S).map(() => rng.normal()),
    expr: new Float64Array(E).map(() => rng.normal()),
    pose: new Float64Array(15).map(() => rng.normal(0, scale)),
    transl: new Float64Array(3).map(() => rng.normal(0, 0.1)),
    offsets: new Float64Array(V * 3).map(() => rng.normal(0, 0.001)),
  };
}

describe('rotations', () => {
  it('rodrigues gives orthonormal matrices and rotationToAxisAngle inverts it (seed 1)', () => {
    const rng = new Rng(1);
    const R = new Float64Array(9), aa = new Float64Array(3);
    for (let t = 0; t < 200; t++) {
      const angle = t < 5 ? [0, 1e-9, 1e-5, Math.PI - 1e-6, 3.1][t]! : rng.uniform(0, 3.1);
      const axis = rng.unitVector();
      const v = axis.map((a) => a * angle);
      rodrigues(R, 0, v);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
        let d = 0;
        for (let k = 0; k < 3; k++) d += R[3 * k + a]! * R[3 * k + b]!;
        expect(d).toBeCloseTo(a === b ? 1 : 0, 12);
      }
      rotationToAxisAngle(aa, R);
      if (angle < Math.PI - 1e-5) for (let k = 0; k < 3; k++) expect(aa[k]).toBeCloseTo(v[k]!, 6);
    }
  });
});

describe('lbs', () => {
  it('the incremental evaluator equals the from-scratch definition (seed 2)', () => {
    const model = randomModel(2);
    const rng = new Rng(2);
    const ev = new FlameEvaluator(model);
    for (let t = 0; t < 5; t++) {
      const p = randomParams(rng, model.numShape, model.numExpr, model.numVertices);
      const ref = lbs(model, p);
      const got = ev.evaluateParams(p);
      for (let k = 0; k < ref.length; k++) expect(got[k]).toBeCloseTo(ref[k]!, 12);
    }
  });

  it('keeps the identity cached: changing only expression and pose reuses it (seed 3)', () => {
    const model = randomModel(3);
    const rng = new Rng(3);
    const p = randomParams(rng, model.numShape, model.numExpr, model.numVertices);
    const ev = new FlameEvaluator(model);
    ev.setIdentity(p.shape, p.offsets);
    // Corrupting the shape dirs after setIdentity must not change incremental results.
    const saved = model.shapeDirs.slice();
    model.shapeDirs.fill(123);
    const got = ev.evaluate(p.expr, p.pose, p.transl).slice();
    model.shapeDirs.set(saved);
    const ref = lbs(model, p);
    for (let k = 0; k < ref.length; k++) expect(got[k]).toBeCloseTo(ref[k]!, 12);
  });

  it('zero parameters give the template; translation shifts every vertex', () => {
    const model = randomModel(4);
    const v = lbs(model, {});
    for (let k = 0; k < v.length; k++) expect(v[k]).toBeCloseTo(model.vTemplate[k]!, 14);
    const vt = lbs(model, { transl: [0.1, -0.2, 0.3] });
    for (let i = 0; i < model.numVertices; i++) {
      expect(vt[3 * i]! - v[3 * i]!).toBeCloseTo(0.1, 14);
      expect(vt[3 * i + 2]! - v[3 * i + 2]!).toBeCloseTo(0.3, 14);
    }
  });

  for (const seed of [5, 6, 7]) {
    it(`analytic Jacobian matches finite differences for shape, expr, pose, transl (seed ${seed})`, () => {
      const model = randomModel(seed);
      const rng = new Rng(seed);
      const p = randomParams(rng, model.numShape, model.numExpr, model.numVertices, seed === 7 ? 1.2 : 0.4);
      if (seed === 6) p.pose.fill(0); // at the identity rotation (series branches)
      const ev = new FlameEvaluator(model);
      ev.evaluateParams(p);
      const blocks = { shape: true, expr: true, pose: true, transl: true };
      const layout = jacobianLayout(model, blocks);
      const Jac = ev.jacobian(blocks);
      const x0 = new Float64Array(layout.cols);
      x0.set(p.shape, layout.shape); x0.set(p.expr, layout.expr); x0.set(p.pose, layout.pose); x0.set(p.transl, layout.transl);
      const f = (x: Float64Array) => lbs(model, {
        shape: x.subarray(layout.shape, layout.shape + model.numShape),
        expr: x.subarray(layout.expr, layout.expr + model.numExpr),
        pose: x.subarray(layout.pose, layout.pose + 15),
        transl: x.subarray(layout.transl, layout.transl + 3),
        offsets: p.offsets,
      });
      const r = checkGradient(f, x0, Jac, { step: 1e-6 });
      expect(r.maxRelError, JSON.stringify(r.worst)).toBeLessThan(1e-5);
    });
  }

  it('Jacobian of a vertex subset equals the matching rows of the full Jacobian (seed 8)', () => {
    const model = randomModel(8);
    const rng = new Rng(8);
    const ev = new FlameEvaluator(model);
    ev.evaluateParams(randomParams(rng, model.numShape, model.numExpr, model.numVertices));
    const blocks = { expr: true, pose: true };
    const cols = jacobianLayout(model, blocks).cols;
    const full = ev.jacobian(blocks);
    const subset = [7, 3, 21];
    const sub = ev.jacobian(blocks, subset);
    subset.forEach((i, r) => {
      for (let k = 0; k < 3 * cols; k++) expect(sub[3 * r * cols + k]).toBe(full[3 * i * cols + k]);
    });
  });

  it.skipIf(!numpy.available)('matches an independent numpy implementation of FLAME/smplx lbs (seed 9)', () => {
    const model = randomModel(9);
    const rng = new Rng(9);
    const p = randomParams(rng, model.numShape, model.numExpr, model.numVertices, 0.8);
    const dir = tempDir();
    const dump = (name: string, a: ArrayLike<number>) => writeFileSync(join(dir, name), Buffer.from(Float64Array.from(a).buffer));
    dump('T', model.vTemplate); dump('S', model.shapeDirs); dump('E', model.exprDirs); dump('P', model.poseDirs);
    dump('Jr', model.jRegressor); dump('W', model.weights);
    dump('beta', p.shape); dump('psi', p.expr); dump('theta', p.pose); dump('t', p.transl);
    const out = runPython(`
import numpy as np, sys, os
d = sys.argv[1]; V, S, E = ${model.numVertices}, ${model.numShape}, ${model.numExpr}
ld = lambda n: np.fromfile(os.path.join(d, n), dtype='<f8')
T = ld('T').reshape(V, 3); SD = np.concatenate([ld('S').reshape(V, 3, S), ld('E').reshape(V, 3, E)], 2)
P = ld('P').reshape(V, 3, 36); Jr = ld('Jr').reshape(5, V); W = ld('W').reshape(V, 5)
betas = np.concatenate([ld('beta'), ld('psi')]); theta = ld('theta').reshape(5, 3); t = ld('t')
def rod(r):
    a = np.linalg.norm(r)
    if a < 1e-12: return np.eye(3)
    k = r / a; K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * K + (1 - np.cos(a)) * K @ K
v_shaped = T + np.einsum('l,ikl->ik', betas, SD)
J = Jr @ v_shaped
R = np.stack([rod(r) for r in theta])
feat = (R[1:] - np.eye(3)).reshape(-1)
v_posed = v_shaped + np.einsum('p,ikp->ik', feat, P)
parents = [-1, 0, 1, 1, 1]
G = np.zeros((5, 4, 4))
for j in range(5):
    rel = J[j] - (J[parents[j]] if parents[j] >= 0 else 0)
    local = np.eye(4); local[:3, :3] = R[j]; local[:3, 3] = rel if parents[j] >= 0 else J[j]
    G[j] = local if parents[j] < 0 else G[parents[j]] @ local
A = G.copy()
for j in range(5): A[j, :3, 3] -= G[j, :3, :3] @ J[j]
Tv = np.einsum('ij,jab->iab', W, A)
vh = np.concatenate([v_posed, np.ones((V, 1))], 1)
verts = np.einsum('iab,ib->ia', Tv, vh)[:, :3] + t
sys.stdout.write(' '.join(repr(float(x)) for x in verts.reshape(-1)))
`, [dir]);
    const ref = out.trim().split(' ').map(Number);
    const got = lbs(model, { ...p, offsets: undefined });
    expect(ref.length).toBe(got.length);
    for (let k = 0; k < ref.length; k++) expect(got[k]).toBeCloseTo(ref[k]!, 12);
  });
});
