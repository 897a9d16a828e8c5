/**
 * Grayscale: every channel set to the pixel's Rec. 601 luma of the sRGB-encoded values (PIL's 'L'
 * mode), optionally only partly (`amount` < 1 blends with the colour image). Draws nothing from the
 * rng. Labels are untouched.
 */
import { createOp, checkRange, resolveOptions, LUMA_B, LUMA_G, LUMA_R, type AugmentOp } from './op.js';

export interface GrayscaleOptions {
  /** Blend weight of the grey image, in [0, 1]; 1 = fully grey. */
  amount?: number;
}

export const GRAYSCALE_DEFAULTS: Required<GrayscaleOptions> = { amount: 1 };

export function grayscale(options: GrayscaleOptions = {}): AugmentOp {
  const o = resolveOptions('grayscale', GRAYSCALE_DEFAULTS, options);
  checkRange('grayscale', 'amount', o.amount, 0, 1);
  const a = o.amount, keep = 1 - a;
  return createOp('grayscale', (sample) => {
    const src = sample.image, n = sample.width * sample.height;
    const image = new Float32Array(3 * n);
    for (let p = 0; p < n; p++) {
      const r = src[3 * p]!, g = src[3 * p + 1]!, b = src[3 * p + 2]!;
      const y = a * (LUMA_R * r + LUMA_G * g + LUMA_B * b);
      image[3 * p] = y + keep * r;
      image[3 * p + 1] = y + keep * g;
      image[3 * p + 2] = y + keep * b;
    }
    return { ...sample, image };
  });
}
