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
