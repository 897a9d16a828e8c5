/**
 * Contrast: values pulled towards or pushed away from the image's mean luma by one random factor,
 * `out = m + f·(x − m)`, clamped to [0, 1] (torchvision's `adjust_contrast`, Rec. 601 luma on the
 * sRGB-encoded values). Labels are untouched.
 */
import { createOp, checkOrdered, checkRange, resolveOptions, LUMA_B, LUMA_G, LUMA_R, type AugmentOp } from './op.js';

export interface ContrastOptions {
  /** Smallest factor (0 gives a flat grey image). */
  min?: number;
  /** Largest factor; the factor is uniform in [min, max]. */
  max?: number;
}

export const CONTRAST_DEFAULTS: Required<ContrastOptions> = { min: 0.7, max: 1.3 };

export function contrast(options: ContrastOptions = {}): AugmentOp {
  const o = resolveOptions('contrast', CONTRAST_DEFAULTS, options);
  checkRange('contrast', 'min', o.min, 0, 10);
  checkRange('contrast', 'max', o.max, 0, 10);
  checkOrdered('contrast', 'min', o.min, 'max', o.max);
  return createOp('contrast', (sample, rng) => {
    const f = rng.uniform(o.min, o.max);
    const src = sample.image, n = sample.width * sample.height;
    let sum = 0;
    for (let p = 0; p < n; p++) sum += LUMA_R * src[3 * p]! + LUMA_G * src[3 * p + 1]! + LUMA_B * src[3 * p + 2]!;
    const mean = sum / n;
    const image = new Float32Array(3 * n);
    for (let i = 0; i < 3 * n; i++) {
      const v = mean + f * (src[i]! - mean);
      image[i] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
    return { ...sample, image };
  });
}
