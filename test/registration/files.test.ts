import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModel, IBUG68_NAMES } from '../../src/flame/index.js';
import { formatPickedPoints } from '../../src/io/pp.js';
import { writeNpy } from '../../src/io/npy.js';
import { nd } from '../../src/io/ndarray.js';
import { readScanLandmarks, readLandmarksForModel, landmarkTargets } from '../../src/registration/landmarks-io.js';
import { readFacescapeParams, distort, undistort, projectDistorted, pixelRay } from '../../src/registration/facescape-cameras.js';
import { loadScan } from '../../src/registration/scan-io.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('wb-reg-files-');
const pts68 = Array.from({ length: 68 }, (_, k) => [k, 2 * k, -k] as [number, number, number]);

describe('scan landmark files', () => {
  it('reads .pp by the embedding names, skips unplaced points, and a 68-point file against the 51-point embedding', () => {
    const p = join(dir, 'a.pp');
    writeFileSync(p, formatPickedPoints(pts68.map((q, k) => ({ name: IBUG68_NAMES[k]!, position: q, active: k !== 30 })).reverse()));
    const l = readScanLandmarks(p, IBUG68_NAMES);
    expect(l.present[30]).toBe(0);
    expect(Number.isNaN(l.points[90])).toBe(true);
    expect(Array.from(l.points.subarray(3 * 40, 3 * 41))).toEqual([40, 80, -40]);
    const s51 = readScanLandmarks(p, IBUG68_NAMES.slice(17));
    expect(Array.from(s51.points.subarray(0, 3))).toEqual([17, 34, -17]);
    expect(s51.present.reduce((a, b) => a + b, 0)).toBe(50);
  });

  it('reads .pp in order, .json (lists, name maps) and .npy with NaN rows', () => {
    const pp = join(dir, 'b.pp');
    writeFileSync(pp, formatPickedPoints(pts68.map((q, k) => ({ name: `p${k}`, position: q, active: true }))));
    expect(Array.from(readScanLandmarks(pp, IBUG68_NAMES).points.subarray(3, 6))).toEqual([1, 2, -1]);
    const js = join(dir, 'c.json');
    writeFileSync(js, JSON.stringify({ nose_base_0: [1, 2, 3], '36': [4, 5, 6] }));
    const lj = readScanLandmarks(js, IBUG68_NAMES);
    expect(lj.present.reduce((a, b) => a + b, 0)).toBe(2);
    expect(Array.from(lj.points.subarray(3 * 36, 3 * 37))).toEqual([4, 5, 6]);
    const npy = join(dir, 'd.npy');
    const arr = pts68.flat();
    arr[3] = NaN;
    writeFileSync(npy, writeNpy(nd.f64([68, 3], arr)));
    const ln = readScanLandmarks(npy, IBUG68_NAMES);
    expect(ln.present[1]).toBe(0);
    expect(ln.present[2]).toBe(1);
  });

  it('names the file and the problem when count or names do not match', async () => {
    const model = await builtinModel();
    const bad = join(dir, 'e.pp');
    writeFileSync(bad, formatPickedPoints(pts68.slice(0, 10).map((q, k) => ({ name: `x${k}`, position: q, active: true }))));
    expect(() => readLandmarksForModel(bad, model)).toThrow(/e\.pp.*10 points whose names do not match/);
    const js = join(dir, 'f.json');
    writeFileSync(js, JSON.stringify([[1, 2, 3]]));
    expect(() => readScanLandmarks(js, IBUG68_NAMES)).toThrow(/f\.json: 1 landmarks, the embedding has 68/);
    const few = join(dir, 'g.json');
    writeFileSync(few, JSON.stringify({ nose_base_0: [1, 2, 3] }));
    expect(() => readLandmarksForModel(few, model)).toThrow(/only 1 of 68 landmarks are placed/);
    const ok = join(dir, 'a.pp');
    const { landmarks, embedding } = readLandmarksForModel(ok, model);
    const t = landmarkTargets(landmarks, embedding.embedding);
    expect(embedding.kind).toBe('full68');
    expect(t.faceIdx.length).toBe(67);
    expect(t.index.includes(30)).toBe(false);
  });
});

describe('FaceScape cameras', () => {
  it('undistorts what it distorts, and a pixel ray passes through the projected point', () => {
    const d = Float64Array.of(-0.12, 0.05, 0.001, -0.002, 0.01);
    for (const [x, y] of [[0.1, -0.2], [-0.3, 0.25], [0, 0]]) {
      const [xd, yd] = distort(d, x!, y!);
      const [xu, yu] = undistort(d, xd, yd);
      expect(xu).toBeCloseTo(x!, 10);
      expect(yu).toBeCloseTo(y!, 10);
    }
    const cam = { view: 0, K: Float64Array.of(1200, 0, 500, 0, 1210, 400, 0, 0, 1), Rt: Float64Array.of(1, 0, 0, 5, 0, -1, 0, 20, 0, 0, -1, 900), distortion: d, width: 1000, height: 800, valid: true };
    const X = [30, -40, 100];
    const p = projectDistorted(cam, X[0]!, X[1]!, X[2]!);
    const ray = pixelRay(cam, p.u, p.v);
    // the point is on the ray: |(X − o) × dir| = 0
    const v = X.map((x, a) => x - ray.origin[a]!);
    const c = [v[1]! * ray.direction[2] - v[2]! * ray.direction[1], v[2]! * ray.direction[0] - v[0]! * ray.direction[2], v[0]! * ray.direction[1] - v[1]! * ray.direction[0]];
    expect(Math.hypot(...c)).toBeLessThan(1e-6);
  });

  it('reads params.json and names the key that is wrong', () => {
    const good = join(dir, 'params.json');
    writeFileSync(good, JSON.stringify({ '0_K': [[1000, 0, 256], [0, 1000, 256], [0, 0, 1]], '0_Rt': [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 500]], '0_distortion': [0, 0, 0, 0, 0], '0_width': 512, '0_height': 512, '0_valid': false, '1_K': [[1, 0, 0], [0, 1, 0], [0, 0, 1]], '1_Rt': [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], '1_width': 8, '1_height': 8 }));
    const views = readFacescapeParams(good);
    expect(views.map((v) => [v.view, v.valid])).toEqual([[0, false], [1, true]]);
    expect(views[0]!.Rt[11]).toBe(500);
    const bad = join(dir, 'params-bad.json');
    writeFileSync(bad, JSON.stringify({ '0_K': [[1000, 0], [0, 1000, 256]], '0_Rt': [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 500]], '0_width': 512, '0_height': 512 }));
    expect(() => readFacescapeParams(bad)).toThrow(/params-bad\.json at key '0_K': expected 9 finite numbers/);
    expect(() => readFacescapeParams(join(dir, 'none.json'))).toThrow(/none\.json: camera parameters \(params\.json\) not found/);
  });
});

describe('scan files', () => {
  it('rejects empty, point-cloud, non-finite and degenerate scans naming the file, and drops zero-area triangles', async () => {
    const w = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
    await expect(loadScan(w('empty.obj', ''))).rejects.toThrow(/empty\.obj: empty file/);
    await expect(loadScan(w('cloud.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\n'))).rejects.toThrow(/cloud\.obj: the scan has 3 vertices but no triangles/);
    await expect(loadScan(w('flat.obj', 'v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n'))).rejects.toThrow(/flat\.obj: all 1 triangles have zero area/);
    await expect(loadScan(w('point.obj', 'v 1 1 1\nv 1 1 1\nv 1 1 1\nf 1 2 3\n'))).rejects.toThrow(/point\.obj: all vertices are at one point/);
    await expect(loadScan(w('scan.xyz', 'x'))).rejects.toThrow(/unknown scan format/);
    const s = await loadScan(w('ok.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 2 0 0\nf 1 2 3\nf 1 2 4\n'));
    expect(s.info.triangles).toBe(1);
    expect(s.info.degenerateTriangles).toBe(1);
  });
});
