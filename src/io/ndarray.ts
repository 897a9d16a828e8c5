/**
 * The in-memory form of a numpy array, shared by the npy/npz and pickle readers and writers.
 *
 * `data` always holds the elements in C (row-major) order and in the machine's (little-endian)
 * byte order, whatever the file had; `dtype` keeps numpy's name so files round-trip.
 * - bool → Uint8Array (0/1); int8..uint32, float32, float64 → the matching typed array;
 * - int64/uint64 → BigInt64Array/BigUint64Array (exact; use `toFloat64`/`toInt32` to compute);
 * - float16 → Float32Array (widened; written back as float16);
 * - complex64/complex128 → Float32Array/Float64Array with interleaved (re, im), length 2·size;
 * - unicode/bytes strings (`<U n`, `|S n`) → string[]; object → unknown[].
 */

export type NumericDType =
  | 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'float16' | 'float32' | 'float64' | 'complex64' | 'complex128';

export type DType = NumericDType | 'str' | 'bytes' | 'object';

export type NdData =
  | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array | string[] | unknown[];

export interface NdArray {
  readonly type: 'ndarray';
  dtype: DType;
  shape: number[];
  data: NdData;
  /** For 'str'/'bytes': the fixed item length in characters/bytes (numpy's `<U7` → 7). */
  itemChars?: number;
}

/** Number of elements of a shape (1 for a 0-d array). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Makes an ndarray; checks that data length matches the shape. */
export function ndarray(dtype: DType, shape: number[], data: NdData): NdArray {
  const expected = sizeOf(shape) * (dtype === 'complex64' || dtype === 'complex128' ? 2 : 1);
  if (data.length !== expected) {
    throw new RangeError(`ndarray: ${dtype} shape [${shape.join(',')}] needs ${expected} elements, got ${data.length}`);
  }
  return { type: 'ndarray', dtype, shape, data };
}

export function isNdArray(x: unknown): x is NdArray {
  return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'ndarray';
}

/** Element size in bytes for numeric dtypes (as stored in files). */
export const DTYPE_ITEMSIZE: Record<NumericDType, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8,
  float16: 2, float32: 4, float64: 8, complex64: 8, complex128: 16,
};

/** The elements as float64 (bigints converted; complex arrays rejected). */
export function toFloat64(a: NdArray, name = 'array'): Float64Array {
  if (a.dtype === 'complex64' || a.dtype === 'complex128' || a.dtype === 'str' || a.dtype === 'bytes' || a.dtype === 'object') {
    throw new TypeError(`${name}: expected a real numeric array, found dtype ${a.dtype}`);
  }
  const d = a.data as ArrayLike<number | bigint>;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

/** The elements as float32. */
export function toFloat32(a: NdArray, name = 'array'): Float32Array {
  return Float32Array.from(toFloat64(a, name));
}

/** The elements as int32, checking that every value is an integer in range. */
export function toInt32(a: NdArray, name = 'array'): Int32Array {
  const f = toFloat64(a, name);
  const out = new Int32Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const v = f[i]!;
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new RangeError(`${name}: element ${i} is ${v}, not an int32`);
    }
    out[i] = v;
  }
  return out;
}

/** The elements as uint32 (non-negative integers). */
export function toUint32(a: NdArray, name = 'array'): Uint32Array {
  const f = toFloat64(a, name);
  const out = new Uint32Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const v = f[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 4294967295) {
      throw new RangeError(`${name}: element ${i} is ${v}, not a uint32`);
    }
    out[i] = v;
  }
  return out;
}

/** Convenience constructors for writing. */
export const nd = {
  f64: (shape: number[], data: ArrayLike<number>): NdArray => ndarray('float64', shape, Float64Array.from(data)),
  f32: (shape: number[], data: ArrayLike<number>): NdArray => ndarray('float32', shape, Float32Array.from(data)),
  i32: (shape: number[], data: ArrayLike<number>): NdArray => ndarray('int32', shape, Int32Array.from(data)),
  u32: (shape: number[], data: ArrayLike<number>): NdArray => ndarray('uint32', shape, Uint32Array.from(data)),
  i64: (shape: number[], data: ArrayLike<number>): NdArray =>
    ndarray('int64', shape, BigInt64Array.from(Array.from(data, (v) => BigInt(v)))),
  bool: (shape: number[], data: ArrayLike<number | boolean>): NdArray => ndarray('bool', shape, Uint8Array.from(Array.from(data, (v) => (v ? 1 : 0)))),
  scalar: (value: number): NdArray => ndarray('float64', [], Float64Array.of(value)),
};

/** A scipy.sparse matrix as read from a pickle (csc/csr: data, indices, indptr; coo: data, row, col). */
export interface SparseMatrix {
  readonly type: 'sparse';
  format: 'csc' | 'csr' | 'coo';
  shape: [number, number];
  data: NdArray;
  /** csc/csr: row (csc) or column (csr) index of each stored value. */
  indices?: NdArray;
  /** csc/csr: offsets into `indices`/`data`, length ncols+1 (csc) or nrows+1 (csr). */
  indptr?: NdArray;
  /** coo: row and column of each value. */
  row?: NdArray;
  col?: NdArray;
}

export function isSparse(x: unknown): x is SparseMatrix {
  return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'sparse';
}

/** Number of stored entries. */
export function sparseNnz(m: SparseMatrix): number {
  return m.data.data.length;
}

/** The matrix as a dense row-major Float64Array [rows*cols] (duplicates summed, as scipy does). */
export function sparseToDense(m: SparseMatrix): Float64Array {
  const [rows, cols] = m.shape;
  const out = new Float64Array(rows * cols);
  const values = toFloat64(m.data, 'sparse data');
  if (m.format === 'coo') {
    const r = toFloat64(m.row!, 'sparse row');
    const c = toFloat64(m.col!, 'sparse col');
    for (let k = 0; k < values.length; k++) out[r[k]! * cols + c[k]!]! += values[k]!;
    return out;
  }
  const indices = toFloat64(m.indices!, 'sparse indices');
  const indptr = toFloat64(m.indptr!, 'sparse indptr');
  const outer = m.format === 'csc' ? cols : rows;
  if (indptr.length !== outer + 1) throw new RangeError(`sparse ${m.format}: indptr has ${indptr.length} entries, expected ${outer + 1}`);
  for (let o = 0; o < outer; o++) {
    for (let k = indptr[o]!; k < indptr[o + 1]!; k++) {
      const inner = indices[k]!;
      if (m.format === 'csc') out[inner * cols + o]! += values[k]!;
      else out[o * cols + inner]! += values[k]!;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// numpy type strings and raw element bytes: shared by the npy/npz and pickle readers and writers.

/** Byte order of a numpy type string: '<' little, '>' big, '|' not applicable (1-byte, S, O). */
export type ByteOrder = '<' | '>' | '|';

/** A numpy type string ('<f8', '|b1', '>i4', '<U5', '|S3', '|O', 'f8', 'u4' ...) made explicit. */
export interface DTypeSpec {
  dtype: DType;
  byteOrder: ByteOrder;
  /** Bytes per element as stored (0 for object arrays, whose elements are pickled). */
  itemsize: number;
  /** 'str': characters (UCS-4) per element; 'bytes': bytes per element. */
  itemChars?: number;
}

const KIND_SIZE: Record<string, NumericDType> = {
  b1: 'bool', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32',
  i8: 'int64', u8: 'uint64', f2: 'float16', f4: 'float32', f8: 'float64', c8: 'complex64', c16: 'complex128',
};
/** numpy's one-letter type codes and names, as `kind+size` (Linux/64-bit sizes for 'l', 'L', 'p', 'P'). */
const ALIASES: Record<string, string> = {
  '?': 'b1', b: 'i1', B: 'u1', h: 'i2', H: 'u2', i: 'i4', I: 'u4', l: 'i8', L: 'u8', q: 'i8', Q: 'u8',
  p: 'i8', P: 'u8', e: 'f2', f: 'f4', d: 'f8', F: 'c8', D: 'c16',
  bool: 'b1', int8: 'i1', uint8: 'u1', int16: 'i2', uint16: 'u2', int32: 'i4', uint32: 'u4', int64: 'i8',
  uint64: 'u8', float16: 'f2', float32: 'f4', float64: 'f8', complex64: 'c8', complex128: 'c16',
};

/**
 * Parses a numpy type string. Returns the spec, or a string saying why it is not supported
 * (structured/void, datetime, long double ...). '=' and '|' on multi-byte types mean native,
 * which is little-endian on every machine this runs on.
 */
export function parseDTypeString(text: string): DTypeSpec | string {
  let s = text;
  let order = '=';
  if (s.length > 0 && '<>|=!'.includes(s[0]!)) {
    order = s[0] === '!' ? '>' : s[0]!;
    s = s.slice(1);
  }
  if (/^O\d*$/.test(s) || s === 'object') return { dtype: 'object', byteOrder: '|', itemsize: 0 };
  const flexible = /^([USa])(\d*)$/.exec(s);
  if (flexible) {
    const n = flexible[2] === '' ? 0 : Number(flexible[2]);
    if (!Number.isSafeInteger(n)) return `item size in '${text}' is too large`;
    if (flexible[1] === 'U') return { dtype: 'str', byteOrder: order === '>' ? '>' : '<', itemsize: 4 * n, itemChars: n };
    return { dtype: 'bytes', byteOrder: '|', itemsize: n, itemChars: n };
  }
  const code = ALIASES[s] ?? s;
  const dtype = KIND_SIZE[code];
  if (dtype === undefined) {
    if (/^V\d*$/.test(s) || s === 'void') return `void/structured dtype '${text}' is not supported`;
    if (/^[Mm]8/.test(s)) return `datetime/timedelta dtype '${text}' is not supported`;
    return `unsupported numpy dtype '${text}'`;
  }
  const itemsize = DTYPE_ITEMSIZE[dtype];
  return { dtype, byteOrder: itemsize === 1 ? '|' : order === '>' ? '>' : '<', itemsize };
}

/** The numpy type string numpy itself writes for an array of this dtype ('<f8', '|b1', '<U5', '|S3', '|O'). */
export function dtypeString(a: Pick<NdArray, 'dtype' | 'data' | 'itemChars'>): string {
  switch (a.dtype) {
    case 'object': return '|O';
    case 'str': return `<U${a.itemChars ?? maxStringLength(a.data as string[], true)}`;
    case 'bytes': return `|S${a.itemChars ?? maxStringLength(a.data as string[], false)}`;
    default: {
      const size = DTYPE_ITEMSIZE[a.dtype];
      const kind = a.dtype === 'bool' ? 'b' : a.dtype.startsWith('uint') ? 'u' : a.dtype.startsWith('int') ? 'i'
        : a.dtype.startsWith('float') ? 'f' : 'c';
      return `${size === 1 ? '|' : '<'}${kind}${size}`;
    }
  }
}

/** Longest string (in code points for 'str', in latin-1 bytes for 'bytes'); at least 1, as numpy does. */
function maxStringLength(data: string[], codePoints: boolean): number {
  let max = 1;
  for (const s of data) {
    let n = s.length;
    if (codePoints) { n = 0; for (const _ of s) n++; }
    if (n > max) max = n;
  }
  return max;
}

const TYPED_CTOR = {
  bool: Uint8Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  float16: Float32Array, float32: Float32Array, float64: Float64Array, complex64: Float32Array, complex128: Float64Array,
} as const;

/** Reverses the byte order of every `size`-byte group of `bytes`, in place. */
function swapBytes(bytes: Uint8Array, size: number): void {
  const n = bytes.length;
  for (let i = 0; i < n; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

let _halfTable: Float32Array | undefined;
/** float16 bit pattern → value, for all 65536 patterns (built on first use). */
function halfTable(): Float32Array {
  if (_halfTable) return _halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    t[h] = e === 0 ? sign * f * 2 ** -24 : e === 31 ? (f ? NaN : sign * Infinity) : sign * (1 + f / 1024) * 2 ** (e - 15);
  }
  return (_halfTable = t);
}

const _f32 = new Float32Array(1);
const _u32 = new Uint32Array(_f32.buffer);
/** Nearest float16 bit pattern (round half to even) of a number, via its float32 value. */
export function toHalfBits(x: number): number {
  _f32[0] = x;
  const b = _u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  let m = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const he = e - 127 + 15;
  if (he >= 0x1f) return sign | 0x7c00;
  if (he <= 0) {
    if (he < -10) return sign;
    m |= 0x800000;
    const shift = 14 - he;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (he << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/**
 * Decodes `count` elements stored as `spec` into the in-memory form (C order of the stored
 * elements, native byte order). `bytes.length` must be `count * spec.itemsize` (callers check,
 * and name the file when it is not). Not for object arrays. Numeric data is copied once into a
 * fresh buffer and viewed as the typed array; only big-endian data is touched per byte.
 */
export function decodeElements(bytes: Uint8Array, spec: DTypeSpec, count: number): NdData {
  const { dtype } = spec;
  if (dtype === 'object') throw new TypeError('decodeElements: object arrays are pickled, not raw');
  if (bytes.length !== count * spec.itemsize) {
    throw new RangeError(`decodeElements: ${count} elements of ${spec.itemsize} bytes need ${count * spec.itemsize} bytes, got ${bytes.length}`);
  }
  if (dtype === 'str') {
    const n = spec.itemChars ?? 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const little = spec.byteOrder !== '>';
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      let end = n;
      while (end > 0 && view.getUint32((i * n + end - 1) * 4, little) === 0) end--;
      let s = '';
      for (let k = 0; k < end; k++) {
        const cp = view.getUint32((i * n + k) * 4, little);
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      out[i] = s;
    }
    return out;
  }
  if (dtype === 'bytes') {
    const n = spec.itemsize;
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      let end = n;
      while (end > 0 && bytes[i * n + end - 1] === 0) end--;
      out[i] = Buffer.from(bytes.buffer, bytes.byteOffset + i * n, end).toString('latin1');
    }
    return out;
  }
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (dtype === 'bool') {
    for (let i = 0; i < copy.length; i++) if (copy[i] !== 0) copy[i] = 1;
    return copy;
  }
  const complex = dtype === 'complex64' || dtype === 'complex128';
  const partSize = complex ? spec.itemsize / 2 : spec.itemsize;
  if (spec.byteOrder === '>' && partSize > 1) swapBytes(copy, partSize);
  if (dtype === 'float16') {
    const bits = new Uint16Array(copy.buffer, 0, count);
    const table = halfTable();
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = table[bits[i]!]!;
    return out;
  }
  const Ctor = TYPED_CTOR[dtype];
  return new Ctor(copy.buffer, 0, complex ? 2 * count : count);
}

/**
 * The elements of `a` as numpy stores them: little-endian, C order, `dtypeString(a)` layout.
 * Throws a TypeError when `data` is not the array type that `dtype` calls for.
 */
export function encodeElements(a: NdArray): Uint8Array {
  const { dtype, data } = a;
  if (dtype === 'object') throw new TypeError('encodeElements: object arrays are pickled, not raw');
  if (dtype === 'str' || dtype === 'bytes') {
    if (!Array.isArray(data)) throw new TypeError(`encodeElements: ${dtype} array needs string[] data`);
    const strings = data as unknown[];
    const chars = Number(/\d+$/.exec(dtypeString(a))![0]);
    const size = dtype === 'str' ? 4 * chars : chars;
    const out = new Uint8Array(size * strings.length);
    const view = new DataView(out.buffer);
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i];
      if (typeof s !== 'string') throw new TypeError(`encodeElements: element ${i} of a ${dtype} array is not a string`);
      let k = 0;
      for (const ch of s) {
        const cp = ch.codePointAt(0)!;
        if (k >= chars) throw new RangeError(`encodeElements: element ${i} is longer than ${chars} characters`);
        if (dtype === 'str') view.setUint32(i * size + 4 * k, cp, true);
        else {
          if (cp > 0xff) throw new RangeError(`encodeElements: element ${i} of a bytes array has character U+${cp.toString(16)} (not latin-1)`);
          out[i * size + k] = cp;
        }
        k++;
      }
    }
    return out;
  }
  const Ctor = TYPED_CTOR[dtype];
  if (!(data instanceof Ctor)) {
    throw new TypeError(`encodeElements: ${dtype} array needs ${Ctor.name} data, found ${(data as object)?.constructor?.name}`);
  }
  if (dtype === 'float16') {
    const f = data as Float32Array;
    const bits = new Uint16Array(f.length);
    for (let i = 0; i < f.length; i++) bits[i] = toHalfBits(f[i]!);
    return new Uint8Array(bits.buffer);
  }
  if (dtype === 'bool') {
    const b = data as Uint8Array;
    const out = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i++) out[i] = b[i] ? 1 : 0;
    return out;
  }
  const t = data as Exclude<NdData, string[] | unknown[]>;
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

/**
 * Reorders Fortran-order (column-major) elements into C order. `parts` is the number of array
 * entries per element (2 for interleaved complex). Returns a new array of the same type.
 */
export function fortranToC<T extends NdData>(data: T, shape: readonly number[], parts = 1): T {
  const ndim = shape.length;
  const n = sizeOf(shape);
  const out = (Array.isArray(data) ? new Array(data.length) : new (data.constructor as new (n: number) => T)(data.length)) as T;
  if (ndim < 2 || n === 0) {
    for (let i = 0; i < data.length; i++) (out as unknown[])[i] = (data as unknown[])[i];
    return out;
  }
  // Fortran stride of axis k (in elements) = product of the sizes of axes before k.
  const fstride = new Array<number>(ndim);
  let s = 1;
  for (let k = 0; k < ndim; k++) { fstride[k] = s; s *= shape[k]!; }
  const idx = new Array<number>(ndim).fill(0);
  const src = data as unknown as ArrayLike<unknown>;
  const dst = out as unknown as unknown[];
  let f = 0;
  for (let c = 0; c < n; c++) {
    for (let p = 0; p < parts; p++) dst[c * parts + p] = src[f * parts + p];
    // advance the C-order odometer (last axis fastest), keeping the Fortran offset in step
    for (let k = ndim - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) { f += fstride[k]!; break; }
      f -= (shape[k]! - 1) * fstride[k]!;
      idx[k] = 0;
    }
  }
  return out;
}
