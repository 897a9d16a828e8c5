import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { builtinModel, FlameEvaluator } from '../../src/flame/index.js';
import { isNdArray, type NdArray } from '../../src/io/ndarray.js';
import { loadNpz } from '../../src/io/npz.js';
import { saveObj } from '../../src/io/obj.js';
import { readImage, writeImage } from '../../src/io/image.js';
import { computeVertexNormals } from '../../src/io/mesh.js';
import { projectWithDepth } from '../../src/render/camera.js';
import { sampleHeadParams } from '../../src/render/sampling.js';
import { workerScript } from '../../src/render/pool.js';
import { parseMaps, planSources, renderDataset } from '../../src/pipeline/render-dataset.js';
import { runCli } from '../helpers/cli.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const model = await builtinModel();

/** Every file under dir (relative path → bytes). */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function expectSameTree(a: string, b: string): void {
  const A = tree(a), B = tree(b);
  expect([...B.keys()]).toEqual([...A.keys()]);
  for (const [k, v] of A) expect(v.equals(B.get(k)!), `${k} differs`).toBe(true);
}

const arr = (z: Map<string, unknown>, k: string): NdArray => {
  const a = z.get(k);
  if (!isNdArray(a)) throw new Error(`${k} missing`);
  return a;
};

/** Built-in heads as registrations (FLAME topology): positions in metres. */
function heads(n: number, seed: string): Float64Array[] {
  const ev = new FlameEvaluator(model);
  return Array.from({ length: n }, (_, h) => {
    const p = sampleHeadParams(new Rng(seed).fork(h), model);
    ev.setIdentity(p.shape);
    return Float64Array.from(ev.evaluate(p.expr, p.pose));
  });
}

const workerBuilt = existsSync(workerScript());
if (!workerBuilt) console.warn(`skipping multi-worker render tests: ${workerScript()} is missing (npm test builds it)`);

describe('renderDataset with builtin:N (seed render-dataset-1)', () => {
  const out = tempDir();
  const maps = parseMaps('depth,mask,normal,uv,triangle');
  const resultP = renderDataset({ input: 'builtin:2', outDir: out, model, views: 2, size: 96, uvSize: 32, maps, seed: 'render-dataset-1', workers: 0, preview: 3 });

  it('writes images, labels, index.jsonl, preview.html, report.json and manifest.json', async () => {
    const res = await resultP;
    expect(res.samples).toBe(4);
    expect(res.written).toBe(4);
    expect(res.failed).toEqual([]);
    const lines = readFileSync(join(out, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.id)).toEqual(['000000', '000001', '000002', '000003']);
    expect(lines.map((l) => l.source)).toEqual(['builtin:0', 'builtin:0', 'builtin:1', 'builtin:1']);
    expect(lines[1]).toMatchObject({ image: 'images/000001.png', labels: 'labels/000001.npz', view: 1, seed: 'render-dataset-1/1' });
    for (const l of lines) {
      expect(existsSync(join(out, l.image as string))).toBe(true);
      expect(existsSync(join(out, l.labels as string))).toBe(true);
    }
    const img = await readImage(join(out, 'images/000002.png'));
    expect([img.width, img.height, img.channels]).toEqual([96, 96, 3]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { command: string; parameters: Record<string, unknown>; outputs: Array<{ path: string; sha256: string }> };
    expect(manifest.command).toBe('render');
    expect(manifest.parameters).toMatchObject({ input: 'builtin:2', views: 2, size: 96, uvSize: 32, seed: 'render-dataset-1', model: 'builtin' });
    const listed = manifest.outputs.map((o) => o.path);
    for (const p of ['index.jsonl', 'preview.html', 'report.json', 'images/000003.png', 'labels/000003.npz', 'preview/000002-flow.png']) expect(listed).toContain(p);
    expect(listed).not.toContain('preview/000003-flow.png'); // preview: 3 samples
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toEqual({ samples: 4, written: 4, failed: [] });
  });

  it('stores the labels under the sample.ts names with the documented shapes, and mu is the projection', async () => {
    await resultP;
    const z = loadNpz(join(out, 'labels/000001.npz'));
    const V = model.numVertices;
    const shapes: Record<string, number[]> = {
      vertices: [V, 3], mu: [V, 2], visible: [V], K: [3, 3], Rt: [3, 4], uv_flow: [32, 32, 2], uv_flow_valid: [32, 32], uv_weight: [32, 32],
      vertex_uv: [V, 2], vertex_weight: [V], depth: [96, 96], mask: [96, 96], normal: [96, 96, 3], uv: [96, 96, 2], triangle: [96, 96],
    };
    expect([...z.keys()]).toEqual(Object.keys(shapes));
    for (const [k, s] of Object.entries(shapes)) expect(arr(z, k).shape, k).toEqual(s);
    expect(arr(z, 'visible').dtype).toBe('bool');
    expect(arr(z, 'mu').dtype).toBe('float64');
    const X = arr(z, 'vertices').data as Float64Array, K = arr(z, 'K').data as Float64Array, Rt = arr(z, 'Rt').data as Float64Array;
    const mu = new Float64Array(2 * V);
    projectWithDepth(mu, new Float64Array(V), X, { K, Rt, width: 96, height: 96 });
    expect(mu).toEqual(arr(z, 'mu').data);
    // the weights: 1 on face and ears, 0.005 elsewhere
    const w = arr(z, 'vertex_weight').data as Float32Array;
    expect(w[model.regions.face![0]!]).toBe(1);
    expect(w[model.regions.scalp![0]!]).toBeCloseTo(0.005, 7);
    // preview data: the page holds the 3 samples and their overlays
    const html = readFileSync(join(out, 'preview.html'), 'utf8');
    const items = JSON.parse(/const items = (\[.*\]);/.exec(html)![1]!.replace(/\\u003c/g, '<')) as Array<{ id: string; mu: number[]; visible: string; outline: number[]; image: string; flow: string }>;
    expect(items.map((i) => i.id)).toEqual(['000000', '000001', '000002']);
    expect(items[1]!.image).toBe('images/000001.png');
    expect(items[1]!.mu.length).toBe(2 * items[1]!.visible.length);
    expect(items[1]!.outline.length).toBeGreaterThan(10);
  });

  it.skipIf(!numpy.available)('numpy reads every label file (np.load) and reprojects mu', async () => {
    await resultP;
    const r = JSON.parse(runPython(`
import sys, json, glob, numpy as np
errs = []
for f in sorted(glob.glob(sys.argv[1] + '/labels/*.npz')):
    z = np.load(f)
    c = z['vertices'] @ z['Rt'][:, :3].T + z['Rt'][:, 3]
    p = c @ z['K'].T
    errs.append(float(np.abs(p[:, :2] / c[:, 2:3] - z['mu']).max()))
    assert z['mask'].dtype == np.bool_ and z['triangle'].dtype == np.int32 and np.isinf(z['depth'][~z['mask']]).all()
print(json.dumps(errs))
`, [out])) as number[];
    expect(r.length).toBe(4);
    for (const e of r) expect(e).toBeLessThan(1e-9);
  });
});

describe.skipIf(!workerBuilt)('determinism across worker counts (seed render-dataset-2)', () => {
  it('gives byte-identical outputs with 0 (this thread), 1 and 2 worker threads', async () => {
    const dirs = [0, 1, 2].map(() => tempDir());
    for (const [k, workers] of [0, 1, 2].entries()) {
      await renderDataset({ input: 'builtin:3', outDir: dirs[k]!, model, views: 2, size: 80, uvSize: 16, maps: ['depth'], seed: 'render-dataset-2', workers });
    }
    expectSameTree(dirs[0]!, dirs[1]!);
    expectSameTree(dirs[0]!, dirs[2]!);
    // and another seed changes them
    const other = tempDir();
    await renderDataset({ input: 'builtin:3', outDir: other, model, views: 2, size: 80, uvSize: 16, maps: ['depth'], seed: 'render-dataset-3', workers: 0 });
    expect(readFileSync(join(other, 'images/000000.png')).equals(readFileSync(join(dirs[0]!, 'images/000000.png')))).toBe(false);
  });

  it('with --augment default too, and keeps mu the projection', async () => {
    const a = tempDir(), b = tempDir();
    await renderDataset({ input: 'builtin:2', outDir: a, model, views: 3, size: 96, uvSize: 16, augment: 'default', seed: 'render-dataset-aug', workers: 0 });
    await renderDataset({ input: 'builtin:2', outDir: b, model, views: 3, size: 96, uvSize: 16, augment: 'default', seed: 'render-dataset-aug', workers: 2 });
    expectSameTree(a, b);
    for (let k = 0; k < 6; k++) {
      const z = loadNpz(join(a, `labels/00000${k}.npz`));
      const V = model.numVertices, mu = new Float64Array(2 * V);
      projectWithDepth(mu, new Float64Array(V), arr(z, 'vertices').data as Float64Array, { K: arr(z, 'K').data as Float64Array, Rt: arr(z, 'Rt').data as Float64Array, width: 96, height: 96 });
      const stored = arr(z, 'mu').data as Float64Array;
      let worst = 0;
      for (let i = 0; i < 2 * V; i++) worst = Math.max(worst, Math.abs(mu[i]! - stored[i]!));
      expect(worst).toBeLessThan(1e-6);
    }
  });
});

describe('registrations and scans (seed render-dataset-reg)', () => {
  it('renders a folder of registrations (units detected), quarantining a broken one', async () => {
    const dir = tempDir(), out = tempDir();
    const [h0, h1] = heads(2, 'render-dataset-reg');
    const mm = (v: Float64Array) => v.map((x) => x * 1000);
    await saveObj(join(dir, 'a', 'subject1.obj'), { positions: mm(h0!), faces: model.faces });
    await saveObj(join(dir, 'b', 'subject2.obj'), { positions: h1!, faces: model.faces, uvs: model.uvs!, faceUvs: model.faceUvs! });
    await saveObj(join(dir, 'b', 'broken.obj'), { positions: new Float64Array([0, 0, 0, 1, 0, 0, 0, 1, 0]), faces: new Uint32Array([0, 1, 2]) });
    writeFileSync(join(dir, 'notes.txt'), 'not a mesh');
    const res = await renderDataset({ input: dir, outDir: out, model, views: 2, size: 64, uvSize: 16, seed: 'render-dataset-reg', workers: 0 });
    expect(res.samples).toBe(6);
    expect(res.written).toBe(4);
    expect(res.failed.map((f) => f.id)).toEqual(['000002', '000003']); // sorted: a/subject1, b/broken, b/subject2
    expect(res.failed[0]!.error).toMatch(/broken\.obj.*expected a registration in the model's topology \(5044 vertices.*found 3 vertices/);
    const report = JSON.parse(readFileSync(res.report, 'utf8')) as { failed: Array<{ source: string }> };
    expect(report.failed[0]!.source).toBe(join(dir, 'b/broken.obj'));
    // millimetres were detected and converted: the stored vertices are the metre ones
    const z = loadNpz(join(out, 'labels/000000.npz'));
    const X = arr(z, 'vertices').data as Float64Array;
    for (let i = 0; i < X.length; i += 997) expect(X[i]).toBeCloseTo(h0![i]!, 9);
    const lines = readFileSync(res.index, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: string });
    expect(lines.map((l) => l.source)).toEqual([join(dir, 'a/subject1.obj'), join(dir, 'a/subject1.obj'), join(dir, 'b/subject2.obj'), join(dir, 'b/subject2.obj')]);
  });

  it('renders a textured scan (OBJ + MTL + PNG) with the labels of its registration, visibility against the scan', async () => {
    const dir = tempDir(), out = tempDir(), own = tempDir();
    const [reg] = heads(1, 'render-dataset-scan');
    // the "scan": the registration pushed 1 mm outwards, with UVs and a red/blue checker texture
    const n = computeVertexNormals(new Float64Array(reg!.length), reg!, model.faces);
    const scan = reg!.map((x, i) => x + 1e-3 * n[i]!);
    const T = 64, tex = new Uint8Array(T * T * 3);
    for (let j = 0; j < T; j++) for (let i = 0; i < T; i++) { const red = ((i >> 3) + (j >> 3)) % 2 === 0; tex.set(red ? [220, 20, 20] : [20, 20, 220], 3 * (j * T + i)); }
    await writeImage(join(dir, 'scan.png'), { width: T, height: T, channels: 3, data: tex });
    writeFileSync(join(dir, 'scan.mtl'), 'newmtl skin\nKd 1 1 1\nmap_Kd scan.png\n');
    const obj = (await import('../../src/io/obj.js')).formatObj({ positions: scan, faces: model.faces, uvs: model.uvs!, faceUvs: model.faceUvs! }, { mtlFile: 'scan.mtl', material: 'skin' });
    writeFileSync(join(dir, 'scan.obj'), obj);
    await saveObj(join(dir, 'reg.obj'), { positions: reg!, faces: model.faces });
    const opts = { model, views: 3, size: 128, uvSize: 32, seed: 'render-dataset-scan', workers: 0 } as const;
    const res = await renderDataset({ ...opts, input: join(dir, 'scan.obj'), registration: join(dir, 'reg.obj'), outDir: out });
    expect(res.written).toBe(3);
    const selfRes = await renderDataset({ ...opts, input: join(dir, 'reg.obj'), outDir: own });
    expect(selfRes.written).toBe(3);
    for (let k = 0; k < 3; k++) {
      const z = loadNpz(join(out, `labels/00000${k}.npz`)), zs = loadNpz(join(own, `labels/00000${k}.npz`));
      // labels are the registration's: its vertices, projected
      const X = arr(z, 'vertices').data as Float64Array;
      expect(X).toEqual(reg);
      const V = model.numVertices, mu = new Float64Array(2 * V);
      projectWithDepth(mu, new Float64Array(V), X, { K: arr(z, 'K').data as Float64Array, Rt: arr(z, 'Rt').data as Float64Array, width: 128, height: 128 });
      expect(mu).toEqual(arr(z, 'mu').data);
      // visibility against the scan (1 mm in front) agrees with the registration's own for most vertices
      const vis = arr(z, 'visible').data as Uint8Array, visSelf = arr(zs, 'visible').data as Uint8Array;
      // (at 128 px a pixel spans ~2 mm: vertices at silhouettes and grazing angles go either way)
      let agree = 0, visible = 0, visibleSelf = 0;
      for (let v = 0; v < V; v++) { if (vis[v] === visSelf[v]) agree++; visible += vis[v]!; visibleSelf += visSelf[v]!; }
      expect(visible).toBeGreaterThan(800);
      expect(agree / V).toBeGreaterThan(0.9);
      expect(Math.abs(visible - visibleSelf) / visibleSelf).toBeLessThan(0.1);
      // the texture shows: covered pixels are red or blue, never green
      const img = await readImage(join(out, `images/00000${k}.png`));
      let red = 0, blue = 0, green = 0;
      for (let p = 0; p < 128 * 128; p++) {
        const [r, g, b] = [img.data[3 * p]!, img.data[3 * p + 1]!, img.data[3 * p + 2]!];
        if (r > 2 * g + 20 && r > b) red++;
        if (b > 2 * g + 20 && b > r) blue++;
        if (g > r + 20 && g > b + 20) green++;
      }
      expect(red).toBeGreaterThan(500);
      expect(blue).toBeGreaterThan(500);
      expect(green).toBeLessThan(50);
    }
    // a registration shrunk inside the scan (by 30% about its centre: the face ends 2–3 cm behind the
    // scan's, beyond the 5 mm tolerance even doubled along oblique rays) is hidden by the scan's surface
    const c = [0, 1, 2].map((k) => { let m = 0; for (let i = k; i < reg!.length; i += 3) m += reg![i]!; return m / (reg!.length / 3); });
    await saveObj(join(dir, 'inner.obj'), { positions: reg!.map((x, i) => c[i % 3]! + 0.7 * (x - c[i % 3]!)), faces: model.faces });
    const hidden = tempDir();
    await renderDataset({ ...opts, views: 1, input: join(dir, 'scan.obj'), registration: join(dir, 'inner.obj'), outDir: hidden });
    const vis = arr(loadNpz(join(hidden, 'labels/000000.npz')), 'visible').data as Uint8Array;
    expect(vis.reduce((a, b) => a + b, 0)).toBeLessThan(model.numVertices * 0.01);
  });
});

describe('inputs and options', () => {
  it('plans sources and parses maps, with usage errors for bad ones', () => {
    expect(planSources('builtin:3').map((s) => s.name)).toEqual(['builtin:0', 'builtin:1', 'builtin:2']);
    expect(() => planSources('builtin:0')).toThrow(/N >= 1/);
    expect(() => planSources('builtin:2', 'reg.obj')).toThrow(/--registration goes with a scan mesh/);
    expect(() => planSources('/no/such/file.obj')).toThrow(/not found/);
    expect(() => planSources(tempDir())).toThrow(/holds no \.obj or \.ply files/);
    expect(parseMaps('depth, uv,depth')).toEqual(['depth', 'uv']);
    expect(parseMaps('')).toEqual([]);
    expect(() => parseMaps('depth,colour')).toThrow(/unknown map 'colour'/);
  });
});

describe('workbench render (CLI)', () => {
  it('renders builtin heads and prints the result; usage errors exit 2', () => {
    const out = tempDir();
    const r = runCli(['render', 'builtin:1', '--views', '2', '--out', out, '--size', '64', '--uv-size', '16', '--workers', '0', '--seed', '5', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { samples: number; written: number; index: string };
    expect([res.samples, res.written]).toEqual([2, 2]);
    expect(readFileSync(res.index, 'utf8').trim().split('\n').length).toBe(2);
    const bad = runCli(['render', 'builtin:1', '--out', out, '--maps', 'depth,colour']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown map 'colour'/);
    expect(runCli(['render', join(out, 'missing.obj'), '--out', out]).status).toBe(2);
  });

  it('bench render prints one JSON line with the figures', () => {
    const r = runCli(['bench', 'render', '--heads', '1', '--views', '2', '--workers', '1']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j.bench).toBe('render');
    expect(j.samples).toBe(2);
    expect(typeof j.samples_per_s).toBe('number');
    expect(j.samples_per_s as number).toBeGreaterThan(0);
    expect(j.raster_samples_per_s as number).toBeGreaterThan(0);
    expect(Object.keys(j.stage_ms as object)).toEqual(['flame', 'render', 'labels', 'augment', 'write']);
  });
});
