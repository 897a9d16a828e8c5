/**
 * Manual landmarks of a scan, in the scan's units, matched to the model's landmark embedding:
 * MeshLab `.pp` (by name — the embedding's names or iBUG indices "0".."67"; names the embedding
 * lacks are left out — or in order),
 * `.json` ([[x,y,z], …], {name: [x,y,z]} or [{name, x, y, z}, …]) or `.npy` [L,3]
 * (NaN rows missing). Inactive or missing points are absent, never guessed.
 */
import { readFileSync, existsSync } from 'node:fs';
import { extname } from 'node:path';
import { FormatError, UsageError } from '../util/errors.js';
import { parsePickedPoints } from '../io/pp.js';
import { readNpy } from '../io/npy.js';
import { toFloat64 } from '../io/ndarray.js';
import type { FlameModel, BarycentricLandmarks } from '../flame/model.js';
import { IBUG68_NAMES } from '../flame/landmarks.js';

export interface ScanLandmarks {
  /** points [L*3] in scan units (NaN where absent); present [L]; L = the embedding's count. */
  points: Float64Array;
  present: Uint8Array;
  file: string;
}

/**
 * Reads landmarks for an embedding with `names` (its order). Order-based files must have exactly
 * `names.length` entries.
 */
export function readScanLandmarks(path: string, names: readonly string[]): ScanLandmarks {
  if (!existsSync(path)) throw new UsageError(`landmarks '${path}' not found`);
  const L = names.length;
  const points = new Float64Array(3 * L).fill(NaN), present = new Uint8Array(L);
  const put = (k: number, p: ArrayLike<number>, where: string) => {
    if (!(k >= 0 && k < L)) throw new FormatError(path, where, `landmark index ${k} is outside the embedding's ${L} landmarks`);
    if (![0, 1, 2].every((a) => Number.isFinite(p[a]!))) return;
    points[3 * k] = p[0]!; points[3 * k + 1] = p[1]!; points[3 * k + 2] = p[2]!;
    present[k] = 1;
  };
  const index = new Map(names.map((n, k) => [n, k]));
  const byName = (name: string): number => {
    if (index.has(name)) return index.get(name)!;
    if (!/^\d+$/.test(name)) return -1;
    // iBUG index: 0–67; the 51-point embedding starts at 17 (no jaw contour)
    const n = Number(name), k = L === 51 ? n - 17 : n;
    return k >= 0 && k < L ? k : -1;
  };
  const ext = extname(path).toLowerCase();
  if (ext === '.pp') {
    const pts = parsePickedPoints(readFileSync(path, 'utf8'), path);
    // by name when most names are the embedding's (a 68-point file read against the 51-point
    // embedding leaves out the 17 contour points); else in order, which needs the exact count
    const matching = pts.filter((p) => byName(p.name) >= 0).length;
    const named = matching > 0 && matching >= Math.min(L, Math.max(4, Math.ceil(0.5 * pts.length)));
    if (!named && pts.length !== L) {
      throw new FormatError(path, undefined, `${pts.length} points whose names do not match the embedding's ${L} (e.g. '${pts.find((p) => byName(p.name) < 0)?.name}'; expected names like '${names[0]}'), and not ${L} points in order`);
    }
    pts.forEach((p, k) => {
      if (!p.active) return;
      if (!named) { put(k, p.position, `point ${k} '${p.name}'`); return; }
      const idx = byName(p.name);
      if (idx >= 0) put(idx, p.position, `point ${k} '${p.name}'`);
    });
  } else if (ext === '.json') {
    let data: unknown;
    try { data = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new FormatError(path, undefined, `not valid JSON: ${(e as Error).message}`); }
    if (Array.isArray(data)) {
      if (data.length && Array.isArray(data[0])) {
        if (data.length !== L) throw new FormatError(path, undefined, `${data.length} landmarks, the embedding has ${L}`);
        data.forEach((p, k) => put(k, p as number[], `entry ${k}`));
      } else data.forEach((p, k) => {
        const o = p as { name?: string; x?: number; y?: number; z?: number };
        const idx = o.name !== undefined ? byName(o.name) : k;
        if (idx < 0) throw new FormatError(path, `entry ${k}`, `unknown landmark name '${o.name}'`);
        put(idx, [o.x ?? NaN, o.y ?? NaN, o.z ?? NaN], `entry ${k}`);
      });
    } else if (data && typeof data === 'object') {
      for (const [name, p] of Object.entries(data as Record<string, number[]>)) {
        const idx = byName(name);
        if (idx < 0) throw new FormatError(path, `key '${name}'`, 'unknown landmark name');
        put(idx, p, `key '${name}'`);
      }
    } else throw new FormatError(path, undefined, 'expected an array or object of landmarks');
  } else if (ext === '.npy') {
    const a = readNpy(readFileSync(path), path);
    if (a.shape.length !== 2 || a.shape[1] !== 3 || a.shape[0] !== L) throw new FormatError(path, undefined, `shape (${a.shape.join(', ')}), expected (${L}, 3)`);
    const f = toFloat64(a, path);
    for (let k = 0; k < L; k++) put(k, f.subarray(3 * k, 3 * k + 3), `row ${k}`);
  } else throw new UsageError(`landmarks '${path}': unknown format '${ext}' (expected .pp, .json or .npy)`);
  return { points, present, file: path };
}

/** A landmark embedding of the model and the names of its landmarks (their order). */
export interface NamedEmbedding {
  kind: 'full68' | 'static51';
  embedding: BarycentricLandmarks;
  names: readonly string[];
}

/** The model's embeddings a landmark file may use: the 68-point one first, then the 51-point one. */
export function modelEmbeddings(model: FlameModel): NamedEmbedding[] {
  const out: NamedEmbedding[] = [];
  const l = model.landmarks;
  if (l.full68) out.push({ kind: 'full68', embedding: l.full68, names: l.full68.names ?? IBUG68_NAMES });
  if (l.static51) out.push({ kind: 'static51', embedding: l.static51, names: l.static51.names ?? IBUG68_NAMES.slice(17) });
  return out;
}

/**
 * Reads a scan's landmark file against the model's embeddings: the first embedding that the
 * file's names or count match. Throws (naming the file) when none does or too few are present.
 */
export function readLandmarksForModel(path: string, model: FlameModel, minimum = 6): { landmarks: ScanLandmarks; embedding: NamedEmbedding } {
  const options = modelEmbeddings(model);
  if (!options.length) throw new UsageError(`model '${model.source}' has no landmark embedding (give --embedding)`);
  let firstError: unknown;
  for (const e of options) {
    try {
      const landmarks = readScanLandmarks(path, e.names);
      let n = 0;
      for (const p of landmarks.present) n += p;
      if (n < minimum) throw new FormatError(path, undefined, `only ${n} of ${e.names.length} landmarks are placed; at least ${minimum} are needed`);
      return { landmarks, embedding: e };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

/** The present landmarks as registration targets (embedding rows and scan points). */
export function landmarkTargets(landmarks: ScanLandmarks, embedding: BarycentricLandmarks): { faceIdx: Uint32Array; bary: Float64Array; points: Float64Array; index: Uint32Array } {
  const index: number[] = [];
  landmarks.present.forEach((p, k) => { if (p) index.push(k); });
  const faceIdx = new Uint32Array(index.length), bary = new Float64Array(3 * index.length), points = new Float64Array(3 * index.length);
  index.forEach((k, j) => {
    faceIdx[j] = embedding.faceIdx[k]!;
    for (let a = 0; a < 3; a++) { bary[3 * j + a] = embedding.bary[3 * k + a]!; points[3 * j + a] = landmarks.points[3 * k + a]!; }
  });
  return { faceIdx, bary, points, index: Uint32Array.from(index) };
}
