import { describe, it, expect, beforeAll } from 'vitest';
import { builtinModel, type FlameModel } from '../../src/flame/index.js';
import { sampleTexture, type Texture } from '../../src/render/index.js';
import { CAVITY_UV, TORSO_UV, skinTexture, textureToSrgb8, type SkinLook } from '../../src/synth/skin-texture.js';
import type { HairStyle } from '../../src/synth/hair.js';

let model: FlameModel;
let tex: Texture;
const look: SkinLook = {
  skin: [0.62, 0.42, 0.32], lips: [0.5, 0.2, 0.18], hair: [0.05, 0.035, 0.025], iris: [0.15, 0.25, 0.35], shirt: [0.1, 0.3, 0.6],
  freckles: 0.5, moles: [], seed: 1234,
};
const hair: HairStyle = { frontY: 0.085, sideY: 0.042, napeY: -0.07, ragged: 0.004, thickness: 0.008, seed: 99 };

/** UV of landmark k of the model's 68 (barycentric on its triangle's UV corners). */
function landmarkUv(k: number): [number, number] {
  const f = model.landmarks.full68!.faceIdx[k]!, b = model.landmarks.full68!.bary;
  let u = 0, v = 0;
  for (let c = 0; c < 3; c++) {
    const t = model.faceUvs![3 * f + c]!;
    u += b[3 * k + c]! * model.uvs![2 * t]!; v += b[3 * k + c]! * model.uvs![2 * t + 1]!;
  }
  return [u, v];
}
const colourAt = (u: number, v: number): Float64Array => sampleTexture(new Float64Array(3), 0, tex, u, v);
const colourOf = (k: number): Float64Array => colourAt(...landmarkUv(k));
const luma = (c: ArrayLike<number>): number => 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;

beforeAll(async () => {
  model = await builtinModel();
  tex = skinTexture(model, look, hair, 512);
});

describe('skinTexture', () => {
  it('is a linear RGB texture in [0, 1] of the requested size', () => {
    expect([tex.width, tex.height, tex.data.length]).toEqual([512, 512, 512 * 512 * 3]);
    let lo = Infinity, hi = -Infinity;
    for (const x of tex.data) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(() => skinTexture(model, look, hair, 10)).toThrow(/64–8192/);
  });

  it('paints darker brows, redder lips and a dark lash line on the skin', () => {
    const bridge = colourOf(28); // nose bridge: plain skin
    for (const k of [19, 24]) expect(luma(colourOf(k))).toBeLessThan(0.6 * luma(bridge));
    for (const k of [51, 57]) {
      const c = colourOf(k);
      expect(c[0]! / c[1]!).toBeGreaterThan(1.3 * (bridge[0]! / bridge[1]!));
    }
    // skin keeps its tone on average around the cheek
    const cheek = colourOf(3);
    expect(Math.abs(cheek[0]! - look.skin[0]) / look.skin[0]).toBeLessThan(0.35);
  });

  it('has texture detail on the skin (pores, blotches) for optical flow to lock on to', () => {
    // luminance spread over a 24×24-texel patch of the cheek, away from features
    const [u0, v0] = landmarkUv(2);
    const [u1, v1] = landmarkUv(31);
    const uc = 0.5 * (u0 + u1), vc = 0.5 * (v0 + v1);
    const values: number[] = [];
    for (let j = -12; j < 12; j++) for (let i = -12; i < 12; i++) values.push(luma(colourAt(uc + i / 512, vc + j / 512)));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(sd / mean).toBeGreaterThan(0.02);
    expect(sd / mean).toBeLessThan(0.3);
  });

  it('paints hair over the scalp, eyes with a dark pupil, the shirt and the mouth cavity in their atlas rectangles', () => {
    // the crown's UVs are the top row of the chart (v close to 1)
    expect(luma(colourAt(0.5, 0.99))).toBeLessThan(0.3 * luma(colourOf(28)));
    // eyeballs: discs centred at (0.25, 0.072) and (0.75, 0.072), the front pole in the middle
    for (const u of [0.25, 0.75]) {
      expect(luma(colourAt(u, 0.072))).toBeLessThan(0.05);
      expect(luma(colourAt(u + 0.045, 0.072))).toBeGreaterThan(0.5);
    }
    const shirt = colourAt(0.5 * (TORSO_UV.u0 + TORSO_UV.u1) + 0.1, TORSO_UV.v0 + 0.01);
    expect(shirt[2]!).toBeGreaterThan(shirt[0]!);
    expect(Math.abs(shirt[2]! - look.shirt[2]) / look.shirt[2]).toBeLessThan(0.3);
    const cavity = colourAt(0.5 * (CAVITY_UV.u0 + CAVITY_UV.u1), 0.5 * (CAVITY_UV.v0 + CAVITY_UV.v1));
    expect(luma(cavity)).toBeLessThan(0.05);
  });

  it('encodes to 8-bit sRGB with the standard transfer function', () => {
    const values = [0, 0.5, 1, 0.001, 0.22, 0.9];
    const b = textureToSrgb8({ width: 2, height: 1, data: Float32Array.from(values) });
    const exact = values.map((x) => Math.round(255 * (x <= 0.0031308 ? 12.92 * x : 1.055 * Math.fround(x) ** (1 / 2.4) - 0.055)));
    expect(Array.from(b)).toEqual(exact);
    expect(exact).toEqual([0, 188, 255, 3, 129, 243]);
  });
});
