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
