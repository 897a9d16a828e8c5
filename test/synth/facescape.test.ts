import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { builtinModel, lbs, IBUG68_NAMES, type FlameModel } from '../../src/flame/index.js';
import { computeVertexNormals, loadObj, loadNpz, loadPickedPoints, readImage, toFloat64, type Image, type Mesh, type NdArray } from '../../src/io/index.js';
import { hashFile } from '../../src/util/hash.js';
import { synthFacescape, type SynthFacescapeResult } from '../../src/synth/facescape.js';
import { distances, quantile, surface } from './distance.js';
import { tempDir } from '../helpers/tmp.js';

const SIZE = 384, VIEWS = 4;
/** The photos' background (linear 0.09, 0.11, 0.15) as 8-bit sRGB. */
const BG = [85, 94, 109];

let model: FlameModel;
let out: string;
let result: SynthFacescapeResult;

interface Truth { vertices: Float64Array; shape: Float64Array; expr: Float64Array; pose: Float64Array; transl: Float64Array; scale: number; R: Float64Array; t: Float64Array; landmarks: Float64Array; invalid: number }
function truthOf(dir: string, id: string, name: string): Truth {
  const z = loadNpz(join(dir, '_truth', id, `${name}.npz`));
  const f = (k: string): Float64Array => toFloat64(z.get(k) as NdArray, k);
  const v = z.get('vertices') as NdArray;
  expect(v.shape).toEqual([model.numVertices, 3]);
  return {
    vertices: f('vertices'), shape: f('shape'), expr: f('expr'), pose: f('pose'), transl: f('transl'), scale: f('scale')[0]!, R: f('R'), t: f('t'),
    landmarks: f('landmarks'), invalid: Number((z.get('invalid_view') as NdArray).data[0]),
  };
}

interface View { K: number[][]; Rt: number[][]; distortion: number[]; width: number; height: number; valid: boolean }
function viewsOf(dir: string, id: string, name: string): View[] {
  const p = JSON.parse(readFileSync(join(dir, id, name, 'params.json'), 'utf8')) as Record<string, unknown>;
  const out: View[] = [];
  for (let v = 0; `${v}_K` in p; v++) {
    out.push({ K: p[`${v}_K`] as number[][], Rt: p[`${v}_Rt`] as number[][], distortion: p[`${v}_distortion`] as number[], width: p[`${v}_width`] as number, height: p[`${v}_height`] as number, valid: p[`${v}_valid`] as boolean });
  }
  return out;
}

/** Pixel position and camera depth of scan-frame point i of points [N*3]. */
function project(view: View, points: ArrayLike<number>, i: number): [number, number, number] {
  const { K, Rt } = view;
  const X = points[3 * i]!, Y = points[3 * i + 1]!, Z = points[3 * i + 2]!;
  const c = [0, 1, 2].map((r) => Rt[r]![0]! * X + Rt[r]![1]! * Y + Rt[r]![2]! * Z + Rt[r]![3]!);
  return [(K[0]![0]! * c[0]! + K[0]![1]! * c[1]! + K[0]![2]! * c[2]!) / c[2]!, (K[1]![1]! * c[1]! + K[1]![2]! * c[2]!) / c[2]!, c[2]!];
}

/** Camera centre in the scan frame: −Rᵀ t. */
function centre(view: View): [number, number, number] {
  const R = view.Rt;
  return [0, 1, 2].map((j) => -(R[0]![j]! * R[0]![3]! + R[1]![j]! * R[1]![3]! + R[2]![j]! * R[2]![3]!)) as [number, number, number];
}

/** RGB in [0, 1] at pixel position (x, y) (nearest pixel). */
function pixel(img: Image, x: number, y: number): [number, number, number] {
  const i = Math.min(img.width - 1, Math.max(0, Math.floor(x))), j = Math.min(img.height - 1, Math.max(0, Math.floor(y)));
  const o = (j * img.width + i) * img.channels;
  return [img.data[o]! / 255, img.data[o + 1]! / 255, img.data[o + 2]! / 255];
}
const isBackground = (c: [number, number, number]): boolean => Math.max(Math.abs(c[0] * 255 - BG[0]!), Math.abs(c[1] * 255 - BG[1]!), Math.abs(c[2] * 255 - BG[2]!)) < 12;

/** Truth vertices of the face region that face camera `view` (normals from the truth mesh). */
function visibleFace(view: View, vertices: Float64Array, minCos = 0.5): number[] {
  const n = computeVertexNormals(new Float64Array(vertices.length), vertices, model.faces);
  const C = centre(view);
  return Array.from(model.regions.face!).filter((i) => {
    const dx = C[0] - vertices[3 * i]!, dy = C[1] - vertices[3 * i + 1]!, dz = C[2] - vertices[3 * i + 2]!;
    return (n[3 * i]! * dx + n[3 * i + 1]! * dy + n[3 * i + 2]! * dz) / Math.hypot(dx, dy, dz) > minCos;
  });
}

function listFiles(dir: string): string[] {
  const outList: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) outList.push(...listFiles(p)); else outList.push(p);
  }
  return outList;
}

beforeAll(async () => {
  model = await builtinModel();
  out = tempDir('wb-synth-fs-');
  result = await synthFacescape({
    out, subjects: 1, expressions: 1, expressionNames: ['3_mouth_stretch'], seed: 'facescape-test', size: SIZE, views: VIEWS,
    scanVertices: 30000, textureSize: 512, variants: ['metres', 'rotated', 'missing_landmarks'],
  });
});

describe('synthFacescape: layout', () => {
  it('writes the FaceScape layout, the truth and a manifest whose hashes match the files', async () => {
    expect(result.subjects).toEqual(['1']);
    expect(result.expressions).toEqual(['1_neutral', '3_mouth_stretch']);
    expect(result.scans).toBe(2 * 4); // main + 3 variants, 2 scans each
    for (const name of result.expressions) {
      for (const ext of ['obj', 'mtl', 'jpg']) expect(existsSync(join(out, '1', 'models_reg', `${name}.${ext}`))).toBe(true);
      for (let v = 0; v < VIEWS; v++) expect(existsSync(join(out, '1', name, `${v}.jpg`))).toBe(true);
      expect(existsSync(join(out, '1', name, 'params.json'))).toBe(true);
      expect(existsSync(join(out, '_truth', '1', `${name}.npz`))).toBe(true);
    }
    expect(existsSync(join(out, '1', 'models_reg', '1_neutral.pp'))).toBe(true);
    expect(existsSync(join(out, '1', 'models_reg', '3_mouth_stretch.pp'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { command: string; parameters: Record<string, unknown>; outputs: Array<{ path: string; sha256: string; bytes: number }> };
    expect(manifest.command).toBe('synth facescape');
    expect(manifest.parameters.variants).toEqual(['metres', 'rotated', 'missing_landmarks']);
    const main = listFiles(out).filter((p) => !p.includes('robustness') && !p.endsWith('manifest.json')).map((p) => relative(out, p)).sort();
    const listed = manifest.outputs.map((o) => o.path);
    for (const p of main) expect(listed).toContain(p);
    expect(listed).toContain('robustness/metres/manifest.json');
    for (const o of manifest.outputs.slice(0, 12)) {
      expect(await hashFile(join(out, o.path))).toBe(o.sha256);
      expect(statSync(join(out, o.path)).size).toBe(o.bytes);
    }
    // the MTL names the texture beside it
    expect(readFileSync(join(out, '1', 'models_reg', '1_neutral.mtl'), 'utf8')).toMatch(/map_Kd 1_neutral\.jpg/);
  });

  it('writes FaceScape params.json: K, Rt (3×4, rotation orthonormal), zero distortion, size, one invalid non-frontal view', () => {
    for (const name of result.expressions) {
      const views = viewsOf(out, '1', name);
      expect(views.length).toBe(VIEWS);
      for (const v of views) {
        expect(v.K[2]).toEqual([0, 0, 1]);
        expect(v.K[0]![0]!).toBeGreaterThan(SIZE);
        expect(v.Rt.length).toBe(3);
        for (const row of v.Rt) expect(row.length).toBe(4);
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
          const dot = v.Rt[a]![0]! * v.Rt[b]![0]! + v.Rt[a]![1]! * v.Rt[b]![1]! + v.Rt[a]![2]! * v.Rt[b]![2]!;
          expect(dot).toBeCloseTo(a === b ? 1 : 0, 10);
        }
        expect(v.distortion).toEqual([0, 0, 0, 0, 0]);
        expect([v.width, v.height]).toEqual([SIZE, SIZE]);
      }
      const invalid = views.map((v, k) => (v.valid ? -1 : k)).filter((k) => k >= 0);
      expect(invalid.length).toBe(1);
      expect(invalid[0]).not.toBe(0);
      expect(truthOf(out, '1', name).invalid).toBe(invalid[0]);
    }
  });
});

describe('synthFacescape: truth and scans', () => {
  it('stores truth vertices = scale·R·M(shape, expr, pose, transl) + t, in millimetres', () => {
    for (const name of result.expressions) {
      const t = truthOf(out, '1', name);
      expect(t.scale).toBe(1000);
      const m = lbs(model, { shape: t.shape, expr: t.expr, pose: t.pose, transl: t.transl });
      let worst = 0;
      for (let i = 0; i < model.numVertices; i++) {
        for (let r = 0; r < 3; r++) {
          const x = t.scale * (t.R[3 * r]! * m[3 * i]! + t.R[3 * r + 1]! * m[3 * i + 1]! + t.R[3 * r + 2]! * m[3 * i + 2]!) + t.t[r]!;
          worst = Math.max(worst, Math.abs(x - t.vertices[3 * i + r]!));
        }
      }
      expect(worst).toBeLessThan(1e-9);
      // identity β ~ N(0, 0.8²): its spread
      const sd = Math.sqrt(t.shape.reduce((s, b) => s + b * b, 0) / t.shape.length);
      expect(sd).toBeGreaterThan(0.65);
      expect(sd).toBeLessThan(0.95);
    }
    // the expression is not the neutral: the mouth opens (jaw pose) and the expression is active
    const neutral = truthOf(out, '1', '1_neutral'), open = truthOf(out, '1', '3_mouth_stretch');
    expect(neutral.expr.every((x) => x === 0)).toBe(true);
    expect(open.pose[6]!).toBeGreaterThan(0.2);
  });

  it('the scan (OBJ, mm, with UVs and texture) contains the truth surface up to noise, holes and hair', async () => {
    for (const name of result.expressions) {
      const scan: Mesh = await loadObj(join(out, '1', 'models_reg', `${name}.obj`));
      const t = truthOf(out, '1', name);
      const V = scan.positions.length / 3;
      expect(V).toBeGreaterThan(20000);
      expect(scan.uvs && scan.faceUvs).toBeTruthy();
      expect(scan.materials?.[0]?.diffuseTexture).toBe(join(out, '1', 'models_reg', `${name}.jpg`));
      const face = Array.from(model.regions.face!);
      const d = distances(t.vertices, surface(scan.positions, scan.faces), face);
      expect(quantile(d, 0.5)).toBeLessThan(0.25);
      expect(quantile(d, 0.75)).toBeLessThan(0.5);
    }
  });

  it('neutral landmarks (.pp): the 68 iBUG names, within a few millimetres of the truth landmarks', async () => {
    const pts = await loadPickedPoints(join(out, '1', 'models_reg', '1_neutral.pp'));
    const t = truthOf(out, '1', '1_neutral');
    expect(pts.map((p) => p.name)).toEqual([...IBUG68_NAMES]);
    const err = pts.map((p, k) => Math.hypot(p.position[0] - t.landmarks[3 * k]!, p.position[1] - t.landmarks[3 * k + 1]!, p.position[2] - t.landmarks[3 * k + 2]!));
    expect(pts.every((p) => p.active)).toBe(true);
    const mean = err.reduce((a, b) => a + b, 0) / err.length;
    // σ = 1.5 mm per axis: E|e| = 1.5·√(8/π) ≈ 2.4 mm
    expect(mean).toBeGreaterThan(1.5);
    expect(mean).toBeLessThan(3.5);
    expect(Math.max(...err)).toBeLessThan(9);
  });
});

describe('synthFacescape: photos', () => {
  it('the cameras project the truth onto the rendered face (frontal view: nose tip near the centre)', async () => {
    for (const name of result.expressions) {
      const t = truthOf(out, '1', name);
      const views = viewsOf(out, '1', name);
      const img = await readImage(join(out, '1', name, '0.jpg'));
      const [nx, ny, nz] = project(views[0]!, t.landmarks, 30);
      expect(nz).toBeGreaterThan(500); // mm in front of the camera
      expect(Math.abs(nx - SIZE / 2)).toBeLessThan(0.15 * SIZE);
      expect(Math.abs(ny - SIZE / 2)).toBeLessThan(0.25 * SIZE);
      expect(isBackground(pixel(img, nx, ny))).toBe(false);
      // every view: the face vertices that face the camera land on the subject, not the background
      for (let v = 0; v < views.length; v++) {
        if (!views[v]!.valid) continue;
        const im = await readImage(join(out, '1', name, `${v}.jpg`));
        const vis = visibleFace(views[v]!, t.vertices);
        expect(vis.length).toBeGreaterThan(200);
        let onFace = 0;
        for (const i of vis) {
          const [x, y] = project(views[v]!, t.vertices, i);
          if (x >= 0 && y >= 0 && x < SIZE && y < SIZE && !isBackground(pixel(im, x, y))) onFace++;
        }
        expect(onFace / vis.length).toBeGreaterThan(0.98);
      }
      // the corners of the frontal view are background
      expect(isBackground(pixel(img, 2, 2))).toBe(true);
      expect(isBackground(pixel(img, SIZE - 3, 2))).toBe(true);
    }
  });

  it('neutral and expression photos differ where the expression moves, and the texture corresponds', async () => {
    const tn = truthOf(out, '1', '1_neutral'), te = truthOf(out, '1', '3_mouth_stretch');
    const vn = viewsOf(out, '1', '1_neutral')[0]!, ve = viewsOf(out, '1', '3_mouth_stretch')[0]!;
    const shift = (k: number): number => {
      const a = project(vn, tn.landmarks, k), b = project(ve, te.landmarks, k);
      return Math.hypot(a[0] - b[0], a[1] - b[1]);
    };
    const lowerLip = shift(57), brows = Math.max(shift(19), shift(24));
    expect(lowerLip).toBeGreaterThan(12);
    expect(lowerLip).toBeGreaterThan(2 * brows);
    // the same surface point shows the same colour in both photos (forehead and cheeks)
    const imN = await readImage(join(out, '1', '1_neutral', '0.jpg')), imE = await readImage(join(out, '1', '3_mouth_stretch', '0.jpg'));
    const P = model.vTemplate;
    const both = new Set(visibleFace(ve, te.vertices, 0.7));
    const pts = visibleFace(vn, tn.vertices, 0.7).filter((i) => both.has(i) && P[3 * i + 1]! > -0.02 && P[3 * i + 1]! < 0.07 && Math.abs(P[3 * i]!) > 0.015);
    expect(pts.length).toBeGreaterThan(100);
    const diff = (dx: number): number => {
      const ds = pts.map((i) => {
        const a = project(vn, tn.vertices, i), b = project(ve, te.vertices, i);
        const ca = pixel(imN, a[0], a[1]), cb = pixel(imE, b[0] + dx, b[1]);
        return (Math.abs(ca[0] - cb[0]) + Math.abs(ca[1] - cb[1]) + Math.abs(ca[2] - cb[2])) / 3;
      });
      return quantile(ds, 0.5);
    };
    const aligned = diff(0), offset = diff(5);
    console.log(`frontal photos, median colour difference of corresponding points: ${aligned.toFixed(4)} (5 px off: ${offset.toFixed(4)})`);
    expect(aligned).toBeLessThan(0.04);
    expect(aligned).toBeLessThan(0.7 * offset);
  });

  it('renders the invalid view badly exposed', async () => {
    const views = viewsOf(out, '1', '1_neutral');
    const bad = views.findIndex((v) => !v.valid);
    const mean = (img: Image): number => img.data.reduce((s, x) => s + x, 0) / img.data.length / 255;
    expect(mean(await readImage(join(out, '1', '1_neutral', `${bad}.jpg`)))).toBeLessThan(0.25 * mean(await readImage(join(out, '1', '1_neutral', '0.jpg'))));
  });
});

describe('synthFacescape: robustness variants', () => {
  it('metres: scan, truth, landmarks and camera translations in metres; the cameras still project onto the face', async () => {
    const dir = result.variants.metres!;
    expect(dir).toBe(join(out, 'robustness', 'metres'));
    const t = truthOf(dir, '1', '1_neutral');
    expect(t.scale).toBe(1);
    const scan = await loadObj(join(dir, '1', 'models_reg', '1_neutral.obj'), { materials: false });
    let lo = Infinity, hi = -Infinity;
    for (let i = 1; i < scan.positions.length; i += 3) { lo = Math.min(lo, scan.positions[i]!); hi = Math.max(hi, scan.positions[i]!); }
    expect(hi - lo).toBeGreaterThan(0.15);
    expect(hi - lo).toBeLessThan(0.8);
    const d = distances(t.vertices, surface(scan.positions, scan.faces), model.regions.face!);
    expect(quantile(d, 0.5)).toBeLessThan(0.00025);
    const views = viewsOf(dir, '1', '1_neutral');
    const tNorm = Math.hypot(views[0]!.Rt[0]![3]!, views[0]!.Rt[1]![3]!, views[0]!.Rt[2]![3]!);
    expect(tNorm).toBeGreaterThan(0.5);
    expect(tNorm).toBeLessThan(1.5);
    const img = await readImage(join(dir, '1', '1_neutral', '0.jpg'));
    const [x, y] = project(views[0]!, t.landmarks, 30);
    expect(isBackground(pixel(img, x, y))).toBe(false);
    const pts = await loadPickedPoints(join(dir, '1', 'models_reg', '1_neutral.pp'));
    expect(Math.hypot(pts[30]!.position[0] - t.landmarks[90]!, pts[30]!.position[1] - t.landmarks[91]!, pts[30]!.position[2] - t.landmarks[92]!)).toBeLessThan(0.01);
  });

  it('rotated: the scan frame is turned 90° (the head’s up is along −X), landmarks and cameras with it', async () => {
    const dir = result.variants.rotated!;
    const t = truthOf(dir, '1', '1_neutral');
    // R maps the model's up (+Y) to about −X
    expect(t.R[1]!).toBeLessThan(-0.95);
    const chin = t.landmarks.slice(24, 27), brow = t.landmarks.slice(3 * 19, 3 * 19 + 3);
    expect(brow[0]! - chin[0]!).toBeLessThan(-60); // brow is ~100 mm "above" the chin, along −X
    const views = viewsOf(dir, '1', '1_neutral');
    const img = await readImage(join(dir, '1', '1_neutral', '0.jpg'));
    const vis = visibleFace(views[0]!, t.vertices);
    let onFace = 0;
    for (const i of vis) { const [x, y] = project(views[0]!, t.vertices, i); if (!isBackground(pixel(img, x, y))) onFace++; }
    expect(onFace / vis.length).toBeGreaterThan(0.98);
    const pts = await loadPickedPoints(join(dir, '1', 'models_reg', '1_neutral.pp'));
    const err = pts.map((p, k) => Math.hypot(p.position[0] - t.landmarks[3 * k]!, p.position[1] - t.landmarks[3 * k + 1]!, p.position[2] - t.landmarks[3 * k + 2]!));
    expect(Math.max(...err)).toBeLessThan(9);
  });

  it('missing_landmarks: 14 of the 68 neutral landmarks are unplaced (active="0" at the origin)', async () => {
    const pts = await loadPickedPoints(join(result.variants.missing_landmarks!, '1', 'models_reg', '1_neutral.pp'));
    expect(pts.length).toBe(68);
    const inactive = pts.filter((p) => !p.active);
    expect(inactive.length).toBe(14);
    for (const p of inactive) expect(p.position).toEqual([0, 0, 0]);
    expect(pts.map((p) => p.name)).toEqual([...IBUG68_NAMES]);
  });
});

describe('synthFacescape: determinism and options', () => {
  const tiny = { subjects: 1, expressions: 0, size: 64, views: 2, scanVertices: 8000, textureSize: 128 } as const;

  it('the same seed gives identical bytes, another seed different ones', async () => {
    const a = tempDir('wb-synth-a-'), b = tempDir('wb-synth-b-'), c = tempDir('wb-synth-c-');
    await synthFacescape({ ...tiny, out: a, seed: 7, variants: ['landmark_noise'] });
    await synthFacescape({ ...tiny, out: b, seed: 7, variants: ['landmark_noise'] });
    await synthFacescape({ ...tiny, out: c, seed: 8, variants: ['landmark_noise'] });
    const fa = listFiles(a).map((p) => relative(a, p)).sort(), fb = listFiles(b).map((p) => relative(b, p)).sort();
    expect(fa).toEqual(fb);
    for (const p of fa) expect(readFileSync(join(b, p)).equals(readFileSync(join(a, p)))).toBe(true);
    expect(readFileSync(join(c, 'manifest.json'), 'utf8')).not.toBe(readFileSync(join(a, 'manifest.json'), 'utf8'));
    expect(readFileSync(join(c, '1', 'models_reg', '1_neutral.obj')).equals(readFileSync(join(a, '1', 'models_reg', '1_neutral.obj')))).toBe(false);
  });

  it('rejects bad options with usage errors', async () => {
    const o = tempDir('wb-synth-bad-');
    await expect(synthFacescape({ ...tiny, out: o, subjects: 0 })).rejects.toThrow(/--subjects/);
    await expect(synthFacescape({ ...tiny, out: o, expressions: 20 })).rejects.toThrow(/--expressions/);
    await expect(synthFacescape({ ...tiny, out: o, views: 17 })).rejects.toThrow(/--views/);
    await expect(synthFacescape({ ...tiny, out: o, expressionNames: ['21_yawn'] })).rejects.toThrow(/unknown expression '21_yawn'/);
    await expect(synthFacescape({ ...tiny, out: o, variants: ['upside_down' as never] })).rejects.toThrow(/unknown variant/);
  });
});
