/**
 * JPEG artefacts: the image is quantised to 8 bits, encoded as JPEG at a random quality (and with
 * 4:2:0 chroma subsampling with probability `subsample`) through sharp, and decoded back. Labels
 * are untouched.
 */
import sharp from 'sharp';
import { bytesToFloat, createOp, floatToBytes, checkOrdered, checkRange, resolveOptions, type AugmentOp } from './op.js';

export interface JpegOptions {
  /** Lowest quality, 1–100. */
  minQuality?: number;
  /** Highest quality; the quality is a uniform integer in [minQuality, maxQuality]. */
  maxQuality?: number;
  /** Probability of 4:2:0 chroma subsampling (otherwise 4:4:4). */
  subsample?: number;
}

export const JPEG_DEFAULTS: Required<JpegOptions> = { minQuality: 30, maxQuality: 90, subsample: 0.7 };

export function jpeg(options: JpegOptions = {}): AugmentOp {
  const o = resolveOptions('jpeg', JPEG_DEFAULTS, options);
  checkRange('jpeg', 'minQuality', o.minQuality, 1, 100, true);
  checkRange('jpeg', 'maxQuality', o.maxQuality, 1, 100, true);
  checkOrdered('jpeg', 'minQuality', o.minQuality, 'maxQuality', o.maxQuality);
  checkRange('jpeg', 'subsample', o.subsample, 0, 1);
  return createOp('jpeg', async (sample, rng) => {
    const quality = o.minQuality + rng.int(o.maxQuality - o.minQuality + 1);
    const chromaSubsampling = rng.chance(o.subsample) ? '4:2:0' : '4:4:4';
    const { width, height } = sample;
    const bytes = floatToBytes(sample.image);
    const encoded = await sharp(bytes, { raw: { width, height, channels: 3 } }).jpeg({ quality, chromaSubsampling, optimiseCoding: false }).toBuffer();
    const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || info.channels !== 3) {
      throw new Error(`augment jpeg: decoded ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3`);
    }
    const image = bytesToFloat(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return { ...sample, image };
  });
}
