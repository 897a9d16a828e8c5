import { describe, it, expect } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseObj, loadObj, formatObj, saveObj, formatFloat32 } from '../../src/io/obj.js';
import { parseMtl, formatMtl } from '../../src/io/mtl.js';
import type { Mesh } from '../../src/io/mesh.js';
import { FormatError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { flameAssets } from '../helpers/fixtures.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

/** Expects `fn` to throw a FormatError whose message contains every fragment. */
function expectFormatError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try { fn(); } catch (error) { caught = error; }
  expect(caught).toBeInstanceOf(FormatError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
}

function randomMesh(seed: number, V: number, F: number): Mesh {
  const rng = new Rng(seed);
  const positions = new Float64Array(V * 3);
  for (let i = 0; i < positions.length; i++) positions[i] = rng.normal(0, 0.1);
  const faces = new Uint32Array(F * 3);
  for (let i = 0; i < faces.length; i++) faces[i] = rng.int(V);
  const U = V + 7;
  const uvs = new Float32Array(U * 2);
  for (let i = 0; i < uvs.length; i++) uvs[i] = rng.next();
  const faceUvs = new Uint32Array(F * 3);
  for (let i = 0; i < faceUvs.length; i++) faceUvs[i] = rng.int(U);
  const normals = new Float32Array(5 * 3);
  for (let i = 0; i < normals.length; i++) normals[i] = rng.uniform(-1, 1);
  const faceNormals = new Uint32Array(F * 3);
  for (let i = 0; i < faceNormals.length; i++) faceNormals[i] = rng.int(5);
  const colors = new Float32Array(V * 3);
  for (let i = 0; i < colors.length; i++) colors[i] = rng.next();
  return { positions, faces, uvs, faceUvs, normals, faceNormals, colors };
}

describe('parseObj: hand-written files', () => {
  it('reads v (with colours), vt, vn, every face form, negative indices, quads and polygons', () => {
    const text = [
      '# a comment',
      'mtllib skin.mtl',
      'o head',
      'v 0 0 0 1 0 0',          // vertex 0, red
      'v 1 0 0 0 1 0',          // vertex 1, green
      'v 1 1 0 0 0 1',          // vertex 2, blue
      'v 0 1 0.5 1 1 1',        // vertex 3, white
      'v -1e-3 2.5E+1 .25 0 0 0', // vertex 4, exponents and leading dot
      '',
      'vt 0 0',                 // uv 0
      'vt 1 0',                 // uv 1
      'vt 1 1 0',               // uv 2 (w ignored)
      'vt 0.5',                 // uv 3 (v defaults to 0)
      'vn 0 0 1',               // normal 0
      'g part',
      's off',
      'usemtl skin',
      'f 1/1/1 2/2/1 3/3/1',    // triangle, v/vt/vn
      'f 1/1/1 3/3/1 4/4/1 5/4/1', // quad → two triangles (fan from corner 1)
      'usemtl eye',
      'f -5/-4/-1 -4/-3/-1 -1/-1/-1', // relative: vertices 0,1,4; uvs 0,1,3
    ].join('\n');
    const mesh = parseObj(text, 'hand.obj', '/data');
    expect(mesh.positions).toBeInstanceOf(Float64Array);
    expect(Array.from(mesh.positions)).toEqual([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0.5, -1e-3, 25, 0.25]);
    expect(mesh.faces).toBeInstanceOf(Uint32Array);
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 1, 4]);
    expect(mesh.uvs).toBeInstanceOf(Float32Array);
    expect(Array.from(mesh.uvs!)).toEqual([0, 0, 1, 0, 1, 1, 0.5, 0]);
    expect(Array.from(mesh.faceUvs!)).toEqual([0, 1, 2, 0, 2, 3, 0, 3, 3, 0, 1, 3]);
    expect(Array.from(mesh.normals!)).toEqual([0, 0, 1]);
    expect(Array.from(mesh.faceNormals!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(mesh.colors!)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
    expect(mesh.materials).toEqual([{ name: 'skin' }, { name: 'eye' }]);
    expect(Array.from(mesh.faceMaterials!)).toEqual([0, 0, 0, 1]);
    expect(mesh.faceMaterials).toBeInstanceOf(Uint16Array);
    expect(mesh.mtlFile).toBe('/data/skin.mtl');
  });

  it('handles CRLF, line continuations, trailing comments, tabs, v//vn and a BOM', () => {
    const text = '\ufeffv 0 0 0\r\nv 1 \\\r\n 0 0\r\nv\t0\t1\t0 # third\r\nvn 0 0 1\r\nf 1//1 \\\n2//1 3//1\r\n';
    const mesh = parseObj(text);
    expect(Array.from(mesh.positions)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2]);
    expect(Array.from(mesh.faceNormals!)).toEqual([0, 0, 0]);
    expect(mesh.uvs).toBeUndefined();
  });

  it('keeps line numbers right after continuations (error on the line after one)', () => {
    const text = 'v 0 0 \\\n0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n';
    expectFormatError(() => parseObj(text, 'c.obj'), 'c.obj', 'line 5', 'v index 9');
  });

  it('scales 0–255 vertex colours to 0–1 and drops w', () => {
    const mesh = parseObj('v 0 0 0 255 0 51\nv 1 0 0 0 255 0\nv 0 1 0 1.0 0 0 1\nv 0 0 1 5\n'.replace('v 0 0 1 5\n', ''), 'x.obj');
    expect(Array.from(mesh.colors!)).toEqual([1, 0, 0.2, 0, 1, 0, 1 / 255, 0, 0].map(Math.fround));
    const w = parseObj('v 1 2 3 0.5\n');
    expect(Array.from(w.positions)).toEqual([1, 2, 3]);
    expect(w.colors).toBeUndefined();
  });

  it('drops normals when some faces have none, without error', () => {
    const mesh = parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//1\nf 3 2 1\n');
    expect(mesh.normals).toBeUndefined();
    expect(mesh.faceNormals).toBeUndefined();
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 2, 1, 0]);
  });

  it('accepts faces naming vertices defined later, and gives faces before usemtl a default material', () => {
    const mesh = parseObj('f 1 2 3\nusemtl a\nf 3 2 1\nv 0 0 0\nv 1 0 0\nv 0 1 0\n');
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 2, 1, 0]);
    expect(mesh.materials).toEqual([{ name: 'a' }, { name: 'default' }]);
    expect(Array.from(mesh.faceMaterials!)).toEqual([1, 0]);
  });

  it('skips statements it does not use (l, p, vp, curves with continuations)', () => {
    const mesh = parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nl 1 2\np 3\nvp 0.5\ncstype bspline\ncurv 0 1 \\\n 1 2\nf 1 2 3\n');
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2]);
  });

  it('reads numbers exactly as Number() does (seeded fuzz, seed 7)', () => {
    const rng = new Rng(7);
    const values: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const x = rng.normal(0, 10 ** rng.int(12)) * (rng.chance(0.1) ? 1e-30 : 1);
      const forms = [String(x), x.toFixed(rng.int(10)), x.toExponential(rng.int(16)), x.toPrecision(1 + rng.int(21)), Math.fround(x).toString()];
      values.push(forms[rng.int(forms.length)]!.replace(/^0\./, rng.chance(0.3) ? '.' : '0.'));
    }
    while (values.length % 3) values.push('1');
    let text = '';
    for (let i = 0; i < values.length; i += 3) text += `v ${values[i]} ${values[i + 1]} ${values[i + 2]}\n`;
    const mesh = parseObj(text);
    expect(Array.from(mesh.positions)).toEqual(values.map(Number));
  });
});

describe('parseObj: malformed input', () => {
  const tri = 'v 0 0 0\nv 1 0 0\nv 0 1 0\n';
  it.each([
    ['index out of range', tri + 'f 1 2 4\n', ['line 4', 'v index 4 is out of range']],
    ['negative index out of range', tri + 'f 1 2 -4\n', ['line 4', '-4 is out of range']],
    ['index zero', tri + 'f 0 1 2\n', ['line 4', 'is 0']],
    ['vt index out of range', tri + 'vt 0 0\nf 1/1 2/1 3/2\n', ['line 5', 'vt index 2']],
    ['NaN coordinate', 'v 0 nan 0\n', ['line 1', 'v coordinate 2 is nan']],
    ['Inf coordinate', 'v 0 0 0\nv inf 0 0\n', ['line 2', 'is inf']],
    ['overflowing coordinate', 'v 0 0 1e999\n', ['line 1', 'out of range']],
    ['malformed number', 'v 0 0 0\nv 1 0.5.5 0\n', ['line 2', "expected a number, found '0.5.5'"]],
    ['letters in a number', 'v 0 0 0x1\n', ['line 1', "'0x1'"]],
    ['too few coordinates', 'v 0 0\n', ['line 1', 'found 2']],
    ['face with two vertices', tri + 'f 1 2\n', ['line 4', 'at least 3 vertices, found 2']],
    ['empty face', tri + 'f\n', ['line 4', 'found 0']],
    ['malformed corner', tri + 'f 1/ 2 3\n', ['line 4', 'expected a vt index']],
    ['corner forms mixed inside a face', tri + 'vt 0 0\nf 1/1 2 3/1\n', ['line 5', 'corner 2 has v only but corner 1 has v/vt']],
    ['faces with and without vt', tri + 'vt 0 0\nf 1/1 2/1 3/1\nf 1 2 3\n', ['line 6', 'first face (line 5) has them']],
    ['faces without and then with vt', tri + 'vt 0 0\nf 1 2 3\nf 1/1 2/1 3/1\n', ['line 6', 'has none']],
    ['vertices with and without colour', 'v 0 0 0 1 1 1\nv 1 0 0\n', ['line 2', 'first v (line 1)']],
    ['forward reference never defined', 'f 1 2 3\nv 0 0 0\n', ['line 1', 'v index 2 is out of range: the file has 1 v lines']],
  ])('%s', (_name, text, fragments) => {
    expectFormatError(() => parseObj(text, 'bad.obj'), 'bad.obj', ...fragments);
  });
});

describe('formatObj / parseObj round trip', () => {
  it('is exact for positions, UVs, normals, colours and faces (seed 3)', () => {
    const mesh = randomMesh(3, 200, 400);
    const back = parseObj(formatObj(mesh));
    expect(back.positions).toEqual(mesh.positions);
    expect(back.faces).toEqual(mesh.faces);
    expect(back.uvs).toEqual(mesh.uvs);
    expect(back.faceUvs).toEqual(mesh.faceUvs);
    expect(back.normals).toEqual(mesh.normals);
    expect(back.faceNormals).toEqual(mesh.faceNormals);
    expect(back.colors).toEqual(mesh.colors);
  });

  it('writes every face form and material switches', () => {
    const base: Mesh = { positions: new Float64Array([0, 0, 0, 1, 0, 0, 0, 1, 0]), faces: new Uint32Array([0, 1, 2, 2, 1, 0]) };
    expect(formatObj(base)).toContain('f 1 2 3\nf 3 2 1\n');
    const withN = { ...base, normals: new Float32Array([0, 0, 1]), faceNormals: new Uint32Array(6) };
    expect(formatObj(withN)).toContain('f 1//1 2//1 3//1');
    const withT = { ...base, uvs: new Float32Array([0, 0, 1, 0, 0, 1]), faceUvs: new Uint32Array([0, 1, 2, 2, 1, 0]) };
    expect(formatObj(withT)).toContain('f 1/1 2/2 3/3');
    const withM = { ...withT, materials: [{ name: 'a' }, { name: 'b' }], faceMaterials: new Uint16Array([1, 0]) };
    const text = formatObj(withM, { mtlFile: 'm.mtl' });
    expect(text).toContain('mtllib m.mtl\n');
    expect(text).toMatch(/usemtl b\nf 1\/1 2\/2 3\/3\nusemtl a\nf 3\/3 2\/2 1\/1\n/);
    const back = parseObj(text);
    expect(Array.from(back.faceMaterials!)).toEqual([0, 1]);
    expect(back.materials).toEqual([{ name: 'b' }, { name: 'a' }]);
  });

  it('rounds to the requested precision and writes float32 values in their shortest form', () => {
    const mesh: Mesh = { positions: new Float64Array([0.1234567, -2, 1 / 3]), faces: new Uint32Array(0) };
    expect(formatObj(mesh, { precision: 4 })).toContain('v 0.1235 -2 0.3333\n');
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(Math.fround(Number(formatFloat32(Math.fround(1e-7))))).toBe(Math.fround(1e-7));
  });
});

describe('MTL', () => {
  it('reads newmtl, Kd and map_Kd with options, spaces and relative paths', () => {
    const text = [
      '# exported',
      'newmtl skin',
      'Ka 0 0 0',
      'Kd 0.8 0.6 0.5',
      'map_Kd -s 1 1 1 -o 0 0 -clamp on textures/skin tex.png',
      '',
      'newmtl eye',
      'map_Kd -bm 0.5 tex\\eye.jpg',
      'newmtl bare',
    ].join('\r\n');
    expect(parseMtl(text, '/scans/s1/m.mtl')).toEqual([
      { name: 'skin', diffuse: [0.8, 0.6, 0.5], diffuseTexture: '/scans/s1/textures/skin tex.png' },
      { name: 'eye', diffuseTexture: '/scans/s1/tex/eye.jpg' },
      { name: 'bare' },
    ]);
  });

  it('round-trips through formatMtl with relative texture paths', () => {
    const materials = [{ name: 'm', diffuse: [0.5, 0.25, 1] as [number, number, number], diffuseTexture: '/a/b/tex/t.png' }];
    const text = formatMtl(materials, '/a/b');
    expect(text).toContain('map_Kd tex/t.png');
    expect(parseMtl(text, '/a/b/x.mtl')).toEqual(materials);
  });

  it('reports Kd errors with the line', () => {
    expectFormatError(() => parseMtl('newmtl a\nKd 1 x 1\n', 'm.mtl'), 'm.mtl', 'line 2', 'Kd');
    expectFormatError(() => parseMtl('Kd 1 1 1\n', 'm.mtl'), 'line 1', 'before any newmtl');
  });
});

describe('saveObj / loadObj', () => {
  it('writes an OBJ and an MTL naming the texture, and reads them back with absolute texture paths', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'tex'));
    writeFileSync(join(dir, 'tex', 'albedo.png'), '');
    const mesh = randomMesh(11, 20, 30);
    const objPath = join(dir, 'out', 'head.obj');
    await saveObj(objPath, mesh, { texture: join(dir, 'tex', 'albedo.png'), material: 'skin' });
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['head.mtl', 'head.obj']);
    expect(readFileSync(join(dir, 'out', 'head.mtl'), 'utf8')).toContain('map_Kd ../tex/albedo.png');
    const back = await loadObj(objPath);
    expect(back.positions).toEqual(mesh.positions);
    expect(back.faceUvs).toEqual(mesh.faceUvs);
    expect(back.mtlFile).toBe(join(dir, 'out', 'head.mtl'));
    expect(back.materials).toEqual([{ name: 'skin', diffuse: [1, 1, 1], diffuseTexture: join(dir, 'tex', 'albedo.png') }]);
    expect(Array.from(back.faceMaterials!)).toEqual(new Array(30).fill(0));
    const bare = await loadObj(objPath, { materials: false });
    expect(bare.materials).toEqual([{ name: 'skin' }]);
  });

  it('tolerates a missing MTL file and tells the logger', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.obj'), 'mtllib gone.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl m\nf 1 2 3\n');
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) } as unknown as import('../../src/util/log.js').Logger;
    const mesh = await loadObj(join(dir, 'a.obj'), { logger });
    expect(mesh.materials).toEqual([{ name: 'm' }]);
    expect(warnings.join()).toContain('gone.mtl');
  });
});

describe.skipIf(!flameAssets.available)('real FLAME head_template.obj', () => {
  it('has 5023 vertices, 5118 UVs and 9976 faces, every index in range', async () => {
    const mesh = await loadObj(flameAssets.path('head_template.obj'));
    expect(mesh.positions.length / 3).toBe(5023);
    expect(mesh.uvs!.length / 2).toBe(5118);
    expect(mesh.faces.length / 3).toBe(9976);
    expect(mesh.faceUvs!.length).toBe(9976 * 3);
    expect(Math.max(...mesh.faceUvs!)).toBeLessThan(5118);
    expect(Math.max(...mesh.faces)).toBeLessThan(5023);
    expect(new Set(mesh.faces).size).toBe(5023); // every vertex is used
    expect(mesh.materials).toEqual([{ name: 'material_1' }]); // template.mtl is not shipped
  });

  it.skipIf(!numpy.available)('matches a numpy reading of the same file exactly', async () => {
    const path = flameAssets.path('head_template.obj');
    const mesh = await loadObj(path, { materials: false });
    const out = runPython(`
import sys, json, numpy as np
v, vt, f, ft = [], [], [], []
for line in open(sys.argv[1]):
    w = line.split()
    if not w: continue
    if w[0] == 'v': v.append([float(x) for x in w[1:4]])
    elif w[0] == 'vt': vt.append([float(x) for x in w[1:3]])
    elif w[0] == 'f':
        f.append([int(c.split('/')[0]) - 1 for c in w[1:]])
        ft.append([int(c.split('/')[1]) - 1 for c in w[1:]])
v = np.array(v); vt = np.array(vt, dtype=np.float32)
print(json.dumps({'v': v.ravel().tolist(), 'vt': vt.ravel().astype(float).tolist(), 'f': np.array(f).ravel().tolist(), 'ft': np.array(ft).ravel().tolist()}))
`, [path]);
    const ref = JSON.parse(out) as { v: number[]; vt: number[]; f: number[]; ft: number[] };
    expect(Array.from(mesh.positions)).toEqual(ref.v);
    expect(Array.from(mesh.uvs!)).toEqual(ref.vt);
    expect(Array.from(mesh.faces)).toEqual(ref.f);
    expect(Array.from(mesh.faceUvs!)).toEqual(ref.ft);
  });
});
