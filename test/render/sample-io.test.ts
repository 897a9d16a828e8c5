import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { floatToImage, readImage } from '../../src/io/image.js';
import { ndarray, type NdArray } from '../../src/io/ndarray.js';
import { readNpz } from '../../src/io/npz.js';
import type { Sample } from '../../src/io/sample.js';
import { labelsNpz, sampleArrays, sampleImage8, writeSampleFiles } from '../../src/render/sample-io.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

/** A small hand-made sample: 6×4 image, 3 vertices, D_uv = 2. */
function tinySample(): Sample {
  const W = 6, H = 4, D = 2;
  return {
    width: W, height: H,
    image: new Float32Array(W * H * 3).map((_, k) => (k % 17) / 16),
    mask: new Uint8Array(W * H).map((_, k) => (k % 3 === 0 ? 1 : 0)),
    vertices: new Float64Array([0.1, 0.2, 0.3, -0.1, 0, 0.5, 1e-9, 2, -3]),
    mu: new Float64Array([1.5, 2.25, 0, 0, 5.999, 3.999]),
    visible: new Uint8Array([1, 0, 1]),
    K: new Float64Array([100, 0, 3, 0, 100, 2, 0, 0, 1]),
    Rt: new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2]),
    uvSize: D,
    uvFlow: new Float32Array([0.5, -1, 2, 3, -0.25, 0, 7, 8]),
    uvFlowValid: new Uint8Array([1, 0, 0, 1]),
    uvWeight: new Float32Array([1, 0.005, 0.005, 1]),
    vertexUv: new Float64Array([0.5, 0.5, 1.5, 0.25, NaN, NaN]),
    vertexWeight: new Float32Array([1, 0.005, 1]),
    depth: new Float32Array(W * H).map((_, k) => (k % 3 === 0 ? 1 + k / 100 : Infinity)),
    occlusion: new Float32Array(W * H).map((_, k) => (k === 5 ? 0.5 : 0)),
  };
}

describe('sample files', () => {
  it('names and shapes the label arrays as io/sample.ts documents them', () => {
    const a = sampleArrays(tinySample(), ['depth', 'mask']);
    expect([...a.keys()]).toEqual(['vertices', 'mu', 'visible', 'K', 'Rt', 'uv_flow', 'uv_flow_valid', 'uv_weight', 'vertex_uv', 'vertex_weight', 'occlusion', 'depth', 'mask']);
    expect(a.get('uv_flow')!.shape).toEqual([2, 2, 2]);
    expect(a.get('mask')!.dtype).toBe('bool');
    expect(a.get('depth')!.shape).toEqual([4, 6]);
    expect(() => sampleArrays(tinySample(), ['normal'])).toThrow(/map 'normal' was requested but the sample has none/);
  });

  it('writes npz archives (stored or deflated members) that read back exactly', () => {
    const arrays = sampleArrays(tinySample(), ['depth', 'mask']);
    for (const mode of ['none', 'maps', 'all'] as const) {
      const bytes = labelsNpz(arrays, 24, mode);
      const back = readNpz(bytes, `tiny-${mode}.npz`);
      expect([...back.keys()]).toEqual([...arrays.keys()]);
      for (const [k, a] of arrays) {
        const b = back.get(k) as NdArray;
        expect(b.dtype, k).toBe(a.dtype);
        expect(b.shape, k).toEqual(a.shape);
        expect(Array.from(b.data as ArrayLike<number>), k).toEqual(Array.from(a.data as ArrayLike<number>));
      }
      expect(labelsNpz(arrays, 24, mode)).toEqual(bytes); // deterministic
    }
    // deflate happened where asked: 'maps' shrinks the 24-element maps only
    const big = new Map<string, NdArray>([['zeros', ndarray('float32', [64, 64], new Float32Array(4096))], ['small', ndarray('float64', [2], new Float64Array([1, 2]))]]);
    expect(labelsNpz(big, 4096, 'maps').length).toBeLessThan(labelsNpz(big, 4096, 'none').length / 10);
  });

  it.skipIf(!numpy.available)('numpy opens them (zip CRCs checked) and reads the same values', () => {
    const dir = tempDir();
    const file = join(dir, 'tiny.npz');
    writeFileSync(file, labelsNpz(sampleArrays(tinySample(), ['depth', 'mask']), 24, 'maps'));
    const out = JSON.parse(runPython(`
import sys, json, zipfile, numpy as np
bad = zipfile.ZipFile(sys.argv[1]).testzip()
z = np.load(sys.argv[1])
print(json.dumps({'bad': bad, 'files': sorted(z.files), 'mu': z['mu'].tolist(), 'depth00': float(z['depth'][0, 0]), 'inf': bool(np.isinf(z['depth'][0, 1])),
                  'visible': z['visible'].tolist(), 'occ': float(z['occlusion'].sum()), 'vuv_nan': bool(np.isnan(z['vertex_uv'][2]).all())}))
`, [file])) as Record<string, unknown>;
    expect(out.bad).toBe(null);
    expect(out.files).toEqual(['K', 'Rt', 'depth', 'mask', 'mu', 'occlusion', 'uv_flow', 'uv_flow_valid', 'uv_weight', 'vertex_uv', 'vertex_weight', 'vertices', 'visible'].sort());
    expect(out.mu).toEqual([[1.5, 2.25], [0, 0], [5.999, 3.999]]);
    expect(out.depth00).toBe(1);
    expect(out.inf).toBe(true);
    expect(out.visible).toEqual([true, false, true]);
    expect(out.occ).toBe(0.5);
    expect(out.vuv_nan).toBe(true);
  });

  it('quantises the image exactly like io/image.ts floatToImage (seed sample-io-1)', () => {
    const rng = new Rng('sample-io-1');
    const s = { ...tinySample(), width: 64, height: 64, image: new Float32Array(64 * 64 * 3) };
    for (let k = 0; k < s.image.length; k++) s.image[k] = k % 50 === 0 ? [NaN, -0.2, 1.5, 0.5 / 255, 1.5 / 255][k % 5]! : rng.next();
    expect(sampleImage8(s).data).toEqual(floatToImage(s.image, 64, 64, 3).data);
  });

  it('writes images/<id>.png|jpg and labels/<id>.npz', async () => {
    const dir = tempDir();
    const s = tinySample();
    const r = await writeSampleFiles(dir, '000007', s, { maps: ['depth'] });
    expect(r).toEqual({ image: 'images/000007.png', labels: 'labels/000007.npz' });
    const img = await readImage(join(dir, r.image));
    expect(img.data).toEqual(sampleImage8(s).data); // PNG is lossless
    const z = readNpz(readFileSync(join(dir, r.labels)));
    expect((z.get('vertices') as NdArray).data).toEqual(s.vertices);
    const j = await writeSampleFiles(dir, 'x', s, { format: 'jpeg' });
    expect(j.image).toBe('images/x.jpg');
    expect(readFileSync(join(dir, j.image)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });
});
