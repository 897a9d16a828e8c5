/**
 * numpy `.npy` files, read and written as numpy does (format versions 1.0, 2.0 and 3.0).
 *
 * Layout: `\x93NUMPY`, major, minor, header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0),
 * the header (a Python dict literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`
 * padded with spaces and ending in '\n' so that the data starts at a multiple of 64 bytes), then
 * the elements. Object arrays ('|O') hold a pickle of the whole array instead of raw elements;
 * they are read through the safe pickle reader.
 *
 * Reading copies the element bytes once into a fresh buffer and views it as the typed array
 * (per-byte work only for big-endian data, float16 and Fortran order), so a 48 MB float64
 * array costs one memcpy.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { FormatError, UsageError } from '../util/errors.js';
import {
  decodeElements, dtypeString, encodeElements, fortranToC, isNdArray, ndarray, parseDTypeString, sizeOf,
  type DTypeSpec, type NdArray,
} from './ndarray.js';
import { readPickle } from './pickle.js';
import { writePickle } from './pickle-write.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
/** numpy leaves room in the header for the growth axis to reach this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;

export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** byte offset of the first element */
  dataOffset: number;
}

// ---------------------------------------------------------------------------------------------
// The header: a small Python-literal parser (dict, tuple, list, str, int, True/False/None)

type Literal = string | number | boolean | null | Literal[] | Map<string, Literal>;

function parseLiteral(text: string, fail: (problem: string) => never): Literal {
  let i = 0;
  const ws = (): void => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const value = (depth: number): Literal => {
    if (depth > 16) fail('header nests too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const m = new Map<string, Literal>();
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return m; }
        const k = value(depth + 1);
        if (typeof k !== 'string') fail(`header dict keys must be strings, found ${JSON.stringify(k)}`);
        ws();
        if (text[i] !== ':') fail(`expected ':' at header character ${i}, found ${JSON.stringify(text[i] ?? 'end')}`);
        i++;
        m.set(k as string, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail(`expected ',' or '}' at header character ${i}, found ${JSON.stringify(text[i] ?? 'end')}`);
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: Literal[] = [];
      for (;;) {
        ws();
        if (text[i] === close) { i++; return items; }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}' at header character ${i}, found ${JSON.stringify(text[i] ?? 'end')}`);
      }
    }
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated string in header');
        const ch = text[i++]!;
        if (ch === c) return s;
        if (ch === '\\') {
          const e = text[i++];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e ?? '';
        } else s += ch;
      }
    }
    const word = /^[-+]?\w+/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      const w = word[0];
      if (w === 'True') return true;
      if (w === 'False') return false;
      if (w === 'None') return null;
      const int = /^([-+]?\d+)L?$/.exec(w); // Python 2 numpy wrote (3L, 4L)
      if (int && Number.isSafeInteger(Number(int[1]))) return Number(int[1]);
      fail(`unexpected '${w.slice(0, 30)}' in header`);
    }
    return fail(`unexpected ${JSON.stringify(c ?? 'end')} at header character ${i}`);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail(`unexpected text after the header dict at character ${i}`);
  return v;
}

/** Reads and checks the magic, version and header of an npy file. */
export function readNpyHeader(bytes: Uint8Array, file = 'array.npy'): NpyHeader {
  for (let k = 0; k < MAGIC.length; k++) {
    if (bytes[k] !== MAGIC[k]) {
      const found = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
      throw new FormatError(file, k, `not an npy file: expected the magic '\\x93NUMPY', found ${JSON.stringify(found)}`);
    }
  }
  if (bytes.length < 10) throw new FormatError(file, bytes.length, `truncated: npy header needs 10 bytes, found ${bytes.length}`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) throw new FormatError(file, 6, `unsupported npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  const lengthSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthSize) throw new FormatError(file, 8, `truncated: npy header length needs ${lengthSize} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthSize;
  if (start + hlen > bytes.length) throw new FormatError(file, 8, `truncated: npy header of ${hlen} bytes, only ${bytes.length - start} follow`);
  const raw = bytes.subarray(start, start + hlen);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new FormatError(file, start, 'npy 3.0 header is not valid UTF-8');
    }
  } else text = Buffer.from(raw).toString('latin1');
  const fail = (problem: string): never => { throw new FormatError(file, start, `npy header ${JSON.stringify(text.slice(0, 120))}: ${problem}`); };
  const d = parseLiteral(text, fail);
  if (!(d instanceof Map)) return fail('expected a dict');
  const keys = [...d.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') fail(`expected exactly the keys descr, fortran_order, shape, found ${keys || 'none'}`);
  const descr = d.get('descr');
  if (Array.isArray(descr)) fail('structured dtypes (a list descr) are not supported');
  if (typeof descr !== 'string') fail(`descr must be a str, found ${JSON.stringify(descr)}`);
  const fortran = d.get('fortran_order');
  if (typeof fortran !== 'boolean') fail(`fortran_order must be True or False, found ${JSON.stringify(fortran)}`);
  const shape = d.get('shape');
  if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    fail(`shape must be a tuple of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  return { version: [major, minor], descr: descr as string, fortranOrder: fortran as boolean, shape: shape as number[], dataOffset: start + hlen };
}

/** Reads an npy file held in memory. `file` names it in errors. */
export function readNpy(bytes: Uint8Array, file = 'array.npy'): NdArray {
  const h = readNpyHeader(bytes, file);
  const spec = parseDTypeString(h.descr);
  if (typeof spec === 'string') throw new FormatError(file, 10, spec);
  let size = 1;
  for (const d of h.shape) {
    size *= d;
    if (!Number.isSafeInteger(size)) throw new FormatError(file, 10, `shape (${h.shape.join(', ')}) has too many elements`);
  }
  const body = bytes.subarray(h.dataOffset);
  if (spec.dtype === 'object') return readObjectArray(body, h, size, file);
  return decodeBody(body, spec, h, size, file);
}

function decodeBody(body: Uint8Array, spec: DTypeSpec, h: NpyHeader, size: number, file: string): NdArray {
  if ((spec.dtype === 'str' || spec.dtype === 'bytes') && spec.itemsize === 0 && size > 0) {
    throw new FormatError(file, h.dataOffset, `zero-width string dtype '${h.descr}' with ${size} elements`);
  }
  const expected = size * spec.itemsize;
  if (body.length !== expected) {
    throw new FormatError(file, h.dataOffset,
      `shape (${h.shape.join(', ')}) of '${h.descr}' needs ${expected} bytes of data, found ${body.length}`);
  }
  let data = decodeElements(body, spec, size);
  if (h.fortranOrder && h.shape.length > 1) data = fortranToC(data, h.shape, spec.dtype === 'complex64' || spec.dtype === 'complex128' ? 2 : 1);
  const a = ndarray(spec.dtype, h.shape, data);
  if (spec.itemChars !== undefined) a.itemChars = spec.itemChars;
  return a;
}

function readObjectArray(body: Uint8Array, h: NpyHeader, size: number, file: string): NdArray {
  const value = readPickle(body, { file, offset: h.dataOffset });
  if (!isNdArray(value) || value.dtype !== 'object') {
    throw new FormatError(file, h.dataOffset, `object array data must be a pickled object ndarray, found ${isNdArray(value) ? `a ${value.dtype} array` : typeof value}`);
  }
  if (value.shape.join(',') !== h.shape.join(',') || value.data.length !== size) {
    throw new FormatError(file, h.dataOffset, `header says shape (${h.shape.join(', ')}), the pickled array has shape (${value.shape.join(', ')})`);
  }
  return value;
}

/** The object held by a 0-d object array (`np.save('x.npy', some_dict)` → that dict). */
export function unwrapObject(a: NdArray, file = 'array'): unknown {
  if (a.dtype !== 'object' || a.shape.length !== 0) {
    throw new FormatError(file, undefined, `expected a 0-d object array, found a ${a.dtype} array of shape (${a.shape.join(', ')})`);
  }
  return a.data[0];
}

/** Python's repr of a shape tuple: (), (3,), (2, 3). */
function shapeRepr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** The npy header bytes numpy writes for this descr and shape (C order). */
function headerBytes(descr: string, shape: readonly number[]): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = header.length + 1;
  let major = 1;
  let prefix = 10;
  let pad = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  if (hlen + pad >= 0x10000) {
    major = 2;
    prefix = 12;
    pad = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  }
  const out = new Uint8Array(prefix + hlen + pad);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, hlen + pad, true);
  else view.setUint32(8, hlen + pad, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.fill(0x20, prefix + header.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}

/**
 * An npy file for `a`, byte-identical to what `numpy.save` writes for the same array (C order,
 * little-endian; version 1.0, or 2.0 when the header would not fit). Object arrays are pickled.
 */
export function writeNpy(a: NdArray): Uint8Array {
  const expected = sizeOf(a.shape) * (a.dtype === 'complex64' || a.dtype === 'complex128' ? 2 : 1);
  if (!a.data || a.data.length !== expected) {
    throw new UsageError(`writeNpy: array of shape (${a.shape.join(', ')}) needs ${expected} elements, has ${a.data?.length}`);
  }
  let body: Uint8Array;
  try {
    body = a.dtype === 'object' ? writePickle(a) : encodeElements(a);
  } catch (error) {
    throw new UsageError(`writeNpy: ${(error as Error).message}`, { cause: error });
  }
  const head = headerBytes(dtypeString(a), a.shape);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Reads the npy file at `path`; errors name the path. */
export function loadNpy(path: string): NdArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read npy ${path}: ${(error as Error).message}`, { cause: error });
  }
  return readNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** Writes `writeNpy(a)` to `path` atomically. */
export async function saveNpy(path: string, a: NdArray): Promise<void> {
  await writeFileAtomic(path, writeNpy(a));
}
