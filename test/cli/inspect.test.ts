import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runCliJson } from '../helpers/cli.js';
import { flameAssets } from '../helpers/fixtures.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

describe('workbench inspect', () => {
  it.skipIf(!flameAssets.available || !numpy.available)('summarises FLAME_masks.pkl exactly as numpy sees it', () => {
    const file = flameAssets.path('FLAME_masks.pkl');
    const got = runCliJson(['inspect', file]) as Record<string, { type: string; dtype: string; shape: number[]; sum: number }>;
    const ref = JSON.parse(runPython(`
import pickle, json, sys
d = pickle.load(open(sys.argv[1], 'rb'), encoding='latin1')
print(json.dumps({k: {'type': 'ndarray', 'dtype': v.dtype.name, 'shape': list(v.shape), 'sum': int(v.sum())} for k, v in d.items()}))
`, [file]));
    expect(got).toEqual(ref);
  });

  it.skipIf(!flameAssets.available)('shows the torch tensors inside landmark_embedding.npy as arrays', () => {
    const got = runCliJson(['inspect', flameAssets.path('landmark_embedding.npy')]) as Record<string, { dtype: string; shape: number[] }>;
    expect(got.dynamic_lmk_faces_idx).toMatchObject({ type: 'ndarray', dtype: 'int64', shape: [79, 17] });
    expect(got.dynamic_lmk_bary_coords).toMatchObject({ type: 'ndarray', shape: [79, 17, 3] });
    expect(got.static_lmk_faces_idx).toMatchObject({ dtype: 'int64', shape: [51] });
    expect(got.full_lmk_faces_idx).toMatchObject({ shape: [1, 68] });
  });

  it.skipIf(!flameAssets.available)('counts head_template.obj as FLAME topology', () => {
    expect(runCliJson(['inspect', flameAssets.path('head_template.obj')])).toEqual({ type: 'mesh', vertices: 5023, faces: 9976, uvs: 5118, normals: 0, colors: false });
  });

  it('refuses a malicious pickle with exit code 1, naming the global, and runs nothing', () => {
    const dir = tempDir();
    const marker = join(dir, 'pwned');
    // protocol 0: os.system('touch <marker>')
    writeFileSync(join(dir, 'evil.pkl'), `cos\nsystem\n(S'touch ${marker}'\ntR.`, 'latin1');
    const r = runCli(['inspect', join(dir, 'evil.pkl')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing global 'os\.system'/);
    expect(existsSync(marker)).toBe(false);
  });

  it('gives exit code 2 for a missing file or an unknown type, 1 for a truncated file', () => {
    const dir = tempDir();
    expect(runCli(['inspect', join(dir, 'nope.npy')]).status).toBe(2);
    writeFileSync(join(dir, 'x.txt'), 'hi');
    const unknown = runCli(['inspect', join(dir, 'x.txt')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown file type/);
    writeFileSync(join(dir, 'cut.npy'), Buffer.from('\x93NUMPY\x01\x00v\x00{\'descr\': \'<f8\', \'fo', 'latin1'));
    const cut = runCli(['inspect', join(dir, 'cut.npy')]);
    expect(cut.status).toBe(1);
    expect(cut.stderr).toContain('cut.npy');
  });

  it('prints errors as JSON lines with --json', () => {
    const r = runCli(['inspect', '/nonexistent/file.pkl', '--json']);
    expect(r.status).toBe(2);
    const line = JSON.parse(r.stderr.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'error', exitCode: 2 });
  });
});
