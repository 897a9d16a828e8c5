/**
 * The real FLAME asset files (../shared/fixtures/flame-assets; never copied into the project),
 * read by the safe readers and compared with what python3 + numpy make of the same files.
 */
import { describe, expect, it } from 'vitest';
import { loadPickle } from '../../src/io/pickle.js';
import { loadNpy, unwrapObject } from '../../src/io/npy.js';
import { encodeElements, isNdArray, toFloat64, type NdArray } from '../../src/io/ndarray.js';
import { flameAssets } from '../helpers/fixtures.js';
import { numpy, runPython } from '../helpers/python.js';

interface Summary { dtype: string; shape: number[]; sum: number; hex: string }

const hex = (a: NdArray): string => Buffer.from(encodeElements(a)).toString('hex');
const sum = (a: NdArray): number => toFloat64(a).reduce((s, x) => s + x, 0);

function expectSummary(a: unknown, s: Summary, name: string): void {
  expect(isNdArray(a), `${name} is an ndarray`).toBe(true);
  const arr = a as NdArray;
  expect(arr.dtype, `${name} dtype`).toBe(s.dtype);
  expect(arr.shape, `${name} shape`).toEqual(s.shape);
  expect(sum(arr), `${name} sum`).toBeCloseTo(s.sum, 6);
  expect(hex(arr), `${name} data`).toBe(s.hex);
}

/** python3 + numpy reading a (trusted) asset pickle; every array summarised. */
const PY_SUMMARY = `
import sys, json, pickle
import numpy as np
def summary(a):
    a = np.asarray(a)
    le = a.astype(a.dtype.newbyteorder('<'), order='C')
    return {'dtype': str(a.dtype), 'shape': list(a.shape), 'sum': float(a.astype(np.float64).sum()), 'hex': le.tobytes().hex()}
`;

describe.skipIf(!flameAssets.available)('real FLAME assets', () => {
  it('FLAME_masks.pkl: 14 int64 vertex-index arrays (protocol 0, raw non-ASCII bytes in STRING)', () => {
    const masks = loadPickle(flameAssets.path('FLAME_masks.pkl')) as Map<string, NdArray>;
    expect([...masks.keys()].sort()).toEqual([
      'boundary', 'eye_region', 'face', 'forehead', 'left_ear', 'left_eye_region', 'left_eyeball', 'lips', 'neck',
      'nose', 'right_ear', 'right_eye_region', 'right_eyeball', 'scalp',
    ]);
    // known sizes (asset README) and values from python3 + numpy on the same file
    expect(masks.get('face')!.shape).toEqual([1787]);
    expect(masks.get('lips')!.shape).toEqual([254]);
    expect(masks.get('nose')!.shape).toEqual([379]);
    expect(masks.get('eye_region')!.shape).toEqual([751]);
    expect(masks.get('left_ear')!.shape).toEqual([588]);
    expect(sum(masks.get('face')!)).toBe(4307953);
    expect(sum(masks.get('left_eye_region')!)).toBe(385940);
    for (const a of masks.values()) {
      expect(a.dtype).toBe('int64');
      for (const v of toFloat64(a)) expect(v >= 0 && v < 5023).toBe(true);
    }
  });

  it.skipIf(!numpy.available)('FLAME_masks.pkl matches python3 + numpy for every key', () => {
    const expected = JSON.parse(runPython(`${PY_SUMMARY}
m = pickle.load(open(sys.argv[1], 'rb'), encoding='latin1')
print(json.dumps({k: summary(v) for k, v in m.items()}))
`, [flameAssets.path('FLAME_masks.pkl')])) as Record<string, Summary>;
    const masks = loadPickle(flameAssets.path('FLAME_masks.pkl')) as Map<string, NdArray>;
    expect([...masks.keys()]).toEqual(Object.keys(expected));
    for (const [k, s] of Object.entries(expected)) expectSummary(masks.get(k), s, k);
  });

  it('flame_static_embedding.pkl: lmk_face_idx uint32 [51], lmk_b_coords float64 [51,3] with rows summing to 1', () => {
    const e = loadPickle(flameAssets.path('flame_static_embedding.pkl')) as Map<string, NdArray>;
    const idx = e.get('lmk_face_idx')!;
    const bary = e.get('lmk_b_coords')!;
    expect(idx.dtype).toBe('uint32');
    expect(idx.shape).toEqual([51]);
    expect(idx.data).toBeInstanceOf(Uint32Array);
    expect(bary.dtype).toBe('float64');
    expect(bary.shape).toEqual([51, 3]);
    const b = bary.data as Float64Array;
    for (let k = 0; k < 51; k++) {
      expect((idx.data as Uint32Array)[k]).toBeLessThan(9976);
      expect(b[3 * k]! + b[3 * k + 1]! + b[3 * k + 2]!).toBeCloseTo(1, 9);
    }
  });

  it.skipIf(!numpy.available)('flame_static_embedding.pkl matches python3 + numpy', () => {
    const expected = JSON.parse(runPython(`${PY_SUMMARY}
m = pickle.load(open(sys.argv[1], 'rb'), encoding='latin1')
print(json.dumps({k: summary(v) for k, v in m.items()}))
`, [flameAssets.path('flame_static_embedding.pkl')])) as Record<string, Summary>;
    const e = loadPickle(flameAssets.path('flame_static_embedding.pkl')) as Map<string, NdArray>;
    expect([...e.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [k, s] of Object.entries(expected)) expectSummary(e.get(k), s, k);
  });

  it('landmark_embedding.npy: a 0-d object array holding the dict, torch tensors included', () => {
    const a = loadNpy(flameAssets.path('landmark_embedding.npy'));
    expect(a.dtype).toBe('object');
    expect(a.shape).toEqual([]);
    const d = unwrapObject(a) as Map<string, NdArray>;
    expect([...d.keys()]).toEqual([
      'static_lmk_faces_idx', 'static_lmk_bary_coords', 'dynamic_lmk_faces_idx', 'dynamic_lmk_bary_coords',
      'full_lmk_faces_idx', 'full_lmk_bary_coords',
    ]);
    const shapes: Record<string, [string, number[]]> = {
      static_lmk_faces_idx: ['int64', [51]], static_lmk_bary_coords: ['float64', [51, 3]],
      dynamic_lmk_faces_idx: ['int64', [79, 17]], dynamic_lmk_bary_coords: ['float32', [79, 17, 3]],
      full_lmk_faces_idx: ['int64', [1, 68]], full_lmk_bary_coords: ['float32', [1, 68, 3]],
    };
    for (const [k, [dtype, shape]] of Object.entries(shapes)) {
      expect(d.get(k)!.dtype, k).toBe(dtype);
      expect(d.get(k)!.shape, k).toEqual(shape);
    }
    // invariants: face indices index FLAME's 9976 faces; barycentric rows sum to 1
    for (const k of ['static_lmk_faces_idx', 'dynamic_lmk_faces_idx', 'full_lmk_faces_idx']) {
      for (const v of toFloat64(d.get(k)!)) expect(v >= 0 && v < 9976, k).toBe(true);
    }
    for (const k of ['static_lmk_bary_coords', 'dynamic_lmk_bary_coords', 'full_lmk_bary_coords']) {
      const b = toFloat64(d.get(k)!);
      for (let r = 0; r < b.length; r += 3) expect(b[r]! + b[r + 1]! + b[r + 2]!, `${k} row ${r / 3}`).toBeCloseTo(1, 5);
    }
  });

  it.skipIf(!numpy.available)('landmark_embedding.npy matches a python3 oracle that parses the torch storages with numpy', () => {
    // python3 here has no torch: the oracle unpickles with stand-ins for the two torch functions,
    // reads the legacy torch.save layout itself and rebuilds tensors with numpy's as_strided
    const expected = JSON.parse(runPython(`${PY_SUMMARY}
import io, struct
DT = {'LongStorage': '<i8', 'FloatStorage': '<f4', 'DoubleStorage': '<f8', 'IntStorage': '<i4'}
def load_from_bytes(b):
    f = io.BytesIO(b)
    storages = {}
    class Main(pickle.Unpickler):
        def find_class(self, module, name):
            if module == 'torch': return name
            raise pickle.UnpicklingError(module + '.' + name)
        def persistent_load(self, pid):
            storages[pid[2]] = pid[1]
            return pid[2]
    assert pickle.load(f) == 0x1950a86a20f9469cfc6c and pickle.load(f) == 1001
    info = pickle.load(f)
    assert info['little_endian']
    root = Main(f).load()
    data = {}
    for key in pickle.load(f):
        n, = struct.unpack('<q', f.read(8))
        dt = np.dtype(DT[storages[key]])
        data[key] = np.frombuffer(f.read(n * dt.itemsize), dt)
    return data[root]
def rebuild(storage, offset, size, stride, *rest):
    return np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=[s * storage.itemsize for s in stride]).copy()
class Outer(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ('torch._utils', '_rebuild_tensor_v2'): return rebuild
        if (module, name) == ('torch.storage', '_load_from_bytes'): return load_from_bytes
        return super().find_class(module, name)
raw = open(sys.argv[1], 'rb').read()
assert raw[:8] == b'\\x93NUMPY\\x01\\x00'
hlen = int.from_bytes(raw[8:10], 'little')
obj = Outer(io.BytesIO(raw[10 + hlen:])).load()
assert obj.dtype == object and obj.shape == ()
print(json.dumps({k: summary(v) for k, v in obj.item().items()}))
`, [flameAssets.path('landmark_embedding.npy')])) as Record<string, Summary>;
    const d = unwrapObject(loadNpy(flameAssets.path('landmark_embedding.npy'))) as Map<string, NdArray>;
    expect([...d.keys()]).toEqual(Object.keys(expected));
    for (const [k, s] of Object.entries(expected)) expectSummary(d.get(k), s, k);
  });
});
