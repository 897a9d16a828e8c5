import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPickle, loadPickle, UnsafePickleError, PICKLE_ALLOWED_GLOBALS } from '../../src/io/pickle.js';
import { dtypeString, encodeElements, isNdArray, isSparse, sparseToDense, type NdArray } from '../../src/io/ndarray.js';
import { FormatError, UsageError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { numpy, runPython, scipyAvailable } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { PY_DESC as PY_DESC_BASE, PY_TEST_ARRAYS, thrown } from '../helpers/numpy-arrays.js';

// ---- helpers --------------------------------------------------------------------------------

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const cat = (...parts: Array<Uint8Array | string | number[]>): Uint8Array =>
  Uint8Array.from(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p as Uint8Array)))));

interface Desc { descr: string; shape: number[]; hex: string }

/** An NdArray against python's description: little-endian type string, shape, C-order bytes. */
function expectArray(a: unknown, d: Desc, name = ''): void {
  expect(isNdArray(a), `${name} is an ndarray`).toBe(true);
  const arr = a as NdArray;
  expect(dtypeString(arr), `${name} dtype`).toBe(d.descr);
  expect(arr.shape, `${name} shape`).toEqual(d.shape);
  expect(Buffer.from(encodeElements(arr)).toString('hex'), `${name} data`).toBe(d.hex);
}

/** What readPickle throws (fails the test when it does not throw). */

const PY_DESC = `${PY_DESC_BASE}out = sys.argv[1]
`;

const PY_ARRAYS = PY_TEST_ARRAYS;

// ---- Python-written pickles -------------------------------------------------------------------

describe.skipIf(!numpy.available)('readPickle: Python-written values, protocols 0 to 5', () => {
  const dir = tempDir();
  const script = `${PY_DESC}
from collections import OrderedDict
shared = [1, 2]
rec = []
rec.append(rec)
obj = {'none': None, 't': True, 'f': False, 'i': 7, 'neg': -123456, 'i32min': -2**31, 'big': 2**70,
       'negbig': -2**65, 'i64max': 2**63 - 1, 'safe': 2**53 - 1, 'fl': 1.5, 'negz': -0.0, 'inf': float('inf'),
       'ninf': float('-inf'), 'tiny': 5e-324,
       'uni': 'h\\u00e9llo w\\u00f6rld \\U0001F600 \\n\\\\ \\x00 \\u2028 \\r \\x1a \\ufeff', 'empty': '',
       'bytes': b'\\x00\\xff abc', 'emptybytes': b'', 'ba': bytearray(b'xy\\x80'),
       'list': [1, [2, 3], (4, 5)], 'tuple': (1, 'a', None), 'empty_t': (), 'set': {1, 2, 3},
       'fs': frozenset({'a'}), 'nested': {'k': {'j': [1.25]}}, (1, 2): 'tuple key', 3: 'int key',
       'od': OrderedDict([('b', 1), ('a', 2)]), 'shared': shared, 'shared2': shared, 'rec': rec,
       'long_list': list(range(2500)), 'long_dict': {str(i): i for i in range(1500)}}
for p in range(6):
    with open(os.path.join(out, 'values%d.pkl' % p), 'wb') as f:
        pickle.dump(obj, f, protocol=p)
`;
  runPython(script, [dir]);

  for (const protocol of [0, 1, 2, 3, 4, 5]) {
    it(`reads every kind of value at protocol ${protocol}`, () => {
      const v = loadPickle(join(dir, `values${protocol}.pkl`)) as Map<unknown, unknown>;
      expect(v).toBeInstanceOf(Map);
      expect(v.get('none')).toBe(null);
      expect(v.get('t')).toBe(true);
      expect(v.get('f')).toBe(false);
      expect(v.get('i')).toBe(7);
      expect(v.get('neg')).toBe(-123456);
      expect(v.get('i32min')).toBe(-(2 ** 31));
      expect(v.get('big')).toBe(2n ** 70n);
      expect(v.get('negbig')).toBe(-(2n ** 65n));
      expect(v.get('i64max')).toBe(2n ** 63n - 1n);
      expect(v.get('safe')).toBe(2 ** 53 - 1);
      expect(v.get('fl')).toBe(1.5);
      expect(Object.is(v.get('negz'), -0)).toBe(true);
      expect(v.get('inf')).toBe(Infinity);
      expect(v.get('ninf')).toBe(-Infinity);
      expect(v.get('tiny')).toBe(5e-324);
      expect(v.get('uni')).toBe('h\u00e9llo w\u00f6rld \u{1F600} \n\\ \x00 \u2028 \r \x1a \ufeff');
      expect(v.get('empty')).toBe('');
      expect(v.get('bytes')).toEqual(Uint8Array.from([0, 255, 32, 97, 98, 99]));
      expect(v.get('emptybytes')).toEqual(new Uint8Array(0));
      expect(v.get('ba')).toEqual(Uint8Array.from([120, 121, 128]));
      const list = v.get('list') as unknown[];
      expect(list).toEqual([1, [2, 3], [4, 5]]);
      expect(Object.isFrozen(list)).toBe(false);
      expect(Object.isFrozen(list[2])).toBe(true); // tuple
      expect(v.get('tuple')).toEqual([1, 'a', null]);
      expect(v.get('empty_t')).toEqual([]);
      expect(v.get('set')).toEqual(new Set([1, 2, 3]));
      expect(v.get('fs')).toEqual(new Set(['a']));
      expect(Object.isFrozen(v.get('fs'))).toBe(true);
      expect(v.get('nested')).toEqual(new Map([['k', new Map([['j', [1.25]]])]]));
      const tupleKey = [...v.keys()].find((k) => Array.isArray(k));
      expect(tupleKey).toEqual([1, 2]);
      expect(v.get(tupleKey)).toBe('tuple key');
      expect(v.get(3)).toBe('int key');
      expect([...(v.get('od') as Map<string, number>).entries()]).toEqual([['b', 1], ['a', 2]]);
      expect(v.get('shared')).toBe(v.get('shared2')); // memo keeps identity
      const rec = v.get('rec') as unknown[];
      expect(rec[0]).toBe(rec);
      expect(v.get('long_list')).toEqual(Array.from({ length: 2500 }, (_, i) => i));
      const ld = v.get('long_dict') as Map<string, number>;
      expect(ld.size).toBe(1500);
      expect(ld.get('1499')).toBe(1499);
    });
  }
});

describe.skipIf(!numpy.available)('readPickle: numpy arrays of every dtype, byte order and layout', () => {
  const dir = tempDir();
  const expected = JSON.parse(runPython(`${PY_DESC}${PY_ARRAYS}
for p in range(6):
    with open(os.path.join(out, 'arrays%d.pkl' % p), 'wb') as f:
        pickle.dump(arrays, f, protocol=p)
scalars = [np.float64(1.5), np.int64(2**60), np.int64(-5), np.bool_(True), np.float32(0.25), np.uint8(200), np.float16(0.5)]
for p in range(6):
    with open(os.path.join(out, 'scalars%d.pkl' % p), 'wb') as f:
        pickle.dump(scalars, f, protocol=p)
obj = np.empty((2, 2), dtype=object)
obj[0, 0] = 1; obj[0, 1] = 'two'; obj[1, 0] = None; obj[1, 1] = [3]
with open(os.path.join(out, 'object.pkl'), 'wb') as f:
    pickle.dump({'c': obj, 'f': np.asfortranarray(obj)}, f, protocol=2)
print(json.dumps({k: desc(v) for k, v in arrays.items()}))
`, [dir])) as Record<string, Desc>;

  for (const protocol of [0, 1, 2, 3, 4, 5]) {
    it(`matches numpy for all ${Object.keys(expected).length} arrays at protocol ${protocol}`, () => {
      const v = loadPickle(join(dir, `arrays${protocol}.pkl`)) as Map<string, unknown>;
      expect(v.size).toBe(Object.keys(expected).length);
      for (const [name, d] of Object.entries(expected)) expectArray(v.get(name), d, name);
    });
    it(`reads numpy scalars at protocol ${protocol}`, () => {
      const v = loadPickle(join(dir, `scalars${protocol}.pkl`));
      expect(v).toEqual([1.5, 2n ** 60n, -5, true, 0.25, 200, 0.5]);
    });
  }

  it('reads object arrays (elements in C order, also when pickled Fortran-ordered)', () => {
    const v = loadPickle(join(dir, 'object.pkl')) as Map<string, NdArray>;
    for (const key of ['c', 'f']) {
      const a = v.get(key)!;
      expect(a.dtype).toBe('object');
      expect(a.shape).toEqual([2, 2]);
      expect(a.data).toEqual([1, 'two', null, [3]]);
    }
  });
});

describe.skipIf(!scipyAvailable)('readPickle: scipy.sparse matrices', () => {
  const dir = tempDir();
  const dense = JSON.parse(runPython(`${PY_DESC}
import scipy.sparse as sp
m = np.array([[1.5, 0, 0, 2], [0, 0, -3, 0], [4, 0, 0, 0]])
mats = {}
for fmt in ['csc', 'csr', 'coo']:
    mats[fmt + '_matrix'] = getattr(sp, fmt + '_matrix')(m)
    mats[fmt + '_array'] = getattr(sp, fmt + '_array')(m.astype(np.float32))
for p in [0, 2, 5]:
    with open(os.path.join(out, 'sparse%d.pkl' % p), 'wb') as f:
        pickle.dump(mats, f, protocol=p)
print(json.dumps(m.tolist()))
`, [dir])) as number[][];

  for (const protocol of [0, 2, 5]) {
    it(`reads csc/csr/coo matrices and arrays at protocol ${protocol}`, () => {
      const v = loadPickle(join(dir, `sparse${protocol}.pkl`)) as Map<string, unknown>;
      expect([...v.keys()].sort()).toEqual(['coo_array', 'coo_matrix', 'csc_array', 'csc_matrix', 'csr_array', 'csr_matrix']);
      for (const [name, m] of v) {
        expect(isSparse(m), name).toBe(true);
        if (!isSparse(m)) continue;
        expect(m.format).toBe(name.slice(0, 3));
        expect(m.shape).toEqual([3, 4]);
        expect(m.data.dtype).toBe(name.endsWith('array') ? 'float32' : 'float64');
        expect(Array.from(sparseToDense(m))).toEqual(dense.flat());
      }
    });
  }
});

describe.skipIf(!numpy.available)('readPickle: chumpy Ch objects (a stand-in chumpy.ch module)', () => {
  const dir = tempDir();
  const expected = JSON.parse(runPython(`${PY_DESC}
import types
chumpy = types.ModuleType('chumpy'); ch = types.ModuleType('chumpy.ch')
class Ch(object):
    def __init__(self, x):
        self.x = np.asarray(x, dtype=np.float64)
        self._dirty_vars = set(['x'])
        self._itr = None
        self._make_dense = False
        self._depends_on_deps = {}
Ch.__module__ = 'chumpy.ch'
ch.Ch = Ch; chumpy.ch = ch
sys.modules['chumpy'] = chumpy; sys.modules['chumpy.ch'] = ch
sd = np.arange(24.0).reshape(2, 3, 4) / 7
obj = {'shapedirs': Ch(sd), 'scalar': Ch(2.5), 'plain': np.ones(2)}
for p in range(6):
    with open(os.path.join(out, 'ch%d.pkl' % p), 'wb') as f:
        pickle.dump(obj, f, protocol=p)
print(json.dumps({'shapedirs': desc(sd), 'scalar': desc(np.float64(2.5)), 'plain': desc(np.ones(2))}))
`, [dir])) as Record<string, Desc>;

  for (const protocol of [0, 1, 2, 3, 4, 5]) {
    it(`gives the ndarray under 'x' at protocol ${protocol}`, () => {
      const v = loadPickle(join(dir, `ch${protocol}.pkl`)) as Map<string, unknown>;
      for (const [k, d] of Object.entries(expected)) expectArray(v.get(k), d, k);
    });
  }
});

describe.skipIf(!scipyAvailable)('readPickle: a Python-2-style protocol-2 FLAME model pickle (built by hand)', () => {
  const dir = tempDir();
  const expected = JSON.parse(runPython(`${PY_DESC}
import types, warnings
warnings.simplefilter('ignore')
def G(m, n): return b'c' + m.encode() + b'\\n' + n.encode() + b'\\n'
def SB(s):
    b = s.encode('latin1'); return b'U' + bytes([len(b)]) + b
def BS(b): return b'T' + struct.pack('<i', len(b)) + b
def I(n): return b'K' + bytes([n]) if n < 256 else b'M' + struct.pack('<H', n)
def arr(a, fortran=False):
    raw = a.tobytes(order='F' if fortran else 'C')
    shape = b'(' + b''.join(I(d) for d in a.shape) + b't'
    code, order = a.dtype.str[1:], a.dtype.str[0]
    return (G('numpy.core.multiarray', '_reconstruct') + G('numpy', 'ndarray') + I(0) + b'\\x85' + SB('b') + b'\\x87R'
            + b'(' + I(1) + shape + G('numpy', 'dtype') + SB(code) + I(0) + I(1) + b'\\x87R'
            + b'(' + I(3) + SB(order) + b'NNNJ\\xff\\xff\\xff\\xffJ\\xff\\xff\\xff\\xff' + I(0) + b'tb'
            + (b'\\x88' if fortran else b'\\x89') + BS(raw) + b'tb')
def reconstructor(cls_module, cls_name):
    return G('copy_reg', '_reconstructor') + b'q\\x01(' + G(cls_module, cls_name) + G('__builtin__', 'object') + b'NtR'
rng = np.random.default_rng(3)
v_template = rng.normal(size=(7, 3))
faces = np.array([[0, 1, 2], [2, 3, 4], [4, 5, 6]], dtype=np.uint32)
shapedirs = rng.normal(size=(7, 3, 4))
weights = np.asfortranarray(rng.random((7, 5)))
kintree = np.array([[4294967295, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64)
import scipy.sparse as sp
J = sp.csc_matrix(np.where(rng.random((5, 7)) > 0.5, rng.random((5, 7)), 0))
p = b'\\x80\\x02}q\\x00('
p += SB('v_template') + arr(v_template)
p += SB('f') + arr(faces)
p += SB('shapedirs') + reconstructor('chumpy.ch', 'Ch') + b'}(' + SB('x') + arr(shapedirs) + SB('_dirty_vars') + G('__builtin__', 'set') + b']\\x85R' + SB('_itr') + b'N' + SB('_make_dense') + b'\\x89ub'
p += SB('J_regressor') + reconstructor('scipy.sparse.csc', 'csc_matrix') + b'}(' + SB('_shape') + I(5) + I(7) + b'\\x86' + SB('maxprint') + I(50) + SB('indices') + arr(J.indices) + SB('indptr') + arr(J.indptr) + SB('data') + arr(J.data) + SB('format') + SB('csc') + b'ub'
p += SB('weights') + arr(weights, fortran=True)
p += SB('kintree_table') + arr(kintree)
p += SB('bs_style') + SB('lbs') + SB('bs_type') + SB('lrotmin') + SB('latin') + BS(b'caf\\xe9 \\x80')
p += b'u.'
# the hand-built pickle must load in Python 3 exactly as FLAME pickles do
chumpy = types.ModuleType('chumpy'); ch = types.ModuleType('chumpy.ch')
class Ch(object): pass
Ch.__module__ = 'chumpy.ch'; ch.Ch = Ch; chumpy.ch = ch
sys.modules['chumpy'] = chumpy; sys.modules['chumpy.ch'] = ch
d = pickle.loads(p, encoding='latin1')
assert np.array_equal(d['shapedirs'].x, shapedirs) and np.array_equal(d['weights'], weights)
assert (d['J_regressor'].toarray() == J.toarray()).all() and d['latin'] == 'caf\\xe9 \\x80'
open(os.path.join(out, 'generic_model.pkl'), 'wb').write(p)
print(json.dumps({'v_template': desc(v_template), 'f': desc(faces), 'shapedirs': desc(shapedirs), 'weights': desc(weights),
                  'kintree_table': desc(kintree), 'J': J.toarray().ravel().tolist()}))
`, [dir])) as Record<string, Desc> & { J: number[] };

  it('reads arrays, the chumpy shapedirs, the sparse regressor and latin-1 strings', () => {
    const m = loadPickle(join(dir, 'generic_model.pkl')) as Map<string, unknown>;
    for (const k of ['v_template', 'f', 'shapedirs', 'weights', 'kintree_table']) expectArray(m.get(k), expected[k] as Desc, k);
    const J = m.get('J_regressor');
    expect(isSparse(J)).toBe(true);
    expect(Array.from(sparseToDense(J as never))).toEqual(expected.J);
    expect(m.get('bs_style')).toBe('lbs');
    expect(m.get('bs_type')).toBe('lrotmin');
    expect(m.get('latin')).toBe('caf\u00e9 \u0080');
  });
});

describe.skipIf(!numpy.available)('readPickle: torch tensors (legacy and zip torch.save data, built by hand)', () => {
  const dir = tempDir();
  const expected = JSON.parse(runPython(`${PY_DESC}
import zipfile, io
def BU(s):
    b = s.encode(); return b'X' + struct.pack('<I', len(b)) + b
def BB(b): return b'B' + struct.pack('<I', len(b)) + b
def I(n): return b'J' + struct.pack('<i', n)
def tup(xs): return b'(' + b''.join(I(x) for x in xs) + b't'
def legacy(storage_class, key, numel, data, view=None):
    main = b'\\x80\\x02(' + BU('storage') + b'ctorch\\n' + storage_class.encode() + b'\\n' + BU(key) + BU('cpu') + I(numel)
    main += (b'(' + BU(view[0]) + I(view[1]) + I(view[2]) + b't' if view else b'N') + b'tQ.'
    return (pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps({'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, protocol=2)
            + main + pickle.dumps([key], protocol=2) + struct.pack('<q', numel) + data)
def zipped(storage_class, key, numel, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('archive/data.pkl', b'\\x80\\x02(' + BU('storage') + b'ctorch\\n' + storage_class.encode() + b'\\n' + BU(key) + BU('cpu') + I(numel) + b'tQ.')
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/data/' + key, data)
    return buf.getvalue()
def tensor(blob, offset, size, stride):
    return (b'ctorch._utils\\n_rebuild_tensor_v2\\n(ctorch.storage\\n_load_from_bytes\\n' + BB(blob) + b'\\x85R'
            + I(offset) + tup(size) + tup(stride) + b'\\x89ccollections\\nOrderedDict\\n)RtR')
def expect(st, offset, size, stride):
    return np.lib.stride_tricks.as_strided(st[offset:], shape=size, strides=[s * st.itemsize for s in stride]).copy()
f32 = (np.arange(40, dtype='<f4') * 0.5 - 3)
i64 = np.arange(30, dtype='<i8') * 1000003 - 2**40
f64 = np.linspace(-1, 1, 24)
u8 = np.arange(12, dtype=np.uint8)
cases = {
  'contiguous': (legacy('FloatStorage', '940', 40, f32.tobytes()), f32, 0, (5, 8), (8, 1)),
  'transposed': (legacy('FloatStorage', '941', 40, f32.tobytes()), f32, 2, (4, 3), (1, 8)),
  'long': (legacy('LongStorage', '942', 30, i64.tobytes()), i64, 3, (3, 3, 3), (9, 3, 1)),
  'view': (legacy('DoubleStorage', '943', 24, f64.tobytes(), ('944', 4, 12)), f64[4:16], 1, (2, 5), (5, 1)),
  'zip': (zipped('DoubleStorage', '0', 24, f64.tobytes()), f64, 0, (4, 6), (1, 4)),
  'bytes': (legacy('ByteStorage', '945', 12, u8.tobytes()), u8, 0, (12,), (1,)),
}
p = b'\\x80\\x02}('
for name, (blob, st, off, size, stride) in cases.items():
    p += BU(name) + tensor(blob, off, size, stride)
p += b'u.'
open(os.path.join(out, 'torch.pkl'), 'wb').write(p)
print(json.dumps({name: desc(expect(st, off, size, stride)) for name, (blob, st, off, size, stride) in cases.items()}))
`, [dir])) as Record<string, Desc>;

  it('rebuilds tensors with offsets, strides and storage views, as numpy as_strided does', () => {
    const v = loadPickle(join(dir, 'torch.pkl')) as Map<string, unknown>;
    expect([...v.keys()]).toEqual(Object.keys(expected));
    for (const [name, d] of Object.entries(expected)) expectArray(v.get(name), d, name);
    expect((v.get('long') as NdArray).dtype).toBe('int64');
    expect((v.get('transposed') as NdArray).dtype).toBe('float32');
  });

  it('refuses a tensor that reads beyond its storage', () => {
    const bytes = readFileSync(join(dir, 'torch.pkl'));
    // 'bytes' case: size (12,) → patch the size to 13 (J + int32 little-endian)
    const at = Buffer.from(bytes).lastIndexOf(Buffer.from([0x28, 0x4a, 12, 0, 0, 0, 0x74]));
    expect(at).toBeGreaterThan(0);
    const bad = Uint8Array.from(bytes);
    bad[at + 2] = 13;
    const e = thrown(() => readPickle(bad, { file: 't.pkl' }));
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toMatch(/reads element 12 of a storage of 12/);
  });
});

// ---- hand-made pickles (no Python needed) ---------------------------------------------------

describe('readPickle: opcodes by hand', () => {
  it('reads text-mode opcodes: INT, LONG, FLOAT, STRING escapes, UNICODE escapes, GET/PUT', () => {
    const p = enc("(lp0\nI42\naI-7\naI01\naI00\naL123456789012345678901L\naF-1.25e-3\naFinf\naS'a\\'b\\x41\\101\\n\\\\ \xe9'\np1\naVx\\u00e9\\U0001f600\\\\u\naS\"q\"\nag1\na.");
    expect(readPickle(p)).toEqual([42, -7, true, false, 123456789012345678901n, -1.25e-3, Infinity, "a'bAA\n\\ \u00e9", 'x\u00e9\u{1F600}\\\\u', 'q', "a'bAA\n\\ \u00e9"]);
  });

  it('reads protocol 2 to 5 binary opcodes', () => {
    const p = cat([0x80, 5, 0x95], [0, 0, 0, 0, 0, 0, 0, 0], [0x5d, 0x94, 0x28],
      [0x4a, 0xfe, 0xff, 0xff, 0xff], [0x4d, 0x34, 0x12], [0x8a, 0], [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff],
      [0x8b, 2, 0, 0, 0, 0xff, 0x7f], [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], [0x8c, 2, 0xc3, 0xa9],
      [0x8d, 1, 0, 0, 0, 0, 0, 0, 0, 0x7a], [0x8e, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2], [0x96, 1, 0, 0, 0, 0, 0, 0, 0, 9],
      [0x8f, 0x28, 0x4b, 1, 0x4b, 2, 0x90], [0x28, 0x4b, 3, 0x91], [0x4e, 0x32, 0x30], [0x68, 0, 0x85],
      [0x65, 0x2e]);
    const v = readPickle(p) as unknown[];
    expect(v.slice(0, 3)).toEqual([-2, 0x1234, 0]);
    expect(v[3]).toBe(-(2n ** 63n)); // LONG1 of 9 bytes: 0xff80 << 56, two's complement
    expect(v[4]).toBe(0x7fff);
    expect(v[5]).toBe(1.5);
    expect(v[6]).toBe('\u00e9');
    expect(v[7]).toBe('z');
    expect(v[8]).toEqual(Uint8Array.of(1, 2));
    expect(v[9]).toEqual(Uint8Array.of(9));
    expect(v[10]).toEqual(new Set([1, 2]));
    expect(v[11]).toEqual(new Set([3]));
    expect(v[12]).toBe(null);
    expect((v[13] as unknown[])[0]).toBe(v); // BINGET 0: the list itself (memoized by MEMOIZE), in a 1-tuple
  });

  it('decodes lone surrogates the way Python does (surrogatepass)', () => {
    const p = cat([0x80, 3, 0x58, 3, 0, 0, 0, 0xed, 0xa0, 0x80, 0x2e]);
    expect(readPickle(p)).toBe('\ud800');
  });

  it('ignores bytes after STOP and reports positions relative to the given offset', () => {
    expect(readPickle(cat([0x4b, 5, 0x2e, 0xff, 0xff]))).toBe(5);
    const e = thrown(() => readPickle(cat([0x4b, 5, 0xff]), { file: 'x.npy', offset: 128 }));
    expect((e as Error).message).toBe("x.npy at byte 130: unknown opcode 0xff");
  });

  it('exports its allow-list', () => {
    expect(PICKLE_ALLOWED_GLOBALS).toContain('numpy.core.multiarray._reconstruct');
    expect(PICKLE_ALLOWED_GLOBALS).toContain('copyreg._reconstructor');
    expect(PICKLE_ALLOWED_GLOBALS).not.toContain('os.system');
    expect(PICKLE_ALLOWED_GLOBALS.some((g) => /eval|exec|system|getattr|apply|Popen/.test(g))).toBe(false);
  });

  it('loadPickle names a missing file as a usage error', () => {
    const e = thrown(() => loadPickle('/nonexistent/landmarks.pkl'));
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toContain('/nonexistent/landmarks.pkl');
  });
});

// ---- refusal -------------------------------------------------------------------------------

describe('readPickle: refuses everything off the allow-list, and runs nothing', () => {
  const dir = tempDir();
  const marker = (name: string): string => join(dir, name);
  /** Payloads that, in Python, would run a command creating `path`. */
  const payloads = (path: string): Record<string, { bytes: Uint8Array; global: string }> => ({
    'GLOBAL os.system': { bytes: enc(`cos\nsystem\n(S'touch ${path}'\ntR.`), global: 'os.system' },
    'GLOBAL posix.system': { bytes: enc(`cposix\nsystem\n(S'touch ${path}'\ntR.`), global: 'posix.system' },
    'STACK_GLOBAL os.system': {
      bytes: cat([0x80, 4, 0x8c, 2], 'os', [0x8c, 6], 'system', [0x93, 0x8c, 6 + path.length], `touch ${path}`, [0x85, 0x52, 0x2e]),
      global: 'os.system',
    },
    'INST os.system': { bytes: enc(`(S'touch ${path}'\nios\nsystem\n.`), global: 'os.system' },
    'OBJ posix.system': { bytes: enc(`(cposix\nsystem\nS'touch ${path}'\no.`), global: 'posix.system' },
    'builtins.eval': { bytes: enc(`cbuiltins\neval\n(S'open("${path}", "w").close()'\ntR.`), global: 'builtins.eval' },
    'builtins.exec': { bytes: enc(`c__builtin__\nexec\n(S'open("${path}", "w").close()'\ntR.`), global: '__builtin__.exec' },
    'subprocess.Popen': { bytes: enc(`csubprocess\nPopen\n((S'touch'\nS'${path}'\nltR.`), global: 'subprocess.Popen' },
    'nested in a dict': { bytes: enc(`(dS'a'\ncos\nsystem\n(S'touch ${path}'\ntRs.`), global: 'os.system' },
    'getattr': { bytes: enc(`cbuiltins\ngetattr\n(cbuiltins\nobject\nS'__subclasses__'\ntR.`), global: 'builtins.getattr' },
    'apply': { bytes: enc(`c__builtin__\napply\n(cos\nsystem\n(S'touch ${path}'\nttR.`), global: '__builtin__.apply' },
    'reconstructor with a foreign class': { bytes: enc("ccopy_reg\n_reconstructor\n(cos\n_wrap_close\nc__builtin__\nobject\nNtR."), global: 'os._wrap_close' },
  });

  for (const [name, { global }] of Object.entries(payloads(''))) {
    it(`refuses ${name}, naming '${global}'`, () => {
      const path = marker(name.replace(/\W/g, '_'));
      const { bytes } = payloads(path)[name]!;
      const e = thrown(() => readPickle(bytes, { file: 'landmarks.pkl' }));
      expect(e).toBeInstanceOf(UnsafePickleError);
      expect((e as UnsafePickleError).global).toBe(global);
      expect((e as Error).message).toMatch(new RegExp(`^landmarks\\.pkl at byte \\d+: refusing global '${global.replace(/\./g, '\\.')}': not on the allow-list \\(the pickle is never executed\\)$`));
      expect(existsSync(path)).toBe(false);
    });
  }

  it('names the GLOBAL position in the message', () => {
    const e = thrown(() => readPickle(cat([0x80, 2], 'cos\nsystem\n', '(tR.'), { file: 'landmarks.pkl' }));
    expect((e as Error).message).toBe("landmarks.pkl at byte 2: refusing global 'os.system': not on the allow-list (the pickle is never executed)");
  });

  it.skipIf(!numpy.available)('the payloads are live: Python itself runs them (so the refusals above matter)', () => {
    const path = marker('python-ran-it');
    runPython(`import pickle, sys\npickle.loads(bytes.fromhex(sys.argv[1]))`, [Buffer.from(payloads(path)['INST os.system']!.bytes).toString('hex')]);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses extension codes, persistent ids outside torch storages and out-of-band buffers', () => {
    for (const [bytes, re] of [
      [cat([0x80, 2, 0x82, 7, 0x2e]), /refusing EXT1 7/],
      [cat([0x80, 2, 0x83, 1, 1, 0x2e]), /refusing EXT2 257/],
      [cat([0x80, 2, 0x84, 1, 0, 0, 0, 0x2e]), /refusing EXT4 1/],
      [enc('Pabc\n.'), /refusing persistent id the string 'abc'/],
      [cat([0x80, 2, 0x4b, 1, 0x51, 0x2e]), /refusing persistent id the number 1/],
    ] as const) {
      const e = thrown(() => readPickle(bytes));
      expect(e).toBeInstanceOf(UnsafePickleError);
      expect((e as Error).message).toMatch(re);
    }
    const e = thrown(() => readPickle(cat([0x80, 5, 0x97, 0x2e])));
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toMatch(/NEXT_BUFFER: out-of-band buffers/);
    expect((thrown(() => readPickle(cat([0x80, 5, 0x43, 0, 0x98, 0x2e]))) as Error).message).toMatch(/READONLY_BUFFER/);
  });

  it('refuses to call allowed globals that are not functions, and odd arguments to allowed ones', () => {
    for (const [p, re] of [
      ['cnumpy\nndarray\n)R.', /global 'numpy\.ndarray' cannot be called/],
      ["c_codecs\nencode\n(Vabc\nVutf-8\ntR.", /only latin-1 is supported/],
      ["ccopy_reg\n_reconstructor\n(cchumpy.ch\nCh\nccollections\nOrderedDict\nNtR.", /only base 'object'/],
      ["cnumpy\ndtype\n(S'V16'\nI0\nI1\ntR.", /void\/structured dtype 'V16' is not supported/],
      ["cnumpy\ndtype\n(S'M8'\nI0\nI1\ntR.", /datetime/],
    ] as const) {
      const e = thrown(() => readPickle(enc(p)));
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(re);
    }
  });
});

// ---- malformed input ------------------------------------------------------------------------

describe('readPickle: malformed input gives a FormatError naming file and position', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty input', new Uint8Array(0), /at byte 0: truncated: expected an opcode/],
    ['unknown opcode', cat([0x80, 2, 0xff]), /at byte 2: unknown opcode 0xff/],
    ['unknown printable opcode', enc('Z.'), /unknown opcode 0x5a \('Z'\)/],
    ['stack underflow', cat([0x80, 2, 0x85, 0x2e]), /at byte 2: stack underflow: TUPLE1 needs an item/],
    ['STOP on an empty stack', enc('.'), /stack underflow: STOP/],
    ['MARK missing', enc('t.'), /MARK missing: TUPLE needs a MARK/],
    ['memo key missing', cat([0x80, 2, 0x68, 5, 0x2e]), /memo key 5 missing/],
    ['bad UTF-8', cat([0x80, 3, 0x58, 2, 0, 0, 0, 0xff, 0xfe, 0x2e]), /invalid UTF-8 in the BINUNICODE argument at byte 7/],
    ['truncated BINBYTES', cat([0x80, 3, 0x42, 10, 0, 0, 0, 1, 2]), /truncated: BINBYTES needs 10 bytes of argument, found 2/],
    ['absurd BINBYTES8', cat([0x80, 4, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x10, 1]), /BINBYTES8 needs 1152921504606846976 bytes of argument, found 1/],
    ['absurd LONG4', cat([0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f, 1]), /LONG4 needs 2147483647 bytes/],
    ['negative BINSTRING', cat([0x80, 2, 0x54, 0xff, 0xff, 0xff, 0xff]), /negative length/],
    ['unquoted STRING', enc('Sabc\n.'), /STRING argument must be quoted/],
    ['bad \\x escape', enc("S'\\xZZ'\n."), /invalid \\x escape/],
    ['text INT not a number', enc('I12a\n.'), /INT argument must be an integer, found '12a'/],
    ['protocol 6', cat([0x80, 6]), /unsupported pickle protocol 6/],
    ['APPEND to a tuple', cat([0x80, 2, 0x29, 0x4b, 1, 0x61, 0x2e]), /APPEND needs a list, found a tuple of 0/],
    ['SETITEM on a list', cat([0x80, 2, 0x5d, 0x4b, 1, 0x4b, 2, 0x73, 0x2e]), /SETITEM needs a dict/],
    ['odd DICT', enc('(I1\nd.'), /DICT needs key\/value pairs, found 1 items/],
    ['unhashable key', enc('(d(lI1\ns.'), /unhashable dict key/],
    ['REDUCE on a number', cat([0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e]), /REDUCE: the number 1 cannot be called/],
    ['BUILD on a list', cat([0x80, 2, 0x5d, 0x4b, 1, 0x62, 0x2e]), /BUILD: cannot set state the number 1 on a list/],
    ['array data shorter than its shape', enc(
      "cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I0\ntS'b'\ntR(I1\n(I100000\nI100000\ntcnumpy\ndtype\n(S'f8'\nI0\nI1\ntR(I3\nS'<'\nNNNI-1\nI-1\nI0\ntbI00\nS'abcdefgh'\ntb."),
      /numpy array: shape \(100000, 100000\) of dtype 'f8' needs 80000000000 bytes, found 8/],
    ['structured dtype state', enc("cnumpy\ndtype\n(S'f8'\nI0\nI1\ntR(I3\nS'|'\nN(S'a'\ntNI8\nI1\nI0\ntb."), /structured numpy dtype \(fields a\) is not supported/],
  ];
  for (const [name, bytes, re] of cases) {
    it(name, () => {
      const e = thrown(() => readPickle(bytes, { file: 'bad.pkl' }));
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(/^bad\.pkl at byte \d+: /);
      expect((e as Error).message).toMatch(re);
    });
  }

  const samples: Record<string, Uint8Array> = {
    'protocol 0 dict': enc("(dp0\nS'a'\np1\n(lp2\nI1\naF2.5\naVx\\u00e9\np3\nasS'b'\np4\nNs."),
    'protocol 2 array': enc(
      "\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85U\x01b\x87Rq\x02(K\x01K\x02K\x02\x86cnumpy\ndtype\nU\x02f4K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x10" +
      '\x00\x00\x80?\x00\x00\x00@\x00\x00@@\x00\x00\x80@' + 'tbh\x02\x86.'),
  };
  for (const [name, bytes] of Object.entries(samples)) {
    it(`every truncation of a ${name} pickle throws a FormatError`, () => {
      expect(readPickle(bytes)).toBeTruthy();
      for (let n = 0; n < bytes.length; n++) {
        const e = thrown(() => readPickle(bytes.subarray(0, n), { file: 'cut.pkl' }));
        expect(e, `cut at ${n}`).toBeInstanceOf(FormatError);
      }
    });
  }

  it('seed 7: 2000 random corruptions either read or throw a FormatError, and never hang', () => {
    const rng = new Rng(7);
    const inputs = Object.values(samples);
    let failures = 0;
    for (let k = 0; k < 2000; k++) {
      const bytes = Uint8Array.from(inputs[k % inputs.length]!);
      const flips = 1 + rng.int(3);
      for (let f = 0; f < flips; f++) bytes[rng.int(bytes.length)] = rng.int(256);
      try {
        readPickle(bytes);
      } catch (error) {
        failures++;
        expect(error, `corruption ${k}`).toBeInstanceOf(FormatError);
      }
    }
    expect(failures).toBeGreaterThan(100);
  });

  it.skipIf(!numpy.available)('every truncation of Python-written pickles (protocols 0, 2, 5 with arrays) throws a FormatError', () => {
    const dir = tempDir();
    runPython(`${PY_DESC}
obj = {'a': np.arange(6, dtype='>i4').reshape(2, 3), 'f': np.asfortranarray(np.ones((2, 2))), 's': ['x', (1, 2.5)], 'b': b'xyz'}
for p in [0, 2, 5]:
    open(os.path.join(out, 'p%d.pkl' % p), 'wb').write(pickle.dumps(obj, protocol=p))
`, [dir]);
    for (const p of [0, 2, 5]) {
      const bytes = Uint8Array.from(readFileSync(join(dir, `p${p}.pkl`)));
      expect(readPickle(bytes)).toBeInstanceOf(Map);
      for (let n = 0; n < bytes.length; n++) {
        const e = thrown(() => readPickle(bytes.subarray(0, n), { file: `p${p}.pkl` }));
        expect(e, `protocol ${p} cut at ${n}`).toBeInstanceOf(FormatError);
      }
    }
  });
});
