/**
 * Background replacement: every pixel outside the foreground mask (mask = 0) gets a new
 * background; pixels inside the mask, and pixels an occluder already covers (occlusion > 0), keep
 * their values. Labels are untouched.
 *
 * Backgrounds are either built-in procedural textures (`textures.ts`) or random crops of images
 * in a folder, searched recursively for .jpg/.jpeg/.png/.webp files — e.g. the Describable Textures
 * Dataset layout `dtd/images/<class>/*.jpg`. A crop has the output's aspect ratio and a side of
 * [minCrop, 1] times the largest such crop, at a random position, mirrored half of the time, and
 * is resized to the output size by sharp.
 *
 * `source`: 'procedural', 'images' (needs a folder), or 'any' (images with probability
 * `imageShare` when a folder is given, procedural otherwise). The folder is listed once, when the
 * op is built, in sorted order (once per process), so a seed picks the same file on every machine holding that folder.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { Rng } from '../util/rng.js';
import { FormatError, messageOf } from '../util/errors.js';
import { createOp, checkChoices, checkRange, OptionError, resolveOptions, type AugmentOp } from './op.js';
import { proceduralTexture, TEXTURE_KINDS, type TextureKind } from './textures.js';

export interface BackgroundOptions {
  /** 'any' | 'procedural' | 'images'. */
  source?: string;
  /** Folder of background images ('' = none). */
  folder?: string;
  /** With source 'any' and a folder: probability of an image rather than a procedural texture. */
  imageShare?: number;
  /** Procedural texture kinds to choose from (uniformly). */
  textures?: string[];
  /** Smallest crop side as a fraction of the largest crop of the output's aspect ratio. */
  minCrop?: number;
}

export const BACKGROUND_DEFAULTS: Required<BackgroundOptions> = { source: 'any', folder: '', imageShare: 0.5, textures: [...TEXTURE_KINDS], minCrop: 0.25 };

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const _listings = new Map<string, string[]>(); // folder → sorted image files
const _sizes = new Map<string, { width: number; height: number }>(); // file → size

/** The image files under a folder (recursively), sorted; cached per folder. Throws OptionError when there are none. */
export function listBackgroundImages(folder: string, op = 'background'): string[] {
  const dir = resolve(folder);
  const cached = _listings.get(dir);
  if (cached) return cached;
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (error) {
    throw new OptionError(op, `background folder '${dir}' cannot be read: ${messageOf(error)}`);
  }
  const files = entries
    .filter((e) => IMAGE_EXTENSIONS.has(extname(e).toLowerCase()))
    .map((e) => join(dir, e))
    .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile() ?? false)
    .sort();
  if (files.length === 0) throw new OptionError(op, `no background images (${[...IMAGE_EXTENSIONS].join(', ')}) under '${dir}'`);
  _listings.set(dir, files);
  return files;
}

/** A random crop of an image file, resized to width×height. Returns Float32Array [H*W*3], sRGB in [0, 1]. */
export async function imageBackground(file: string, width: number, height: number, rng: Rng, minCrop: number): Promise<Float32Array> {
  try {
    let size = _sizes.get(file);
    if (!size) {
      const meta = await sharp(file).metadata();
      if (!meta.width || !meta.height) throw new Error('no image size in the header');
      size = { width: meta.width, height: meta.height };
      _sizes.set(file, size);
    }
    const aspect = width / height;
    let cw = size.width, ch = size.height;
    if (cw / ch > aspect) cw = ch * aspect;
    else ch = cw / aspect;
    const f = rng.uniform(minCrop, 1);
    cw = Math.max(1, Math.min(size.width, Math.round(cw * f)));
    ch = Math.max(1, Math.min(size.height, Math.round(ch * f)));
    const left = rng.int(size.width - cw + 1), top = rng.int(size.height - ch + 1);
    const mirror = rng.chance(0.5);
    const { data, info } = await sharp(file)
      .extract({ left, top, width: cw, height: ch })
      .resize(width, height, { fit: 'fill' })
      .flop(mirror)
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || (info.channels !== 1 && info.channels !== 3)) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3`);
    }
    const out = new Float32Array(3 * width * height), s = 1 / 255, n = width * height;
    if (info.channels === 3) for (let i = 0; i < 3 * n; i++) out[i] = data[i]! * s;
    else for (let p = 0; p < n; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = data[p]! * s;
    return out;
  } catch (error) {
    throw new FormatError(file, undefined, `cannot use as a background image: ${messageOf(error)}`, { cause: error });
  }
}

export function background(options: BackgroundOptions = {}): AugmentOp {
  const o = resolveOptions('background', BACKGROUND_DEFAULTS, options);
  checkChoices('background', 'source', [o.source], ['any', 'procedural', 'images']);
  checkChoices('background', 'textures', o.textures, TEXTURE_KINDS);
  checkRange('background', 'imageShare', o.imageShare, 0, 1);
  checkRange('background', 'minCrop', o.minCrop, 0.01, 1);
  if (o.source === 'images' && o.folder === '') throw new OptionError('background', `source 'images' needs a folder (option 'folder' or the config's 'backgrounds')`);
  const files = o.folder !== '' && o.source !== 'procedural' ? listBackgroundImages(o.folder) : [];
  const kinds = o.textures as TextureKind[];
  return createOp('background', async (sample, rng) => {
    const W = sample.width, H = sample.height, n = W * H;
    const useImage = files.length > 0 && (o.source === 'images' || rng.chance(o.imageShare));
    const bg = useImage
      ? await imageBackground(files[rng.int(files.length)]!, W, H, rng, o.minCrop)
      : proceduralTexture(new Float32Array(3 * n), W, H, rng, kinds[rng.int(kinds.length)]!);
    const image = sample.image.slice(), mask = sample.mask, occ = sample.occlusion;
    for (let p = 0; p < n; p++) {
      if (mask[p] !== 0 || (occ !== undefined && occ[p]! > 0)) continue;
      image[3 * p] = bg[3 * p]!;
      image[3 * p + 1] = bg[3 * p + 1]!;
      image[3 * p + 2] = bg[3 * p + 2]!;
    }
    return { ...sample, image };
  });
}
