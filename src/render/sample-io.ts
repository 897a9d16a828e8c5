/**
 * A Sample on disk: `images/<id>.png|jpg` and `labels/<id>.npz` with the arrays under the names of
 * io/sample.ts. Exactness is kept where it matters: vertices, mu, K, Rt and vertex_uv are float64
 * (so numpy reprojects `vertices` with `K`, `Rt` to `mu` to the last bits), flows and weights
 * float32, masks and visibility bool. Optional maps are written when asked for; `occlusion` always
 * when the sample has one (it says what augmentation hid).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { encodeImage, type Image, type ImageFormat } from '../io/image.js';
import { ndarray, type NdArray } from '../io/ndarray.js';
import { crc32, deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { writeNpy } from '../io/npy.js';
import type { Sample } from '../io/sample.js';
import type { MapName } from './render-view.js';

export interface SampleWriteOptions {
  /** Image format. Default 'png'. */
  format?: ImageFormat;
  /** JPEG quality. Default 95. */
  quality?: number;
  /** Per-pixel maps to store (depth, mask, normal, uv, triangle). */
  maps?: readonly MapName[];
  /**
   * Deflate the npz members: 'maps' (default) deflates the image-sized arrays (occlusion, depth,
   * mask, normal, uv, triangle: mostly background, they shrink many times) and stores the rest
   * (float64 coordinates barely shrink and cost ~30 ms a sample to deflate); 'all' or 'none'.
   */
  compress?: 'maps' | 'all' | 'none';
}

/** The labels of a sample as named arrays, in a fixed order (the npz member order). */
export function sampleArrays(sample: Sample, maps: readonly MapName[] = []): Map<string, NdArray> {
  const V = sample.vertices.length / 3, D = sample.uvSize, H = sample.height, W = sample.width;
  const out = new Map<string, NdArray>();
  out.set('vertices', ndarray('float64', [V, 3], sample.vertices));
  out.set('mu', ndarray('float64', [V, 2], sample.mu));
  out.set('visible', ndarray('bool', [V], sample.visible));
  out.set('K', ndarray('float64', [3, 3], sample.K));
  out.set('Rt', ndarray('float64', [3, 4], sample.Rt));
  out.set('uv_flow', ndarray('float32', [D, D, 2], sample.uvFlow));
  out.set('uv_flow_valid', ndarray('bool', [D, D], sample.uvFlowValid));
  out.set('uv_weight', ndarray('float32', [D, D], sample.uvWeight));
  out.set('vertex_uv', ndarray('float64', [V, 2], sample.vertexUv));
  out.set('vertex_weight', ndarray('float32', [V], sample.vertexWeight));
  if (sample.occlusion) out.set('occlusion', ndarray('float32', [H, W], sample.occlusion));
  const want = new Set(maps);
  const missing = (name: string): never => { throw new RangeError(`sampleArrays: map '${name}' was requested but the sample has none`); };
  if (want.has('depth')) out.set('depth', ndarray('float32', [H, W], sample.depth ?? missing('depth')));
  if (want.has('mask')) out.set('mask', ndarray('bool', [H, W], sample.mask));
  if (want.has('normal')) out.set('normal', ndarray('float32', [H, W, 3], sample.normal ?? missing('normal')));
  if (want.has('uv')) out.set('uv', ndarray('float32', [H, W, 2], sample.uv ?? missing('uv')));
  if (want.has('triangle')) out.set('triangle', ndarray('int32', [H, W], sample.triangle ?? missing('triangle')));
  return out;
}

/**
 * The sample's image as 8 bits: round(255·x) clamped to [0, 255], NaN → 0 — the same bytes as
 * io/image.ts `floatToImage`, about 3× faster (measured 3.5–4.3 vs 12–16 ms at 512×512×3 random values).
 */
export function sampleImage8(sample: Sample): Image {
  const src = sample.image, n = src.length;
  if (n !== sample.width * sample.height * 3) throw new RangeError(`sampleImage8: image has ${n} values, expected ${sample.width}×${sample.height}×3`);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = src[i]!;
    // (x·255 + 0.5) | 0 = Math.round(x·255) for float32 x in (0, 1): x·255 is exact in float64 (24 + 8
    // bits) and so is the sum whenever x·255 >= 2^-14; below that both give 0
    data[i] = x > 0 ? (x < 1 ? (x * 255 + 0.5) | 0 : 255) : 0;
  }
  return { width: sample.width, height: sample.height, channels: 3, data };
}

/**
 * An npz of `arrays` (a zip of `{name}.npy` members, as numpy's savez / savez_compressed write them,
 * member by member), deterministic: fixed order, every timestamp 1980-01-01 00:00. Members with at
 * least `mapSize` elements are deflated under 'maps'.
 *
 * The zip is written here rather than with fflate (io/npz.ts) because deflating the image-sized maps
 * in JavaScript took ~13 ms per 512×512 float32 map, node's zlib 3.8 ms (and its crc32 ~1 ms/MB).
 * Plain zip, no zip64: a member must stay below 4 GiB.
 */
export function labelsNpz(arrays: Map<string, NdArray>, mapSize: number, compress: 'maps' | 'all' | 'none'): Uint8Array {
  const members: Array<{ name: Buffer; data: Uint8Array; crc: number; size: number; method: number }> = [];
  for (const [name, a] of arrays) {
    const raw = writeNpy(a);
    const deflate = compress === 'all' || (compress === 'maps' && a.data.length >= mapSize);
    const data = deflate ? deflateRawSync(raw, { level: 6 }) : raw;
    if (raw.length >= 0xffffffff) throw new RangeError(`labelsNpz: member '${name}' has ${raw.length} bytes, more than a zip without zip64 holds`);
    members.push({ name: Buffer.from(`${name}.npy`, 'utf8'), data, crc: crc32(raw), size: raw.length, method: deflate ? 8 : 0 });
  }
  const DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1; // DOS date: years since 1980, month, day
  let local = 0, central = 0;
  for (const m of members) { local += 30 + m.name.length + m.data.length; central += 46 + m.name.length; }
  const out = Buffer.alloc(local + central + 22);
  let o = 0;
  const offsets: number[] = [];
  for (const m of members) {
    offsets.push(o);
    out.writeUInt32LE(0x04034b50, o); out.writeUInt16LE(20, o + 4); out.writeUInt16LE(0, o + 6); out.writeUInt16LE(m.method, o + 8);
    out.writeUInt16LE(0, o + 10); out.writeUInt16LE(DATE_1980_01_01, o + 12); out.writeUInt32LE(m.crc, o + 14);
    out.writeUInt32LE(m.data.length, o + 18); out.writeUInt32LE(m.size, o + 22); out.writeUInt16LE(m.name.length, o + 26); out.writeUInt16LE(0, o + 28);
    m.name.copy(out, o + 30);
    out.set(m.data, o + 30 + m.name.length);
    o += 30 + m.name.length + m.data.length;
  }
  const cd = o;
  members.forEach((m, k) => {
    out.writeUInt32LE(0x02014b50, o); out.writeUInt16LE(20, o + 4); out.writeUInt16LE(20, o + 6); out.writeUInt16LE(0, o + 8); out.writeUInt16LE(m.method, o + 10);
    out.writeUInt16LE(0, o + 12); out.writeUInt16LE(DATE_1980_01_01, o + 14); out.writeUInt32LE(m.crc, o + 16);
    out.writeUInt32LE(m.data.length, o + 20); out.writeUInt32LE(m.size, o + 24); out.writeUInt16LE(m.name.length, o + 28);
    // extra, comment, disk, internal and external attributes: 0
    out.writeUInt32LE(offsets[k]!, o + 42);
    m.name.copy(out, o + 46);
    o += 46 + m.name.length;
  });
  out.writeUInt32LE(0x06054b50, o); out.writeUInt16LE(members.length, o + 8); out.writeUInt16LE(members.length, o + 10);
  out.writeUInt32LE(o - cd, o + 12); out.writeUInt32LE(cd, o + 16);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Encoded image bytes of a sample (8-bit sRGB). PNG at zlib level 3 rather than io/image.ts's 6:
 * measured on 512×512 augmented samples 10.8 vs 14.9 ms for 2% more bytes (level 1: 8.0 ms, +29%).
 */
export async function encodeSampleImage(sample: Sample, format: ImageFormat = 'png', quality = 95): Promise<Buffer> {
  const image = sampleImage8(sample);
  if (format === 'png') return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png({ compressionLevel: 3 }).toBuffer();
  return encodeImage(image, { format, quality });
}

/** Writes `images/<id>.<ext>` and `labels/<id>.npz` under `outDir` atomically; returns both paths relative to it. */
export async function writeSampleFiles(outDir: string, id: string, sample: Sample, options: SampleWriteOptions = {}): Promise<{ image: string; labels: string }> {
  const format = options.format ?? 'png';
  const image = `images/${id}.${format === 'png' ? 'png' : 'jpg'}`;
  const labels = `labels/${id}.npz`;
  const arrays = sampleArrays(sample, options.maps ?? []);
  const encoding = encodeSampleImage(sample, format, options.quality ?? 95); // sharp works on its own threads
  const npz = labelsNpz(arrays, sample.width * sample.height, options.compress ?? 'maps'); // meanwhile, here
  const bytes = await encoding;
  await Promise.all([writeFileAtomic(join(outDir, image), bytes), writeFileAtomic(join(outDir, labels), npz)]);
  return { image, labels };
}
