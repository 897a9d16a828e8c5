import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { coverage, occlude, OCCLUDER_KINDS, signedDistance, type OccludeOptions } from '../../src/augment/index.js';
import type { Sample } from '../../src/io/sample.js';
import { planeSample, sameBytes } from './synthetic.js';

function filled(value: number, occlusion?: Float32Array): Sample {
  const s = planeSample({ tilt: true });
  const out: Sample = { ...s, image: new Float32Array(s.image.length).fill(value) };
  if (occlusion) out.occlusion = occlusion;
  return out;
}

/**
 * Occludes a black and a white copy of the sample with the same seed: the objects do not depend on
 * the image, so white − black = (1 − A) at every pixel, which recovers the layer's opacity A.
 */
async function recover(options: OccludeOptions, seed: string, occlusion?: Float32Array): Promise<{ A: Float64Array; black: Sample; white: Sample }> {
  const op = occlude(options);
  const black = await op.apply(filled(0, occlusion), new Rng(seed));
  const white = await op.apply(filled(1, occlusion), new Rng(seed));
  const n = black.width * black.height, A = new Float64Array(n);
  for (let p = 0; p < n; p++) A[p] = 1 - (white.image[3 * p]! - black.image[3 * p]!);
  return { A, black, white };
}

describe('shapes', () => {
  it('signed distances of a circle, a capsule and a square are exact', () => {
    expect(signedDistance({ kind: 'ellipse', cx: 10, cy: 10, rx: 5, ry: 5, angle: 0.3 }, 13, 14)).toBeCloseTo(0, 12);
    expect(signedDistance({ kind: 'ellipse', cx: 10, cy: 10, rx: 5, ry: 5, angle: 0 }, 10, 12)).toBeCloseTo(3, 12);
    expect(signedDistance({ kind: 'capsule', x0: 0, y0: 0, x1: 10, y1: 0, r: 2 }, 5, 3)).toBeCloseTo(-1, 12);
    expect(signedDistance({ kind: 'capsule', x0: 0, y0: 0, x1: 10, y1: 0, r: 2 }, 13, 0)).toBeCloseTo(-1, 12);
    const square = { kind: 'polygon' as const, points: [0, 0, 10, 0, 10, 10, 0, 10] };
    expect(signedDistance(square, 3, 5)).toBeCloseTo(3, 12);
    expect(signedDistance(square, 12, 5)).toBeCloseTo(-2, 12);
    const ring = { kind: 'ring' as const, cx: 0, cy: 0, rx: 10, ry: 10, angle: 0, thickness: 2 };
    expect(signedDistance(ring, 9, 0)).toBeCloseTo(1, 12);
    expect(signedDistance(ring, 5, 0)).toBeCloseTo(-3, 12);
  });

  it('coverage of a disc sums to its area', () => {
    const cov = coverage(new Float32Array(64 * 64), [0, 0, 64, 64], [{ kind: 'ellipse', cx: 31.3, cy: 30.8, rx: 20, ry: 20, angle: 0 }], 1);
    let sum = 0;
    for (const c of cov) sum += c;
    expect(sum / (Math.PI * 400)).toBeCloseTo(1, 2);
  });
});

describe('occlude op', () => {
  for (let seed = 0; seed < 10; seed++) {
    it(`the occlusion map is exactly the opacity that replaced the image (seed occ-${seed})`, async () => {
      const { A, black, white } = await recover({ translucent: 0.5, maxCoverage: 0.6 }, `occ-${seed}`);
      for (let p = 0; p < A.length; p++) {
        expect(Math.abs(A[p]! - black.occlusion![p]!)).toBeLessThan(1e-5);
        expect(black.occlusion![p]).toBe(white.occlusion![p]);
        expect(black.occlusion![p]).toBeGreaterThanOrEqual(0);
        expect(black.occlusion![p]).toBeLessThanOrEqual(1);
      }
    });
  }

  it('leaves pixels with occlusion 0 and every other label untouched; occludes something', async () => {
    const s = planeSample({ tilt: true }), before = planeSample({ tilt: true });
    let occludedSamples = 0;
    for (let seed = 0; seed < 10; seed++) {
      const out = await occlude().apply(s, new Rng(`occ-labels-${seed}`));
      expect(sameBytes(s, before)).toBe(true);
      for (const key of Object.keys(s) as Array<keyof Sample>) if (key !== 'image' && key !== 'occlusion') expect(out[key]).toBe(s[key]);
      let occluded = 0;
      for (let p = 0; p < 64 * 64; p++) {
        const changed = [0, 1, 2].some((c) => out.image[3 * p + c] !== s.image[3 * p + c]);
        if (out.occlusion![p] === 0) expect(changed).toBe(false);
        else occluded++;
      }
      if (occluded > 0) occludedSamples++;
    }
    expect(occludedSamples).toBeGreaterThan(6);
  });

  it('keeps the mean opacity over the mask within maxCoverage', async () => {
    const s = planeSample();
    let masked = 0;
    for (const m of s.mask) masked += m;
    for (let seed = 0; seed < 20; seed++) {
      const out = await occlude({ maxCoverage: 0.15, maxShapes: 4, maxSize: 0.8 }).apply(s, new Rng(`cov-${seed}`));
      let hidden = 0;
      for (let p = 0; p < 64 * 64; p++) if (s.mask[p]) hidden += out.occlusion?.[p] ?? 0;
      expect(hidden / masked).toBeLessThanOrEqual(0.15 + 1e-6);
    }
  });

  it('translucent objects never hide a pixel fully; opaque ones do', async () => {
    let maxTranslucent = 0, maxOpaque = 0;
    for (let seed = 0; seed < 10; seed++) {
      const t = await recover({ translucent: 1, minOpacity: 0.2, maxOpacity: 0.6, maxShapes: 1, shapes: ['ellipse', 'polygon', 'bar'], maxCoverage: 1 }, `tr-${seed}`);
      for (const a of t.A) maxTranslucent = Math.max(maxTranslucent, a);
      const o = await recover({ translucent: 0, maxShapes: 1, shapes: ['ellipse', 'polygon', 'bar'], maxCoverage: 1 }, `op-${seed}`);
      for (const a of o.A) maxOpaque = Math.max(maxOpaque, a);
    }
    expect(maxTranslucent).toBeGreaterThan(0.15);
    expect(maxTranslucent).toBeLessThanOrEqual(0.6 + 1e-5);
    expect(maxOpaque).toBeGreaterThan(1 - 1e-5);
  });

  it('combines with an existing occlusion map: occlusion\' = 1 − (1 − old)(1 − A)', async () => {
    const old = new Float32Array(64 * 64).fill(0.5);
    const { A, black } = await recover({ maxCoverage: 1 }, 'combine', old);
    for (let p = 0; p < A.length; p++) expect(black.occlusion![p]!).toBeCloseTo(1 - 0.5 * (1 - A[p]!), 5);
  });

  for (const kind of OCCLUDER_KINDS) {
    it(`draws ${kind} occluders over the face box (seed kind-${kind})`, async () => {
      let drawn = 0;
      for (let seed = 0; seed < 5; seed++) {
        const { A } = await recover({ shapes: [kind], maxCoverage: 1, maxShapes: 1 }, `kind-${kind}-${seed}`);
        let any = 0;
        for (const a of A) if (a > 1e-5) any++;
        if (any > 0) drawn++;
      }
      expect(drawn).toBe(5);
    });
  }

  it('rejects bad options', () => {
    expect(() => occlude({ shapes: ['hat'] })).toThrow(/unknown choice 'hat'/);
    expect(() => occlude({ shapes: [] })).toThrow(/must not be empty/);
    expect(() => occlude({ maxShapes: 0 })).toThrow(/maxShapes/);
    expect(() => occlude({ minOpacity: 0.9, maxOpacity: 0.5 })).toThrow(/minOpacity/);
  });
});
