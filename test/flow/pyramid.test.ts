import { describe, expect, it } from 'vitest';
import { buildPyramid, downsample2, upsampleFlow } from '../../src/flow/pyramid.js';
import { boxMean, derivativeX, derivativeY, median3x3 } from '../../src/flow/filters.js';
import { Rng } from '../../src/util/rng.js';

/** An image whose pixel (i, j) holds f at its centre (i + ½, j + ½). */
function sample(W: number, H: number, f: (x: number, y: number) => number): Float32Array {
  const d = new Float32Array(W * H);
  for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) d[j * W + i] = f(i + 0.5, j + 0.5);
  return d;
}

describe('pyramid: exact factor-2 levels in the pixel-centre convention', () => {
  it('downsample2 of a linear ramp is the ramp at the coarse centres (x = 2i + 1) away from the border', () => {
    const f = (x: number, y: number): number => 3 * x + 5 * y;
    const W = 13, H = 10; // odd width: 7 coarse columns
    const c = downsample2(sample(W, H, f), W, H);
    expect([c.width, c.height]).toEqual([7, 5]);
    for (let j = 1; j < 4; j++) for (let i = 1; i < 5; i++) expect(c.data[j * 7 + i]).toBeCloseTo(f(2 * i + 1, 2 * j + 1), 4);
  });

  it('upsampleFlow doubles a linear field and reads it at fine centres ((x + ½)/2 on the coarse level)', () => {
    const wc = 8, hc = 6, W = 16, H = 12;
    const coarse = new Float32Array(wc * hc * 2);
    for (let j = 0; j < hc; j++) for (let i = 0; i < wc; i++) { coarse[2 * (j * wc + i)] = 0.5 * (i + 0.5) - 1; coarse[2 * (j * wc + i) + 1] = 0.25 * (j + 0.5) + 2; }
    const fine = upsampleFlow(new Float32Array(W * H * 2), W, H, coarse, wc, hc);
    for (let y = 2; y < H - 2; y++) {
      for (let x = 2; x < W - 2; x++) {
        const cx = (x + 0.5) / 2, cy = (y + 0.5) / 2; // coarse position of the fine centre
        expect(fine[2 * (y * W + x)]).toBeCloseTo(2 * (0.5 * cx - 1), 5);
        expect(fine[2 * (y * W + x) + 1]).toBeCloseTo(2 * (0.25 * cy + 2), 5);
      }
    }
  });

  it('buildPyramid stops before a side drops below minSize and at maxLevels', () => {
    const sizes = (W: number, H: number, max: number, min: number): number[][] =>
      buildPyramid(new Float32Array(W * H), W, H, max, min).map((l) => [l.width, l.height]);
    expect(sizes(1024, 768, 12, 16)).toEqual([[1024, 768], [512, 384], [256, 192], [128, 96], [64, 48], [32, 24]]);
    expect(sizes(1024, 768, 3, 16)).toEqual([[1024, 768], [512, 384], [256, 192]]);
    expect(sizes(5, 3, 12, 16)).toEqual([[5, 3]]);
  });
});

describe('filters against brute force (seed filters-1)', () => {
  const rng = new Rng('filters-1');
  const W = 23, H = 17;
  const data = Float32Array.from({ length: W * H }, () => rng.uniform(-1, 1));
  const at = (x: number, y: number): number => data[Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))]!;

  it('median3x3 is the median of the replicated 3×3 neighbourhood, per channel of an interleaved array', () => {
    const inter = new Float32Array(W * H * 2);
    for (let p = 0; p < W * H; p++) { inter[2 * p] = data[p]!; inter[2 * p + 1] = -data[p]!; }
    const out = new Float32Array(W * H * 2);
    median3x3(out, inter, W, H, 2, 0);
    median3x3(out, inter, W, H, 2, 1);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v: number[] = [];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) v.push(at(x + dx, y + dy));
        v.sort((a, b) => a - b);
        expect(out[2 * (y * W + x)]).toBe(v[4]);
        expect(out[2 * (y * W + x) + 1]).toBe(-v[4]!);
      }
    }
  });

  it('boxMean is the mean over the window clipped to the image', () => {
    for (const r of [1, 3, 12]) {
      const out = boxMean(new Float32Array(W * H), data, new Float32Array(W * H), new Float64Array(W), W, H, r);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          let s = 0, n = 0;
          for (let yy = Math.max(0, y - r); yy <= Math.min(H - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(W - 1, x + r); xx++) { s += data[yy * W + xx]!; n++; }
          expect(out[y * W + x]).toBeCloseTo(s / n, 5);
        }
      }
    }
  });

  it('the 5-tap derivatives are exact for cubics in the interior', () => {
    const f = (x: number, y: number): number => 0.01 * x * x * x - 0.2 * x * y + 0.03 * y * y * y;
    const img = sample(W, H, f);
    const dx = derivativeX(new Float32Array(W * H), img, W, H), dy = derivativeY(new Float32Array(W * H), img, W, H);
    for (let y = 2; y < H - 2; y++) {
      for (let x = 2; x < W - 2; x++) {
        const px = x + 0.5, py = y + 0.5;
        expect(dx[y * W + x]).toBeCloseTo(0.03 * px * px - 0.2 * py, 3);
        expect(dy[y * W + x]).toBeCloseTo(-0.2 * px + 0.09 * py * py, 3);
      }
    }
  });
});
