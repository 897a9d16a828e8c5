import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import {
  blur, brightness, colorShift, contrast, grayscale, jpeg, noise, normalQuantile, normalTable, saturation, type AugmentOp,
} from '../../src/augment/index.js';
import type { Sample } from '../../src/io/sample.js';
import { planeSample, sameBytes } from './synthetic.js';

const OPS: Array<[string, () => AugmentOp]> = [
  ['noise', () => noise()],
  ['colorShift', () => colorShift()],
  ['brightness', () => brightness()],
  ['contrast', () => contrast()],
  ['saturation', () => saturation()],
  ['grayscale', () => grayscale()],
  ['blur', () => blur()],
  ['jpeg', () => jpeg()],
];

/** A sample whose image is filled by f(x, y, c). */
function withImage(f: (x: number, y: number, c: number) => number, size = 64): Sample {
  const s = planeSample({ width: size, height: size });
  const image = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) image[3 * (y * size + x) + c] = f(x, y, c);
  return { ...s, image };
}

describe('photometric ops leave every label byte-identical and only change the image', () => {
  for (const [name, make] of OPS) {
    it(`${name} (seed photo-${name})`, async () => {
      const textured = (): Sample => {
        const t = planeSample({ tilt: true });
        for (let i = 0; i < t.image.length; i++) t.image[i] = 0.1 + 0.8 * (((i * 7919) % 101) / 100);
        return t;
      };
      const s = textured(), before = textured();
      const out = await make().apply(s, new Rng(`photo-${name}`));
      for (const key of Object.keys(s) as Array<keyof Sample>) {
        if (key !== 'image') expect(out[key], key).toBe(s[key]);
      }
      expect(sameBytes(s, before)).toBe(true); // input untouched
      expect(out.image).toBeInstanceOf(Float32Array);
      expect(out.image.length).toBe(s.image.length);
      let changed = 0;
      for (let i = 0; i < out.image.length; i++) {
        expect(out.image[i]).toBeGreaterThanOrEqual(0);
        expect(out.image[i]).toBeLessThanOrEqual(1);
        if (out.image[i] !== s.image[i]) changed++;
      }
      expect(changed).toBeGreaterThan(out.image.length / 4);
    });
  }
});

describe('known values', () => {
  it('brightness multiplies by the factor and clamps', async () => {
    const s = withImage((x, y, c) => ((x + 2 * y + c) % 64) / 63);
    const out = await brightness({ min: 1.25, max: 1.25 }).apply(s, new Rng(1));
    for (let i = 0; i < s.image.length; i++) expect(out.image[i]).toBe(Math.fround(Math.min(1, s.image[i]! * 1.25)));
  });

  it('contrast 0 gives the mean luma everywhere; contrast f scales distances from it', async () => {
    const s = withImage((x, y, c) => (c === 0 ? x / 63 : c === 1 ? y / 63 : 0.5));
    const flat = await contrast({ min: 0, max: 0 }).apply(s, new Rng(1));
    const mean = 0.299 * 0.5 + 0.587 * 0.5 + 0.114 * 0.5;
    for (let i = 0; i < flat.image.length; i++) expect(flat.image[i]).toBeCloseTo(mean, 6);
    const half = await contrast({ min: 0.5, max: 0.5 }).apply(s, new Rng(1));
    for (let i = 0; i < half.image.length; i++) expect(half.image[i]).toBeCloseTo(mean + 0.5 * (s.image[i]! - mean), 6);
  });

  it('grayscale sets every channel to the Rec. 601 luma; saturation 0 equals grayscale', async () => {
    const s = withImage((x, y, c) => [0.2, 0.4, 0.6][c]! * ((x + y) % 2 === 0 ? 1 : 0.5));
    const g = await grayscale().apply(s, new Rng(1));
    expect(g.image[0]).toBeCloseTo(0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, 6);
    expect(g.image[1]).toBe(g.image[0]);
    expect(g.image[2]).toBe(g.image[0]);
    const z = await saturation({ min: 0, max: 0 }).apply(s, new Rng(7));
    for (let i = 0; i < g.image.length; i++) expect(z.image[i]).toBeCloseTo(g.image[i]!, 6);
    const half = await grayscale({ amount: 0.5 }).apply(s, new Rng(1));
    expect(half.image[0]).toBeCloseTo(0.5 * g.image[0]! + 0.5 * 0.2, 6);
  });

  it('colorShift is one affine map per channel, within the configured gain and offset', async () => {
    const s = withImage((x, y) => 0.2 + 0.6 * ((x + 64 * y) / 4095));
    const none = await colorShift({ maxGain: 0, maxOffset: 0 }).apply(s, new Rng(3));
    for (let i = 0; i < s.image.length; i++) expect(none.image[i]).toBe(s.image[i]);
    const out = await colorShift({ maxGain: 0.1, maxOffset: 0.05 }).apply(s, new Rng(3));
    for (let c = 0; c < 3; c++) {
      const x0 = s.image[c]!, x1 = s.image[3 * 4095 + c]!, y0 = out.image[c]!, y1 = out.image[3 * 4095 + c]!;
      const gain = (y1 - y0) / (x1 - x0), offset = y0 - gain * x0;
      expect(Math.abs(gain - 1)).toBeLessThanOrEqual(0.1 + 1e-5);
      expect(Math.abs(offset)).toBeLessThanOrEqual(0.05 + 1e-5);
      for (let p = 0; p < 4096; p += 97) expect(out.image[3 * p + c]).toBeCloseTo(gain * s.image[3 * p + c]! + offset, 5);
    }
  });

  it('blur keeps constants, keeps the sum of an impulse and spreads it with variance σ²', async () => {
    const flat = await blur({ minSigma: 2, maxSigma: 2 }).apply(withImage(() => 0.4), new Rng(1));
    for (const v of flat.image) expect(Math.abs(v - 0.4)).toBeLessThanOrEqual(1 / 255 + 1e-6);
    const s = withImage((x, y) => (x === 30 && y === 33 ? 1 : 0));
    for (const sigma of [0.8, 2]) {
      const out = await blur({ minSigma: sigma, maxSigma: sigma }).apply(s, new Rng(1));
      let sum = 0, mx = 0, my = 0, vx = 0, vy = 0;
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) { const v = out.image[3 * (64 * y + x)]!; sum += v; mx += v * x; my += v * y; vx += v * (x - 30) ** 2; vy += v * (y - 33) ** 2; }
      expect(Math.abs(sum - 1)).toBeLessThan(0.05);
      expect(mx / sum).toBeCloseTo(30, 1);
      expect(my / sum).toBeCloseTo(33, 1);
      for (const v of [vx / sum, vy / sum]) {
        expect(v).toBeGreaterThan(sigma * sigma * 0.85);
        expect(v).toBeLessThan(sigma * sigma * 1.1);
      }
    }
  });

  it('noise has the drawn standard deviation and zero mean; monochrome noise is equal across channels', async () => {
    const s = withImage(() => 0.5, 128);
    const out = await noise({ minSigma: 0.05, maxSigma: 0.05, monochrome: 0 }).apply(s, new Rng('noise-std'));
    let sum = 0, sq = 0, sameChannels = 0;
    for (let i = 0; i < out.image.length; i++) { const d = out.image[i]! - 0.5; sum += d; sq += d * d; }
    const n = out.image.length, mean = sum / n, std = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.05 * 0.98);
    expect(std).toBeLessThan(0.05 * 1.02);
    for (let p = 0; p < n / 3; p++) if (out.image[3 * p] === out.image[3 * p + 1]) sameChannels++;
    expect(sameChannels).toBeLessThan(n / 3 / 50);
    const mono = await noise({ minSigma: 0.05, maxSigma: 0.05, monochrome: 1 }).apply(s, new Rng('noise-mono'));
    for (let p = 0; p < n / 3; p++) {
      expect(mono.image[3 * p + 1]).toBe(mono.image[3 * p]);
      expect(mono.image[3 * p + 2]).toBe(mono.image[3 * p]);
    }
  });

  it('normal quantiles match known values; the table is standard normal', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 7);
    expect(normalQuantile(0.8413447460685429)).toBeCloseTo(1, 7);
    const t = normalTable();
    let sum = 0, sq = 0;
    for (const v of t) { sum += v; sq += v * v; }
    expect(Math.abs(sum / t.length)).toBeLessThan(1e-6);
    expect(Math.sqrt(sq / t.length)).toBeCloseTo(1, 3);
  });

  it('jpeg degrades the image more at low quality than at high quality', async () => {
    const s = withImage((x, y, c) => 0.5 + 0.4 * Math.sin((x + 3 * c) / 5) * Math.cos(y / 7) + ((x * 7 + y * 13) % 5) * 0.01);
    const err = async (q: number): Promise<number> => {
      const out = await jpeg({ minQuality: q, maxQuality: q, subsample: 0 }).apply(s, new Rng(1));
      let e = 0;
      for (let i = 0; i < s.image.length; i++) e += Math.abs(out.image[i]! - s.image[i]!);
      return e / s.image.length;
    };
    const e95 = await err(95), e10 = await err(10);
    expect(e95).toBeLessThan(0.01);
    expect(e10).toBeGreaterThan(2 * e95);
  });
});

describe('option checks', () => {
  it('rejects unknown keys, wrong types and bad ranges with the op named', () => {
    expect(() => noise({ sigma: 1 } as never)).toThrow(/augment noise: unknown option 'sigma'/);
    expect(() => brightness({ min: 'x' } as never)).toThrow(/augment brightness: option 'min' must be a finite number/);
    expect(() => contrast({ min: 2, max: 1 })).toThrow(/'min' \(2\) must not exceed 'max' \(1\)/);
    expect(() => jpeg({ minQuality: 0 })).toThrow(/minQuality/);
    expect(() => jpeg({ maxQuality: 50.5 })).toThrow(/integer/);
    expect(() => blur({ maxSigma: Infinity })).toThrow(/maxSigma/);
  });
});
