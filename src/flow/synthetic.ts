/**
 * Synthetic image pairs with known flow, for tests and `benchFlow`: a band-limited random
 * texture (a seeded sum of plane waves, skin-like smooth noise without a repeating pattern)
 * rendered exactly at pixel centres through any coordinate map, so a warped image is the
 * texture evaluated at warped positions, with no resampling error.
 */
import { Rng } from '../util/rng.js';
import type { FlowImage } from './image.js';

export interface TextureOptions {
  /** Number of plane waves. Default 64. */
  waves?: number;
  /** Shortest and longest wavelength, pixels. Default 5 and 60. */
  minWavelength?: number;
  maxWavelength?: number;
  /** Standard deviation of the values about 0.5. Default 0.15. */
  contrast?: number;
}

export const TEXTURE_DEFAULTS: Required<TextureOptions> = { waves: 64, minWavelength: 5, maxWavelength: 60, contrast: 0.15 };

/** A texture: value = 0.5 + Σ_k amp[k]·sin(kx[k]·x + ky[k]·y + phase[k]), x and y in pixels. */
export interface Texture {
  kx: Float64Array;
  ky: Float64Array;
  phase: Float64Array;
  amp: Float64Array;
}

/** A seeded random texture; wavelengths log-uniform, amplitudes ∝ √wavelength, scaled to `contrast`. */
export function randomTexture(rng: Rng, options: TextureOptions = {}): Texture {
  const o = { ...TEXTURE_DEFAULTS, ...options };
  const n = o.waves;
  const t: Texture = { kx: new Float64Array(n), ky: new Float64Array(n), phase: new Float64Array(n), amp: new Float64Array(n) };
  let power = 0;
  for (let k = 0; k < n; k++) {
    const lambda = Math.exp(rng.uniform(Math.log(o.minWavelength), Math.log(o.maxWavelength)));
    const angle = rng.uniform(0, Math.PI);
    const f = (2 * Math.PI) / lambda;
    t.kx[k] = f * Math.cos(angle);
    t.ky[k] = f * Math.sin(angle);
    t.phase[k] = rng.uniform(0, 2 * Math.PI);
    t.amp[k] = Math.sqrt(lambda);
    power += 0.5 * t.amp[k]! * t.amp[k]!;
  }
  const s = o.contrast / Math.sqrt(power);
  for (let k = 0; k < n; k++) t.amp[k] = t.amp[k]! * s;
  return t;
}

/** The texture's value at a continuous position (pixels). */
export function textureAt(t: Texture, x: number, y: number): number {
  let v = 0.5;
  for (let k = 0; k < t.kx.length; k++) v += t.amp[k]! * Math.sin(t.kx[k]! * x + t.ky[k]! * y + t.phase[k]!);
  return v;
}

/**
 * A W×H grey image whose pixel (i, j) shows `value(x, y)` at its centre (x, y) = (i + ½, j + ½).
 * Returns a FlowImage with one channel (values are not clamped).
 */
export function renderImage(width: number, height: number, value: (x: number, y: number) => number): FlowImage {
  const data = new Float32Array(width * height);
  for (let j = 0; j < height; j++) for (let i = 0; i < width; i++) data[j * width + i] = value(i + 0.5, j + 0.5);
  return { width, height, channels: 1, data };
}

/**
 * The texture itself as a W×H image (pixel centres), fast: each wave is separated by the angle
 * sum sin(a + b) = sin a·cos b + cos a·sin b into per-column and per-row tables. Equal to
 * `renderImage(W, H, (x, y) => textureAt(t, x, y))` up to float rounding.
 */
export function renderTexture(t: Texture, width: number, height: number): FlowImage {
  const n = t.kx.length;
  const acc = new Float64Array(width * height).fill(0.5);
  const sx = new Float64Array(width), cx = new Float64Array(width);
  for (let k = 0; k < n; k++) {
    const kx = t.kx[k]!, ky = t.ky[k]!, ph = t.phase[k]!, amp = t.amp[k]!;
    for (let i = 0; i < width; i++) { const a = kx * (i + 0.5); sx[i] = amp * Math.sin(a); cx[i] = amp * Math.cos(a); }
    for (let j = 0; j < height; j++) {
      const b = ky * (j + 0.5) + ph, cb = Math.cos(b), sb = Math.sin(b), row = j * width;
      for (let i = 0; i < width; i++) acc[row + i] = acc[row + i]! + sx[i]! * cb + cx[i]! * sb;
    }
  }
  return { width, height, channels: 1, data: Float32Array.from(acc) };
}

/**
 * A smooth expression-like displacement field on a W×H image: two Gaussian bumps (a jaw drop
 * and a cheek raise) of up to `amplitude` pixels plus a small head translation. Returns the
 * backward map e (B shows the texture at q + e(q)) and the forward flow at A's points, found by
 * fixed-point iteration of p + f = q, q + e(q) = p.
 */
export function expressionField(width: number, height: number, amplitude: number): {
  backward: (x: number, y: number) => [number, number];
  forward: (x: number, y: number) => [number, number];
} {
  const s = Math.min(width, height);
  const cx1 = 0.5 * width, cy1 = 0.7 * height, r1 = s / 6;
  const cx2 = 0.4 * width, cy2 = 0.55 * height, r2 = s / 5;
  const backward = (x: number, y: number): [number, number] => {
    const g1 = Math.exp(-((x - cx1) ** 2 + (y - cy1) ** 2) / (2 * r1 * r1));
    const g2 = Math.exp(-((x - cx2) ** 2 + (y - cy2) ** 2) / (2 * r2 * r2));
    return [0.2 * amplitude * g2 + 0.02 * s, -amplitude * g1 + 0.6 * amplitude * g2 - 0.01 * s];
  };
  const forward = (x: number, y: number): [number, number] => {
    let qx = x, qy = y;
    for (let k = 0; k < 100; k++) {
      const [ex, ey] = backward(qx, qy);
      const nx = x - ex, ny = y - ey;
      if (Math.abs(nx - qx) + Math.abs(ny - qy) < 1e-9) { qx = nx; qy = ny; break; }
      qx = nx; qy = ny;
    }
    return [qx - x, qy - y];
  };
  return { backward, forward };
}
