/**
 * Colour textures for shading: decoded with sharp (io/image.ts), converted from 8-bit sRGB to
 * linear RGB once on load, and looked up bilinearly. UV convention (DESIGN.md): v up, the texel in
 * row j and column i has its centre at u = (i + ½)/W, v = 1 − (j + ½)/H; outside the texel centres
 * the lookup clamps to the edge (atlas textures must not bleed across their border).
 */
import { readImage, type Image } from '../io/image.js';
import { FormatError } from '../util/errors.js';

export interface Texture {
  width: number;
  height: number;
  /** data: Float32Array [H*W*3], linear RGB in [0, 1], row 0 at the top (v = 1). */
  data: Float32Array;
}

/** 8-bit sRGB code → linear value (IEC 61966-2-1 decoding). */
export const SRGB8_TO_LINEAR: Float32Array = (() => {
  const t = new Float32Array(256);
  for (let k = 0; k < 256; k++) {
    const s = k / 255;
    t[k] = s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  }
  return t;
})();

/** A linear texture from an 8-bit sRGB image (grey is replicated, alpha dropped). */
export function textureFromImage(image: Image): Texture {
  const { width, height, channels, data } = image;
  const n = width * height;
  if (data.length !== n * channels) throw new RangeError(`textureFromImage: data length ${data.length}, expected ${width}×${height}×${channels}`);
  const out = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    const o = p * channels;
    if (channels === 1) {
      const g = SRGB8_TO_LINEAR[data[o]!]!;
      out[3 * p] = g; out[3 * p + 1] = g; out[3 * p + 2] = g;
    } else {
      out[3 * p] = SRGB8_TO_LINEAR[data[o]!]!;
      out[3 * p + 1] = SRGB8_TO_LINEAR[data[o + 1]!]!;
      out[3 * p + 2] = SRGB8_TO_LINEAR[data[o + 2]!]!;
    }
  }
  return { width, height, data: out };
}

/** Reads an image file (PNG, JPEG, ... through sharp) as a linear texture; errors name the file. */
export async function loadTexture(path: string): Promise<Texture> {
  const image = await readImage(path);
  if (image.width < 1 || image.height < 1) throw new FormatError(path, undefined, `texture is ${image.width}×${image.height}, expected at least 1×1`);
  return textureFromImage(image);
}

/**
 * Bilinear lookup at (u, v) (v up), clamped to the edge texels. Writes linear RGB to out[o..o+2]
 * and returns out. NaN coordinates give the texel (0, 0)'s neighbourhood, never NaN.
 */
export function sampleTexture<T extends Float32Array | Float64Array>(out: T, o: number, texture: Texture, u: number, v: number): T {
  const W = texture.width, H = texture.height, d = texture.data;
  let x = u * W - 0.5, y = (1 - v) * H - 0.5;
  if (!(x > 0)) x = 0; else if (x > W - 1) x = W - 1;
  if (!(y > 0)) y = 0; else if (y > H - 1) y = H - 1;
  const i0 = Math.floor(x), j0 = Math.floor(y);
  const i1 = i0 + 1 < W ? i0 + 1 : i0, j1 = j0 + 1 < H ? j0 + 1 : j0;
  const fx = x - i0, fy = y - j0;
  const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
  const a = 3 * (j0 * W + i0), b = 3 * (j0 * W + i1), c = 3 * (j1 * W + i0), e = 3 * (j1 * W + i1);
  out[o] = w00 * d[a]! + w10 * d[b]! + w01 * d[c]! + w11 * d[e]!;
  out[o + 1] = w00 * d[a + 1]! + w10 * d[b + 1]! + w01 * d[c + 1]! + w11 * d[e + 1]!;
  out[o + 2] = w00 * d[a + 2]! + w10 * d[b + 2]! + w01 * d[c + 2]! + w11 * d[e + 2]!;
  return out;
}
