import { describe, expect, it } from 'vitest';
import { computeFlow, FLOW_DEFAULTS, type FlowField, type FlowImage, type FlowOptions } from '../../src/flow/index.js';
import { expressionField, randomTexture, renderImage, renderTexture, textureAt, type Texture } from '../../src/flow/synthetic.js';
import { Rng } from '../../src/util/rng.js';

/** A 1/f-like texture (wavelengths 5–200 px), so that every pyramid level has something to match. */
function texture(seed: string): Texture {
  return randomTexture(new Rng(seed), { waves: 128, minWavelength: 5, maxWavelength: 200 });
}

/**
 * Endpoint errors of `flow` against the exact forward flow, over the pixels of A whose match
 * lands at least `margin` px inside B (elsewhere there is nothing to match). Returns sorted errors.
 */
function endpointErrors(flow: FlowField, forward: (x: number, y: number) => [number, number], margin = 4): Float64Array {
  const { width: W, height: H, data } = flow;
  const errors: number[] = [];
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const x = i + 0.5, y = j + 0.5;
      const [fx, fy] = forward(x, y);
      if (x + fx < margin || y + fy < margin || x + fx > W - margin || y + fy > H - margin) continue;
      const p = 2 * (j * W + i);
      errors.push(Math.hypot(data[p]! - fx, data[p + 1]! - fy));
    }
  }
  return Float64Array.from(errors).sort();
}
const median = (sorted: Float64Array): number => sorted[sorted.length >> 1]!;
const quantile = (sorted: Float64Array, q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;

/** A (the texture) and B (the texture seen through the backward map), S×S, optional lighting on B. */
function pair(tex: Texture, S: number, backward: (x: number, y: number) => [number, number], light = (v: number, _x: number, _y: number): number => v): [FlowImage, FlowImage] {
  const a = renderTexture(tex, S, S);
  const b = renderImage(S, S, (x, y) => { const [u, v] = backward(x, y); return light(textureAt(tex, u, v), x, y); });
  return [a, b];
}

describe('computeFlow: known motions of a textured image', () => {
  const S = 256, c = S / 2;

  it('sub-pixel translation (0.37, −0.61) px (texture seed flow-1)', () => {
    const [a, b] = pair(texture('flow-1'), 128, (x, y) => [x - 0.37, y + 0.61]);
    const e = endpointErrors(computeFlow(a, b), () => [0.37, -0.61]);
    expect(median(e)).toBeLessThan(0.05);
    expect(quantile(e, 0.9)).toBeLessThan(0.1);
  });

  it('a 25 px translation (25, −14) (texture seed flow-2)', () => {
    const [a, b] = pair(texture('flow-2'), S, (x, y) => [x - 25, y + 14]);
    const e = endpointErrors(computeFlow(a, b), () => [25, -14]);
    expect(median(e)).toBeLessThan(0.05);
    expect(quantile(e, 0.9)).toBeLessThan(0.2);
  });

  it('rotation by 6° and scale 1.06 about the centre (texture seed flow-3)', () => {
    const th = (6 * Math.PI) / 180, sc = 1.06, cs = Math.cos(th), sn = Math.sin(th);
    // B(q) = T(p) with q = c + sc·R·(p − c)
    const [a, b] = pair(texture('flow-3'), S, (x, y) => {
      const dx = (x - c) / sc, dy = (y - c) / sc;
      return [c + cs * dx + sn * dy, c - sn * dx + cs * dy];
    });
    const e = endpointErrors(computeFlow(a, b), (x, y) => {
      const dx = x - c, dy = y - c;
      return [c + sc * (cs * dx - sn * dy) - x, c + sc * (sn * dx + cs * dy) - y];
    });
    expect(median(e)).toBeLessThan(0.15);
    expect(quantile(e, 0.9)).toBeLessThan(0.3);
  });

  it('a smooth non-rigid expression-like field of up to 20 px (texture seed flow-4)', () => {
    const field = expressionField(S, S, 20);
    const [a, b] = pair(texture('flow-4'), S, (x, y) => { const [ex, ey] = field.backward(x, y); return [x + ex, y + ey]; });
    const e = endpointErrors(computeFlow(a, b), field.forward);
    expect(median(e)).toBeLessThan(0.2);
    expect(quantile(e, 0.9)).toBeLessThan(0.5);
  });

  it('a textured square moving 18 px, nearly half its size, over a still background (seeds occl-bg3/occl-sq3)', () => {
    // too far for coarse-to-fine warping alone: the block search and propagation find it
    const S = 128, side = 40, x0 = 30, y0 = 40, mx = 16, my = 8;
    const bg = randomTexture(new Rng('occl-bg3'), { waves: 96, minWavelength: 5, maxWavelength: 120 });
    const sq = randomTexture(new Rng('occl-sq3'), { waves: 96, minWavelength: 5, maxWavelength: 120, contrast: 0.2 });
    const inSquare = (x: number, y: number, ox: number, oy: number): boolean => x >= ox && x < ox + side && y >= oy && y < oy + side;
    const scene = (ox: number, oy: number) => (x: number, y: number): number => (inSquare(x, y, ox, oy) ? textureAt(sq, x - ox, y - oy) : textureAt(bg, x, y));
    const a = renderImage(S, S, scene(x0, y0)), b = renderImage(S, S, scene(x0 + mx, y0 + my));
    const interior = (flow: FlowField): Float64Array => {
      const e: number[] = [];
      for (let y = y0 + 8; y < y0 + side - 8; y++) for (let x = x0 + 8; x < x0 + side - 8; x++) { const p = y * S + x; e.push(Math.hypot(flow.data[2 * p]! - mx, flow.data[2 * p + 1]! - my)); }
      return Float64Array.from(e).sort();
    };
    const found = interior(computeFlow(a, b));
    expect(median(found)).toBeLessThan(0.05);
    expect(quantile(found, 0.9)).toBeLessThan(0.2);
    expect(median(interior(computeFlow(a, b, { searchRadius: 0, propagationFinestLevel: 99 })))).toBeGreaterThan(5);
    // the background far from the square stays still
    const f = computeFlow(a, b);
    expect(Math.hypot(f.data[2 * (10 * S + 110)]!, f.data[2 * (10 * S + 110) + 1]!)).toBeLessThan(0.05);
  });

  it('global normalisation and gradient constancy are accurate too when the lighting is the same (texture seed flow-5)', () => {
    const [a, b] = pair(texture('flow-5'), 128, (x, y) => [x - 3.3, y - 1.8]);
    for (const options of [{ normalization: 'global' }, { normalization: 'global', gradientWeight: 1 }, { interpolation: 'bilinear', integration: false, medianFilter: false }] as FlowOptions[]) {
      const e = endpointErrors(computeFlow(a, b, options), () => [3.3, 1.8]);
      expect(median(e), JSON.stringify(options)).toBeLessThan(0.05);
    }
  });

  it('local normalisation copes with a lighting change that defeats global normalisation (texture seed flow-6)', () => {
    // B: 4 px shift, darker by 20% and lit by a ramp across the image
    const [a, b] = pair(texture('flow-6'), 192, (x, y) => [x - 4, y - 2], (v, x) => 0.8 * v * (0.8 + (0.4 * x) / 192) + 0.05);
    const local = endpointErrors(computeFlow(a, b), () => [4, 2]);
    const global = endpointErrors(computeFlow(a, b, { normalization: 'global' }), () => [4, 2]);
    expect(median(local)).toBeLessThan(0.15);
    expect(median(global)).toBeGreaterThan(0.5);
  });

  it('RGB images give the flow of their grey (luma) values (texture seed flow-7)', () => {
    const [a, b] = pair(texture('flow-7'), 96, (x, y) => [x - 1.5, y + 0.5]);
    const rgb = (g: FlowImage): FlowImage => {
      const d = new Float32Array(g.data.length * 3);
      for (let p = 0; p < g.data.length; p++) { d[3 * p] = g.data[p]!; d[3 * p + 1] = g.data[p]!; d[3 * p + 2] = g.data[p]!; }
      return { width: g.width, height: g.height, channels: 3, data: d };
    };
    const fg = computeFlow(a, b), fc = computeFlow(rgb(a), rgb(b));
    let maxDiff = 0;
    for (let i = 0; i < fg.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fg.data[i]! - fc.data[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(median(endpointErrors(fc, () => [1.5, -0.5]))).toBeLessThan(0.05);
  });
});

describe('computeFlow: determinism, degenerate input and errors', () => {
  it('is deterministic: the same pair gives bit-identical flow (texture seed flow-8)', () => {
    const field = expressionField(128, 128, 8);
    const [a, b] = pair(texture('flow-8'), 128, (x, y) => { const [ex, ey] = field.backward(x, y); return [x + ex, y + ey]; });
    const f1 = computeFlow(a, b), f2 = computeFlow(a, b);
    expect(f1.data).toBeInstanceOf(Float32Array);
    expect(f1.data.length).toBe(128 * 128 * 2);
    expect(Buffer.from(f1.data.buffer).equals(Buffer.from(f2.data.buffer))).toBe(true);
    // and the inputs are not modified
    const a2 = renderTexture(texture('flow-8'), 128, 128);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(a2.data.buffer))).toBe(true);
  });

  it('an image against itself gives zero flow', () => {
    const a = renderTexture(texture('flow-9'), 64, 48);
    const f = computeFlow(a, a);
    let max = 0;
    for (const v of f.data) max = Math.max(max, Math.abs(v));
    expect(max).toBeLessThan(1e-4);
  });

  it('flat and tiny images give finite (zero) flow without hanging', () => {
    const flat = (w: number, h: number, v: number): FlowImage => ({ width: w, height: h, channels: 1, data: new Float32Array(w * h).fill(v) });
    for (const [w, h] of [[1, 1], [2, 3], [17, 5], [64, 64]] as const) {
      const f = computeFlow(flat(w, h, 0.3), flat(w, h, 0.7));
      expect(f.width).toBe(w);
      expect(f.height).toBe(h);
      expect(f.data.every((v) => v === 0)).toBe(true);
    }
    const small = renderTexture(texture('flow-10'), 7, 5);
    expect(computeFlow(small, small).data.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('rejects mismatched sizes, malformed images, NaN pixels and bad options with clear messages', () => {
    const a = renderTexture(texture('flow-11'), 32, 24);
    const b = renderTexture(texture('flow-11'), 24, 32);
    expect(() => computeFlow(a, b)).toThrow(/images differ in size: a is 32×24, b is 24×32/);
    expect(() => computeFlow(a, { ...a, data: new Float32Array(10) })).toThrow(/image b: data length 10, expected 32×24×1 = 768/);
    expect(() => computeFlow(a, { ...a, channels: 2 as 1 })).toThrow(/image b: 2 channels, expected 1 or 3/);
    const nan = { ...a, data: Float32Array.from(a.data) };
    nan.data[3 * 32 + 5] = NaN;
    expect(() => computeFlow(a, nan)).toThrow(/image b: pixel \(5, 3\) is NaN/);
    expect(() => computeFlow(a, a, { warps: 0 })).toThrow(/option warps = 0, expected an integer ≥ 1/);
    expect(() => computeFlow(a, a, { relaxation: 2 })).toThrow(/relaxation = 2/);
    expect(() => computeFlow(a, a, { normalization: 'none' as 'local' })).toThrow(/normalization = none/);
    expect(FLOW_DEFAULTS.normalization).toBe('local');
  });
});
