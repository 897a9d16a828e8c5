import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNpy, readNpy, readNpyHeader, saveNpy, unwrapObject, writeNpy } from '../../src/io/npy.js';
import { dtypeString, encodeElements, isNdArray, nd, ndarray, type NdArray } from '../../src/io/ndarray.js';
import { FormatError, UsageError } from '../../src/util/errors.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { PY_DESC, PY_TEST_ARRAYS, thrown } from '../helpers/numpy-arrays.js';

interface Desc { descr: string; shape: number[]; hex: string }

const hex = (a: NdArray): string => Buffer.from(encodeElements(a)).toString('hex');

function expectArray(a: unknown, d: Desc, name = ''): void {
  expect(isNdArray(a), `${name} is an ndarray`).toBe(true);
  const arr = a as NdArray;
  expect(dtypeString(arr), `${name} dtype`).toBe(d.descr);
  expect(arr.shape, `${name} shape`).toEqual(d.shape);
  expect(hex(arr), `${name} data`).toBe(d.hex);
}


const PY = `${PY_DESC}${PY_TEST_ARRAYS}out = sys.argv[1]
`;

const fileName = (key: string): string => key.replace(/[<>|]/g, (c) => ({ '<': 'le', '>': 'be', '|': 'na' })[c]!).replace(' ', '_');

describe.skipIf(!numpy.available)('npy: files numpy writes', () => {
  const dir = tempDir();
  const expected = JSON.parse(runPython(`${PY}
def name(k): return k.replace('<', 'le').replace('>', 'be').replace('|', 'na').replace(' ', '_')
for k, a in arrays.items():
    np.save(os.path.join(out, name(k) + '.npy'), a)
    # what numpy writes for the same values, C order and little-endian: writeNpy must match it byte for byte
    np.save(os.path.join(out, name(k) + '.le.npy'), a.astype(a.dtype.newbyteorder('<'), order='C'))
a = np.arange(24, dtype='>f8').reshape(2, 3, 4)
np.lib.format.write_array(open(os.path.join(out, 'v2.npy'), 'wb'), a, version=(2, 0))
np.lib.format.write_array(open(os.path.join(out, 'v3.npy'), 'wb'), a, version=(3, 0))
np.save(os.path.join(out, 'object.npy'), np.array({'idx': np.arange(3), 'name': 'x', 'nested': [1.5, None]}, dtype=object), allow_pickle=True)
o = np.empty((2, 2), dtype=object); o[0, 0] = 'a'; o[0, 1] = 2; o[1, 0] = None; o[1, 1] = (1,)
np.save(os.path.join(out, 'object2d.npy'), np.asfortranarray(o), allow_pickle=True)
big = np.random.default_rng(0).normal(size=(5023, 3, 400))
np.save(os.path.join(out, 'big.npy'), big)
res = {k: desc(v) for k, v in arrays.items()}
res['v23'] = desc(a)
res['big_sum'] = float(big.sum()); res['big_last'] = float(big[-1, -1, -1])
print(json.dumps(res))
`, [dir])) as Record<string, Desc> & { big_sum: number; big_last: number };
  const keys = Object.keys(expected).filter((k) => k.includes(' '));

  it(`reads all ${keys.length} arrays (every dtype, both byte orders, C and Fortran order, 0-d, empty)`, () => {
    for (const k of keys) expectArray(loadNpy(join(dir, `${fileName(k)}.npy`)), expected[k] as Desc, k);
  });

  it('writes byte-identical files to numpy for the same (C-order, little-endian) arrays', () => {
    for (const k of keys) {
      const a = loadNpy(join(dir, `${fileName(k)}.npy`));
      const ours = Buffer.from(writeNpy(a));
      const theirs = readFileSync(join(dir, `${fileName(k)}.le.npy`));
      expect(ours.equals(theirs), `${k}: ${ours.subarray(0, 128).toString('latin1')} vs ${theirs.subarray(0, 128).toString('latin1')}`).toBe(true);
    }
  });

  it('reads format versions 2.0 and 3.0', () => {
    for (const v of ['v2', 'v3']) {
      const bytes = readFileSync(join(dir, `${v}.npy`));
      expect(readNpyHeader(bytes).version).toEqual([Number(v[1]), 0]);
      expectArray(readNpy(bytes), expected.v23 as Desc, v);
    }
  });

  it('reads object arrays through the safe pickle reader; unwrapObject gives the held object', () => {
    const a = loadNpy(join(dir, 'object.npy'));
    expect(a.dtype).toBe('object');
    expect(a.shape).toEqual([]);
    const d = unwrapObject(a) as Map<string, unknown>;
    expect((d.get('idx') as NdArray).dtype).toBe('int64');
    expect(Array.from((d.get('idx') as NdArray).data as BigInt64Array)).toEqual([0n, 1n, 2n]);
    expect(d.get('name')).toBe('x');
    expect(d.get('nested')).toEqual([1.5, null]);
    const o = loadNpy(join(dir, 'object2d.npy'));
    expect(o.shape).toEqual([2, 2]);
    expect(o.data).toEqual(['a', 2, null, [1]]);
    expect(() => unwrapObject(o, 'object2d.npy')).toThrow(/object2d\.npy: expected a 0-d object array, found a object array of shape \(2, 2\)/);
  });

  it('reads a 5023×3×400 float64 array (48 MB) exactly', () => {
    const a = loadNpy(join(dir, 'big.npy'));
    expect(a.shape).toEqual([5023, 3, 400]);
    const d = a.data as Float64Array;
    expect(d).toBeInstanceOf(Float64Array);
    expect(d[d.length - 1]).toBe(expected.big_last);
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i]!;
    expect(Math.abs(s - expected.big_sum)).toBeLessThan(1e-6);
  });
});

describe.skipIf(!numpy.available)('npy: numpy reads what writeNpy writes', () => {
  it('every dtype, 0-d, empty, strings and object arrays', async () => {
    const dir = tempDir();
    const arrays: Record<string, NdArray> = {
      bool: ndarray('bool', [2, 2], Uint8Array.of(1, 0, 0, 1)),
      int8: ndarray('int8', [3], Int8Array.of(-128, 0, 127)),
      uint16: ndarray('uint16', [2], Uint16Array.of(0, 65535)),
      int32: nd.i32([2, 2], [1, -2, 3, -4]),
      uint32: nd.u32([1], [4294967295]),
      int64: ndarray('int64', [2], BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n)),
      uint64: ndarray('uint64', [1], BigUint64Array.of(2n ** 64n - 1n)),
      float16: ndarray('float16', [4], Float32Array.of(0.5, -2, 65504, 2 ** -24)),
      float32: nd.f32([3], [1.5, -0, 3.4e38]),
      float64: nd.f64([2, 3], [0.1, -0.2, 1e300, -Infinity, 5e-324, Math.PI]),
      complex64: ndarray('complex64', [2], Float32Array.of(1, 2, -3.5, 0.25)),
      complex128: ndarray('complex128', [1], Float64Array.of(-1e-300, 7)),
      str: ndarray('str', [3], ['', 'h\u00e9llo', '\u65e5\u{1F600}']),
      bytes: ndarray('bytes', [2], ['ab', '\xff\x00z']),
      scalar: nd.scalar(2.5),
      empty: ndarray('float64', [0, 3], new Float64Array(0)),
    };
    for (const [k, a] of Object.entries(arrays)) await saveNpy(join(dir, `${k}.npy`), a);
    await saveNpy(join(dir, 'object.npy'), ndarray('object', [], [new Map<string, unknown>([['a', nd.f64([2], [1, 2])], ['b', 'text']])]));
    const out = JSON.parse(runPython(`${PY}
res = {}
for f in sorted(os.listdir(out)):
    if f == 'object.npy':
        o = np.load(os.path.join(out, f), allow_pickle=True).item()
        assert list(o.keys()) == ['a', 'b'] and o['a'].tolist() == [1.0, 2.0] and o['b'] == 'text'
        continue
    res[f[:-4]] = desc(np.load(os.path.join(out, f)))
print(json.dumps(res))
`, [dir])) as Record<string, Desc>;
    expect(Object.keys(out).sort()).toEqual(Object.keys(arrays).sort());
    for (const [k, a] of Object.entries(arrays)) expect(out[k], k).toEqual({ descr: dtypeString(a), shape: a.shape, hex: hex(a) });
  });
});

describe('npy: format details and malformed input', () => {
  it('pads the header to 64 bytes with spaces and a final newline, as numpy does', () => {
    const bytes = writeNpy(nd.f64([2, 3], [1, 2, 3, 4, 5, 6]));
    const text = Buffer.from(bytes.subarray(0, 128)).toString('latin1');
    expect(text.startsWith("\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true);
    expect(bytes[127]).toBe(0x0a);
    expect(bytes.length).toBe(128 + 48);
    expect(Buffer.from(writeNpy(nd.scalar(1))).subarray(10, 70).toString('latin1')).toBe("{'descr': '<f8', 'fortran_order': False, 'shape': (), }     ");
    expect(Buffer.from(writeNpy(nd.f64([3], [1, 2, 3]))).includes("'shape': (3,), }")).toBe(true);
  });

  it('switches to format 2.0 when the header does not fit 65535 bytes, and reads it back', () => {
    const shape = new Array<number>(25000).fill(1);
    const a = ndarray('float32', shape, Float32Array.of(7));
    const bytes = writeNpy(a);
    expect(bytes[6]).toBe(2);
    const b = readNpy(bytes);
    expect(b.shape.length).toBe(25000);
    expect(Array.from(b.data as Float32Array)).toEqual([7]);
  });

  it('is deterministic and round-trips through readNpy', () => {
    const a = ndarray('str', [2], ['x', 'yz']);
    expect(Buffer.from(writeNpy(a)).equals(Buffer.from(writeNpy(a)))).toBe(true);
    const b = readNpy(writeNpy(a));
    expect(b.data).toEqual(['x', 'yz']);
    expect(b.itemChars).toBe(2);
  });

  it("reads '=' and '|' byte orders (native: little-endian) and Python 2 headers with long shapes (3L,)", () => {
    const base = Buffer.from(writeNpy(nd.i32([3], [1, -2, 70000])));
    for (const order of ['=', '|']) {
      const patched = Buffer.from(base);
      patched.write(`'${order}i4'`, base.indexOf("'<i4'"), 'latin1');
      const a = readNpy(Uint8Array.from(patched));
      expect(a.dtype).toBe('int32');
      expect(Array.from(a.data as Int32Array)).toEqual([1, -2, 70000]);
    }
    const py2 = Buffer.from(base);
    py2.write("(3L,)", base.indexOf('(3,)'), 'latin1');
    expect(Array.from(readNpy(Uint8Array.from(py2)).data as Int32Array)).toEqual([1, -2, 70000]);
  });

  it('refuses to write an array whose data does not match its shape', () => {
    expect(() => writeNpy({ type: 'ndarray', dtype: 'float64', shape: [2, 2], data: new Float64Array(3) })).toThrow(UsageError);
  });

  const good = writeNpy(nd.f64([2, 2], [1, 2, 3, 4]));
  const header = (h: string): Uint8Array => {
    const pad = 64 - ((10 + h.length + 1) % 64);
    const text = h + ' '.repeat(pad) + '\n';
    const out = new Uint8Array(10 + text.length + 32);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
    out.set(Buffer.from(text, 'latin1'), 10);
    return out;
  };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['bad magic', Uint8Array.from(Buffer.from('PK\x03\x04 not an npy')), /at byte 0: not an npy file: expected the magic/],
    ['version 4.0', Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 4, 0, 0, 0]), /unsupported npy format version 4\.0/],
    ['header not a dict', header("['descr', '<f8']"), /expected a dict/],
    ['missing key', header("{'descr': '<f8', 'shape': (4,), }"), /expected exactly the keys descr, fortran_order, shape, found descr,shape/],
    ['extra key', header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'x': 1}"), /found descr,fortran_order,shape,x/],
    ['shape not ints', header("{'descr': '<f8', 'fortran_order': False, 'shape': (4.5,), }"), /expected ',' or '\)' at header character 52, found "\."/],
    ['negative shape', header("{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }"), /shape must be a tuple of non-negative integers/],
    ['structured dtype', header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (4,), }"), /structured dtypes/],
    ['unknown dtype', header("{'descr': '<M8[s]', 'fortran_order': False, 'shape': (4,), }"), /datetime/],
    ['unterminated header', header("{'descr': '<f8"), /unterminated string/],
    ['data shorter than the shape', header("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }"), /shape \(5\) of '<f8' needs 40 bytes of data, found 32/],
    ['data longer than the shape', header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"), /needs 24 bytes of data, found 32/],
    ['absurd shape', header("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000000000), }"), /too many elements/],
    ['object array that is not a pickle', header("{'descr': '|O', 'fortran_order': False, 'shape': (), }"), /truncated|unknown opcode|stack underflow/],
  ];
  for (const [name, bytes, re] of cases) {
    it(`${name}: FormatError naming the file`, () => {
      const e = thrown(() => readNpy(bytes, 'bad.npy'));
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(/^bad\.npy/);
      expect((e as Error).message).toMatch(re);
    });
  }

  it('every truncation of an npy file (numeric and object) throws a FormatError', () => {
    const objectNpy = writeNpy(ndarray('object', [], [new Map([['k', nd.i32([2], [1, 2])]])]));
    for (const bytes of [good, writeNpy(ndarray('str', [2], ['ab', 'c'])), objectNpy]) {
      expect(isNdArray(readNpy(bytes))).toBe(true);
      for (let n = 0; n < bytes.length; n++) {
        const e = thrown(() => readNpy(bytes.subarray(0, n), 'cut.npy'));
        expect(e, `cut at ${n}`).toBeInstanceOf(FormatError);
      }
    }
  });

  it('loadNpy names a missing file as a usage error', () => {
    expect(() => loadNpy('/nonexistent/x.npy')).toThrow(UsageError);
    expect(() => loadNpy('/nonexistent/x.npy')).toThrow(/\/nonexistent\/x\.npy/);
  });

  it('loadNpy reads what saveNpy wrote', async () => {
    const dir = tempDir();
    const a = nd.u32([2, 2], [1, 2, 3, 4294967295]);
    await saveNpy(join(dir, 'a.npy'), a);
    writeFileSync(join(dir, 'b.npy'), writeNpy(a));
    expect(readFileSync(join(dir, 'a.npy')).equals(readFileSync(join(dir, 'b.npy')))).toBe(true);
    expect(Array.from(loadNpy(join(dir, 'a.npy')).data as Uint32Array)).toEqual([1, 2, 3, 4294967295]);
  });
});
