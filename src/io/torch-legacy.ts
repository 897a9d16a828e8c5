/**
 * Torch tensors inside pickles, as DECA/MICA's `landmark_embedding.npy` holds them: storages
 * written by `torch.save` and loaded through `torch.storage._load_from_bytes(b)`, and tensors
 * rebuilt from them by `torch._utils._rebuild_tensor_v2`. Nothing of torch is run: the file
 * layout is read by hand.
 *
 * `b` is a whole `torch.save` file in one of two layouts:
 * - legacy (torch < 1.6, or `_use_new_zipfile_serialization=False`): five pickles in a row
 *   (magic number 0x1950a86a20f9469cfc6c, protocol version 1001, sys info
 *   `{little_endian, type_sizes, ...}`, the object whose storages are persistent ids
 *   `('storage', StorageClass, key, location, numel[, (view_key, offset, size)])`, the list of
 *   storage keys), then for each key in that order an int64 little-endian element count and
 *   the raw little-endian elements (LongStorage elements are 8 bytes whatever `type_sizes` says);
 * - zip (`PK` ...): `{archive}/data.pkl` with persistent ids
 *   `('storage', StorageClass, key, location, numel)` and the bytes of each storage in
 *   `{archive}/data/{key}` (byte order in `{archive}/byteorder`, little when absent).
 */
import { unzipSync } from 'fflate';
import { FormatError } from '../util/errors.js';
import { decodeElements, DTYPE_ITEMSIZE, ndarray, type DType, type NdArray, type NdData, type NumericDType } from './ndarray.js';

/** What the pickle reader lends this module: a run of its machine over `bytes` from `start`. */
export type Unpickle = (
  bytes: Uint8Array,
  start: number,
  file: string,
  persistentLoad: (pid: unknown, position: number) => unknown,
) => { value: unknown; end: number };

/** Element type of each storage class torch pickles (`torch.FloatStorage` ...). */
export const TORCH_STORAGE_CLASSES: Readonly<Record<string, NumericDType | 'bfloat16'>> = {
  'torch.FloatStorage': 'float32',
  'torch.DoubleStorage': 'float64',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.LongStorage': 'int64',
  'torch.IntStorage': 'int32',
  'torch.ShortStorage': 'int16',
  'torch.CharStorage': 'int8',
  'torch.ByteStorage': 'uint8',
  'torch.BoolStorage': 'bool',
  'torch.UntypedStorage': 'uint8',
};

/** The value of a storage-class global (`torch.LongStorage`) inside a pickle. */
export class TorchStorageClass {
  constructor(readonly name: string, readonly elementType: NumericDType | 'bfloat16') {}
  get dtype(): DType { return this.elementType === 'bfloat16' ? 'float32' : this.elementType; }
  /** Bytes per element in the file (LongStorage: 8, whatever the writer's `type_sizes` said). */
  get itemsize(): number { return this.elementType === 'bfloat16' ? 2 : DTYPE_ITEMSIZE[this.elementType]; }
}

/**
 * A torch storage: a flat run of elements, or a view into another storage. `data` arrives after
 * the pickle that names the storage (legacy layout), so tensors over it wait in `waiters`.
 */
export class TorchStorage {
  data: NdData | undefined;
  readonly waiters: Array<() => void> = [];
  constructor(
    readonly cls: TorchStorageClass,
    readonly key: string,
    /** elements, as named by the persistent id */
    readonly numel: number,
    readonly base?: TorchStorage,
    /** offset in elements into `base` */
    readonly offset = 0,
  ) {}
  /** The root storage's data and this storage's offset into it, once the data has arrived. */
  resolve(): { data: NdData; offset: number; available: number } | undefined {
    if (this.base) {
      const r = this.base.resolve();
      return r && { data: r.data, offset: r.offset + this.offset, available: Math.min(this.numel, r.available - this.offset) };
    }
    return this.data && { data: this.data, offset: 0, available: this.data.length };
  }
  root(): TorchStorage { return this.base ? this.base.root() : this; }
  fill(data: NdData): void {
    this.data = data;
    for (const w of this.waiters.splice(0)) w();
  }
}

type Fail = (problem: string) => never;

/** Checks that `x` is a non-negative safe integer; names `what` otherwise. */
function count(x: unknown, what: string, fail: Fail): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) fail(`${what} must be a non-negative integer, found ${describe(x)}`);
  return x as number;
}

function tupleOf(x: unknown, what: string, fail: Fail): unknown[] {
  if (!Array.isArray(x)) fail(`${what} must be a tuple, found ${describe(x)}`);
  return x as unknown[];
}

function describe(x: unknown): string {
  if (x === null) return 'None';
  if (Array.isArray(x)) return `a sequence of ${x.length}`;
  if (x instanceof Uint8Array) return `${x.length} bytes`;
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x === 'string' ? `'${x.slice(0, 40)}'` : String(x);
}

/**
 * `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` and
 * `_rebuild_tensor(storage, storage_offset, size, stride)`: a C-order copy of the tensor's
 * elements. When the storage's data has not arrived yet, the returned array is filled in
 * place when it does.
 */
export function rebuildTensor(args: unknown[], fail: Fail): NdArray {
  if (args.length < 4) fail(`_rebuild_tensor needs (storage, offset, size, stride), found ${args.length} arguments`);
  const storage = args[0];
  if (!(storage instanceof TorchStorage)) fail(`_rebuild_tensor: first argument must be a torch storage, found ${describe(storage)}`);
  const st = storage as TorchStorage;
  const offset = count(args[1], 'tensor storage offset', fail);
  const size = tupleOf(args[2], 'tensor size', fail).map((d, i) => count(d, `tensor size[${i}]`, fail));
  const stride = tupleOf(args[3], 'tensor stride', fail).map((d, i) => count(d, `tensor stride[${i}]`, fail));
  if (stride.length !== size.length) fail(`tensor size has ${size.length} dimensions but stride has ${stride.length}`);
  const n = size.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n)) fail(`tensor size [${size.join(', ')}] is too large`);
  // furthest element the tensor reads, relative to the storage start
  let last = offset;
  for (let k = 0; k < size.length; k++) last += (size[k]! - 1) * stride[k]!;
  // zero strides can make a huge tensor of a tiny storage; refuse more than the data could plausibly hold
  if (n > Math.max(st.numel, 1 << 24)) fail(`tensor of size [${size.join(', ')}] (${n} elements) over a storage of ${st.numel} is too large`);
  if (n > 0 && last >= st.numel) {
    fail(`tensor of size [${size.join(', ')}], stride [${stride.join(', ')}], offset ${offset} reads element ${last} of a storage of ${st.numel}`);
  }
  const dtype = st.cls.dtype;
  const out = { type: 'ndarray', dtype, shape: size, data: new Float64Array(0) as NdData } as NdArray;
  const fillFrom = (): void => {
    const r = st.resolve()!;
    if (n > 0 && last >= r.available) fail(`tensor reads element ${last} of storage '${st.key}', which holds ${r.available}`);
    const src = r.data as unknown as ArrayLike<unknown>;
    const dst = (Array.isArray(r.data) ? new Array(n) : new (r.data.constructor as new (k: number) => NdData)(n)) as unknown as unknown[];
    const ndim = size.length;
    const idx = new Array<number>(ndim).fill(0);
    let p = r.offset + offset;
    for (let c = 0; c < n; c++) {
      dst[c] = src[p];
      for (let k = ndim - 1; k >= 0; k--) {
        if (++idx[k]! < size[k]!) { p += stride[k]!; break; }
        p -= (size[k]! - 1) * stride[k]!;
        idx[k] = 0;
      }
    }
    Object.assign(out, ndarray(dtype, size, dst as unknown as NdData));
  };
  if (st.resolve()) fillFrom();
  else st.root().waiters.push(fillFrom);
  return out;
}

/** Decodes `numel` little/big-endian elements of a storage class. */
function decodeStorage(bytes: Uint8Array, cls: TorchStorageClass, numel: number, bigEndian: boolean): NdData {
  if (cls.elementType === 'bfloat16') {
    const out = new Float32Array(numel);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < numel; i++) {
      const hi = bigEndian ? bytes[2 * i]! : bytes[2 * i + 1]!;
      const lo = bigEndian ? bytes[2 * i + 1]! : bytes[2 * i]!;
      bits[i] = ((hi << 8) | lo) << 16;
    }
    return out;
  }
  const size = cls.itemsize;
  return decodeElements(bytes, { dtype: cls.elementType, byteOrder: size === 1 ? '|' : bigEndian ? '>' : '<', itemsize: size }, numel);
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/**
 * Reads `b` of `torch.storage._load_from_bytes(b)` (a whole `torch.save` file) and returns the
 * object it holds (usually a TorchStorage). `label` names it in errors.
 */
export function loadTorchBytes(b: Uint8Array, label: string, unpickle: Unpickle): unknown {
  if (b.length >= 2 && b[0] === 0x50 && b[1] === 0x4b) return loadTorchZip(b, label, unpickle);
  return loadTorchLegacy(b, label, unpickle);
}

function loadTorchLegacy(b: Uint8Array, label: string, unpickle: Unpickle): unknown {
  const refuse = (_pid: unknown, position: number): never => {
    throw new FormatError(label, position, 'persistent id in a torch header pickle (expected only in the main pickle)');
  };
  if (b.length >= 262 && b[257] === 0x75 && String.fromCharCode(...b.subarray(257, 262)) === 'ustar') {
    throw new FormatError(label, 0, 'torch tar serialisation (torch < 0.4) is not supported');
  }
  let r = unpickle(b, 0, label, refuse);
  if (r.value !== LEGACY_MAGIC) {
    throw new FormatError(label, 0, `expected the torch legacy magic number 0x1950a86a20f9469cfc6c, found ${describe(r.value)}`);
  }
  r = unpickle(b, r.end, label, refuse);
  if (r.value !== LEGACY_PROTOCOL) throw new FormatError(label, r.end, `expected torch protocol version 1001, found ${describe(r.value)}`);
  const infoAt = r.end;
  r = unpickle(b, r.end, label, refuse);
  if (!(r.value instanceof Map)) throw new FormatError(label, infoAt, `expected the torch sys info dict, found ${describe(r.value)}`);
  if (r.value.get('little_endian') !== true) {
    throw new FormatError(label, infoAt, `torch legacy file written on a big-endian machine (little_endian=${describe(r.value.get('little_endian'))}) is not supported`);
  }

  const storages = new Map<string, TorchStorage>();
  const views = new Map<string, TorchStorage>();
  const persistentLoad = (pid: unknown, position: number): unknown => {
    const fail: Fail = (problem) => { throw new FormatError(label, position, problem); };
    const t = tupleOf(pid, 'persistent id', fail);
    if (t[0] !== 'storage') fail(`persistent id of kind ${describe(t[0])} is not supported (only 'storage')`);
    if (t.length !== 5 && t.length !== 6) fail(`storage persistent id needs 5 or 6 entries, found ${t.length}`);
    const [, cls, key, , numelArg, view] = t;
    if (!(cls instanceof TorchStorageClass)) fail(`storage class must be a torch storage type, found ${describe(cls)}`);
    if (typeof key !== 'string') fail(`storage key must be a string, found ${describe(key)}`);
    const numel = count(numelArg, 'storage size', fail);
    let root = storages.get(key as string);
    if (!root) storages.set(key as string, (root = new TorchStorage(cls as TorchStorageClass, key as string, numel)));
    else if (root.cls !== cls) fail(`storage '${key}' is named as ${root.cls.name} and as ${(cls as TorchStorageClass).name}`);
    if (view === undefined || view === null) return root;
    const v = tupleOf(view, 'storage view', fail);
    if (v.length !== 3 || typeof v[0] !== 'string') fail('storage view must be (view_key, offset, size)');
    const viewKey = v[0] as string;
    let st = views.get(viewKey);
    if (!st) {
      const off = count(v[1], 'storage view offset', fail);
      const size = count(v[2], 'storage view size', fail);
      if (off + size > numel) fail(`storage view [${off}, ${off + size}) lies outside storage '${key}' of ${numel} elements`);
      views.set(viewKey, (st = new TorchStorage(root.cls, viewKey, size, root, off)));
    }
    return st;
  };
  const main = unpickle(b, r.end, label, persistentLoad);
  const keysAt = main.end;
  r = unpickle(b, main.end, label, refuse);
  if (!Array.isArray(r.value) || !r.value.every((k) => typeof k === 'string')) {
    throw new FormatError(label, keysAt, `expected the list of storage keys, found ${describe(r.value)}`);
  }
  let pos = r.end;
  for (const key of r.value as string[]) {
    const st = storages.get(key);
    if (!st) throw new FormatError(label, pos, `storage key '${key}' is not named in the pickle`);
    if (pos + 8 > b.length) throw new FormatError(label, pos, `truncated: expected the 8-byte element count of storage '${key}', found ${b.length - pos} bytes`);
    const n = new DataView(b.buffer, b.byteOffset + pos, 8).getBigInt64(0, true);
    const size = st.cls.itemsize;
    if (n < 0n || n > BigInt(Math.floor((b.length - pos - 8) / size))) {
      throw new FormatError(label, pos, `storage '${key}' claims ${n} elements of ${size} bytes, but only ${b.length - pos - 8} bytes follow`);
    }
    const numel = Number(n);
    if (numel < st.numel) throw new FormatError(label, pos, `storage '${key}' holds ${numel} elements, the pickle names ${st.numel}`);
    pos += 8;
    st.fill(decodeStorage(b.subarray(pos, pos + numel * size), st.cls, numel, false));
    pos += numel * size;
  }
  for (const st of storages.values()) {
    if (!st.data) throw new FormatError(label, pos, `storage '${st.key}' is named in the pickle but its data is missing`);
  }
  return main.value;
}

function loadTorchZip(b: Uint8Array, label: string, unpickle: Unpickle): unknown {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(b);
  } catch (error) {
    throw new FormatError(label, undefined, `torch zip archive cannot be read: ${(error as Error).message}`);
  }
  const pklName = Object.keys(files).find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pklName === undefined) throw new FormatError(label, undefined, 'torch zip archive has no data.pkl');
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const order = files[`${prefix}byteorder`];
  const bigEndian = order !== undefined && Buffer.from(order).toString('latin1').trim() === 'big';
  const pklLabel = `${label}/${pklName}`;
  const persistentLoad = (pid: unknown, position: number): unknown => {
    const fail: Fail = (problem) => { throw new FormatError(pklLabel, position, problem); };
    const t = tupleOf(pid, 'persistent id', fail);
    if (t[0] !== 'storage' || t.length !== 5) fail(`expected a persistent id ('storage', class, key, location, numel), found ${describe(pid)}`);
    const [, cls, key, , numelArg] = t;
    if (!(cls instanceof TorchStorageClass)) fail(`storage class must be a torch storage type, found ${describe(cls)}`);
    if (typeof key !== 'string') fail(`storage key must be a string, found ${describe(key)}`);
    const numel = count(numelArg, 'storage size', fail);
    const c = cls as TorchStorageClass;
    const bytes = files[`${prefix}data/${key}`];
    if (!bytes) fail(`storage '${key}' has no record ${prefix}data/${key} in the archive`);
    if (bytes!.length < numel * c.itemsize) fail(`storage '${key}' needs ${numel * c.itemsize} bytes, its record holds ${bytes!.length}`);
    const st = new TorchStorage(c, key as string, numel);
    st.fill(decodeStorage(bytes!.subarray(0, numel * c.itemsize), c, numel, bigEndian));
    return st;
  };
  return unpickle(files[pklName]!, 0, pklLabel, persistentLoad).value;
}
