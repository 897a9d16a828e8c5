import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { runCli, runCliJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { loadNpy } from '../../src/io/npy.js';
import { loadNpz } from '../../src/io/npz.js';
import { toFloat64, type NdArray } from '../../src/io/ndarray.js';
import { reprojectionError } from '../../src/eval/fit-metrics.js';

describe('workbench synth fit-problem and fit', () => {
  it('writes a problem and its truth, fits it, and the written FLAME parameters reproduce vertices.npy', () => {
    const dir = tempDir();
    const obs = join(dir, 'p.npz');
    runCliJson(['synth', 'fit-problem', obs, '--frames', '3', '--views', '2', '--noise', '0.5', '--with-cameras', '--seed', '7']);
    const z = loadNpz(obs);
    expect((z.get('mu') as NdArray).shape.slice(0, 2)).toEqual([3, 2]);
    expect((loadNpz(join(dir, 'p.truth.npz')).get('vertices') as NdArray).shape[0]).toBe(3);
    const out = join(dir, 'fit');
    const r = runCliJson(['fit', obs, '--out', out, '--mode', 'sequential']) as { cameras: string; frames: number };
    expect(r).toMatchObject({ cameras: 'given', frames: 3 });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.stages.map((s: { stage: string }) => s.stage)).toEqual(['init', 'sequential']);
    // the fit is accurate against the truth
    const truth = loadNpz(join(dir, 'p.truth.npz'));
    const cams = loadNpz(join(out, 'cameras.npz'));
    const v = toFloat64(loadNpy(join(out, 'vertices.npy')));
    const e = reprojectionError(v, toFloat64(cams.get('K') as NdArray), toFloat64(cams.get('Rt') as NdArray), toFloat64(truth.get('vertices') as NdArray), toFloat64(truth.get('K') as NdArray), toFloat64(truth.get('Rt') as NdArray), 3, 2, toFloat64(z.get('sigma') as NdArray));
    expect(e).toBeLessThan(0.3);
    // flame eval --batch on flame.npz gives the same vertices
    runCliJson(['flame', 'eval', '--batch', '--params', join(out, 'flame.npz'), '--out', join(dir, 'again.npy')]);
    const again = toFloat64(loadNpy(join(dir, 'again.npy')));
    let maxd = 0;
    for (let k = 0; k < v.length; k++) maxd = Math.max(maxd, Math.abs(again[k]! - v[k]!));
    expect(maxd).toBeLessThan(1e-6); // vertices.npy is float32
  });

  it('rejects a bad observation file with exit code 2 and the reason', () => {
    const dir = tempDir();
    const r = runCli(['fit', join(dir, 'missing.npz')]);
    expect(r.status).toBe(2);
    const bad = join(dir, 'bad.npz');
    runCliJson(['synth', 'fit-problem', bad, '--frames', '1', '--views', '1']);
    const r2 = runCli(['fit', bad, '--mode', 'nonsense']);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/--mode must be sequential, joint or both/);
  });
});
