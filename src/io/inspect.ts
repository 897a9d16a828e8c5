/**
 * `workbench inspect`: a JSON summary of any file the workbench reads — pickle, npy, npz, obj, ply,
 * pp, glb. Dicts become objects, lists and tuples arrays, strings and numbers themselves, bytes
 * latin-1 strings; arrays are summarised as {"type":"ndarray","dtype","shape","sum"}, sparse
 * matrices as {"type":"sparse","format","shape","nnz","sum"}, meshes as {"type":"mesh",...}.
 * A 0-d object array is shown as the object it holds.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { NodeIO } from '@gltf-transform/core';
import { UsageError, FormatError } from '../util/errors.js';
import { isNdArray, isSparse, sparseNnz, type NdArray, type SparseMatrix } from './ndarray.js';
import { readPickle } from './pickle.js';
import { readNpy, unwrapObject } from './npy.js';
import { readNpz } from './npz.js';
import { parseObj } from './obj.js';
import { parsePly } from './ply.js';
import { parsePickedPoints } from './pp.js';
import type { Mesh } from './mesh.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function arraySum(a: NdArray): number | null {
  if (a.dtype === 'str' || a.dtype === 'bytes' || a.dtype === 'object') return null;
  const d = a.data as ArrayLike<number | bigint>;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += Number(d[i]);
  return s;
}

/** numpy's dtype name for an NdArray (float64, int64, uint32, bool, complex128, <U5, |S3, object). */
function dtypeName(a: NdArray): string {
  if (a.dtype === 'str') return `<U${a.itemChars ?? 0}`;
  if (a.dtype === 'bytes') return `|S${a.itemChars ?? 0}`;
  return a.dtype;
}

function summarizeSparse(m: SparseMatrix): Json {
  return { type: 'sparse', format: m.format, shape: [...m.shape], nnz: sparseNnz(m), sum: arraySum(m.data) };
}

/** The JSON summary of a value read from a pickle, npy or npz. */
export function summarizeValue(value: unknown, depth = 0): Json {
  if (depth > 64) return '<nested too deeply>';
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return latin1(value);
  if (isNdArray(value)) {
    if (value.dtype === 'object' && value.shape.length === 0) return summarizeValue(value.data[0], depth + 1);
    return { type: 'ndarray', dtype: dtypeName(value), shape: [...value.shape], sum: arraySum(value) };
  }
  if (isSparse(value)) return summarizeSparse(value);
  if (Array.isArray(value)) return value.map((v) => summarizeValue(v, depth + 1));
  if (value instanceof Set) return [...value].map((v) => summarizeValue(v, depth + 1));
  if (value instanceof Map) {
    const out: Record<string, Json> = {};
    for (const [k, v] of value) out[typeof k === 'string' ? k : JSON.stringify(summarizeValue(k, depth + 1))] = summarizeValue(v, depth + 1);
    return out;
  }
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = summarizeValue(v, depth + 1);
    return out;
  }
  return String(value);
}

export function summarizeMesh(mesh: Mesh): Json {
  return {
    type: 'mesh',
    vertices: mesh.positions.length / 3,
    faces: mesh.faces.length / 3,
    uvs: mesh.uvs ? mesh.uvs.length / 2 : 0,
    normals: mesh.normals ? mesh.normals.length / 3 : 0,
    colors: Boolean(mesh.colors),
  };
}

async function summarizeGlb(bytes: Uint8Array): Promise<Json> {
  const doc = await new NodeIO().readBinary(bytes);
  const root = doc.getRoot();
  return {
    type: 'gltf',
    meshes: root.listMeshes().map((m) => {
      let vertices = 0, faces = 0, targets = 0;
      for (const p of m.listPrimitives()) {
        vertices += p.getAttribute('POSITION')?.getCount() ?? 0;
        faces += (p.getIndices()?.getCount() ?? p.getAttribute('POSITION')?.getCount() ?? 0) / 3;
        targets = Math.max(targets, p.listTargets().length);
      }
      return { name: m.getName(), vertices, faces, morphTargets: targets };
    }),
    animations: root.listAnimations().map((a) => ({
      name: a.getName(),
      channels: a.listChannels().length,
      frames: Math.max(0, ...a.listSamplers().map((s) => s.getInput()?.getCount() ?? 0)),
    })),
  };
}

/** Summarises the file at `path` by its extension. */
export async function inspectFile(path: string): Promise<Json> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`inspect: cannot read ${path}: ${(error as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.pkl': case '.pickle': case '.p':
      return summarizeValue(readPickle(bytes, { file: path }));
    case '.npy': {
      const a = readNpy(bytes, path);
      return summarizeValue(a.dtype === 'object' && a.shape.length === 0 ? unwrapObject(a, path) : a);
    }
    case '.npz': {
      const out: Record<string, Json> = {};
      for (const [k, v] of readNpz(bytes, path)) out[k] = v instanceof Uint8Array ? { type: 'bytes', length: v.length } : summarizeValue(v);
      return out;
    }
    case '.obj': return summarizeMesh(parseObj(Buffer.from(bytes).toString('utf8'), path));
    case '.ply': return summarizeMesh(parsePly(bytes, path));
    case '.pp': {
      const pts = parsePickedPoints(Buffer.from(bytes).toString('utf8'), path);
      return { type: 'points', count: pts.length, points: pts.map((p) => ({ name: p.name, position: p.position, active: p.active })) };
    }
    case '.glb': case '.gltf':
      try {
        return await summarizeGlb(bytes);
      } catch (error) {
        throw new FormatError(path, undefined, `not a readable glTF binary: ${(error as Error).message}`);
      }
    default:
      throw new UsageError(`inspect: unknown file type '${ext || '(none)'}' for ${path} (expected .pkl, .npy, .npz, .obj, .ply, .pp or .glb)`);
  }
}

/** Human-readable rendering of a summary: one line per leaf, indented by depth. */
export function formatSummary(j: Json, indent = ''): string {
  if (j === null || typeof j !== 'object') return `${indent}${JSON.stringify(j)}`;
  if (Array.isArray(j)) {
    if (j.every((x) => x === null || typeof x !== 'object') && j.length <= 16) return `${indent}[${j.map((x) => JSON.stringify(x)).join(', ')}]`;
    return j.map((x, k) => (x !== null && typeof x === 'object' ? `${indent}[${k}]\n${formatSummary(x, indent + '  ')}` : `${indent}[${k}] ${JSON.stringify(x)}`)).join('\n');
  }
  if (j.type === 'ndarray') return `${indent}ndarray ${j.dtype} (${(j.shape as number[]).join(', ')}) sum=${j.sum}`;
  if (j.type === 'sparse') return `${indent}sparse ${j.format} (${(j.shape as number[]).join(', ')}) nnz=${j.nnz} sum=${j.sum}`;
  if (j.type === 'mesh') return `${indent}mesh: ${j.vertices} vertices, ${j.faces} faces, ${j.uvs} uvs, ${j.normals} normals${j.colors ? ', vertex colours' : ''}`;
  return Object.entries(j).map(([k, v]) => {
    if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) && !['ndarray', 'sparse', 'mesh'].includes((v as Record<string, Json>).type as string)) {
      return `${indent}${k}:\n${formatSummary(v, indent + '  ')}`;
    }
    return `${indent}${k}: ${formatSummary(v, '').trimStart()}`;
  }).join('\n');
}
