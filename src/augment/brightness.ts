/**
 * Brightness: every sRGB-encoded value times one random factor, clamped to [0, 1]
 * (torchvision's `adjust_brightness`). Labels are untouched.
 */
import { createOp, checkOrdered, checkRange, resolveOptions, type AugmentOp } from './op.js';

export interface BrightnessOptions {
  /** Smallest factor. */
  min?: number;
  /** Largest factor; the factor is uniform in [min, max]. */
  max?: number;
}

export const BRIGHTNESS_DEFAULTS: Required<BrightnessOptions> = { min: 0.7, max: 1.3 };

export function brightness(options: BrightnessOptions = {}): AugmentOp {
  const o = resolveOptions('brightness', BRIGHTNESS_DEFAULTS, options);
  checkRange('brightness', 'min', o.min, 0, 10);
  checkRange('brightness', 'max', o.max, 0, 10);
  checkOrdered('brightness', 'min', o.min, 'max', o.max);
  return createOp('brightness', (sample, rng) => {
    const f = rng.uniform(o.min, o.max);
    const src = sample.image, n = src.length;
    const image = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = src[i]! * f;
      image[i] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
    return { ...sample, image };
  });
}
