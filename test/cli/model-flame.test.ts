import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { runCli, runCliJson } from '../helpers/cli.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { saveNpz } from '../../src/io/npz.js';
import { loadNpy } from '../../src/io/npy.js';
import { nd, toFloat64 } from '../../src/io/ndarray.js';
import { builtinModel } from '../../src/flame/builtin/index.js';
import { lbs } from '../../src/flame/lbs.js';
import type { FlameModel } from '../../src/flame/model.js';

let dir: string;
let model: FlameModel;
beforeAll(async () => {
  dir = tempDir();
  model = await builtinModel();
});

describe('workbench model export and flame eval', () => {
  it('exports the built-in model as an npz numpy reads with FLAME layouts', () => {
    const out = join(dir, 'builtin.npz');
    const r = runCliJson(['model', 'export', 'builtin', out]) as { keys: string[] };
    for (const k of ['v_template', 'f', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table', 'n_shape', 'n_expr', 'vt', 'ft', 'lmk_face_idx', 'lmk_b_coords', 'region_face', 'region_lips']) expect(r.keys).toContain(k);
    if (!numpy.available) return;
    const shapes = JSON.parse(runPython(`
import numpy as np, json, sys
z = np.load(sys.argv[1])
print(json.dumps({k: list(z[k].shape) for k in ['v_template', 'f', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table']} | {'n': [int(z['n_shape']), int(z['n_expr'])], 'rows': float(np.abs(z['J_regressor'].sum(1) - 1).max())}))
`, [out]));
    const V = model.numVertices;
    expect(shapes).toMatchObject({ v_template: [V, 3], shapedirs: [V, 3, 400], posedirs: [V, 3, 36], J_regressor: [5, V], weights: [V, 5], kintree_table: [2, 5], n: [300, 100] });
    expect(shapes.rows).toBeLessThan(1e-12);
  });

  it('evaluates parameters (short vectors zero-padded) identically with the exported model and the built-in one', async () => {
    const params = join(dir, 'p.npz');
    await saveNpz(params, { shape: nd.f64([3], [1, -0.5, 0.2]), expr: nd.f64([2], [0.8, 1.2]), pose: nd.f64([15], [0, 0.2, 0, 0, 0, 0, 0.2, 0, 0, 0, 0, 0, 0, 0, 0]), transl: nd.f64([3], [0.01, 0.02, 0.03]) });
    const a = join(dir, 'a.npy'), b = join(dir, 'b.npy');
    runCliJson(['flame', 'eval', '--params', params, '--out', a]);
    runCliJson(['flame', 'eval', '--model', join(dir, 'builtin.npz'), '--params', params, '--out', b]);
    const va = loadNpy(a), vb = loadNpy(b);
    expect(va.shape).toEqual([model.numVertices, 3]);
    const ref = lbs(model, { shape: [1, -0.5, 0.2], expr: [0.8, 1.2], pose: [0, 0.2, 0, 0, 0, 0, 0.2, 0, 0, 0, 0, 0, 0, 0, 0], transl: [0.01, 0.02, 0.03] });
    const fa = toFloat64(va), fb = toFloat64(vb);
    for (let k = 0; k < ref.length; k++) { expect(fa[k]).toBeCloseTo(ref[k]!, 12); expect(fb[k]).toBeCloseTo(ref[k]!, 12); }
  });

  it('evaluates a batch with a frame axis to [T, V, 3]', async () => {
    const params = join(dir, 'batch.npz');
    const T = 3;
    const expr = Array.from({ length: T * 4 }, (_, k) => Math.sin(k));
    const pose = Array.from({ length: T * 15 }, (_, k) => 0.05 * Math.cos(k));
    await saveNpz(params, { shape: nd.f64([2], [0.5, 0.5]), expr: nd.f64([T, 4], expr), pose: nd.f64([T, 15], pose) });
    const out = join(dir, 'batch.npy');
    runCliJson(['flame', 'eval', '--batch', '--params', params, '--out', out]);
    const v = loadNpy(out);
    expect(v.shape).toEqual([T, model.numVertices, 3]);
    const f = toFloat64(v);
    for (let t = 0; t < T; t++) {
      const ref = lbs(model, { shape: [0.5, 0.5], expr: expr.slice(4 * t, 4 * t + 4), pose: pose.slice(15 * t, 15 * t + 15) });
      for (let k = 0; k < ref.length; k += 97) expect(f[t * ref.length + k]).toBeCloseTo(ref[k]!, 12);
    }
  });

  it('rejects too many coefficients with a usage error', async () => {
    const params = join(dir, 'bad.npz');
    await saveNpz(params, { expr: nd.f64([101], new Array(101).fill(0)) });
    const r = runCli(['flame', 'eval', '--params', params, '--out', join(dir, 'bad.npy')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'expr' has 101 values, the model takes at most 100/);
  });
});

describe('workbench demo and bench', () => {
  it('writes posed heads, pictures, a glb with morph targets and animation, an index and a manifest', () => {
    const out = join(dir, 'demo');
    const r = runCliJson(['demo', '--out', out]) as { heads: Array<{ obj: string; image: string }>; glb: string; index: string };
    expect(r.heads.length).toBeGreaterThanOrEqual(4);
    const glb = runCliJson(['inspect', join(out, r.glb)]) as { meshes: Array<{ vertices: number; morphTargets: number }>; animations: Array<{ frames: number }> };
    expect(glb.meshes[0]!.morphTargets).toBe(10);
    expect(glb.meshes[0]!.vertices).toBeGreaterThanOrEqual(model.numVertices); // split at UV seams
    expect(glb.animations[0]!.frames).toBe(60);
    const obj = runCliJson(['inspect', join(out, r.heads[0]!.obj)]) as { vertices: number; faces: number; uvs: number };
    expect(obj).toMatchObject({ vertices: model.numVertices, faces: model.faces.length / 3, uvs: model.uvs!.length / 2 });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { outputs: Array<{ path: string; sha256: string }> };
    const listed = new Map(manifest.outputs.map((o) => [o.path, o.sha256]));
    for (const p of [r.glb, 'index.html', ...r.heads.flatMap((h) => [h.obj, h.image])]) {
      expect(listed.get(p), p).toBe(createHash('sha256').update(readFileSync(join(out, p))).digest('hex'));
    }
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain(r.heads[0]!.image);
  });

  it('prints the flame benchmark as one JSON line with the required keys', () => {
    const r = runCli(['bench', 'flame', '--runs', '20']);
    expect(r.status).toBe(0);
    const line = JSON.parse(r.stdout.trim());
    expect(line).toMatchObject({ bench: 'flame', vertices: model.numVertices });
    expect(line.full_ms).toBeGreaterThan(0);
    expect(line.incremental_ms).toBeGreaterThan(0);
  });
});
