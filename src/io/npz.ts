/**
 * numpy `.npz` archives: a zip of `{name}.npy` members (`np.savez` stores them,
 * `np.savez_compressed` deflates them; numpy writes zip64 records, which fflate reads).
 *
 * Writing is deterministic: members in the given order, every timestamp 1980-01-01 00:00, so the
 * same entries give the same bytes.
 */
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { writeFileAtomic } from '../util/atomic.js';
import { FormatError, UsageError } from '../util/errors.js';
import type { NdArray } from './ndarray.js';
import { readNpy, writeNpy } from './npy.js';

export interface NpzOptions {
  /** Deflate the members (`np.savez_compressed`); default false (`np.savez`). */
  compress?: boolean;
}

/** Deflate cannot expand data by more than about 1032:1; a member claiming more is refused. */
const MAX_DEFLATE_RATIO = 1100;

/**
 * Reads an npz archive held in memory: `{name}.npy` members become NdArrays under `name`;
 * any other member is returned as its raw bytes (Uint8Array) under its full name.
 */
export function readNpz(bytes: Uint8Array, file = 'arrays.npz'): Map<string, NdArray | unknown> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        const limit = f.compression === 0 ? f.size : f.size * MAX_DEFLATE_RATIO + 1024;
        if (f.originalSize > limit) {
          throw new FormatError(file, undefined, `zip member '${f.name}' claims ${f.originalSize} bytes from ${f.size} compressed bytes (more than deflate can produce)`);
        }
        return !f.name.endsWith('/');
      },
    });
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(file, undefined, `not a readable npz (zip) archive: ${(error as Error).message}`, { cause: error });
  }
  const out = new Map<string, NdArray | unknown>();
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('.npy')) out.set(name.slice(0, -4), readNpy(data, `${file}/${name}`));
    else out.set(name, data);
  }
  return out;
}

/** An npz archive of `entries` (member `{name}.npy` each), stored or deflated. */
export function writeNpz(entries: Record<string, NdArray> | Map<string, NdArray>, options: NpzOptions = {}): Uint8Array {
  const level = options.compress ? 6 : 0;
  const mtime = new Date(1980, 0, 1, 0, 0, 0); // local time: fflate writes local DOS time fields
  const zippable: Zippable = {};
  const list = entries instanceof Map ? [...entries.entries()] : Object.entries(entries);
  for (const [name, a] of list) {
    zippable[`${name}.npy`] = [writeNpy(a), { level, mtime }];
  }
  return zipSync(zippable, { level, mtime });
}

/** Reads the npz file at `path`; errors name the path. */
export function loadNpz(path: string): Map<string, NdArray | unknown> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read npz ${path}: ${(error as Error).message}`, { cause: error });
  }
  return readNpz(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** Writes `writeNpz(entries, options)` to `path` atomically. */
export async function saveNpz(path: string, entries: Record<string, NdArray> | Map<string, NdArray>, options: NpzOptions = {}): Promise<void> {
  await writeFileAtomic(path, writeNpz(entries, options));
}
