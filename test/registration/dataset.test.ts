/**
 * `workbench register DATASET` and `register scan` as a user runs them (compiled CLI), on a small
 * synthetic FaceScape dataset with known truth, with broken subjects beside a good one: a subject
 * without neutral landmarks (skipped), an empty neutral scan (failed; its expressions skipped), an
 * expression without cameras (failed), and the rest registered.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthFacescape } from '../../src/synth/facescape.js';
import { loadNpz } from '../../src/io/npz.js';
import { loadNpy } from '../../src/io/npy.js';
import { parseObj } from '../../src/io/obj.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('wb-register-');
const data = join(root, 'facescape');

interface Record_ { id: string; expression: string; status: string; reason?: string; truthErrorMm?: { median: number }; scanToMeshMm?: { median: number }; landmarks?: { source: string; count: number }; outputs?: Record<string, string>; reviewImage?: string }

beforeAll(async () => {
  await synthFacescape({ out: data, subjects: 1, expressions: 1, expressionNames: ['2_smile'], seed: 3, size: 384, views: 3, scanVertices: 40000, textureSize: 512 });
  // subject 2: no landmarks; subject 3: an empty neutral scan; subject 4: the smile lacks its cameras
  for (const id of ['2', '3', '4']) cpSync(join(data, '1'), join(data, id), { recursive: true });
  rmSync(join(data, '2', 'models_reg', '1_neutral.pp'));
  writeFileSync(join(data, '3', 'models_reg', '1_neutral.obj'), '');
  rmSync(join(data, '4', '2_smile', 'params.json'));
}, 120_000);

describe('workbench register DATASET', () => {
  let summary: { totals: Record<string, number>; scans: Record_[] };
  let status = -1;
  const out = join(root, 'out');

  beforeAll(() => {
    const r = runCli(['register', data, '--out', out, '--workers', '2', '--quiet']);
    status = r.status;
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  }, 300_000);

  const rec = (id: string, e: string) => summary.scans.find((r) => r.id === id && r.expression === e)!;

  it('registers the good subject close to the truth, with its files', () => {
    const n = rec('1', '1_neutral'), s = rec('1', '2_smile');
    expect(n.status).toBe('ok');
    expect(s.status).toBe('ok');
    expect(n.landmarks!.source).toBe('manual');
    expect(s.landmarks!.source).toBe('propagated');
    expect(n.truthErrorMm!.median).toBeLessThan(1.0);
    expect(s.truthErrorMm!.median).toBeLessThan(1.5);
    expect(n.scanToMeshMm!.median).toBeLessThan(0.3);
    const dir = join(out, '1', '2_smile');
    const obj = parseObj(readFileSync(join(dir, 'registration.obj'), 'utf8'));
    expect(obj.positions.length / 3).toBe(5044);
    expect(obj.uvs!.length).toBeGreaterThan(0);
    const params = loadNpz(join(dir, 'params.npz'));
    for (const k of ['shape', 'expr', 'pose', 'transl', 'offsets', 'scale', 'R', 't', 'units_per_metre']) expect(params.has(k), k).toBe(true);
    expect(loadNpy(join(dir, 'distance_mm.npy')).shape).toEqual([5044]);
    expect(existsSync(join(dir, 'qa.png'))).toBe(true);
    expect(existsSync(join(dir, 'landmarks.png'))).toBe(true);
    // the expression kept the neutral's identity
    const idN = loadNpz(join(out, '1', '1_neutral', 'params.npz')).get('shape') as { data: Float64Array };
    const idS = params.get('shape') as { data: Float64Array };
    expect(Array.from(idS.data)).toEqual(Array.from(idN.data));
  });

  it('reports each broken scan with its reason; the batch goes on and exits 1', () => {
    expect(status).toBe(1);
    expect(rec('2', '1_neutral').status).toBe('skipped');
    expect(rec('2', '1_neutral').reason).toMatch(/no landmarks for the neutral scan.*not guessed/);
    expect(rec('3', '1_neutral').status).toBe('failed');
    expect(rec('3', '1_neutral').reason).toMatch(/3\/models_reg\/1_neutral\.obj: empty file/);
    expect(rec('3', '2_smile').status).toBe('skipped');
    expect(rec('4', '1_neutral').status).toBe('ok');
    expect(rec('4', '2_smile').status).toBe('failed');
    expect(rec('4', '2_smile').reason).toMatch(/4\/2_smile\/params\.json: missing/);
    expect(summary.totals).toEqual({ scans: 8, ok: 3, failed: 2, review: 0, skipped: 3 });
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('empty file');
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).command).toBe('register');
  });

  it('sends an expression whose landmarks could not be carried to review.json, with a picture', () => {
    const out2 = join(root, 'review');
    // asking for more landmarks than exist: nothing passes
    const r = runCli(['register', data, '--out', out2, '--subjects', '1', '--min-landmarks', '1.01', '--workers', '0', '--quiet']);
    expect(r.status).toBe(0);
    const review = JSON.parse(readFileSync(join(out2, 'review.json'), 'utf8')) as { scans: Array<{ expression: string; reason: string; image: string }> };
    expect(review.scans.map((s) => s.expression)).toEqual(['2_smile']);
    expect(review.scans[0]!.reason).toMatch(/too few reliable propagated landmarks/);
    expect(existsSync(join(out2, review.scans[0]!.image))).toBe(true);
    expect(existsSync(join(out2, '1', '2_smile', 'registration.obj'))).toBe(false);
  });
});

describe('workbench register scan', () => {
  it('registers one scan into OUT and reports the error against a given truth', () => {
    const out = join(root, 'single');
    const r = runCli(['register', 'scan', join(data, '1', 'models_reg', '1_neutral.obj'), '--landmarks', join(data, '1', 'models_reg', '1_neutral.pp'), '--out', out, '--truth', join(data, '_truth', '1', '1_neutral.npz'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout) as Record_;
    expect(rec.status).toBe('ok');
    expect(rec.truthErrorMm!.median).toBeLessThan(1.0);
    for (const f of ['registration.obj', 'registration.ply', 'params.npz', 'distance_mm.npy', 'qa.png', 'summary.json', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('fails with a usage error when --landmarks is missing, and exit 1 naming the file when they do not fit', () => {
    const scan = join(data, '1', 'models_reg', '1_neutral.obj');
    const a = runCli(['register', 'scan', scan]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--landmarks <file> is required/);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify([[1, 2, 3], [4, 5, 6]]));
    const b = runCli(['register', 'scan', scan, '--landmarks', bad, '--out', join(root, 'bad')]);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/bad\.json: 2 landmarks, the embedding has 68/);
  });
});
