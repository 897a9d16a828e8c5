import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeImage } from '../../src/io/image.js';
import { loadTexture, sampleTexture, SRGB8_TO_LINEAR, textureFromImage } from '../../src/render/texture.js';
import { tempDir } from '../helpers/tmp.js';

const decode = (k: number): number => { const s = k / 255; return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); };

describe('textures', () => {
  it('decode 8-bit sRGB to linear (known values and the formula)', () => {
    expect(SRGB8_TO_LINEAR[0]).toBe(0);
    expect(SRGB8_TO_LINEAR[255]).toBe(1);
    expect(SRGB8_TO_LINEAR[188]).toBeCloseTo(0.5029, 4);
    expect(SRGB8_TO_LINEAR[10]).toBeCloseTo(10 / 255 / 12.92, 7);
    for (let k = 0; k < 256; k++) expect(SRGB8_TO_LINEAR[k]).toBeCloseTo(decode(k), 6);
  });

  // 2×2 texture: row 0 (top, v = 1) red, green; row 1 (bottom, v = 0) blue, white
  const image = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]) };
  const tex = textureFromImage(image);
  const at = (u: number, v: number): number[] => Array.from(sampleTexture(new Float64Array(3), 0, tex, u, v));

  it('returns texel values at texel centres, with row 0 at v = 1', () => {
    expect(at(0.25, 0.75)).toEqual([1, 0, 0]);
    expect(at(0.75, 0.75)).toEqual([0, 1, 0]);
    expect(at(0.25, 0.25)).toEqual([0, 0, 1]);
    expect(at(0.75, 0.25)).toEqual([1, 1, 1]);
  });

  it('interpolates bilinearly between centres and clamps outside them', () => {
    expect(at(0.5, 0.75)).toEqual([0.5, 0.5, 0]);
    const c = at(0.5, 0.5);
    for (let k = 0; k < 3; k++) expect(c[k]).toBeCloseTo([0.5, 0.5, 0.5][k]!, 12);
    expect(at(0, 1)).toEqual([1, 0, 0]); // corner: clamped to the texel
    expect(at(-3, 0.75)).toEqual([1, 0, 0]);
    expect(at(0.75, -2)).toEqual([1, 1, 1]);
    expect(at(NaN, NaN).every(Number.isFinite)).toBe(true);
  });

  it('loads PNG files (grey replicated, alpha dropped) and names missing files', async () => {
    const dir = tempDir();
    const grey = { width: 1, height: 1, channels: 1 as const, data: new Uint8Array([188]) };
    await writeImage(join(dir, 'g.png'), grey);
    const g = await loadTexture(join(dir, 'g.png'));
    expect(g.width).toBe(1);
    expect(Array.from(g.data)).toEqual([SRGB8_TO_LINEAR[188], SRGB8_TO_LINEAR[188], SRGB8_TO_LINEAR[188]]);
    await writeImage(join(dir, 'rgba.png'), { width: 1, height: 1, channels: 4, data: new Uint8Array([10, 20, 30, 40]) });
    const r = await loadTexture(join(dir, 'rgba.png'));
    expect(Array.from(r.data)).toEqual([SRGB8_TO_LINEAR[10], SRGB8_TO_LINEAR[20], SRGB8_TO_LINEAR[30]]);
    await expect(loadTexture(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png/);
  });
});
