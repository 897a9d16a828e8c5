/**
 * The in-memory triangle mesh shared by the OBJ/PLY readers and writers, the renderer and the
 * registration. Vertex count is the number of positions (OBJ `v` lines); UVs and normals have
 * their own index buffers, as in OBJ and FLAME (`vt`/`ft`), so seams never split vertices.
 */

export interface Material {
  name: string;
  /** Absolute path of the diffuse texture image (MTL `map_Kd`), if any. */
  diffuseTexture?: string;
  /** Diffuse colour (MTL `Kd`), linear RGB in [0,1]. */
  diffuse?: [number, number, number];
}

export interface Mesh {
  /** positions: Float64Array [V*3], in the file's units. */
  positions: Float64Array;
  /** faces: Uint32Array [F*3], vertex indices, counter-clockwise seen from outside. */
  faces: Uint32Array;
  /** uvs: Float32Array [U*2], (u, v) with v up (OBJ convention). */
  uvs?: Float32Array;
  /** faceUvs: Uint32Array [F*3], index into `uvs` for each face corner. */
  faceUvs?: Uint32Array;
  /** normals: Float32Array [N*3]. */
  normals?: Float32Array;
  /** faceNormals: Uint32Array [F*3], index into `normals` for each face corner. */
  faceNormals?: Uint32Array;
  /** colors: Float32Array [V*3], per-vertex RGB in [0,1]. */
  colors?: Float32Array;
  /** Material of each face (index into `materials`): Uint16Array [F]; absent means material 0. */
  faceMaterials?: Uint16Array;
  materials?: Material[];
  /** MTL file named by `mtllib` (absolute path), if any. */
  mtlFile?: string;
}

/** Number of vertices. */
export function vertexCount(mesh: Mesh): number {
  return mesh.positions.length / 3;
}

/** Number of triangles. */
export function faceCount(mesh: Mesh): number {
  return mesh.faces.length / 3;
}

let _acc = new Float64Array(0); // scratch, module scope

/**
 * Area-weighted vertex normals: each face adds (b − a) × (c − a) (twice its area times its unit
 * normal) to its three vertices, then each sum is normalised. positions: [V*3]; faces: Uint32Array
 * [F*3], counter-clockwise from outside; out: [V*3], unit vectors, (0, 0, 0) where a vertex has no
 * face of non-zero area. Reads all positions before writing, so `out === positions` is safe.
 */
export function computeVertexNormals<T extends Float32Array | Float64Array>(out: T, positions: ArrayLike<number>, faces: Uint32Array): T {
  const V = Math.floor(positions.length / 3);
  if (out.length !== 3 * V) throw new RangeError(`computeVertexNormals: out has ${out.length} elements, expected ${3 * V}`);
  for (let i = 0; i < faces.length; i++) {
    if (faces[i]! >= V) throw new RangeError(`computeVertexNormals: face ${Math.floor(i / 3)} corner ${i % 3} refers to vertex ${faces[i]}, but there are ${V} vertices`);
  }
  if (_acc.length < 3 * V) _acc = new Float64Array(3 * V);
  const acc = _acc;
  acc.fill(0, 0, 3 * V);
  for (let f = 0; f + 2 < faces.length; f += 3) {
    const a = 3 * faces[f]!, b = 3 * faces[f + 1]!, c = 3 * faces[f + 2]!;
    const ax = positions[a]!, ay = positions[a + 1]!, az = positions[a + 2]!;
    const ux = positions[b]! - ax, uy = positions[b + 1]! - ay, uz = positions[b + 2]! - az;
    const vx = positions[c]! - ax, vy = positions[c + 1]! - ay, vz = positions[c + 2]! - az;
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    acc[a] += nx; acc[a + 1] += ny; acc[a + 2] += nz;
    acc[b] += nx; acc[b + 1] += ny; acc[b + 2] += nz;
    acc[c] += nx; acc[c + 1] += ny; acc[c + 2] += nz;
  }
  for (let v = 0; v < 3 * V; v += 3) {
    const x = acc[v]!, y = acc[v + 1]!, z = acc[v + 2]!;
    const len = Math.sqrt(x * x + y * y + z * z);
    const s = len > 0 ? 1 / len : 0;
    out[v] = x * s; out[v + 1] = y * s; out[v + 2] = z * s;
  }
  return out;
}
