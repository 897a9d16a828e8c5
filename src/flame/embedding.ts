/**
 * Readers for FLAME's companion files: landmark embeddings (FLAME `flame_static_embedding.pkl`,
 * `flame_dynamic_embedding.npy`, DECA/MICA `landmark_embedding.npy`, `mediapipe_landmark_embedding.npz`)
 * and region masks (`FLAME_masks.pkl`).
 */
import { basename } from 'node:path';
import { FormatError } from '../util/errors.js';
import { isNdArray, toFloat64, toUint32, type NdArray } from '../io/ndarray.js';
import { loadPickle } from '../io/pickle.js';
import { loadNpy, unwrapObject } from '../io/npy.js';
import { loadNpz } from '../io/npz.js';
import type { BarycentricLandmarks, DynamicContour, LandmarkEmbedding } from './model.js';

/** A dict-like value from a pickle or npz as a Map; errors name the file. */
function asMap(value: unknown, file: string): Map<unknown, unknown> {
  if (value instanceof Map) return value;
  throw new FormatError(file, undefined, `expected a dict, found ${describe(value)}`);
}

function describe(value: unknown): string {
  if (isNdArray(value)) return `a ${value.dtype} array of shape (${value.shape.join(', ')})`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null) return 'None';
  return typeof value;
}

function arrayOf(map: Map<unknown, unknown>, key: string, file: string): NdArray {
  const v = map.get(key);
  if (!isNdArray(v)) throw new FormatError(file, `key '${key}'`, `expected an array, found ${v === undefined ? 'no such key' : describe(v)}`);
  return v;
}

/** Stacks a list of arrays (or one array) into [n, ...] numbers. */
function stacked(value: unknown, file: string, key: string): { data: Float64Array; shape: number[] } {
  if (isNdArray(value)) return { data: toFloat64(value, `${file} ${key}`), shape: value.shape };
  if (Array.isArray(value) && value.every(isNdArray)) {
    const parts = value.map((a) => toFloat64(a, `${file} ${key}`));
    const inner = (value[0] as NdArray | undefined)?.shape ?? [];
    const data = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) { data.set(p, o); o += p.length; }
    return { data, shape: [value.length, ...inner] };
  }
  throw new FormatError(file, `key '${key}'`, `expected an array or a list of arrays, found ${describe(value)}`);
}

function barycentric(faceIdx: Float64Array, bary: Float64Array, file: string, what: string): BarycentricLandmarks {
  if (bary.length !== faceIdx.length * 3) throw new FormatError(file, what, `${faceIdx.length} face indices but ${bary.length / 3} barycentric triples`);
  return { faceIdx: Uint32Array.from(faceIdx), bary };
}

/**
 * Reads a landmark embedding file. Recognised by content:
 * - `lmk_face_idx` + `lmk_b_coords` with 51 rows (static; FLAME pkl or mediapipe npz),
 * - `lmk_face_idx` as 79 lists of 17 (FLAME dynamic contour, `flame_dynamic_embedding.npy`),
 * - DECA/MICA `static_lmk_*`, `dynamic_lmk_*`, `full_lmk_*` keys (`landmark_embedding.npy`).
 */
export function loadLandmarkEmbedding(path: string): LandmarkEmbedding {
  const name = basename(path).toLowerCase();
  let value: unknown;
  if (name.endsWith('.npz')) value = loadNpz(path);
  else if (name.endsWith('.npy')) {
    const a = loadNpy(path);
    value = a.dtype === 'object' && a.shape.length === 0 ? unwrapObject(a, path) : a;
  } else value = loadPickle(path);
  const map = asMap(value, path);
  const out: LandmarkEmbedding = {};
  if (map.has('static_lmk_faces_idx')) {
    // DECA / MICA landmark_embedding.npy
    out.static51 = barycentric(toFloat64(arrayOf(map, 'static_lmk_faces_idx', path)), toFloat64(arrayOf(map, 'static_lmk_bary_coords', path)), path, 'static landmarks');
    if (map.has('full_lmk_faces_idx')) {
      out.full68 = barycentric(toFloat64(arrayOf(map, 'full_lmk_faces_idx', path)), toFloat64(arrayOf(map, 'full_lmk_bary_coords', path)), path, 'full landmarks');
    }
    if (map.has('dynamic_lmk_faces_idx')) out.dynamic = dynamicFrom(map.get('dynamic_lmk_faces_idx'), map.get('dynamic_lmk_bary_coords'), path);
    return out;
  }
  if (map.has('lmk_face_idx')) {
    const idx = map.get('lmk_face_idx');
    if (Array.isArray(idx) || (isNdArray(idx) && idx.shape.length === 2 && idx.shape[1] === 17)) {
      out.dynamic = dynamicFrom(idx, map.get('lmk_b_coords'), path);
      return out;
    }
    const face = toFloat64(arrayOf(map, 'lmk_face_idx', path));
    const bary = toFloat64(arrayOf(map, 'lmk_b_coords', path));
    const l = barycentric(face, bary, path, 'landmarks');
    if (face.length === 68) out.full68 = l;
    else out.static51 = l;
    return out;
  }
  throw new FormatError(path, undefined, `not a landmark embedding: expected keys lmk_face_idx/lmk_b_coords or static_lmk_faces_idx/static_lmk_bary_coords, found ${[...map.keys()].join(', ')}`);
}

function dynamicFrom(idxValue: unknown, baryValue: unknown, file: string): DynamicContour {
  const idx = stacked(idxValue, file, 'dynamic face indices');
  const bary = stacked(baryValue, file, 'dynamic barycentric coordinates');
  const bins = idx.shape[0]!;
  if (idx.data.length !== bins * 17) throw new FormatError(file, 'dynamic contour', `expected ${bins}×17 face indices, found shape (${idx.shape.join(', ')})`);
  if (bary.data.length !== bins * 17 * 3) throw new FormatError(file, 'dynamic contour', `expected ${bins}×17×3 barycentric coordinates, found shape (${bary.shape.join(', ')})`);
  return { faceIdx: Uint32Array.from(idx.data), bary: bary.data, bins };
}

/** Reads `FLAME_masks.pkl` (or any dict of index arrays) into regions. */
export function loadRegionMasks(path: string): Record<string, Uint32Array> {
  const map = asMap(loadPickle(path), path);
  const out: Record<string, Uint32Array> = {};
  for (const [k, v] of map) {
    if (typeof k !== 'string') continue;
    if (!isNdArray(v)) throw new FormatError(path, `key '${k}'`, `expected an index array, found ${describe(v)}`);
    out[k] = toUint32(v, `${path} ${k}`);
  }
  return out;
}

/** Merges embeddings: later ones fill what earlier ones lack. */
export function mergeEmbeddings(...items: LandmarkEmbedding[]): LandmarkEmbedding {
  const out: LandmarkEmbedding = {};
  for (const e of items) {
    out.static51 ??= e.static51;
    out.full68 ??= e.full68;
    out.dynamic ??= e.dynamic;
  }
  return out;
}
