import { describe, expect, it } from 'vitest';
import { FlameBatchEvaluator } from '../../src/flame/batch.js';
import { FlameEvaluator } from '../../src/flame/lbs.js';
import { builtinModel } from '../../src/flame/builtin/index.js';
import { Rng } from '../../src/util/rng.js';
import { randomModel } from './random-model.js';

describe('FlameBatchEvaluator', () => {
  for (const [name, make] of [['random model (seed 21)', async () => randomModel(21, 60, 8, 7)], ['built-in model', () => builtinModel()]] as const) {
    it(`matches the float64 evaluator within 1e-7 m on several frames: ${name}`, async () => {
      const model = await make();
      const rng = new Rng(21);
      const T = 4, E = model.numExpr;
      const shape = new Float64Array(model.numShape).map(() => rng.normal());
      const offsets = new Float64Array(model.numVertices * 3).map(() => rng.normal(0, 0.001));
      const expr = new Float64Array(T * E).map(() => rng.normal());
      const pose = new Float64Array(T * 15).map(() => rng.normal(0, 0.3));
      const transl = new Float64Array(T * 3).map(() => rng.normal(0, 0.1));
      const fast = await FlameBatchEvaluator.create(model);
      await fast.setIdentity(shape, offsets);
      const got = await fast.evaluate(expr, pose, transl, T);
      const ref = new FlameEvaluator(model);
      ref.setIdentity(shape, offsets);
      const R = model.numVertices * 3;
      let maxErr = 0;
      for (let t = 0; t < T; t++) {
        const v = ref.evaluate(expr.subarray(t * E, (t + 1) * E), pose.subarray(15 * t, 15 * t + 15), transl.subarray(3 * t, 3 * t + 3));
        for (let r = 0; r < R; r++) maxErr = Math.max(maxErr, Math.abs(got[t * R + r]! - v[r]!));
      }
      expect(maxErr).toBeLessThan(1e-7);
    });
  }

  it('rejects mismatched array lengths', async () => {
    const model = randomModel(22);
    const fast = await FlameBatchEvaluator.create(model);
    await expect(fast.evaluate(new Float64Array(3), new Float64Array(15), undefined, 1)).rejects.toThrow(/expr has 3 entries/);
  });
});
