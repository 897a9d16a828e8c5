/**
 * glTF 2.0 binary (.glb) export of FLAME-topology heads with @gltf-transform/core: one mesh with
 * positions, normals and UVs, expression components as morph targets, and optionally an
 * animation of the morph weights (plus per-frame head rotation and translation).
 *
 * glTF stores one UV per vertex, so vertices are split where FLAME's UV seams (vt/ft) give one
 * vertex several UVs; `vertexOf[k]` maps glTF vertex k back to the model vertex.
 */
import { Document, NodeIO } from '@gltf-transform/core';
import { writeFileAtomic } from '../util/atomic.js';
import { computeVertexNormals } from '../io/mesh.js';

export interface GlbMesh {
  /** positions: [V*3], metres. */
  positions: ArrayLike<number>;
  /** faces: [F*3]. */
  faces: Uint32Array;
  /** uvs [U*2] and faceUvs [F*3] (FLAME vt/ft), optional. */
  uvs?: Float32Array;
  faceUvs?: Uint32Array;
  /** Per-vertex colours [V*3] in [0,1] (linear), optional. */
  colors?: ArrayLike<number>;
}

export interface GlbOptions {
  name?: string;
  /** Morph targets: name and per-vertex displacement [V*3] each. */
  morphTargets?: Array<{ name: string; displacement: ArrayLike<number> }>;
  /** Animation: frame rate and weights [T*M] for the M morph targets (and optional rotation
   *  quaternions [T*4] (x, y, z, w) and translations [T*3] of the head node). */
  animation?: { fps: number; weights: ArrayLike<number>; frames: number; rotations?: ArrayLike<number>; translations?: ArrayLike<number> };
}

/** Splits vertices by (vertex, uv) pair. Returns the corner → new-vertex faces and the maps. */
export function splitSeams(faces: Uint32Array, faceUvs: Uint32Array | undefined): { faces: Uint32Array; vertexOf: Uint32Array; uvOf: Uint32Array | undefined } {
  if (!faceUvs) {
    let V = 0;
    for (const v of faces) V = Math.max(V, v + 1);
    return { faces, vertexOf: Uint32Array.from({ length: V }, (_, i) => i), uvOf: undefined };
  }
  const key = new Map<number, number>();
  const vertexOf: number[] = [], uvOf: number[] = [];
  const out = new Uint32Array(faces.length);
  for (let c = 0; c < faces.length; c++) {
    const k = faces[c]! * 4294967296 + faceUvs[c]!;
    let id = key.get(k);
    if (id === undefined) {
      id = vertexOf.length;
      key.set(k, id);
      vertexOf.push(faces[c]!);
      uvOf.push(faceUvs[c]!);
    }
    out[c] = id;
  }
  return { faces: out, vertexOf: Uint32Array.from(vertexOf), uvOf: Uint32Array.from(uvOf) };
}


/** Builds the glTF document. */
export function buildGlbDocument(mesh: GlbMesh, options: GlbOptions = {}): Document {
  const { faces, vertexOf, uvOf } = splitSeams(mesh.faces, mesh.faceUvs);
  const N = vertexOf.length;
  const gather = (src: ArrayLike<number>, dim: number): Float32Array => {
    const out = new Float32Array(N * dim);
    for (let k = 0; k < N; k++) for (let d = 0; d < dim; d++) out[k * dim + d] = src[vertexOf[k]! * dim + d]!;
    return out;
  };
  const doc = new Document();
  doc.createBuffer();
  const position = gather(mesh.positions, 3);
  const prim = doc.createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(position))
    .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(computeVertexNormals(new Float32Array(position.length), position, faces)))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(faces));
  if (uvOf && mesh.uvs) {
    const uv = new Float32Array(N * 2);
    // glTF's texture origin is the top-left: v_gltf = 1 − v_obj
    for (let k = 0; k < N; k++) { uv[2 * k] = mesh.uvs[2 * uvOf[k]!]!; uv[2 * k + 1] = 1 - mesh.uvs[2 * uvOf[k]! + 1]!; }
    prim.setAttribute('TEXCOORD_0', doc.createAccessor().setType('VEC2').setArray(uv));
  }
  if (mesh.colors) prim.setAttribute('COLOR_0', doc.createAccessor().setType('VEC3').setArray(gather(mesh.colors, 3)));
  prim.setMaterial(doc.createMaterial('skin').setBaseColorFactor([1, 1, 1, 1]).setRoughnessFactor(0.7).setMetallicFactor(0));
  const targets = options.morphTargets ?? [];
  for (const t of targets) {
    prim.addTarget(doc.createPrimitiveTarget(t.name).setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(gather(t.displacement, 3))));
  }
  const gmesh = doc.createMesh(options.name ?? 'head').addPrimitive(prim);
  if (targets.length) {
    gmesh.setWeights(new Array(targets.length).fill(0));
    gmesh.setExtras({ targetNames: targets.map((t) => t.name) });
  }
  const node = doc.createNode(options.name ?? 'head').setMesh(gmesh);
  doc.createScene('scene').addChild(node);
  const a = options.animation;
  if (a && a.frames > 0) {
    const times = Float32Array.from({ length: a.frames }, (_, t) => t / a.fps);
    const input = doc.createAccessor().setType('SCALAR').setArray(times);
    const anim = doc.createAnimation('sequence');
    const add = (path: 'weights' | 'rotation' | 'translation', type: 'SCALAR' | 'VEC4' | 'VEC3', values: ArrayLike<number>) => {
      const sampler = doc.createAnimationSampler().setInput(input).setOutput(doc.createAccessor().setType(type).setArray(Float32Array.from(values))).setInterpolation('LINEAR');
      anim.addSampler(sampler).addChannel(doc.createAnimationChannel().setTargetNode(node).setTargetPath(path).setSampler(sampler));
    };
    if (targets.length) add('weights', 'SCALAR', a.weights);
    if (a.rotations) add('rotation', 'VEC4', a.rotations);
    if (a.translations) add('translation', 'VEC3', a.translations);
  }
  return doc;
}

/** The .glb bytes. */
export async function encodeGlb(mesh: GlbMesh, options: GlbOptions = {}): Promise<Uint8Array> {
  return new NodeIO().writeBinary(buildGlbDocument(mesh, options));
}

/** Writes a .glb atomically. */
export async function saveGlb(path: string, mesh: GlbMesh, options: GlbOptions = {}): Promise<void> {
  await writeFileAtomic(path, await encodeGlb(mesh, options));
}
