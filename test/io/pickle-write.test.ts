import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePickle, savePickle } from '../../src/io/pickle-write.js';
import { readPickle } from '../../src/io/pickle.js';
import { dtypeString, encodeElements, nd, ndarray, type NdArray } from '../../src/io/ndarray.js';
import { UsageError } from '../../src/util/errors.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const hex = (a: NdArray): string => Buffer.from(encodeElements(a)).toString('hex');

/** One array of every dtype, with awkward values (extremes, NaN, -0, non-ASCII text). */
function everyDtype(): Record<string, NdArray> {
  return {
    bool: ndarray('bool', [2, 2], Uint8Array.of(1, 0, 0, 1)),
    int8: ndarray('int8', [3], Int8Array.of(-128, 0, 127)),
    uint8: ndarray('uint8', [3], Uint8Array.of(0, 1, 255)),
    int16: ndarray('int16', [3], Int16Array.of(-32768, -1, 32767)),
    uint16: ndarray('uint16', [2], Uint16Array.of(0, 65535)),
    int32: ndarray('int32', [1, 3], Int32Array.of(-(2 ** 31), 5, 2 ** 31 - 1)),
    uint32: ndarray('uint32', [2], Uint32Array.of(0, 2 ** 32 - 1)),
    int64: ndarray('int64', [3], BigInt64Array.of(-(2n ** 63n), 0n, 2n ** 63n - 1n)),
    uint64: ndarray('uint64', [2], BigUint64Array.of(0n, 2n ** 64n - 1n)),
    float16: ndarray('float16', [5], Float32Array.of(0.5, -2, 65504, Infinity, 2 ** -24)),
    float32: ndarray('float32', [2, 2], Float32Array.of(1.5, -0, NaN, 3.4e38)),
    float64: ndarray('float64', [2, 3], Float64Array.of(0.1, -0.2, 1e300, -Infinity, 5e-324, Math.PI)),
    complex64: ndarray('complex64', [2], Float32Array.of(1, 2, -3.5, 0.25)),
    complex128: ndarray('complex128', [1], Float64Array.of(-1e-300, 7)),
    str: ndarray('str', [3], ['', 'h\u00e9llo', '\u65e5\u{1F600}']),
    bytes: ndarray('bytes', [2], ['ab', '\xff\x00z']),
    scalar: nd.scalar(2.5),
    empty: ndarray('float64', [0, 3], new Float64Array(0)),
  };
}

describe.skipIf(!numpy.available)('writePickle: Python reads what it writes', () => {
  it('writes CodeTalker templates.pkl that pickle.load gives back identically, with and without encoding=latin1', async () => {
    const dir = tempDir();
    const V = 5023;
    const templates = new Map<string, NdArray>();
    for (const subject of ['FaceTalk_170725_00137_TA', 'FaceTalk_170728_03272_TA']) {
      const v = new Float64Array(V * 3);
      for (let i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.37 + subject.length) * 0.1;
      templates.set(subject, ndarray('float64', [V, 3], v));
    }
    const path = join(dir, 'templates.pkl');
    await savePickle(path, templates);
    const out = JSON.parse(runPython(`
import pickle, sys, json, warnings
import numpy as np
warnings.simplefilter('error')  # no DeprecationWarning for numpy.core under numpy 2
a = pickle.load(open(sys.argv[1], 'rb'))
b = pickle.load(open(sys.argv[1], 'rb'), encoding='latin1')
assert list(a.keys()) == list(b.keys())
res = {}
for k in a:
    assert type(a[k]) is np.ndarray and a[k].dtype == np.float64 and a[k].flags.c_contiguous
    assert np.array_equal(a[k], b[k]) and a[k].tobytes() == b[k].tobytes()
    res[k] = {'shape': list(a[k].shape), 'hex': a[k].tobytes().hex()}
print(json.dumps(res))
`, [path])) as Record<string, { shape: number[]; hex: string }>;
    expect(Object.keys(out)).toEqual([...templates.keys()]);
    for (const [k, a] of templates) {
      expect(out[k]!.shape).toEqual([V, 3]);
      expect(out[k]!.hex).toBe(hex(a));
    }
  });

  it('round-trips arrays of every dtype through Python both ways', () => {
    const dir = tempDir();
    const arrays = everyDtype();
    const path = join(dir, 'arrays.pkl');
    writeFileSync(path, writePickle(arrays));
    const back = join(dir, 'back.pkl');
    const out = JSON.parse(runPython(`
import pickle, sys, json
import numpy as np
d = pickle.load(open(sys.argv[1], 'rb'))
res = {}
for k, a in d.items():
    assert type(a) is np.ndarray, k
    res[k] = {'descr': a.dtype.str, 'shape': list(a.shape), 'hex': a.tobytes().hex()}
pickle.dump(d, open(sys.argv[2], 'wb'), protocol=2)
print(json.dumps(res))
`, [path, back])) as Record<string, { descr: string; shape: number[]; hex: string }>;
    for (const [k, a] of Object.entries(arrays)) {
      expect(out[k], k).toEqual({ descr: dtypeString(a), shape: a.shape, hex: hex(a) });
    }
    const again = readPickle(readFileSync(back)) as Map<string, NdArray>;
    for (const [k, a] of Object.entries(arrays)) {
      const b = again.get(k)!;
      expect(b.dtype, k).toBe(a.dtype);
      expect(b.shape, k).toEqual(a.shape);
      expect(hex(b), k).toBe(hex(a));
    }
  });

  it('writes scalars, strings, bytes, lists and nested dicts as the matching Python values', () => {
    const dir = tempDir();
    const path = join(dir, 'values.pkl');
    const value = {
      none: null, yes: true, no: false, small: 7, neg: -300, big: 2 ** 40, huge: 2n ** 70n, negHuge: -(2n ** 64n),
      half: 0.5, negZero: -0, inf: Infinity, text: 'h\u00e9llo \u{1F600}\n', bytes: Uint8Array.of(0, 255),
      list: [1, 'a', [null]], nested: new Map<string, unknown>([['inner', { deep: [1.25] }]]),
      objects: ndarray('object', [2], [1, 'two']),
    };
    writeFileSync(path, writePickle(value));
    const out = runPython(`
import pickle, sys, math
import numpy as np
d = pickle.load(open(sys.argv[1], 'rb'))
o = d.pop('objects')
assert o.dtype == object and o.tolist() == [1, 'two']
assert math.copysign(1, d.pop('negZero')) == -1
print(repr(sorted(d.items())))
`, [path]);
    expect(out.trim()).toBe(
      "[('big', 1099511627776), ('bytes', b'\\x00\\xff'), ('half', 0.5), ('huge', 1180591620717411303424), ('inf', inf), " +
      "('list', [1, 'a', [None]]), ('neg', -300), ('negHuge', -18446744073709551616), ('nested', {'inner': {'deep': [1.25]}}), " +
      "('no', False), ('none', None), ('small', 7), ('text', 'héllo 😀\\n'), ('yes', True)]");
  });
});

describe('writePickle: format and errors', () => {
  it('is deterministic and reads back through readPickle', () => {
    const arrays = everyDtype();
    const a = writePickle(arrays);
    const b = writePickle(everyDtype());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(a[0]).toBe(0x80);
    expect(a[1]).toBe(3); // protocol 3
    expect(a[a.length - 1]).toBe(0x2e);
    const back = readPickle(a) as Map<string, NdArray>;
    expect([...back.keys()]).toEqual(Object.keys(arrays));
    for (const [k, x] of Object.entries(arrays)) {
      expect(back.get(k)!.shape).toEqual(x.shape);
      expect(hex(back.get(k)!)).toBe(hex(x));
    }
  });

  it('names the global numpy.core.multiarray._reconstruct (loadable by numpy 1.x and 2.x)', () => {
    const bytes = Buffer.from(writePickle({ a: nd.f64([2], [1, 2]) }));
    expect(bytes.includes('cnumpy.core.multiarray\n_reconstruct\n')).toBe(true);
    expect(bytes.includes('numpy._core')).toBe(false);
  });

  it('refuses values it cannot pickle, naming where they are', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    for (const [value, re] of [
      [{ f: () => 1 }, /value\["f"\]: cannot pickle a function/],
      [new Map([[1 as unknown as string, 2]]), /dict keys must be strings/],
      [{ a: [new Date()] }, /value\["a"\]\[0\]: cannot pickle Date/],
      [cyclic, /contains itself/],
      [{ bad: { type: 'ndarray', dtype: 'float64', shape: [3], data: new Float64Array(2) } }, /needs 3 elements, has 2/],
      [{ bad: { type: 'ndarray', dtype: 'float64', shape: [2], data: new Float32Array(2) } }, /float64 array needs Float64Array data/],
    ] as const) {
      expect(() => writePickle(value)).toThrow(UsageError);
      expect(() => writePickle(value)).toThrow(re);
    }
  });
});
