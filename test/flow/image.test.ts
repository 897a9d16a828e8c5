import { describe, expect, it } from 'vitest';
import { toFlowImage } from '../../src/flow/index.js';

describe('toFlowImage: 8-bit images (as readImage returns them) to floats in [0, 1]', () => {
  it('grey stays one channel, values / 255', () => {
    // 2×1: pixel (0, 0) = 0, pixel (1, 0) = 255
    const f = toFlowImage({ width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 255]) });
    expect(f.channels).toBe(1);
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f.data)).toEqual([0, 1]);
  });

  it('RGB stays RGB and RGBA drops its alpha, channel order kept', () => {
    const rgb = toFlowImage({ width: 1, height: 2, channels: 3, data: Uint8Array.from([
      51, 102, 153, // pixel (0, 0)
      255, 0, 0, //    pixel (0, 1)
    ]) });
    expect(rgb).toMatchObject({ width: 1, height: 2, channels: 3 });
    expect(Array.from(rgb.data)).toEqual([0.2, 0.4, 0.6, 1, 0, 0].map((v) => Math.fround(v)));
    const rgba = toFlowImage({ width: 2, height: 1, channels: 4, data: Uint8Array.from([
      51, 102, 153, 7, //  pixel (0, 0), alpha ignored
      0, 255, 0, 255, //   pixel (1, 0)
    ]) });
    expect(rgba.channels).toBe(3);
    expect(Array.from(rgba.data)).toEqual([0.2, 0.4, 0.6, 0, 1, 0].map((v) => Math.fround(v)));
  });

  it('rejects a wrong channel count or data length with the numbers', () => {
    expect(() => toFlowImage({ width: 2, height: 2, channels: 2, data: new Uint8Array(8) })).toThrow(/toFlowImage: 2 channels, expected 1, 3 or 4/);
    expect(() => toFlowImage({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).toThrow(/data length 11, expected 2×2×3 = 12/);
    expect(() => toFlowImage({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) })).toThrow(/size 0×2/);
  });
});
