/**
 * Images in memory and on disk (PNG and JPEG through sharp; reading also takes whatever else
 * sharp decodes: WebP, TIFF, ...).
 *
 * In memory an image is 8-bit, row-major and interleaved: `data[(y * width + x) * channels + c]`,
 * row 0 at the top. Grey images stay 1 channel; grey+alpha becomes RGBA; 16-bit files are
 * scaled to 8 bits. EXIF orientation is not applied unless asked for (`autoOrient`), so pixel
 * (i, j) is the stored pixel that camera calibrations refer to.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import { FormatError, UsageError, messageOf } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';

export type Channels = 1 | 3 | 4;

export interface Image {
  width: number;
  height: number;
  channels: Channels;
  /** data: Uint8Array [height*width*channels], row-major, interleaved. */
  data: Uint8Array;
}

export interface ReadImageOptions {
  /** Rotate/flip by the EXIF orientation tag. Default false (pixels as stored). */
  autoOrient?: boolean;
}

/** Decodes an image file (path) or encoded bytes (Buffer/Uint8Array). Errors name the file. */
export async function readImage(source: string | Uint8Array, options: ReadImageOptions = {}): Promise<Image> {
  const name = typeof source === 'string' ? source : '<image buffer>';
  const bytes = typeof source === 'string' ? await readFile(source) : source;
  try {
    let pipeline = sharp(bytes);
    if (options.autoOrient) pipeline = pipeline.rotate();
    const meta = await pipeline.metadata();
    if (meta.channels === 1) pipeline = pipeline.toColourspace('b-w');
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const { width, height, channels } = info;
    if (channels === 2) return { width, height, channels: 4, data: greyAlphaToRgba(pixels, width * height) };
    if (channels !== 1 && channels !== 3 && channels !== 4) {
      throw new FormatError(name, undefined, `decoded to ${channels} channels, expected 1, 3 or 4`);
    }
    if (pixels.length !== width * height * channels) {
      throw new FormatError(name, undefined, `decoded ${pixels.length} bytes, expected ${width}×${height}×${channels}`);
    }
    return { width, height, channels, data: pixels };
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(name, undefined, `cannot decode image: ${messageOf(error)}`, { cause: error });
  }
}

function greyAlphaToRgba(src: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const g = src[2 * i]!;
    out[4 * i] = g; out[4 * i + 1] = g; out[4 * i + 2] = g; out[4 * i + 3] = src[2 * i + 1]!;
  }
  return out;
}

export type ImageFormat = 'png' | 'jpeg';

export interface EncodeImageOptions {
  /** Default 'png'. */
  format?: ImageFormat;
  /** JPEG quality 1–100 (default 92). */
  quality?: number;
}

export const ENCODE_IMAGE_DEFAULTS: Required<EncodeImageOptions> = { format: 'png', quality: 92 };

function checkImage(image: Image, what: string): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`${what}: image size ${width}×${height} is not a positive integer size`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError(`${what}: channels is ${channels}, expected 1, 3 or 4`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`${what}: data length ${data.length}, expected ${width}×${height}×${channels} = ${width * height * channels}`);
  }
}

/** Encodes an image as PNG (lossless; grey stays grey) or JPEG (alpha dropped). */
export async function encodeImage(image: Image, options: EncodeImageOptions = {}): Promise<Buffer> {
  const o = { ...ENCODE_IMAGE_DEFAULTS, ...options };
  checkImage(image, 'encodeImage');
  if (!(o.quality >= 1 && o.quality <= 100)) throw new RangeError(`encodeImage: quality ${o.quality}, expected 1..100`);
  const { width, height, channels, data } = image;
  let pipeline = sharp(data, { raw: { width, height, channels } });
  if (channels === 1) pipeline = pipeline.toColourspace('b-w');
  switch (o.format) {
    case 'png': return pipeline.png({ compressionLevel: 6 }).toBuffer();
    case 'jpeg': return pipeline.flatten({ background: '#000000' }).jpeg({ quality: Math.round(o.quality), chromaSubsampling: '4:4:4' }).toBuffer();
    default: throw new UsageError(`encodeImage: unknown format '${String(o.format)}', expected png or jpeg`);
  }
}

/** The format a file name asks for: .png → png, .jpg/.jpeg → jpeg. */
export function imageFormatOf(path: string): ImageFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new UsageError(`${path}: cannot tell the image format from '${ext}', expected .png, .jpg or .jpeg (or pass format)`);
}

/** Encodes and writes an image atomically; the format comes from the extension unless given. */
export async function writeImage(path: string, image: Image, options: EncodeImageOptions = {}): Promise<void> {
  const format = options.format ?? imageFormatOf(path);
  let bytes: Buffer;
  try {
    bytes = await encodeImage(image, { ...options, format });
  } catch (error) {
    if (error instanceof RangeError) throw new RangeError(`${path}: ${error.message}`);
    throw error;
  }
  await writeFileAtomic(path, bytes);
}

/** Pixel values as floats in [0, 1]: Float32Array [height*width*channels], same layout. */
export function imageToFloat(image: Image): Float32Array {
  const { data } = image;
  const out = new Float32Array(data.length);
  const s = 1 / 255;
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * s;
  return out;
}

/**
 * Floats in [0, 1] (Float32Array [height*width*channels]) to an 8-bit image: clamped, rounded
 * to the nearest level; NaN becomes 0.
 */
export function floatToImage(data: ArrayLike<number>, width: number, height: number, channels: Channels): Image {
  const n = width * height * channels;
  if (data.length !== n) throw new RangeError(`floatToImage: data length ${data.length}, expected ${width}×${height}×${channels} = ${n}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = data[i]!;
    out[i] = x > 0 ? (x < 1 ? Math.round(x * 255) : 255) : 0; // NaN fails both tests → 0
  }
  const image: Image = { width, height, channels, data: out };
  checkImage(image, 'floatToImage');
  return image;
}
