import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/flame/load.js';
import { builtinModel } from '../../src/flame/builtin/index.js';
import { modelToArrays } from '../../src/flame/export.js';
import { lbs } from '../../src/flame/lbs.js';
import { landmarkPositions, landmarks68ForPose } from '../../src/flame/landmarks.js';
import type { FlameModel } from '../../src/flame/model.js';
import { saveNpz } from '../../src/io/npz.js';
import { Rng } from '../../src/util/rng.js';
import { hashBytes } from '../../src/util/hash.js';
import { numpy, scipyAvailable, runPython } from '../helpers/python.js';
import { flameAssets } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

// A python script that writes a FLAME-style pickle (protocol 2, chumpy Ch arrays, scipy csc
// J_regressor, int64 kintree_table with FLAME's 4294967295 root) from arrays in an npz.
const WRITE_FLAME_PICKLE = `
import numpy as np, pickle, sys, types, scipy.sparse as sp
chumpy = types.ModuleType('chumpy'); ch = types.ModuleType('chumpy.ch')
class Ch(object):
    def __init__(self, x): self.x = x; self._dirty_vars = set()
Ch.__module__ = 'chumpy.ch'; ch.Ch = Ch; sys.modules['chumpy'] = chumpy; sys.modules['chumpy.ch'] = ch
z = np.load(sys.argv[1])
model = {
  'v_template': Ch(z['v_template']), 'f': z['f'].astype(np.uint32), 'shapedirs': Ch(z['shapedirs']),
  'posedirs': z['posedirs'], 'J_regressor': sp.csc_matrix(z['J_regressor']), 'weights': z['weights'],
  'kintree_table': np.array([[4294967295, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64),
  'J': z['J_regressor'] @ z['v_template'], 'bs_style': 'lbs', 'bs_type': 'lrotmin',
}
pickle.dump(model, open(sys.argv[2], 'wb'), protocol=2)
`;

let builtin: FlameModel;
beforeAll(async () => { builtin = await builtinModel(); });

describe('loadModel', () => {
  it('loads an exported npz back to the same model', async () => {
    const dir = tempDir();
    await saveNpz(join(dir, 'm.npz'), modelToArrays(builtin));
    const m = await loadModel(join(dir, 'm.npz'));
    expect(m.numShape).toBe(300);
    expect(m.numExpr).toBe(100);
    const same = (a: ArrayBufferView, b: ArrayBufferView) => hashBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) === hashBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    expect(same(m.shapeDirs, builtin.shapeDirs)).toBe(true);
    expect(same(m.exprDirs, builtin.exprDirs)).toBe(true);
    expect(same(m.poseDirs, builtin.poseDirs)).toBe(true);
    expect(same(m.faceUvs!, builtin.faceUvs!)).toBe(true);
    expect(Object.keys(m.regions).sort()).toEqual(Object.keys(builtin.regions).sort());
    expect(m.landmarks.dynamic!.bins).toBe(79);
  });

  it.skipIf(!scipyAvailable)('reads a FLAME-style pickle (chumpy, scipy csc) and evaluates like the original arrays (seed 3)', async () => {
    const dir = tempDir();
    await saveNpz(join(dir, 'm.npz'), modelToArrays(builtin));
    runPython(WRITE_FLAME_PICKLE, [join(dir, 'm.npz'), join(dir, 'generic_model.pkl')]);
    const m = await loadModel(join(dir, 'generic_model.pkl'), { shape: 100, expr: 50 });
    expect(m.numShape).toBe(100);
    expect(m.numExpr).toBe(50);
    const rng = new Rng(3);
    const p = { shape: new Float64Array(100).map(() => rng.normal()), expr: new Float64Array(50).map(() => rng.normal()), pose: new Float64Array(15).map(() => rng.normal(0, 0.2)) };
    const a = lbs(m, p), b = lbs(builtin, p);
    for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(b[k]!, 12);
  });

  it.skipIf(!scipyAvailable || !flameAssets.available)('finds the real companion files beside a FLAME pickle: landmarks, regions, UVs', async () => {
    const dir = tempDir();
    // a FLAME-topology model: head_template.obj's vertices and faces, small random bases
    runPython(`
import numpy as np, sys
v, f = [], []
for line in open(sys.argv[1]):
    p = line.split()
    if not p: continue
    if p[0] == 'v': v.append([float(x) for x in p[1:4]])
    elif p[0] == 'f': f.append([int(x.split('/')[0]) - 1 for x in p[1:4]])
v = np.array(v); f = np.array(f); V = len(v); rng = np.random.default_rng(0)
J = np.zeros((5, V)); J[np.arange(5), rng.integers(0, V, 5)] = 1
W = np.zeros((V, 5)); W[:, 1] = 1
np.savez(sys.argv[2], v_template=v, f=f, shapedirs=rng.normal(0, 1e-3, (V, 3, 400)), posedirs=rng.normal(0, 1e-4, (V, 3, 36)), J_regressor=J, weights=W)
`, [flameAssets.path('head_template.obj'), join(dir, 'arrays.npz')]);
    runPython(WRITE_FLAME_PICKLE, [join(dir, 'arrays.npz'), join(dir, 'generic_model.pkl')]);
    for (const name of ['landmark_embedding.npy', 'flame_static_embedding.pkl', 'FLAME_masks.pkl', 'head_template.obj']) copyFileSync(flameAssets.path(name), join(dir, name));
    const m = await loadModel(join(dir, 'generic_model.pkl'));
    expect(m.numVertices).toBe(5023);
    expect(m.uvs!.length / 2).toBe(5118);
    expect(Object.keys(m.regions).length).toBe(14);
    expect(m.regions.face!.length).toBe(1787);
    expect(m.landmarks.static51!.faceIdx.length).toBe(51);
    expect(m.landmarks.full68!.faceIdx.length).toBe(68);
    expect(m.landmarks.dynamic!.bins).toBe(79);
    // landmark positions agree with numpy's barycentric evaluation of the same embedding
    const L = landmarkPositions(m.vTemplate, m.faces, m.landmarks.static51!);
    // (landmark_embedding.npy is found first; python reads its static part with torch stubbed out)
    const ref = JSON.parse(runPython(`
import numpy as np, sys, json, pickle, io
class NoTorch(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith('torch'): return lambda *a, **k: None
        return super().find_class(module, name)
raw = open(sys.argv[2], 'rb').read(); hl = int.from_bytes(raw[8:10], 'little')
d = NoTorch(io.BytesIO(raw[10 + hl:]), encoding='latin1').load().item()
z = np.load(sys.argv[1]); v = z['v_template']; f = z['f']
idx = np.asarray(d['static_lmk_faces_idx']).astype(int); b = np.asarray(d['static_lmk_bary_coords'])
print(json.dumps((np.einsum('lk,lkc->lc', b, v[f[idx]])).reshape(-1).tolist()))
`, [join(dir, 'arrays.npz'), join(dir, 'landmark_embedding.npy')])) as number[];
    for (let k = 0; k < ref.length; k++) expect(L[k]).toBeCloseTo(ref[k]!, 9);
    // the dynamic contour follows the head's yaw
    const left = landmarks68ForPose(m.landmarks, [0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const right = landmarks68ForPose(m.landmarks, [0, -0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(left.faceIdx.slice(0, 17)).not.toEqual(right.faceIdx.slice(0, 17));
    expect(left.faceIdx.slice(17)).toEqual(m.landmarks.static51!.faceIdx);
  });

  it('says what is wrong with a bad model path or file', async () => {
    const dir = tempDir();
    await expect(loadModel(join(dir, 'missing.pkl'))).rejects.toThrow(/not found/);
    writeFileSync(join(dir, 'm.obj'), 'v 0 0 0\n');
    await expect(loadModel(join(dir, 'm.obj'))).rejects.toThrow(/unknown model format/);
    await saveNpz(join(dir, 'half.npz'), new Map([...modelToArrays(builtin)].filter(([k]) => k !== 'posedirs')));
    await expect(loadModel(join(dir, 'half.npz'))).rejects.toThrow(/half\.npz.*posedirs.*missing/);
  });
});

void numpy;
