/**
 * A safe reader for Python pickles (protocols 0–5): every opcode of `pickletools` is decoded by
 * hand, and the only globals it accepts are a fixed allow-list (numpy arrays, dtypes and
 * scalars, scipy.sparse matrices, chumpy `Ch`, torch tensors in DECA's landmark embedding, a few
 * builtins), each interpreted by TypeScript here. Nothing in a pickle is ever executed: any
 * other global is refused with an `UnsafePickleError` naming it.
 *
 * Python values map to: None → null, bool → boolean, int → number (bigint beyond 2^53),
 * float → number, str → string, Python 2 str (STRING opcodes) → string decoded as latin-1
 * (exactly like Python 3's `pickle.load(f, encoding='latin1')`), bytes/bytearray → Uint8Array,
 * list → Array, tuple → frozen Array, dict/OrderedDict → Map (keys may be non-strings; tuple
 * keys are compared by identity), set/frozenset → Set (a frozenset is a frozen Set), numpy
 * array → NdArray, numpy scalar → number/boolean/bigint, scipy sparse → SparseMatrix, chumpy
 * Ch → the NdArray under its state key `x`, torch tensor → NdArray.
 *
 * Malformed input never hangs and never throws anything but a FormatError (or its subclass
 * UnsafePickleError) naming the file, the byte position, what was expected and what was found.
 */
import { readFileSync } from 'node:fs';
import { FormatError, UsageError } from '../util/errors.js';
import {
  decodeElements, fortranToC, isNdArray, ndarray, parseDTypeString, toFloat64,
  type DTypeSpec, type NdArray, type SparseMatrix,
} from './ndarray.js';
import { loadTorchBytes, rebuildTensor, TORCH_STORAGE_CLASSES, TorchStorageClass, type Unpickle } from './torch-legacy.js';

/** A pickle asked for something this reader will not do (a global off the allow-list, an extension code, a persistent id). */
export class UnsafePickleError extends FormatError {
  /** The refused global as 'module.name', when a global was refused. */
  readonly global: string | undefined;
  constructor(file: string, position: number, problem: string, global?: string) {
    super(file, position, problem);
    this.global = global;
  }
}

export interface ReadPickleOptions {
  /** Names the input in error messages (default 'pickle'). */
  file?: string;
  /** Byte offset of `bytes[0]` within the file, so that positions in messages are file positions. */
  offset?: number;
}

/** Reads one pickle from `bytes` (trailing bytes after STOP are ignored, as Python does). */
export function readPickle(bytes: Uint8Array, options: ReadPickleOptions = {}): unknown {
  return unpickleAt(plain(bytes), 0, options.file ?? 'pickle', options.offset ?? 0).value;
}

/** Reads the pickle file at `path`; errors name the path. */
export function loadPickle(path: string): unknown {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read pickle ${path}: ${(error as Error).message}`, { cause: error });
  }
  return readPickle(bytes, { file: path });
}

/** A plain Uint8Array view (a Node Buffer's `slice` shares memory; ours must copy). */
function plain(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Values that exist only while unpickling

/** An allowed global, as pushed by GLOBAL / STACK_GLOBAL / INST. */
class PyGlobal {
  constructor(readonly name: string, readonly spec: GlobalSpec) {}
}

/** A numpy dtype object. */
class NpDType {
  constructor(public spec: DTypeSpec, readonly text: string) {}
}

interface Ctx {
  file: string;
  /** file position of the opcode being run */
  position: number;
  fail(problem: string): never;
  /** Registers what BUILD does to `target` (its `__setstate__`). */
  onBuild(target: object, setState: (state: unknown) => void): void;
}

interface GlobalSpec {
  /** What REDUCE does with the argument tuple. */
  call?: (args: readonly unknown[], ctx: Ctx) => unknown;
  /** An empty instance (NEWOBJ, copyreg._reconstructor / __newobj__, INST, OBJ); BUILD fills it. */
  create?: (ctx: Ctx) => unknown;
  /** Pushed instead of a PyGlobal (torch storage classes, used as data in persistent ids). */
  value?: unknown;
  /** `builtins.object`: allowed only as the base class of copyreg._reconstructor. */
  objectBase?: true;
}

// ---------------------------------------------------------------------------------------------
// Small checks on Python values

const isTuple = (x: unknown): x is readonly unknown[] => Array.isArray(x) && Object.isFrozen(x);
const tuple = <T>(items: T[]): readonly T[] => Object.freeze(items);

/** A short description of a value for error messages. */
function describe(x: unknown): string {
  if (x === null) return 'None';
  if (x === undefined) return 'nothing';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'number' || typeof x === 'bigint') return `the number ${x}`;
  if (typeof x === 'string') return `the string '${printable(x.length > 40 ? x.slice(0, 40) + '…' : x)}'`;
  if (x instanceof Uint8Array) return `${x.length} bytes`;
  if (Array.isArray(x)) return `a ${Object.isFrozen(x) ? 'tuple' : 'list'} of ${x.length}`;
  if (x instanceof Map) return `a dict of ${x.size}`;
  if (x instanceof Set) return `a ${Object.isFrozen(x) ? 'frozenset' : 'set'} of ${x.size}`;
  if (x instanceof PyGlobal) return `global '${x.name}'`;
  if (x instanceof NpDType) return `numpy dtype '${x.text}'`;
  if (isNdArray(x)) return `a ${x.dtype} array of shape (${x.shape.join(', ')})`;
  if (x instanceof TorchStorageClass) return `global '${x.name}'`;
  return `an object (${(x as object).constructor?.name ?? 'unknown'})`;
}

/** The string with control and non-ASCII characters escaped, for messages. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Python's int → number when exact, else bigint. */
function pyInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function nonNegativeInt(x: unknown, what: string, ctx: Ctx): number {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) ctx.fail(`${what} must be a non-negative integer, found ${describe(x)}`);
  return x as number;
}

/** A shape tuple → number[], with the element count checked against 2^53. */
function shapeOf(x: unknown, what: string, ctx: Ctx): { shape: number[]; size: number } {
  if (!Array.isArray(x)) ctx.fail(`${what} must be a tuple of integers, found ${describe(x)}`);
  const shape = (x as unknown[]).map((d, i) => nonNegativeInt(d, `${what}[${i}]`, ctx));
  let size = 1;
  for (const d of shape) {
    size *= d;
    if (!Number.isSafeInteger(size)) ctx.fail(`${what} (${shape.join(', ')}) has too many elements`);
  }
  return { shape, size };
}

/** Raw array bytes: bytes, or a latin-1 str (Python 2 pickles read with encoding='latin1'). */
function rawBytes(x: unknown, what: string, ctx: Ctx): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (typeof x === 'string') {
    if (/[^\x00-\xff]/.test(x)) ctx.fail(`${what} is a str with characters beyond latin-1, not raw bytes`);
    return latin1Bytes(x);
  }
  return ctx.fail(`${what} must be bytes, found ${describe(x)}`);
}

function latin1Bytes(s: string): Uint8Array {
  const b = Buffer.from(s, 'latin1');
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function latin1String(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** Items of a Python iterable argument (list, tuple, set, dict keys). */
function iterableItems(x: unknown, what: string, ctx: Ctx): unknown[] {
  if (Array.isArray(x)) return x as unknown[];
  if (x instanceof Set) return [...x];
  if (x instanceof Map) return [...x.keys()];
  if (x instanceof Uint8Array) return [...x];
  return ctx.fail(`${what} needs an iterable, found ${describe(x)}`);
}

function expectArgs(args: readonly unknown[], min: number, max: number, what: string, ctx: Ctx): void {
  if (args.length < min || args.length > max) {
    ctx.fail(`${what} takes ${min === max ? min : `${min} to ${max}`} arguments, found ${args.length}`);
  }
}

// ---------------------------------------------------------------------------------------------
// numpy

function asDType(x: unknown, what: string, ctx: Ctx): NpDType {
  if (!(x instanceof NpDType)) ctx.fail(`${what} must be a numpy dtype, found ${describe(x)}`);
  return x as NpDType;
}

/** `numpy.dtype(obj, align, copy)`. */
function makeDType(args: readonly unknown[], ctx: Ctx): NpDType {
  expectArgs(args, 1, 3, 'numpy.dtype', ctx);
  const text = args[0] instanceof Uint8Array ? latin1String(args[0], 0, args[0].length) : args[0];
  if (typeof text !== 'string') ctx.fail(`numpy.dtype needs a type string, found ${describe(args[0])}`);
  const spec = parseDTypeString(text as string);
  if (typeof spec === 'string') ctx.fail(`numpy dtype: ${spec}`);
  const dt = new NpDType(spec as DTypeSpec, text as string);
  ctx.onBuild(dt, (state) => setDTypeState(dt, state, ctx));
  return dt;
}

/**
 * numpy's dtype `__setstate__`: (version, byteorder, subarray, names, fields, elsize,
 * alignment, flags[, metadata]) for versions 3/4 (and the shorter older layouts).
 */
function setDTypeState(dt: NpDType, state: unknown, ctx: Ctx): void {
  if (!Array.isArray(state)) ctx.fail(`numpy dtype state must be a tuple, found ${describe(state)}`);
  const t = state as unknown[];
  let order: unknown, subarray: unknown, names: unknown = null, fields: unknown, elsize: unknown;
  if (t.length >= 7 && t.length <= 9) [, order, subarray, names, fields, elsize] = t;
  else if (t.length === 6) [, order, subarray, fields, elsize] = t;
  else if (t.length === 5) [order, subarray, fields, elsize] = t;
  else ctx.fail(`numpy dtype state must have 5 to 9 entries, found ${t.length}`);
  if (order instanceof Uint8Array) order = latin1String(order, 0, order.length);
  if (order !== '<' && order !== '>' && order !== '|' && order !== '=') ctx.fail(`numpy dtype byte order must be '<', '>', '|' or '=', found ${describe(order)}`);
  if (subarray !== null) ctx.fail(`numpy subarray dtype '${dt.text}' is not supported`);
  if (names !== null || fields !== null) {
    const list = Array.isArray(names) ? ` (fields ${(names as unknown[]).map(String).join(', ')})` : '';
    ctx.fail(`structured numpy dtype${list} is not supported`);
  }
  const spec = { ...dt.spec };
  if (spec.dtype === 'str' || spec.dtype === 'bytes') {
    if (typeof elsize === 'number' && Number.isSafeInteger(elsize) && elsize >= 0) {
      if (spec.dtype === 'str' && elsize % 4 !== 0) ctx.fail(`numpy unicode dtype has item size ${elsize}, not a multiple of 4`);
      spec.itemsize = elsize;
      spec.itemChars = spec.dtype === 'str' ? elsize / 4 : elsize;
    }
    if (spec.dtype === 'str') spec.byteOrder = order === '>' ? '>' : '<';
  } else if (spec.itemsize > 1) {
    spec.byteOrder = order === '>' ? '>' : '<';
  }
  dt.spec = spec;
}

/** Decodes array elements after checking their byte count against the shape. */
function decodeArray(bytes: Uint8Array, dt: NpDType, shape: number[], size: number, fortran: boolean, what: string, ctx: Ctx): NdArray {
  const { spec } = dt;
  if ((spec.dtype === 'str' || spec.dtype === 'bytes') && spec.itemsize === 0 && size > 0) {
    ctx.fail(`${what}: zero-width string dtype '${dt.text}' with ${size} elements`);
  }
  const expected = size * spec.itemsize;
  if (bytes.length !== expected) {
    ctx.fail(`${what}: shape (${shape.join(', ')}) of dtype '${dt.text}' needs ${expected} bytes, found ${bytes.length}`);
  }
  let data = decodeElements(bytes, spec, size);
  const parts = spec.dtype === 'complex64' || spec.dtype === 'complex128' ? 2 : 1;
  if (fortran && shape.length > 1) data = fortranToC(data, shape, parts);
  const a = ndarray(spec.dtype, shape, data);
  if (spec.itemChars !== undefined) a.itemChars = spec.itemChars;
  return a;
}

/** `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')`: an empty array that BUILD fills. */
function reconstruct(args: readonly unknown[], ctx: Ctx): NdArray {
  expectArgs(args, 3, 3, '_reconstruct', ctx);
  const cls = args[0];
  if (!(cls instanceof PyGlobal) || cls.name !== 'numpy.ndarray') ctx.fail(`_reconstruct: only numpy.ndarray is supported, found ${describe(cls)}`);
  const target = ndarray('int8', [0], new Int8Array(0));
  ctx.onBuild(target, (state) => setArrayState(target, state, ctx));
  return target;
}

/** numpy's ndarray `__setstate__`: ([version,] shape, dtype, is_fortran, rawdata). */
function setArrayState(target: NdArray, state: unknown, ctx: Ctx): void {
  if (!Array.isArray(state) || (state.length !== 4 && state.length !== 5)) {
    ctx.fail(`numpy array state must be a tuple (version, shape, dtype, is_fortran, rawdata), found ${describe(state)}`);
  }
  const t = state as unknown[];
  const [shapeArg, dtArg, fortranArg, raw] = t.length === 5 ? t.slice(1) : t;
  const { shape, size } = shapeOf(shapeArg, 'numpy array shape', ctx);
  const dt = asDType(dtArg, 'numpy array dtype', ctx);
  const fortran = fortranArg === true || fortranArg === 1;
  let result: NdArray;
  if (dt.spec.dtype === 'object') {
    // object arrays pickle their elements as a list, always in C order
    if (!Array.isArray(raw)) ctx.fail(`numpy object array data must be a list, found ${describe(raw)}`);
    if ((raw as unknown[]).length !== size) ctx.fail(`numpy object array of shape (${shape.join(', ')}) needs ${size} elements, found ${(raw as unknown[]).length}`);
    result = ndarray('object', shape, [...(raw as unknown[])]);
  } else {
    result = decodeArray(rawBytes(raw, 'numpy array data', ctx), dt, shape, size, fortran, 'numpy array', ctx);
  }
  Object.assign(target, result);
  if (result.itemChars === undefined) delete target.itemChars;
}

/** `numpy.core.numeric._frombuffer(buffer, dtype, shape, order)` (protocol 5 in-band buffers). */
function frombuffer(args: readonly unknown[], ctx: Ctx): NdArray {
  expectArgs(args, 4, 4, '_frombuffer', ctx);
  const dt = asDType(args[1], '_frombuffer dtype', ctx);
  if (dt.spec.dtype === 'object') ctx.fail('_frombuffer: object dtype has no raw buffer');
  const { shape, size } = shapeOf(args[2], '_frombuffer shape', ctx);
  const order = args[3];
  if (order !== 'C' && order !== 'F' && order !== 'A') ctx.fail(`_frombuffer order must be 'C' or 'F', found ${describe(order)}`);
  return decodeArray(rawBytes(args[0], '_frombuffer buffer', ctx), dt, shape, size, order === 'F', '_frombuffer', ctx);
}

/** `numpy.core.multiarray.scalar(dtype, bytes)`: a numpy scalar as a plain value. */
function scalar(args: readonly unknown[], ctx: Ctx): unknown {
  expectArgs(args, 1, 2, 'numpy scalar', ctx);
  const dt = asDType(args[0], 'numpy scalar dtype', ctx);
  if (dt.spec.dtype === 'object') return args.length > 1 ? args[1] : null;
  const a = decodeArray(rawBytes(args[1], 'numpy scalar data', ctx), dt, [], 1, false, 'numpy scalar', ctx);
  const v = a.data[0];
  switch (a.dtype) {
    case 'bool': return v === 1;
    case 'int64': case 'uint64': return pyInt(v as bigint);
    case 'complex64': case 'complex128': return a;
    case 'bytes': return latin1Bytes(v as string);
    default: return v;
  }
}

// ---------------------------------------------------------------------------------------------
// scipy.sparse and chumpy

function integerArray(x: unknown, what: string, ctx: Ctx): NdArray {
  if (!isNdArray(x) || !/^u?int/.test(x.dtype) || x.shape.length !== 1) ctx.fail(`${what} must be a 1-d integer array, found ${describe(x)}`);
  return x as NdArray;
}

/** Checks that every value of `a` lies in [0, limit). */
function checkRange(values: Float64Array, limit: number, what: string, ctx: Ctx): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < limit)) ctx.fail(`${what}[${i}] is ${v}, outside [0, ${limit})`);
  }
}

function createSparse(format: SparseMatrix['format']): (ctx: Ctx) => SparseMatrix {
  return (ctx) => {
    const target: SparseMatrix = { type: 'sparse', format, shape: [0, 0], data: ndarray('float64', [0], new Float64Array(0)) };
    ctx.onBuild(target, (state) => setSparseState(target, state, ctx));
    return target;
  };
}

/** A scipy sparse matrix's instance `__dict__` → SparseMatrix, with its index structure checked. */
function setSparseState(target: SparseMatrix, state: unknown, ctx: Ctx): void {
  if (!(state instanceof Map)) ctx.fail(`scipy.sparse state must be a dict, found ${describe(state)}`);
  const s = state as Map<unknown, unknown>;
  const shapeArg = s.has('_shape') ? s.get('_shape') : s.get('shape');
  const { shape } = shapeOf(shapeArg, 'scipy.sparse shape', ctx);
  if (shape.length !== 2) ctx.fail(`scipy.sparse ${target.format} with ${shape.length} dimensions is not supported (only 2)`);
  const [rows, cols] = shape as [number, number];
  const data = s.get('data');
  if (!isNdArray(data) || data.shape.length !== 1 || ['str', 'bytes', 'object'].includes(data.dtype)) {
    ctx.fail(`scipy.sparse data must be a 1-d numeric array, found ${describe(data)}`);
  }
  const values = data as NdArray;
  const nnz = values.shape[0]!;
  if (target.format === 'coo') {
    let row = s.get('row');
    let col = s.get('col');
    const coords = s.get('coords');
    if (row === undefined && Array.isArray(coords) && coords.length === 2) [row, col] = coords as unknown[];
    const r = integerArray(row, 'scipy.sparse coo row', ctx);
    const c = integerArray(col, 'scipy.sparse coo col', ctx);
    if (r.shape[0] !== nnz || c.shape[0] !== nnz) ctx.fail(`scipy.sparse coo has ${nnz} values but ${r.shape[0]} rows and ${c.shape[0]} columns`);
    checkRange(toFloat64(r), rows, 'scipy.sparse coo row', ctx);
    checkRange(toFloat64(c), cols, 'scipy.sparse coo col', ctx);
    Object.assign(target, { shape: [rows, cols], data: values, row: r, col: c });
    return;
  }
  const indices = integerArray(s.get('indices'), `scipy.sparse ${target.format} indices`, ctx);
  const indptr = integerArray(s.get('indptr'), `scipy.sparse ${target.format} indptr`, ctx);
  const outer = target.format === 'csc' ? cols : rows;
  const inner = target.format === 'csc' ? rows : cols;
  if (indices.shape[0] !== nnz) ctx.fail(`scipy.sparse ${target.format} has ${nnz} values but ${indices.shape[0]} indices`);
  if (indptr.shape[0] !== outer + 1) ctx.fail(`scipy.sparse ${target.format} indptr has ${indptr.shape[0]} entries, expected ${outer + 1}`);
  const p = toFloat64(indptr);
  if (p[0] !== 0) ctx.fail(`scipy.sparse ${target.format} indptr[0] is ${p[0]}, expected 0`);
  for (let i = 1; i <= outer; i++) {
    if (!(p[i]! >= p[i - 1]! && p[i]! <= nnz)) ctx.fail(`scipy.sparse ${target.format} indptr[${i}] is ${p[i]}, expected non-decreasing values up to ${nnz}`);
  }
  checkRange(toFloat64(indices).subarray(0, p[outer]!), inner, `scipy.sparse ${target.format} indices`, ctx);
  Object.assign(target, { shape: [rows, cols], data: values, indices, indptr });
}

/** chumpy `Ch`: an empty array that BUILD turns into the ndarray under the state key `x`. */
function createChumpy(ctx: Ctx): NdArray {
  const target = ndarray('float64', [0], new Float64Array(0));
  ctx.onBuild(target, (state) => {
    if (!(state instanceof Map)) ctx.fail(`chumpy Ch state must be a dict, found ${describe(state)}`);
    const x = (state as Map<unknown, unknown>).get('x');
    let value: NdArray;
    if (isNdArray(x)) value = x;
    else if (typeof x === 'number') value = ndarray('float64', [], Float64Array.of(x));
    else return ctx.fail(`chumpy Ch state has no array under 'x' (found ${describe(x)})`);
    Object.assign(target, value);
    if (value.itemChars === undefined) delete target.itemChars;
  });
  return target;
}

// ---------------------------------------------------------------------------------------------
// The allow-list

function instantiate(cls: unknown, args: readonly unknown[], what: string, ctx: Ctx): unknown {
  if (!(cls instanceof PyGlobal) || !cls.spec.create) return ctx.fail(`${what}: ${describe(cls)} is not a class this reader can create`);
  if (args.length > 0) ctx.fail(`${what}: ${cls.name} with constructor arguments is not supported (found ${args.length})`);
  return cls.spec.create(ctx);
}

const reconstructor = (args: readonly unknown[], ctx: Ctx): unknown => {
  expectArgs(args, 3, 3, 'copyreg._reconstructor', ctx);
  const [cls, base, state] = args;
  if (!(base instanceof PyGlobal) || !base.spec.objectBase) ctx.fail(`copyreg._reconstructor: only base 'object' is supported, found ${describe(base)}`);
  if (state !== null) ctx.fail(`copyreg._reconstructor: base state must be None, found ${describe(state)}`);
  return instantiate(cls, [], 'copyreg._reconstructor', ctx);
};
const newobj = (args: readonly unknown[], ctx: Ctx): unknown => {
  if (args.length === 0) ctx.fail('copyreg.__newobj__ needs a class');
  return instantiate(args[0], args.slice(1), 'copyreg.__newobj__', ctx);
};
const newobjEx = (args: readonly unknown[], ctx: Ctx): unknown => {
  expectArgs(args, 3, 3, 'copyreg.__newobj_ex__', ctx);
  const [cls, a, kw] = args;
  if (!Array.isArray(a) || !(kw instanceof Map) || kw.size > 0) ctx.fail('copyreg.__newobj_ex__: only empty arguments are supported');
  return instantiate(cls, a as unknown[], 'copyreg.__newobj_ex__', ctx);
};

const LATIN1_NAMES = /^(latin[-_ ]?1|iso[-_ ]?8859[-_ ]?1|l1|cp819)$/i;
const codecsEncode = (args: readonly unknown[], ctx: Ctx): Uint8Array => {
  expectArgs(args, 2, 3, '_codecs.encode', ctx);
  const [s, encoding] = args;
  if (typeof s !== 'string') ctx.fail(`_codecs.encode needs a str, found ${describe(s)}`);
  if (typeof encoding !== 'string' || !LATIN1_NAMES.test(encoding)) ctx.fail(`_codecs.encode: only latin-1 is supported, found ${describe(encoding)}`);
  return rawBytes(s, '_codecs.encode argument', ctx);
};

function makeSet(frozen: boolean) {
  return (args: readonly unknown[], ctx: Ctx): Set<unknown> => {
    expectArgs(args, 0, 1, frozen ? 'frozenset' : 'set', ctx);
    const items = args.length ? iterableItems(args[0], frozen ? 'frozenset' : 'set', ctx) : [];
    for (const k of items) checkHashable(k, ctx);
    const set = new Set(items);
    return frozen ? Object.freeze(set) : set;
  };
}

function byteValues(items: unknown[], what: string, ctx: Ctx): Uint8Array {
  const out = new Uint8Array(items.length);
  items.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) ctx.fail(`${what}: element ${i} is ${describe(v)}, not a byte`);
    out[i] = v as number;
  });
  return out;
}

const bytearrayCall = (args: readonly unknown[], ctx: Ctx): Uint8Array => {
  expectArgs(args, 0, 2, 'bytearray', ctx);
  if (args.length === 0) return new Uint8Array(0);
  const [src, encoding] = args;
  if (typeof src === 'string') {
    if (typeof encoding !== 'string' || !LATIN1_NAMES.test(encoding)) ctx.fail(`bytearray: only latin-1 str is supported, found encoding ${describe(encoding)}`);
    return rawBytes(src, 'bytearray argument', ctx);
  }
  if (src instanceof Uint8Array) return src.slice();
  if (Array.isArray(src)) return byteValues(src, 'bytearray', ctx);
  return ctx.fail(`bytearray: unsupported argument ${describe(src)}`);
};

const bytesCall = (args: readonly unknown[], ctx: Ctx): Uint8Array => {
  expectArgs(args, 0, 1, 'bytes', ctx);
  if (args.length === 0) return new Uint8Array(0);
  const src = args[0];
  if (src instanceof Uint8Array) return src.slice();
  if (Array.isArray(src)) return byteValues(src, 'bytes', ctx);
  return ctx.fail(`bytes: unsupported argument ${describe(src)}`);
};

const orderedDict = (args: readonly unknown[], ctx: Ctx): Map<unknown, unknown> => {
  expectArgs(args, 0, 1, 'OrderedDict', ctx);
  const m = new Map<unknown, unknown>();
  if (args.length === 0 || args[0] === null) return m;
  const src = args[0];
  if (src instanceof Map) return new Map(src);
  for (const pair of iterableItems(src, 'OrderedDict', ctx)) {
    if (!Array.isArray(pair) || pair.length !== 2) ctx.fail(`OrderedDict: items must be (key, value) pairs, found ${describe(pair)}`);
    checkHashable(pair[0], ctx);
    m.set(pair[0], pair[1]);
  }
  return m;
};

const torchLoadFromBytes = (args: readonly unknown[], ctx: Ctx): unknown => {
  expectArgs(args, 1, 1, 'torch.storage._load_from_bytes', ctx);
  const b = args[0];
  if (!(b instanceof Uint8Array)) ctx.fail(`torch.storage._load_from_bytes needs bytes, found ${describe(b)}`);
  return loadTorchBytes(b as Uint8Array, `${ctx.file} (torch.save data at byte ${ctx.position})`, unpickleNested);
};
const torchRebuild = (args: readonly unknown[], ctx: Ctx): unknown => rebuildTensor([...args], ctx.fail);

function buildAllowList(): Map<string, GlobalSpec> {
  const m = new Map<string, GlobalSpec>();
  const add = (names: string[], spec: GlobalSpec): void => { for (const n of names) m.set(n, spec); };
  for (const core of ['numpy.core', 'numpy._core']) {
    add([`${core}.multiarray._reconstruct`], { call: reconstruct });
    add([`${core}.multiarray.scalar`], { call: scalar });
    add([`${core}.numeric._frombuffer`], { call: frombuffer });
  }
  add(['numpy.ndarray'], {});
  add(['numpy.dtype'], { call: makeDType });
  for (const format of ['csc', 'csr', 'coo'] as const) {
    const spec: GlobalSpec = { create: createSparse(format) };
    add([
      `scipy.sparse.${format}.${format}_matrix`, `scipy.sparse._${format}.${format}_matrix`,
      `scipy.sparse._${format}.${format}_array`, `scipy.sparse._arrays.${format}_array`,
    ], spec);
  }
  add(['chumpy.ch.Ch', 'chumpy.Ch'], { create: createChumpy });
  add(['copy_reg._reconstructor', 'copyreg._reconstructor'], { call: reconstructor });
  add(['copy_reg.__newobj__', 'copyreg.__newobj__'], { call: newobj });
  add(['copyreg.__newobj_ex__'], { call: newobjEx });
  add(['_codecs.encode'], { call: codecsEncode });
  add(['__builtin__.set', 'builtins.set'], { call: makeSet(false), create: () => new Set() });
  add(['__builtin__.frozenset', 'builtins.frozenset'], { call: makeSet(true), create: () => Object.freeze(new Set()) });
  add(['__builtin__.bytearray', 'builtins.bytearray'], { call: bytearrayCall });
  add(['__builtin__.bytes', 'builtins.bytes'], { call: bytesCall });
  add(['__builtin__.object', 'builtins.object'], { objectBase: true });
  add(['collections.OrderedDict'], { call: orderedDict, create: () => new Map() });
  add(['torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor'], { call: torchRebuild });
  add(['torch.storage._load_from_bytes'], { call: torchLoadFromBytes });
  for (const [name, type] of Object.entries(TORCH_STORAGE_CLASSES)) add([name], { value: new TorchStorageClass(name, type) });
  return m;
}

const ALLOWED = buildAllowList();

/** Every global a pickle may name ('module.name'); anything else is refused. */
export const PICKLE_ALLOWED_GLOBALS: readonly string[] = Object.freeze([...ALLOWED.keys()].sort());

// ---------------------------------------------------------------------------------------------
// The machine

const OPNAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1',
  0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4',
  0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Python refuses to convert longer decimal strings to int (sys.int_info.default_max_str_digits). */
const MAX_INT_DIGITS = 4300;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Keys that Python could not hash (lists, dicts, sets, arrays) are refused, as Python does. */
function checkHashable(key: unknown, ctx: Ctx): void {
  const bad = (Array.isArray(key) && !Object.isFrozen(key)) || key instanceof Map || (key instanceof Set && !Object.isFrozen(key)) || isNdArray(key);
  if (bad) ctx.fail(`unhashable dict key or set element: ${describe(key)}`);
}

type PersistentLoad = (pid: unknown, position: number) => unknown;

class Machine {
  private stack: unknown[] = [];
  private readonly metastack: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly builders = new WeakMap<object, (state: unknown) => void>();
  private pos: number;
  /** start of the opcode being run */
  op: number;
  private readonly ctx: Ctx;

  constructor(
    private readonly b: Uint8Array,
    start: number,
    private readonly file: string,
    private readonly base: number,
    private readonly persistentLoad: PersistentLoad | undefined,
  ) {
    this.pos = start;
    this.op = start;
    const machine = this;
    this.ctx = {
      file,
      get position() { return machine.base + machine.op; },
      fail: (problem) => this.fail(problem),
      onBuild: (target, setState) => this.builders.set(target, setState),
    };
  }

  fail(problem: string, at = this.op): never {
    throw new FormatError(this.file, this.base + at, problem);
  }

  private get opname(): string {
    return OPNAMES[this.b[this.op]!] ?? 'opcode';
  }

  private push(x: unknown): void {
    this.stack.push(x);
  }

  private pop(): unknown {
    if (this.stack.length === 0) this.fail(`stack underflow: ${this.opname} needs an item on the stack, found none${this.metastack.length ? ' above the last MARK' : ''}`);
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) this.fail(`stack underflow: ${this.opname} needs an item on the stack, found none`);
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const items = this.stack;
    const below = this.metastack.pop();
    if (below === undefined) this.fail(`MARK missing: ${this.opname} needs a MARK on the stack`);
    this.stack = below!;
    return items;
  }

  /** Checks that `n` more argument bytes exist and returns the start of them. */
  private take(n: number | bigint): number {
    const available = this.b.length - this.pos;
    if (n > available) this.fail(`truncated: ${this.opname} needs ${n} bytes of argument, found ${available}`);
    const start = this.pos;
    this.pos += Number(n);
    return start;
  }

  private u8(): number { return this.b[this.take(1)]!; }
  private u16(): number { const p = this.take(2); return this.b[p]! | (this.b[p + 1]! << 8); }
  private i32(): number { const p = this.take(4); const b = this.b; return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24); }
  private u32(): number { return this.i32() >>> 0; }
  private u64(): bigint { const p = this.take(8); return new DataView(this.b.buffer, this.b.byteOffset + p, 8).getBigUint64(0, true); }

  /** The argument line (without its '\n') as [start, end). */
  private line(): [number, number] {
    const b = this.b;
    const end = b.indexOf(0x0a, this.pos);
    if (end < 0) this.fail(`truncated: ${this.opname} needs a newline-terminated argument, found ${b.length - this.pos} bytes without one`);
    const start = this.pos;
    this.pos = end + 1;
    return [start, end];
  }

  private lineText(): string {
    const [s, e] = this.line();
    return latin1String(this.b, s, e);
  }

  private utf8(start: number, end: number): string {
    const bytes = this.b.subarray(start, end);
    try {
      return utf8.decode(bytes);
    } catch {
      return decodeUtf8SurrogatePass(bytes, (i) => this.fail(`invalid UTF-8 in the ${this.opname} argument at byte ${this.base + start + i}`));
    }
  }

  private bytes(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    out.set(this.b.subarray(start, end));
    return out;
  }

  /** Python's `int(text, 0)` for INT/LONG lines (and `int(text)` when `decimal`). */
  private parseInt(text: string, decimal: boolean): number | bigint {
    const t = text.trim().replace(/(?<=[0-9a-fA-F])_(?=[0-9a-fA-F])/g, '');
    const m = decimal ? /^([+-]?)(\d+)$/.exec(t) : /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0+|[1-9]\d*)$/.exec(t);
    if (!m) return this.fail(`${this.opname} argument must be an integer, found '${printable(text.slice(0, 40))}'`);
    if (m[2]!.length > MAX_INT_DIGITS) this.fail(`${this.opname} argument has ${m[2]!.length} digits (more than Python's limit of ${MAX_INT_DIGITS})`);
    const digits = /^0[oO]/.test(m[2]!) ? '0o' + m[2]!.slice(2) : m[2]!;
    const v = BigInt(digits);
    return pyInt(m[1] === '-' ? -v : v);
  }

  private parseFloat(text: string): number {
    const t = text.trim().replace(/(?<=\d)_(?=\d)/g, '');
    const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
    if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) this.fail(`FLOAT argument must be a number, found '${printable(text.slice(0, 40))}'`);
    return Number(t);
  }

  private memoGet(key: number): unknown {
    if (!this.memo.has(key)) this.fail(`memo key ${key} missing: ${this.opname} refers to a value never stored by PUT`);
    return this.memo.get(key);
  }

  private memoPut(key: number): void {
    if (key < 0) this.fail(`negative ${this.opname} argument ${key}`);
    this.memo.set(key, this.top());
  }

  private global(module: string, name: string): unknown {
    const key = `${module}.${name}`;
    const spec = ALLOWED.get(key);
    if (!spec) {
      throw new UnsafePickleError(this.file, this.base + this.op,
        `refusing global '${printable(key.slice(0, 200))}': not on the allow-list (the pickle is never executed)`, key);
    }
    return spec.value ?? new PyGlobal(key, spec);
  }

  private refuse(problem: string): never {
    throw new UnsafePickleError(this.file, this.base + this.op, problem);
  }

  private persistent(pid: unknown): unknown {
    if (!this.persistentLoad) {
      this.refuse(`refusing persistent id ${describe(pid)}: ${this.opname} is only accepted inside torch storages (the pickle is never executed)`);
    }
    return this.persistentLoad!(pid, this.base + this.op);
  }

  private build(target: unknown, state: unknown): void {
    const setState = typeof target === 'object' && target !== null ? this.builders.get(target) : undefined;
    if (setState) return setState(state);
    if (state === null || (state instanceof Map && state.size === 0)) return; // Python: `if state:` … nothing to set
    this.fail(`BUILD: cannot set state ${describe(state)} on ${describe(target)}`);
  }

  run(): { value: unknown; end: number } {
    const b = this.b;
    const ctx = this.ctx;
    for (;;) {
      if (this.pos >= b.length) this.fail('truncated: expected an opcode (the pickle ends without STOP)', this.pos);
      this.op = this.pos;
      const code = b[this.pos++]!;
      switch (code) {
        case 0x28: // MARK
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x2e: // STOP
          return { value: this.pop(), end: this.pos };
        case 0x30: // POP (an empty stack pops the MARK, as Python does)
          if (this.stack.length > 0) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;

        // --- numbers
        case 0x46: // FLOAT
          this.push(this.parseFloat(this.lineText()));
          break;
        case 0x47: { // BINFLOAT: 8-byte big-endian double
          const p = this.take(8);
          this.push(new DataView(b.buffer, b.byteOffset + p, 8).getFloat64(0, false));
          break;
        }
        case 0x49: { // INT ('01'/'00' are True/False)
          const text = this.lineText();
          this.push(text === '01' ? true : text === '00' ? false : this.parseInt(text, false));
          break;
        }
        case 0x4c: { // LONG: text with an optional trailing 'L'
          const text = this.lineText();
          this.push(this.parseInt(text.endsWith('L') ? text.slice(0, -1) : text, false));
          break;
        }
        case 0x4a: this.push(this.i32()); break; // BININT
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.u16()); break; // BININT2
        case 0x8a: { // LONG1
          const n = this.u8();
          const p = this.take(n);
          this.push(decodeLong(b, p, n));
          break;
        }
        case 0x8b: { // LONG4
          const n = this.i32();
          if (n < 0) this.fail(`LONG4 has a negative byte count ${n}`);
          const p = this.take(n);
          this.push(decodeLong(b, p, n));
          break;
        }
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE

        // --- strings and bytes
        case 0x53: { // STRING: a quoted Python 2 str literal, decoded byte-wise as latin-1
          const [s, e] = this.line();
          const q = b[s];
          if (e - s < 2 || (q !== 0x27 && q !== 0x22) || b[e - 1] !== q) {
            this.fail(`STRING argument must be quoted, found '${printable(latin1String(b, s, Math.min(e, s + 40)))}'`);
          }
          this.push(escapeDecode(b, s + 1, e - 1, (i, problem) => this.fail(`STRING: ${problem} at byte ${this.base + i}`)));
          break;
        }
        case 0x54: { // BINSTRING
          const n = this.i32();
          if (n < 0) this.fail(`BINSTRING has a negative length ${n}`);
          const p = this.take(n);
          this.push(latin1String(b, p, p + n));
          break;
        }
        case 0x55: { // SHORT_BINSTRING
          const n = this.u8();
          const p = this.take(n);
          this.push(latin1String(b, p, p + n));
          break;
        }
        case 0x56: { // UNICODE: raw-unicode-escape text
          const [s, e] = this.line();
          this.push(rawUnicodeEscapeDecode(b, s, e, (i, problem) => this.fail(`UNICODE: ${problem} at byte ${this.base + i}`)));
          break;
        }
        case 0x8c: { const n = this.u8(); const p = this.take(n); this.push(this.utf8(p, p + n)); break; } // SHORT_BINUNICODE
        case 0x58: { const n = this.u32(); const p = this.take(n); this.push(this.utf8(p, p + n)); break; } // BINUNICODE
        case 0x8d: { const n = this.u64(); const p = this.take(n); this.push(this.utf8(p, this.pos)); break; } // BINUNICODE8
        case 0x43: { const n = this.u8(); const p = this.take(n); this.push(this.bytes(p, p + n)); break; } // SHORT_BINBYTES
        case 0x42: { const n = this.u32(); const p = this.take(n); this.push(this.bytes(p, p + n)); break; } // BINBYTES
        case 0x8e: { const n = this.u64(); const p = this.take(n); this.push(this.bytes(p, this.pos)); break; } // BINBYTES8
        case 0x96: { const n = this.u64(); const p = this.take(n); this.push(this.bytes(p, this.pos)); break; } // BYTEARRAY8
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          this.fail(`${this.opname}: out-of-band buffers (pickle protocol 5 with buffer_callback) are not supported; pickle without buffer_callback`);

        // --- containers
        case 0x29: this.push(tuple([])); break; // EMPTY_TUPLE
        case 0x85: this.push(tuple([this.pop()])); break; // TUPLE1
        case 0x86: { const y = this.pop(); const x = this.pop(); this.push(tuple([x, y])); break; } // TUPLE2
        case 0x87: { const z = this.pop(); const y = this.pop(); const x = this.pop(); this.push(tuple([x, y, z])); break; } // TUPLE3
        case 0x74: this.push(tuple(this.popMark())); break; // TUPLE
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x7d: this.push(new Map()); break; // EMPTY_DICT
        case 0x8f: this.push(new Set()); break; // EMPTY_SET
        case 0x64: { // DICT
          const items = this.popMark();
          this.push(this.setItems(new Map(), items));
          break;
        }
        case 0x61: { // APPEND
          const x = this.pop();
          this.appendTo(this.top(), [x]);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark();
          this.appendTo(this.top(), items);
          break;
        }
        case 0x73: { // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x90: { // ADDITEMS
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof Set) || Object.isFrozen(set)) this.fail(`ADDITEMS needs a set, found ${describe(set)}`);
          for (const x of items) { checkHashable(x, ctx); (set as Set<unknown>).add(x); }
          break;
        }
        case 0x91: { // FROZENSET
          const items = this.popMark();
          for (const x of items) checkHashable(x, ctx);
          this.push(Object.freeze(new Set(items)));
          break;
        }

        // --- memo
        case 0x67: this.push(this.memoGet(Number(this.parseInt(this.lineText(), true)))); break; // GET
        case 0x68: this.push(this.memoGet(this.u8())); break; // BINGET
        case 0x6a: this.push(this.memoGet(this.u32())); break; // LONG_BINGET
        case 0x70: this.memoPut(Number(this.parseInt(this.lineText(), true))); break; // PUT
        case 0x71: this.memoPut(this.u8()); break; // BINPUT
        case 0x72: this.memoPut(this.u32()); break; // LONG_BINPUT
        case 0x94: this.memoPut(this.memo.size); break; // MEMOIZE

        // --- framing and protocol
        case 0x80: { // PROTO
          const v = this.u8();
          if (v > 5) this.fail(`unsupported pickle protocol ${v} (this reader knows 0 to 5)`);
          break;
        }
        case 0x95: { // FRAME: a length prefix; the opcodes inside are read as they come
          const n = this.u64();
          if (n > BigInt(b.length - this.pos)) this.fail(`truncated: FRAME announces ${n} bytes, found ${b.length - this.pos}`);
          break;
        }

        // --- globals and objects
        case 0x63: { // GLOBAL
          const [ms, me] = this.line();
          const [ns, ne] = this.line();
          this.push(this.global(this.utf8(ms, me), this.utf8(ns, ne)));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail(`STACK_GLOBAL needs two str, found ${describe(module)} and ${describe(name)}`);
          this.push(this.global(module as string, name as string));
          break;
        }
        case 0x69: { // INST
          const [ms, me] = this.line();
          const [ns, ne] = this.line();
          const cls = this.global(this.utf8(ms, me), this.utf8(ns, ne));
          this.push(instantiate(cls, this.popMark(), 'INST', ctx));
          break;
        }
        case 0x6f: { // OBJ
          const args = this.popMark();
          if (args.length === 0) this.fail('OBJ needs a class after the MARK, found nothing');
          this.push(instantiate(args[0], args.slice(1), 'OBJ', ctx));
          break;
        }
        case 0x81: { // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          if (!Array.isArray(args)) this.fail(`NEWOBJ needs an argument tuple, found ${describe(args)}`);
          this.push(instantiate(cls, args as unknown[], 'NEWOBJ', ctx));
          break;
        }
        case 0x92: { // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!Array.isArray(args) || !(kwargs instanceof Map)) this.fail(`NEWOBJ_EX needs an argument tuple and a dict, found ${describe(args)} and ${describe(kwargs)}`);
          if ((kwargs as Map<unknown, unknown>).size > 0) this.fail('NEWOBJ_EX: keyword arguments are not supported');
          this.push(instantiate(cls, args as unknown[], 'NEWOBJ_EX', ctx));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop();
          const fn = this.pop();
          if (!Array.isArray(args)) this.fail(`REDUCE needs an argument tuple, found ${describe(args)}`);
          if (!(fn instanceof PyGlobal) || !fn.spec.call) this.fail(`REDUCE: ${describe(fn)} cannot be called`);
          this.push((fn as PyGlobal).spec.call!(args as unknown[], ctx));
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case 0x50: // PERSID
          this.push(this.persistent(this.lineText()));
          break;
        case 0x51: // BINPERSID
          this.push(this.persistent(this.pop()));
          break;
        case 0x82: case 0x83: case 0x84: { // EXT1, EXT2, EXT4
          const n = code === 0x82 ? this.u8() : code === 0x83 ? this.u16() : this.i32();
          this.refuse(`refusing ${this.opname} ${n}: copyreg extension codes are not on the allow-list (the pickle is never executed)`);
        }
        default:
          this.fail(`unknown opcode 0x${code.toString(16).padStart(2, '0')}${code >= 0x20 && code < 0x7f ? ` ('${String.fromCharCode(code)}')` : ''}`);
      }
    }
  }

  private appendTo(list: unknown, items: unknown[]): void {
    if (!Array.isArray(list) || Object.isFrozen(list)) this.fail(`${this.opname} needs a list, found ${describe(list)}`);
    const l = list as unknown[];
    for (const x of items) l.push(x);
  }

  private setItems(dict: unknown, items: unknown[]): Map<unknown, unknown> {
    if (!(dict instanceof Map)) this.fail(`${this.opname} needs a dict, found ${describe(dict)}`);
    if (items.length % 2 !== 0) this.fail(`${this.opname} needs key/value pairs, found ${items.length} items`);
    const m = dict as Map<unknown, unknown>;
    for (let i = 0; i < items.length; i += 2) {
      checkHashable(items[i], this.ctx);
      m.set(items[i], items[i + 1]);
    }
    return m;
  }
}

/** Runs the machine from `start`; any error that is not already a FormatError becomes one. */
function unpickleAt(bytes: Uint8Array, start: number, file: string, base: number, persistentLoad?: PersistentLoad): { value: unknown; end: number } {
  const m = new Machine(bytes, start, file, base, persistentLoad);
  try {
    return m.run();
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(file, base + m.op, `cannot read pickle: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** The machine as lent to the torch reader (nested `torch.save` data). */
const unpickleNested: Unpickle = (bytes, start, file, persistentLoad) => unpickleAt(plain(bytes), start, file, 0, persistentLoad);

/** LONG1/LONG4 payload: little-endian two's complement. */
function decodeLong(b: Uint8Array, p: number, n: number): number | bigint {
  if (n === 0) return 0;
  let hex = '';
  for (let i = p + n - 1; i >= p; i--) hex += b[i]!.toString(16).padStart(2, '0');
  let v = BigInt('0x' + hex);
  if (b[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return pyInt(v);
}

/** Python's `codecs.escape_decode` of a STRING body, then latin-1 (byte-wise; raw non-ASCII bytes pass through). */
function escapeDecode(b: Uint8Array, start: number, end: number, fail: (at: number, problem: string) => never): string {
  const out = new Uint8Array(end - start);
  let k = 0;
  const isOct = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x37;
  const hex = (c: number | undefined): number => {
    if (c === undefined) return -1;
    if (c >= 0x30 && c <= 0x39) return c - 0x30;
    if (c >= 0x61 && c <= 0x66) return c - 0x57;
    if (c >= 0x41 && c <= 0x46) return c - 0x37;
    return -1;
  };
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c !== 0x5c) { out[k++] = c; continue; }
    if (++i >= end) fail(i - 1, 'trailing \\ in string');
    const e = b[i]!;
    switch (e) {
      case 0x0a: break; // backslash-newline: nothing
      case 0x5c: out[k++] = 0x5c; break;
      case 0x27: out[k++] = 0x27; break;
      case 0x22: out[k++] = 0x22; break;
      case 0x62: out[k++] = 0x08; break; // \b
      case 0x66: out[k++] = 0x0c; break; // \f
      case 0x74: out[k++] = 0x09; break; // \t
      case 0x6e: out[k++] = 0x0a; break; // \n
      case 0x72: out[k++] = 0x0d; break; // \r
      case 0x76: out[k++] = 0x0b; break; // \v
      case 0x61: out[k++] = 0x07; break; // \a
      case 0x78: { // \xhh
        const h1 = hex(i + 1 < end ? b[i + 1] : undefined);
        const h2 = hex(i + 2 < end ? b[i + 2] : undefined);
        if (h1 < 0 || h2 < 0) fail(i - 1, 'invalid \\x escape');
        out[k++] = h1 * 16 + h2;
        i += 2;
        break;
      }
      default:
        if (isOct(e)) { // up to three octal digits
          let v = e - 0x30;
          if (i + 1 < end && isOct(b[i + 1])) { v = v * 8 + b[++i]! - 0x30; if (i + 1 < end && isOct(b[i + 1])) v = v * 8 + b[++i]! - 0x30; }
          out[k++] = v & 0xff;
        } else { // unknown escapes keep the backslash
          out[k++] = 0x5c;
          out[k++] = e;
        }
    }
  }
  return latin1String(out, 0, k);
}

/** Python's raw-unicode-escape decoding (UNICODE opcode): latin-1 bytes with \uXXXX and \UXXXXXXXX. */
function rawUnicodeEscapeDecode(b: Uint8Array, start: number, end: number, fail: (at: number, problem: string) => never): string {
  const parts: string[] = [];
  let run = start; // start of the pending literal run
  let i = start;
  while (i < end) {
    if (b[i] !== 0x5c) { i++; continue; }
    let j = i;
    while (j < end && b[j] === 0x5c) j++;
    const slashes = j - i;
    if (slashes % 2 === 0 || j >= end || (b[j] !== 0x75 && b[j] !== 0x55)) { i = j; continue; }
    // the last backslash starts an escape: keep everything before it literally
    parts.push(latin1String(b, run, j - 1));
    const digits = b[j] === 0x75 ? 4 : 8;
    if (j + 1 + digits > end) fail(j - 1, `truncated \\${digits === 4 ? 'uXXXX' : 'UXXXXXXXX'} escape`);
    const text = latin1String(b, j + 1, j + 1 + digits);
    if (!/^[0-9a-fA-F]+$/.test(text)) fail(j - 1, `invalid \\${digits === 4 ? 'u' : 'U'} escape '${printable(text)}'`);
    const cp = parseInt(text, 16);
    if (cp > 0x10ffff) fail(j - 1, `\\U escape ${text} is beyond U+10FFFF`);
    parts.push(String.fromCodePoint(cp));
    i = run = j + 1 + digits;
  }
  parts.push(latin1String(b, run, end));
  return parts.join('');
}

/** UTF-8 with Python's 'surrogatepass' (encoded lone surrogates are accepted); `fail(i)` on anything else. */
function decodeUtf8SurrogatePass(b: Uint8Array, fail: (at: number) => never): string {
  const units: number[] = [];
  const parts: string[] = [];
  const flush = (): void => { parts.push(String.fromCharCode(...units)); units.length = 0; };
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    let cp: number;
    let need: number;
    let min: number;
    if (c < 0x80) { cp = c; need = 0; min = 0; }
    else if (c >= 0xc2 && c < 0xe0) { cp = c & 0x1f; need = 1; min = 0x80; }
    else if (c >= 0xe0 && c < 0xf0) { cp = c & 0x0f; need = 2; min = 0x800; }
    else if (c >= 0xf0 && c < 0xf5) { cp = c & 0x07; need = 3; min = 0x10000; }
    else return fail(i);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return fail(i);
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff) return fail(i);
    if (cp >= 0x10000) { units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)); }
    else units.push(cp);
    if (units.length > 4096) flush();
    i += need + 1;
  }
  flush();
  return parts.join('');
}

