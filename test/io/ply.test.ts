import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePly, formatPly, loadPly, savePly, type PlyFormat } from '../../src/io/ply.js';
import type { Mesh } from '../../src/io/mesh.js';
import { FormatError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function expectFormatError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try { fn(); } catch (error) { caught = error; }
  expect(caught).toBeInstanceOf(FormatError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
}

/** A byte-by-byte PLY body writer (independent of formatPly). */
class Bytes {
  private readonly parts: number[] = [];
  constructor(private readonly little: boolean) {}
  text(s: string): this { for (const c of Buffer.from(s, 'latin1')) this.parts.push(c); return this; }
  private put(size: number, write: (v: DataView) => void): this {
    const v = new DataView(new ArrayBuffer(size));
    write(v);
    for (let i = 0; i < size; i++) this.parts.push(v.getUint8(i));
    return this;
  }
  i8(x: number): this { return this.put(1, (v) => v.setInt8(0, x)); }
  u8(x: number): this { return this.put(1, (v) => v.setUint8(0, x)); }
  i16(x: number): this { return this.put(2, (v) => v.setInt16(0, x, this.little)); }
  u16(x: number): this { return this.put(2, (v) => v.setUint16(0, x, this.little)); }
  i32(x: number): this { return this.put(4, (v) => v.setInt32(0, x, this.little)); }
  u32(x: number): this { return this.put(4, (v) => v.setUint32(0, x, this.little)); }
  f32(x: number): this { return this.put(4, (v) => v.setFloat32(0, x, this.little)); }
  f64(x: number): this { return this.put(8, (v) => v.setFloat64(0, x, this.little)); }
  bytes(): Uint8Array { return new Uint8Array(this.parts); }
}

/** Every scalar type, skipped scalar and list properties, an element before and after the faces. */
function everyTypePly(little: boolean): Uint8Array {
  const b = new Bytes(little).text([
    'ply',
    `format ${little ? 'binary_little_endian' : 'binary_big_endian'} 1.0`,
    'comment every PLY type',
    'obj_info made by hand',
    'element camera 1',
    'property list uchar float view',  // skipped list before the vertices
    'element vertex 4',
    'property float x',
    'property double y',
    'property short z',
    'property char junk_char',
    'property ushort junk_ushort',
    'property list uchar int junk_list',
    'property uint junk_uint',
    'property uchar red',
    'property uint8 green',
    'property ushort blue',           // 16-bit colour: divided by 65535
    'property uchar alpha',
    'property float32 nx',
    'property float64 ny',
    'property int8 nz',
    'element face 2',
    'property int8 flags',
    'property list ushort uint vertex_index', // unusual count and index types
    'property list int int16 junk_face_list',
    'element material 1',
    'property int32 id',
    'property list uint8 float64 params',
    'end_header',
  ].join('\n') + '\n');
  b.u8(2).f32(9).f32(8);                                              // camera: list of 2 floats
  // vertex: x(f32) y(f64) z(i16) junk_char junk_ushort [list] junk_uint r g b(u16) a nx ny nz
  b.f32(0.5).f64(-1.25).i16(-3).i8(-7).u16(65535).u8(0).u32(4000000000).u8(255).u8(0).u16(65535).u8(9).f32(0).f64(0).i8(1);   // vertex 0
  b.f32(1.5).f64(2.125).i16(300).i8(1).u16(1).u8(3).i32(1).i32(2).i32(3).u32(0).u8(0).u8(51).u16(0).u8(9).f32(1).f64(0).i8(0); // vertex 1
  b.f32(-2).f64(1e-3).i16(0).i8(0).u16(0).u8(1).i32(-1).u32(7).u8(102).u8(102).u16(0).u8(9).f32(0).f64(1).i8(0);              // vertex 2
  b.f32(0).f64(0).i16(1).i8(0).u16(0).u8(0).u32(0).u8(0).u8(0).u16(0).u8(0).f32(0).f64(-1).i8(-1);                             // vertex 3
  b.i8(-1).u16(4).u32(0).u32(1).u32(2).u32(3).i32(1).i16(5);                                                                 // face 0: quad
  b.i8(0).u16(3).u32(3).u32(2).u32(1).i32(0);                                                                                // face 1: triangle
  b.i32(42).u8(2).f64(1).f64(2);                                                                                             // material
  return b.bytes();
}

describe('parsePly: hand-built files', () => {
  it('reads an ASCII file with normals, uchar colours, s/t UVs, a quad and a skipped element', () => {
    const text = [
      'ply',
      'format ascii 1.0',
      'comment made by hand',
      'element vertex 4',
      'property float x', 'property float y', 'property float z',
      'property float nx', 'property float ny', 'property float nz',
      'property uchar red', 'property uchar green', 'property uchar blue',
      'property float s', 'property float t',
      'element face 1',
      'property list uchar int vertex_indices',
      'element edge 1',
      'property int vertex1', 'property int vertex2',
      'end_header',
      '0 0 0  0 0 1  255 0 0    0 0',     // vertex 0
      '1 0 0  0 0 1  0 255 0    1 0',     // vertex 1
      '1 1 0  0 0 1  0 0 255    1 1',     // vertex 2
      '0 1 0  0 0 1  51 51 51   0 1',     // vertex 3
      '4 0 1 2 3',                        // quad → (0 1 2) (0 2 3)
      '0 1',                              // edge, skipped
    ].join('\n') + '\n';
    const mesh = parsePly(enc(text), 'hand.ply');
    expect(mesh.positions).toBeInstanceOf(Float64Array);
    expect(Array.from(mesh.positions)).toEqual([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0]);
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 0, 2, 3]);
    expect(Array.from(mesh.normals!)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect(Array.from(mesh.faceNormals!)).toEqual([0, 1, 2, 0, 2, 3]);
    expect(Array.from(mesh.colors!)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.2, 0.2, 0.2].map(Math.fround));
    expect(Array.from(mesh.uvs!)).toEqual([0, 0, 1, 0, 1, 1, 0, 1]);
    expect(Array.from(mesh.faceUvs!)).toEqual([0, 1, 2, 0, 2, 3]);
  });

  it('reads u/v and texture_u/texture_v, CRLF headers and a face-less point cloud', () => {
    const a = parsePly(enc('ply\r\nformat ascii 1.0\r\nelement vertex 1\r\nproperty double x\r\nproperty double y\r\nproperty double z\r\nproperty float texture_u\r\nproperty float texture_v\r\nend_header\r\n1 2 3 0.25 0.75\r\n'));
    expect(Array.from(a.positions)).toEqual([1, 2, 3]);
    expect(Array.from(a.uvs!)).toEqual([0.25, 0.75]);
    expect(a.faces.length).toBe(0);
    const b = parsePly(enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty float u\nproperty float v\nend_header\n1 2 3 0.5 0.125\n'));
    expect(Array.from(b.uvs!)).toEqual([0.5, 0.125]);
  });

  it.each([['big', false], ['little', true]] as const)('reads every scalar type and skips other elements and lists (binary %s endian, byte by byte)', (_e, little) => {
    const mesh = parsePly(everyTypePly(little), 'types.ply');
    expect(Array.from(mesh.positions)).toEqual([0.5, -1.25, -3, 1.5, 2.125, 300, -2, 1e-3, 0, 0, 0, 1]);
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 0, 2, 3, 3, 2, 1]);
    expect(Array.from(mesh.colors!)).toEqual([1, 0, 1, 0, 0.2, 0, 0.4, 0.4, 0, 0, 0, 0].map(Math.fround));
    expect(Array.from(mesh.normals!)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, -1, -1]);
    expect(mesh.uvs).toBeUndefined();
  });

  it("reads MeshLab's per-corner texcoord lists (polygons keep their corners' UVs)", () => {
    const text = [
      'ply', 'format ascii 1.0', 'element vertex 4',
      'property float x', 'property float y', 'property float z',
      'element face 2', 'property list uchar int vertex_indices', 'property list uchar float texcoord', 'property int texnumber',
      'end_header',
      '0 0 0', '1 0 0', '1 1 0', '0 1 0',
      '4 0 1 2 3 8 0 0 0.5 0 0.5 0.5 0 0.5 0', // quad with 4 corner UVs (wedges 0..3)
      '3 3 2 1 6 0.1 0.2 0.3 0.4 0.5 0.6 0',    // triangle (wedges 4..6)
    ].join('\n') + '\n';
    const mesh = parsePly(enc(text));
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 0, 2, 3, 3, 2, 1]);
    expect(Array.from(mesh.faceUvs!)).toEqual([0, 1, 2, 0, 2, 3, 4, 5, 6]);
    expect(Array.from(mesh.uvs!)).toEqual([0, 0, 0.5, 0, 0.5, 0.5, 0, 0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map(Math.fround));
  });

  it.skipIf(!numpy.available)('reads a big-endian file that numpy wrote from structured arrays', () => {
    const dir = tempDir();
    const path = join(dir, 'np.ply');
    runPython(`
import sys, numpy as np
rng = np.random.default_rng(5)
V, F = 50, 80
v = np.zeros(V, dtype=[('x', '>f8'), ('y', '>f8'), ('z', '>f8'), ('quality', '>f4'), ('red', 'u1'), ('green', 'u1'), ('blue', 'u1')])
for k in 'xyz': v[k] = rng.normal(size=V)
for k in ('red', 'green', 'blue'): v[k] = rng.integers(0, 256, V)
f = np.zeros(F, dtype=[('n', 'u1'), ('i', '>i4', (3,))])
f['n'] = 3; f['i'] = rng.integers(0, V, (F, 3))
head = 'ply\\nformat binary_big_endian 1.0\\nelement vertex %d\\nproperty double x\\nproperty double y\\nproperty double z\\nproperty float quality\\nproperty uchar red\\nproperty uchar green\\nproperty uchar blue\\nelement face %d\\nproperty list uchar int vertex_indices\\nend_header\\n' % (V, F)
with open(sys.argv[1], 'wb') as out:
    out.write(head.encode()); out.write(v.tobytes()); out.write(f.tobytes())
np.save(sys.argv[1] + '.v.npy', np.stack([v['x'], v['y'], v['z']], 1).astype('<f8'))
np.save(sys.argv[1] + '.c.npy', np.stack([v['red'], v['green'], v['blue']], 1))
np.save(sys.argv[1] + '.f.npy', f['i'].astype('<u4'))
`, [path]);
    const mesh = parsePly(readFileSync(path), path);
    const npy = (suffix: string, offset = 128): Buffer => readFileSync(path + suffix).subarray(offset);
    expect(Array.from(mesh.positions)).toEqual(Array.from(new Float64Array(new Uint8Array(npy('.v.npy')).buffer)));
    expect(Array.from(mesh.faces)).toEqual(Array.from(new Uint32Array(new Uint8Array(npy('.f.npy')).buffer)));
    expect(Array.from(mesh.colors!)).toEqual(Array.from(npy('.c.npy')).map((c) => Math.fround(c / 255)));
  });
});

function randomMesh(seed: number, V: number, F: number): Mesh {
  const rng = new Rng(seed);
  const positions = new Float64Array(V * 3).map(() => rng.normal(0, 0.1));
  const faces = new Uint32Array(F * 3).map(() => rng.int(V));
  const normals = new Float32Array(V * 3).map(() => rng.uniform(-1, 1));
  const colors = new Float32Array(V * 3).map(() => rng.next());
  const uvs = new Float32Array(V * 2).map(() => rng.next());
  return { positions, faces, normals, faceNormals: faces.slice(), colors, uvs, faceUvs: faces.slice() };
}

describe('formatPly / parsePly round trip', () => {
  const formats: PlyFormat[] = ['ascii', 'binary_little_endian', 'binary_big_endian'];

  it.each(formats)('%s: exact positions, faces, normals, UVs and float colours (seed 21)', (format) => {
    const mesh = randomMesh(21, 120, 200);
    const back = parsePly(formatPly(mesh, { format, colorType: 'float' }));
    expect(back.positions).toEqual(mesh.positions);
    expect(back.faces).toEqual(mesh.faces);
    expect(back.normals).toEqual(mesh.normals);
    expect(back.faceNormals).toEqual(mesh.faces);
    expect(back.uvs).toEqual(mesh.uvs);
    expect(back.faceUvs).toEqual(mesh.faces);
    expect(back.colors).toEqual(mesh.colors);
  });

  it.each(formats)('%s: uchar colours to the nearest 1/255, float positions to float32', (format) => {
    const mesh = randomMesh(22, 30, 40);
    const back = parsePly(formatPly(mesh, { format, positionType: 'float' }));
    expect(back.colors).toEqual(mesh.colors!.map((c) => Math.round(c * 255) / 255));
    expect(back.positions).toEqual(mesh.positions.map(Math.fround));
  });

  it('writes UVs with seams as per-corner texcoord lists and keeps every corner value', () => {
    // two triangles sharing the edge 1-2 with different UVs on each side (a seam)
    const mesh: Mesh = {
      positions: new Float64Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0]),
      faces: new Uint32Array([0, 1, 2, 2, 1, 3]),
      uvs: new Float32Array([0, 0, 0.5, 0, 0, 0.5, 0.75, 0.75, 1, 0.5, 1, 1]),
      faceUvs: new Uint32Array([0, 1, 2, 3, 4, 5]),
    };
    const bytes = formatPly(mesh, { format: 'ascii' });
    expect(Buffer.from(bytes).toString('latin1')).toContain('property list uchar float texcoord');
    const back = parsePly(bytes);
    for (let j = 0; j < 6; j++) {
      expect([back.uvs![2 * back.faceUvs![j]!], back.uvs![2 * back.faceUvs![j]! + 1]]).toEqual([mesh.uvs![2 * j], mesh.uvs![2 * j + 1]]);
    }
  });

  it('writes the header MeshLab expects', () => {
    const mesh: Mesh = { positions: new Float64Array([0, 0, 0, 1, 0, 0, 0, 1, 0]), faces: new Uint32Array([0, 1, 2]) };
    const text = Buffer.from(formatPly(mesh, { format: 'ascii' })).toString('latin1');
    expect(text).toBe([
      'ply', 'format ascii 1.0', 'comment written by face-workbench', 'element vertex 3',
      'property double x', 'property double y', 'property double z',
      'element face 1', 'property list uchar int vertex_indices', 'end_header',
      '0 0 0', '1 0 0', '0 1 0', '3 0 1 2', '',
    ].join('\n'));
  });

  it('savePly writes atomically and loadPly reads it back', async () => {
    const dir = tempDir();
    const mesh = randomMesh(23, 10, 12);
    await savePly(join(dir, 'm.ply'), mesh, { format: 'binary_big_endian' });
    expect(readdirSync(dir)).toEqual(['m.ply']);
    const back = await loadPly(join(dir, 'm.ply'));
    expect(back.positions).toEqual(mesh.positions);
    expect(back.faces).toEqual(mesh.faces);
  });

  it.skipIf(!numpy.available)('numpy reads the binary little-endian file it is given', () => {
    const dir = tempDir();
    const mesh = randomMesh(24, 25, 30);
    const path = join(dir, 'w.ply');
    writeFileSync(path, formatPly({ positions: mesh.positions, faces: mesh.faces }));
    const out = runPython(`
import sys, json, numpy as np
data = open(sys.argv[1], 'rb').read()
end = data.index(b'end_header\\n') + len(b'end_header\\n')
v = np.frombuffer(data, dtype='<f8', count=25 * 3, offset=end)
f = np.frombuffer(data, dtype=[('n', 'u1'), ('i', '<i4', (3,))], count=30, offset=end + 25 * 24)
print(json.dumps({'v': v.tolist(), 'n': f['n'].tolist(), 'f': f['i'].ravel().tolist()}))
`, [path]);
    const ref = JSON.parse(out) as { v: number[]; n: number[]; f: number[] };
    expect(ref.v).toEqual(Array.from(mesh.positions));
    expect(ref.n).toEqual(new Array(30).fill(3));
    expect(ref.f).toEqual(Array.from(mesh.faces));
  });
});

describe('parsePly: malformed input', () => {
  const head = (body: string, extra = ''): Uint8Array => enc(
    `ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n${extra}element face 1\nproperty list uchar int vertex_indices\nend_header\n${body}`);

  it.each([
    ['bad magic', enc('PLY\nformat ascii 1.0\nend_header\n'), ["not a PLY file", 'byte 0']],
    ['an OBJ', enc('v 0 0 0\n'), ['not a PLY file']],
    ['missing end_header', enc('ply\nformat ascii 1.0\nelement vertex 0\n'), ["no 'end_header'"]],
    ['missing format', enc('ply\nelement vertex 0\nend_header\n'), ["no 'format' line"]],
    ['unknown format', enc('ply\nformat binary 1.0\nend_header\n'), ['header line 2', 'expected format ascii']],
    ['unknown type', enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n'), ['header line 4', 'float128']],
    ['float list count', enc('ply\nformat ascii 1.0\nelement face 1\nproperty list float int vertex_indices\nend_header\n'), ['header line 4', 'integer type']],
    ['property before element', enc('ply\nformat ascii 1.0\nproperty float x\nend_header\n'), ['header line 3', 'property before any element']],
    ['bad element count', enc('ply\nformat ascii 1.0\nelement vertex many\nend_header\n'), ['header line 3', "'element <name> <count>'"]],
    ['unknown header line', enc('ply\nformat ascii 1.0\nelemnt vertex 1\nend_header\n'), ['header line 3', 'unknown header line']],
    ['no vertex element', enc('ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n'), ["no 'vertex' element"]],
    ['no x property', enc('ply\nformat ascii 1.0\nelement vertex 0\nproperty float y\nproperty float z\nend_header\n'), ["no 'x' property"]],
    ['truncated ascii body', head('0 0 0\n1 0 0\n0 1'), ['line 12', 'element vertex 2', 'truncated']],
    ['index out of range', head('0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n'), ['line 13', 'element face 0', 'vertex index 3', 'out of range']],
    ['negative index', head('0 0 0\n1 0 0\n0 1 0\n3 0 -1 2\n'), ['vertex index -1']],
    ['face with 2 vertices', head('0 0 0\n1 0 0\n0 1 0\n2 0 1\n'), ['at least 3 vertices, found 2']],
    ['NaN coordinate', head('0 0 0\n1 nan 0\n0 1 0\n3 0 1 2\n'), ['line 11', 'element vertex 1', 'y is NaN']],
    ['infinite coordinate', head('0 0 0\n1 0 0\n0 1 -inf\n3 0 1 2\n'), ['z is -Infinity']],
    ['malformed number', head('0 0 0\n1 0x 0\n0 1 0\n3 0 1 2\n'), ["found '0x'"]],
    ['header promising more than the body holds', enc('ply\nformat binary_little_endian 1.0\nelement vertex 1000000000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n\0\0\0\0'), ['1000000000000 vertex', 'truncated body']],
    ['fractional index', head('0 0 0\n1 0 0\n0 1 0\n3 0 1.5 2\n'), ["expected a int32 integer, found '1.5'"]],
  ])('%s', (_name, bytes, fragments) => {
    expectFormatError(() => parsePly(bytes, 'bad.ply'), 'bad.ply', ...fragments);
  });

  it('reports a truncated binary body with the byte offset, element and property', () => {
    const full = everyTypePly(false);
    for (const cut of [full.length - 1, full.length - 20, full.length - 60]) {
      expectFormatError(() => parsePly(full.subarray(0, cut), 't.ply'), 't.ply', 'at byte', 'truncated body');
    }
    expectFormatError(() => parsePly(full.subarray(0, full.length - 50), 't.ply'), 'element face 0, property vertex_index');
    expectFormatError(() => parsePly(full.subarray(0, full.length - 40), 't.ply'), 'element face 1, property flags');
  });

  it('reports NaN in a binary file, and a negative list count', () => {
    const header = 'ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list char int vertex_indices\nend_header\n';
    const nan = new Bytes(true).text(header).f32(0).f32(NaN).f32(0).i8(3).i32(0).i32(0).i32(0).bytes();
    expectFormatError(() => parsePly(nan, 'n.ply'), 'element vertex 0', 'y is NaN');
    const neg = new Bytes(true).text(header).f32(0).f32(0).f32(0).i8(-3).bytes();
    expectFormatError(() => parsePly(neg, 'n.ply'), 'list count is -3');
  });
});
