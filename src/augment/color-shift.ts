/**
 * Colour shift: a random per-channel gain and offset, `out_c = g_c·x_c + o_c`, clamped to [0, 1]:
 * white-balance and tint changes of the sRGB-encoded image. Labels are untouched.
 */
import { createOp, checkRange, resolveOptions, type AugmentOp } from './op.js';

export interface ColorShiftOptions {
  /** Gains are uniform in [1 − maxGain, 1 + maxGain], one per channel. */
  maxGain?: number;
  /** Offsets are uniform in [−maxOffset, maxOffset], one per channel. */
  maxOffset?: number;
}

export const COLOR_SHIFT_DEFAULTS: Required<ColorShiftOptions> = { maxGain: 0.12, maxOffset: 0.04 };

export function colorShift(options: ColorShiftOptions = {}): AugmentOp {
  const o = resolveOptions('colorShift', COLOR_SHIFT_DEFAULTS, options);
  checkRange('colorShift', 'maxGain', o.maxGain, 0, 1);
  checkRange('colorShift', 'maxOffset', o.maxOffset, 0, 1);
  return createOp('colorShift', (sample, rng) => {
    const g0 = rng.uniform(1 - o.maxGain, 1 + o.maxGain), g1 = rng.uniform(1 - o.maxGain, 1 + o.maxGain), g2 = rng.uniform(1 - o.maxGain, 1 + o.maxGain);
    const o0 = rng.uniform(-o.maxOffset, o.maxOffset), o1 = rng.uniform(-o.maxOffset, o.maxOffset), o2 = rng.uniform(-o.maxOffset, o.maxOffset);
    const src = sample.image, n = sample.width * sample.height;
    const image = new Float32Array(3 * n);
    for (let p = 0; p < n; p++) {
      const r = g0 * src[3 * p]! + o0, g = g1 * src[3 * p + 1]! + o1, b = g2 * src[3 * p + 2]! + o2;
      image[3 * p] = r > 0 ? (r < 1 ? r : 1) : 0;
      image[3 * p + 1] = g > 0 ? (g < 1 ? g : 1) : 0;
      image[3 * p + 2] = b > 0 ? (b < 1 ? b : 1) : 0;
    }
    return { ...sample, image };
  });
}
