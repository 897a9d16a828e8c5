/**
 * Saturation: each pixel blended with its own grey, `out = g + f·(x − g)` with g its Rec. 601 luma,
 * clamped to [0, 1] (torchvision's `adjust_saturation`; f = 0 is grayscale). Labels are untouched.
 */
import { createOp, checkOrdered, checkRange, resolveOptions, LUMA_B, LUMA_G, LUMA_R, type AugmentOp } from './op.js';

export interface SaturationOptions {
  /** Smallest factor (0 = grey). */
  min?: number;
  /** Largest factor; the factor is uniform in [min, max]. */
  max?: number;
}

export const SATURATION_DEFAULTS: Required<SaturationOptions> = { min: 0.6, max: 1.4 };

export function saturation(options: SaturationOptions = {}): AugmentOp {
  const o = resolveOptions('saturation', SATURATION_DEFAULTS, options);
  checkRange('saturation', 'min', o.min, 0, 10);
  checkRange('saturation', 'max', o.max, 0, 10);
  checkOrdered('saturation', 'min', o.min, 'max', o.max);
  return createOp('saturation', (sample, rng) => {
    const f = rng.uniform(o.min, o.max);
    const src = sample.image, n = sample.width * sample.height;
    const image = new Float32Array(3 * n);
    for (let p = 0; p < n; p++) {
      const r = src[3 * p]!, g = src[3 * p + 1]!, b = src[3 * p + 2]!;
      const y = LUMA_R * r + LUMA_G * g + LUMA_B * b;
      const vr = y + f * (r - y), vg = y + f * (g - y), vb = y + f * (b - y);
      image[3 * p] = vr > 0 ? (vr < 1 ? vr : 1) : 0;
      image[3 * p + 1] = vg > 0 ? (vg < 1 ? vg : 1) : 0;
      image[3 * p + 2] = vb > 0 ? (vb < 1 ? vb : 1) : 0;
    }
    return { ...sample, image };
  });
}
