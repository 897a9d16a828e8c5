/**
 * Writes Python pickles that Python 3's `pickle.load` reads with numpy 1.x or 2.x installed, with
 * or without `encoding='latin1'` (CodeTalker's `templates.pkl`: a dict subject → float64 [V,3]).
 *
 * Protocol 3, because:
 * - arrays are `numpy.core.multiarray._reconstruct` + BUILD `(1, shape, dtype, False, raw)`,
 *   the form numpy 1.x itself pickles at protocol 3 (DECA's `landmark_embedding.npy` holds
 *   exactly this). numpy 1.x has no `numpy._core`; numpy 2.x still resolves
 *   `numpy.core.multiarray._reconstruct` from pickles without a warning (checked with 2.4
 *   under `-W error`). Protocol 5 would pickle arrays through `_frombuffer` with a
 *   version-specific module path, so we do not use numpy's protocol-5 form;
 * - protocol 3 stores raw array data as BINBYTES (bytes in Python 3), so `encoding='latin1'`
 *   (which only affects Python 2 STRING opcodes) changes nothing; protocol 2 would route every
 *   array through `_codecs.encode(latin-1 str)`, about 1.5× the size and slower to load;
 * - every Python 3 reads protocol 3, and it needs no FRAME opcodes (protocol 4 only adds
 *   framing and 8-byte lengths, which arrays under 4 GiB do not need).
 *
 * Output is deterministic: the same value gives the same bytes. No memo is written (values are
 * trees; shared sub-values are written twice).
 */
import { writeFileAtomic } from '../util/atomic.js';
import { UsageError } from '../util/errors.js';
import { dtypeString, encodeElements, isNdArray, sizeOf, type NdArray } from './ndarray.js';

/** What `writePickle` accepts: dicts with string keys (Map or plain object), lists, arrays and scalars. */
export type PickleValue =
  | null | boolean | number | bigint | string | Uint8Array | NdArray
  | PickleValue[] | Map<string, PickleValue> | { [key: string]: PickleValue };

const PROTOCOL = 3;
/** Python's batch size for APPENDS/SETITEMS. */
const BATCH = 1000;

class Out {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(1 << 16);
  private n = 0;
  private flushSmall(): void {
    if (this.n > 0) { this.chunks.push(this.buf.slice(0, this.n)); this.n = 0; }
  }
  byte(...bytes: number[]): void {
    if (this.n + bytes.length > this.buf.length) this.flushSmall();
    for (const x of bytes) this.buf[this.n++] = x;
  }
  u32(v: number): void {
    this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  raw(bytes: Uint8Array): void {
    if (bytes.length <= 4096 && this.n + bytes.length <= this.buf.length) {
      this.buf.set(bytes, this.n);
      this.n += bytes.length;
      return;
    }
    this.flushSmall();
    this.chunks.push(bytes);
  }
  ascii(s: string): void {
    this.raw(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  }
  result(): Uint8Array {
    this.flushSmall();
    let total = 0;
    for (const c of this.chunks) total += c.length;
    const out = new Uint8Array(total);
    let p = 0;
    for (const c of this.chunks) { out.set(c, p); p += c.length; }
    return out;
  }
}

/** UTF-8 with Python's 'surrogatepass' for lone surrogates (as the pickler encodes str). */
function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i++; }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

class Writer {
  readonly out = new Out();
  private readonly open = new Set<object>();

  private fail(path: string, problem: string): never {
    throw new UsageError(`writePickle: ${path}: ${problem}`);
  }

  int(v: number | bigint): void {
    const o = this.out;
    if (typeof v === 'number' && v >= 0 && v < 0x100) o.byte(0x4b, v); // BININT1
    else if (typeof v === 'number' && v >= 0 && v < 0x10000) o.byte(0x4d, v & 0xff, v >> 8); // BININT2
    else if (typeof v === 'number' && v >= -0x80000000 && v < 0x80000000) { o.byte(0x4a); o.u32(v >>> 0); } // BININT
    else { // LONG1: little-endian two's complement, as few bytes as hold the sign
      let x = BigInt(v);
      const bytes: number[] = [];
      for (;;) {
        const byte = Number(x & 0xffn);
        bytes.push(byte);
        x >>= 8n;
        if ((x === 0n && !(byte & 0x80)) || (x === -1n && byte & 0x80)) break;
      }
      o.byte(0x8a, bytes.length, ...bytes);
    }
  }

  float(v: number): void {
    const b = new Uint8Array(9);
    b[0] = 0x47; // BINFLOAT, big-endian
    new DataView(b.buffer).setFloat64(1, v, false);
    this.out.raw(b);
  }

  unicode(s: string): void {
    const b = utf8(s);
    this.out.byte(0x58); // BINUNICODE
    this.out.u32(b.length);
    this.out.raw(b);
  }

  bytes(b: Uint8Array, path: string): void {
    if (b.length > 0xffffffff) this.fail(path, `${b.length} bytes exceed protocol 3's 4 GiB limit`);
    if (b.length < 0x100) this.out.byte(0x43, b.length); // SHORT_BINBYTES
    else { this.out.byte(0x42); this.out.u32(b.length); } // BINBYTES
    this.out.raw(b);
  }

  global(module: string, name: string): void {
    this.out.byte(0x63); // GLOBAL
    this.out.ascii(`${module}\n${name}\n`);
  }

  /** `numpy.dtype(code, False, True)` + BUILD, as numpy pickles dtypes. */
  dtype(a: NdArray): void {
    const o = this.out;
    const descr = dtypeString(a);
    const order = descr[0]!;
    const code = descr.slice(1);
    this.global('numpy', 'dtype');
    this.unicode(a.dtype === 'object' ? 'O8' : code);
    o.byte(0x89, 0x88, 0x87, 0x52); // False, True, TUPLE3, REDUCE
    o.byte(0x28); // MARK: (3, byteorder, None, None, None, elsize, alignment, flags)
    this.int(3);
    this.unicode(order);
    o.byte(0x4e, 0x4e, 0x4e);
    if (a.dtype === 'str' || a.dtype === 'bytes') {
      const chars = Number(code.slice(1));
      this.int(a.dtype === 'str' ? 4 * chars : chars);
      this.int(a.dtype === 'str' ? 4 : 1);
      this.int(8);
    } else {
      this.int(-1);
      this.int(-1);
      this.int(a.dtype === 'object' ? 63 : 0);
    }
    o.byte(0x74, 0x62); // TUPLE, BUILD
  }

  ndarray(a: NdArray, path: string): void {
    const o = this.out;
    const expected = sizeOf(a.shape) * (a.dtype === 'complex64' || a.dtype === 'complex128' ? 2 : 1);
    if (!a.data || a.data.length !== expected) this.fail(path, `array of shape (${a.shape.join(', ')}) needs ${expected} elements, has ${a.data?.length}`);
    this.global('numpy.core.multiarray', '_reconstruct');
    this.global('numpy', 'ndarray');
    o.byte(0x4b, 0, 0x85); // (0,)
    this.bytes(Uint8Array.of(0x62), path); // b'b'
    o.byte(0x87, 0x52); // TUPLE3, REDUCE
    o.byte(0x28); // MARK: (1, shape, dtype, is_fortran, raw)
    this.int(1);
    this.tuple(a.shape, path);
    this.dtype(a);
    o.byte(0x89); // C order
    if (a.dtype === 'object') this.list(a.data as unknown[], `${path}.data`);
    else {
      let raw: Uint8Array;
      try {
        raw = encodeElements(a);
      } catch (error) {
        return this.fail(path, (error as Error).message);
      }
      this.bytes(raw, path);
    }
    o.byte(0x74, 0x62); // TUPLE, BUILD
  }

  tuple(items: readonly number[], path: string): void {
    const o = this.out;
    if (items.length === 0) return o.byte(0x29);
    if (items.length > 3) o.byte(0x28);
    for (const x of items) {
      if (!Number.isSafeInteger(x) || x < 0) this.fail(path, `shape entry ${x} is not a non-negative integer`);
      this.int(x);
    }
    o.byte(items.length === 1 ? 0x85 : items.length === 2 ? 0x86 : items.length === 3 ? 0x87 : 0x74);
  }

  list(items: readonly unknown[], path: string): void {
    const o = this.out;
    o.byte(0x5d); // EMPTY_LIST
    for (let start = 0; start < items.length; start += BATCH) {
      o.byte(0x28);
      const end = Math.min(items.length, start + BATCH);
      for (let i = start; i < end; i++) this.value(items[i], `${path}[${i}]`);
      o.byte(0x65); // APPENDS
    }
  }

  dict(entries: Array<[unknown, unknown]>, path: string): void {
    const o = this.out;
    o.byte(0x7d); // EMPTY_DICT
    for (let start = 0; start < entries.length; start += BATCH) {
      o.byte(0x28);
      const end = Math.min(entries.length, start + BATCH);
      for (let i = start; i < end; i++) {
        const [k, v] = entries[i]!;
        if (typeof k !== 'string') this.fail(path, `dict keys must be strings, found ${typeof k}`);
        this.unicode(k as string);
        this.value(v, `${path}[${JSON.stringify(k)}]`);
      }
      o.byte(0x75); // SETITEMS
    }
  }

  value(v: unknown, path: string): void {
    const o = this.out;
    if (v === null) return o.byte(0x4e);
    switch (typeof v) {
      case 'boolean': return o.byte(v ? 0x88 : 0x89);
      case 'number': return Number.isSafeInteger(v) && !Object.is(v, -0) ? this.int(v) : this.float(v);
      case 'bigint': return this.int(v);
      case 'string': return this.unicode(v);
      case 'object': break;
      default: this.fail(path, `cannot pickle a ${typeof v}`);
    }
    const obj = v as object;
    if (this.open.has(obj)) this.fail(path, 'the value contains itself');
    this.open.add(obj);
    if (obj instanceof Uint8Array) this.bytes(obj, path);
    else if (isNdArray(obj)) this.ndarray(obj, path);
    else if (Array.isArray(obj)) this.list(obj, path);
    else if (obj instanceof Map) this.dict([...obj.entries()], path);
    else if (Object.getPrototypeOf(obj) === Object.prototype || Object.getPrototypeOf(obj) === null) this.dict(Object.entries(obj), path);
    else this.fail(path, `cannot pickle ${obj.constructor?.name ?? 'this object'} (supported: null, boolean, number, bigint, string, Uint8Array, NdArray, arrays, Map/plain-object dicts)`);
    this.open.delete(obj);
  }
}

/**
 * Pickles `value` (protocol 3). Dicts (`Map` or plain object) need string keys; integers that
 * are safe JS integers become Python ints, other numbers Python floats; NdArrays of every dtype
 * become numpy arrays. Throws UsageError naming the path of anything it cannot pickle.
 */
export function writePickle(value: PickleValue | unknown): Uint8Array {
  const w = new Writer();
  w.out.byte(0x80, PROTOCOL);
  w.value(value, 'value');
  w.out.byte(0x2e); // STOP
  return w.out.result();
}

/** Writes `writePickle(value)` to `path` atomically. */
export async function savePickle(path: string, value: PickleValue | unknown): Promise<void> {
  await writeFileAtomic(path, writePickle(value));
}
