/**
 * The geometry of one synthetic capture: the model's truth for an identity, expression and pose;
 * the "real" subject the photos show (the truth surface re-meshed densely, hair cap instead of the
 * scalp, eyeballs, torso, the mouth cavity's back wall); and the scan (the same surface without
 * what a scanner misses, with noise along the normals, in the scan frame and units).
 *
 * Everything is built in the model frame (metres) and moved to the scan frame at the end
 * (rig.ts `toScanFrame`). The re-meshed head points are exact barycentric points of the truth's
 * triangles (remesh.ts), so without noise the scan surface contains the truth surface wherever
 * the scan has no hole and the head is not under the hair.
 */
import type { Rng } from '../util/index.js';
import { type FlameModel, FlameEvaluator, landmarkPositions } from '../flame/index.js';
import { computeVertexNormals, type Mesh } from '../io/index.js';
import type { RenderMesh, Texture } from '../render/index.js';
import { buildResampling, edgeCount, jitterResampling, resamplePositions, resampleUvs, subdivisionFor, vertexNeighbours, type Resampling } from './remesh.js';
import { buildCavity, buildTorso, holeMask, neckRing, normalNoise, transformPoints, type HoleOptions, type Piece } from './scan-artifacts.js';
import { hairDepth, hairThickness, randomHairStyle, type HairStyle } from './hair.js';
import { randomLook, skinTexture, type SkinLook } from './skin-texture.js';
import { mul33, randomPlacement, toScanFrame, type Placement } from './rig.js';

/** The re-meshing of a model, shared by all subjects and scans. */
export interface RemeshPlan {
  res: Resampling;
  neighbours: { offsets: Uint32Array; list: Uint32Array };
  /** Eyeball of each resampled point: 0 skin, 1 left, 2 right. */
  eyePart: Uint8Array;
  /** Template vertex normals [V*3]. */
  templateNormals: Float64Array;
  /** Rest eyeball centres [2*3] (left, right) of the template. */
  eyes: Float64Array;
  /** Torso grid size. */
  torsoColumns: number;
  torsoRows: number;
}

/**
 * Plans the re-meshing for about `targetVertices` scan vertices: the subdivision whose point count
 * is nearest 88 % of it, and a torso grid that makes up the rest (holes and hidden eyeballs drop a
 * few per cent of the head's points).
 */
export function planRemesh(model: FlameModel, targetVertices: number): RemeshPlan {
  const V = model.numVertices, F = model.faces.length / 3;
  const E = edgeCount(model.faces);
  const n = subdivisionFor(V, E, F, 0.88 * targetVertices);
  const res = buildResampling(model.faces, V, n);
  const vPart = new Uint8Array(V);
  const eyes = new Float64Array(6);
  ['left_eyeball', 'right_eyeball'].forEach((name, e) => {
    const idx = model.regions[name] ?? new Uint32Array(0);
    for (const i of idx) {
      vPart[i] = e + 1;
      for (let k = 0; k < 3; k++) eyes[3 * e + k]! += model.vTemplate[3 * i + k]! / idx.length;
    }
  });
  const eyePart = new Uint8Array(res.points);
  for (let p = 0; p < res.points; p++) eyePart[p] = vPart[res.verts[3 * p]!]!;
  // the torso makes up the difference to the target (within 5–40 % of it); ~7 % of the head points fall in holes
  const torsoVerts = Math.min(0.4 * targetVertices, Math.max(0.05 * targetVertices, targetVertices - 0.93 * res.points, 400));
  const torsoRows = Math.max(8, Math.round(Math.sqrt(torsoVerts / 4)));
  return {
    res, neighbours: vertexNeighbours(model.faces, V), eyePart,
    templateNormals: computeVertexNormals(new Float64Array(V * 3), model.vTemplate, model.faces), eyes,
    torsoColumns: Math.max(16, Math.round(torsoVerts / torsoRows)), torsoRows,
  };
}

/** A subject: identity, look and the pieces that do not change between its scans. */
export interface Subject {
  shape: Float64Array;
  hair: HairStyle;
  texture: Texture;
  placement: Placement;
  /** Torso and cavity in the identity's rest frame. */
  torso: Piece;
  cavity: Piece;
  evaluator: FlameEvaluator;
}

export interface SubjectOptions {
  /** Texture side, texels. */
  textureSize: number;
  /** Model metres → scan units (1000: millimetres). */
  scale: number;
  /** Extra rotation of the scan frame after the random placement (row-major [9]). */
  rotate?: Float64Array;
}

/**
 * A random subject: identity β ~ N(0, 0.8²) on every shape component, look and hair, texture,
 * placement in the scan frame, torso and mouth cavity. Forks of `rng`: identity, look, placement, body.
 */
export function createSubject(model: FlameModel, plan: RemeshPlan, rng: Rng, o: SubjectOptions): Subject & { look: SkinLook } {
  const shape = rng.fork('identity').fillNormal(new Float64Array(model.numShape), 0.8);
  const evaluator = new FlameEvaluator(model);
  evaluator.setIdentity(shape);
  const lookRng = rng.fork('look');
  const faceIdx = model.regions.face ?? new Uint32Array(0);
  const moleSites = new Float64Array(3 * faceIdx.length);
  faceIdx.forEach((i, k) => { for (let c = 0; c < 3; c++) moleSites[3 * k + c] = model.vTemplate[3 * i + c]!; });
  const look = randomLook(lookRng, moleSites);
  const hair = randomHairStyle(lookRng);
  const texture = skinTexture(model, look, hair, o.textureSize);
  const placement = randomPlacement(rng.fork('placement'), o.scale);
  if (o.rotate) {
    const R = o.rotate, t = placement.t;
    placement.R = mul33(R, placement.R);
    placement.t = Float64Array.of(R[0]! * t[0]! + R[1]! * t[1]! + R[2]! * t[2]!, R[3]! * t[0]! + R[4]! * t[1]! + R[5]! * t[2]!, R[6]! * t[0]! + R[7]! * t[1]! + R[8]! * t[2]!);
  }
  const pieces = subjectPieces(model, plan, evaluator, rng.fork('body'));
  return { shape, hair, texture, placement, torso: pieces.torso, cavity: pieces.cavity, evaluator, look };
}

/** Builds the rest pieces of an identity (torso below its neck ring, cavity behind its mouth). */
export function subjectPieces(model: FlameModel, plan: RemeshPlan, evaluator: FlameEvaluator, rng: Rng): { torso: Piece; cavity: Piece } {
  const rest = new Float64Array(evaluator.evaluate([], new Float64Array(15)));
  const boundary = model.regions.boundary;
  if (!boundary) throw new Error(`synth: model '${model.source}' has no 'boundary' region (the neck's lowest ring)`);
  const torso = buildTorso(neckRing(rest, boundary), {
    columns: plan.torsoColumns, rows: plan.torsoRows, shoulderHalfWidth: rng.uniform(0.17, 0.21), chestHalfDepth: rng.uniform(0.095, 0.12),
  });
  const full = model.landmarks.full68;
  if (!full) throw new Error(`synth: model '${model.source}' has no 68-landmark embedding`);
  const L = landmarkPositions(rest, model.faces, full);
  const mouth = [0.5 * (L[3 * 48]! + L[3 * 54]!), 0.5 * (L[3 * 48 + 1]! + L[3 * 54 + 1]!), 0.5 * (L[3 * 48 + 2]! + L[3 * 54 + 2]!)];
  return { torso, cavity: buildCavity(mouth) };
}

export interface ScanGeometryOptions {
  /** Normal noise σ on the scan, metres (model frame). */
  noise: number;
  holes: HoleOptions;
  /** Add the hair cap (and drop the scalp under it). Default true. */
  hair?: boolean;
  /** Add shoulders and torso. Default true. */
  torso?: boolean;
}

export interface ScanGeometry {
  /** Model vertices, metres, model frame [V*3]. */
  truth: Float64Array;
  /** What the photos show, model frame, metres, with normals and the subject's texture. */
  photo: RenderMesh;
  /** The scan in the scan frame and units, with UVs. */
  scan: Mesh;
  /** Scan vertices by origin: head surface, hair cap, torso. */
  counts: { head: number; hair: number; torso: number };
}

/** Appends meshes' vertex/uv arrays with offset faces. */
function concat(parts: Array<{ positions: Float64Array; faces: Uint32Array; uvs: Float32Array; faceUvs: Uint32Array; normals: Float64Array }>): { positions: Float64Array; faces: Uint32Array; uvs: Float32Array; faceUvs: Uint32Array; normals: Float64Array } {
  let V = 0, F = 0, U = 0;
  for (const p of parts) { V += p.positions.length; F += p.faces.length; U += p.uvs.length; }
  const positions = new Float64Array(V), normals = new Float64Array(V), faces = new Uint32Array(F), faceUvs = new Uint32Array(F), uvs = new Float32Array(U);
  let v = 0, f = 0, u = 0;
  for (const p of parts) {
    positions.set(p.positions, v); normals.set(p.normals, v); uvs.set(p.uvs, u);
    for (let k = 0; k < p.faces.length; k++) { faces[f + k] = p.faces[k]! + v / 3; faceUvs[f + k] = p.faceUvs[k]! + u / 2; }
    v += p.positions.length; f += p.faces.length; u += p.uvs.length;
  }
  return { positions, faces, uvs, faceUvs, normals };
}

/** Drops unreferenced vertices and UVs; returns the compacted arrays and the kept old vertex ids. */
export function compact(positions: Float64Array, faces: Uint32Array, uvs: Float32Array, faceUvs: Uint32Array, normals?: Float64Array): { positions: Float64Array; faces: Uint32Array; uvs: Float32Array; faceUvs: Uint32Array; normals?: Float64Array; kept: Uint32Array } {
  const V = positions.length / 3, U = uvs.length / 2;
  const vmap = new Int32Array(V).fill(-1), umap = new Int32Array(U).fill(-1);
  let nv = 0, nu = 0;
  for (let k = 0; k < faces.length; k++) {
    if (vmap[faces[k]!]! < 0) vmap[faces[k]!] = nv++;
    if (umap[faceUvs[k]!]! < 0) umap[faceUvs[k]!] = nu++;
  }
  const outP = new Float64Array(nv * 3), outN = normals ? new Float64Array(nv * 3) : undefined, outU = new Float32Array(nu * 2), kept = new Uint32Array(nv);
  for (let i = 0; i < V; i++) {
    const j = vmap[i]!;
    if (j < 0) continue;
    kept[j] = i;
    for (let k = 0; k < 3; k++) outP[3 * j + k] = positions[3 * i + k]!;
    if (outN) for (let k = 0; k < 3; k++) outN[3 * j + k] = normals![3 * i + k]!;
  }
  for (let i = 0; i < U; i++) {
    const j = umap[i]!;
    if (j >= 0) { outU[2 * j] = uvs[2 * i]!; outU[2 * j + 1] = uvs[2 * i + 1]!; }
  }
  const outF = new Uint32Array(faces.length), outFU = new Uint32Array(faces.length);
  for (let k = 0; k < faces.length; k++) { outF[k] = vmap[faces[k]!]!; outFU[k] = umap[faceUvs[k]!]!; }
  return { positions: outP, faces: outF, uvs: outU, faceUvs: outFU, kept, ...(outN ? { normals: outN } : {}) };
}

function normalise(n: Float64Array): Float64Array {
  for (let i = 0; i < n.length; i += 3) {
    const l = Math.sqrt(n[i]! * n[i]! + n[i + 1]! * n[i + 1]! + n[i + 2]! * n[i + 2]!);
    if (l > 0) { n[i]! /= l; n[i + 1]! /= l; n[i + 2]! /= l; }
  }
  return n;
}

/**
 * The geometry of one capture: model parameters (ψ, θ, translation) on the subject's identity.
 * `rng` jitters the re-meshing, places the holes and draws the noise.
 */
export function buildScanGeometry(model: FlameModel, plan: RemeshPlan, subject: Subject, expr: ArrayLike<number>, pose: ArrayLike<number>, transl: ArrayLike<number>, rng: Rng, o: ScanGeometryOptions): ScanGeometry {
  const ev = subject.evaluator;
  const truth = new Float64Array(ev.evaluate(expr, pose, transl));
  const A0 = ev.transforms.slice(0, 12), A1 = ev.transforms.slice(12, 24);
  const { res, eyePart } = plan;
  const P = res.points;
  // 1. the re-meshed surface, its rest frame and its UVs
  const jit = jitterResampling(res, plan.neighbours, rng.fork('remesh'), 0.2, model.vTemplate);
  const restPts = resamplePositions(new Float64Array(3 * P), jit.verts, jit.weights, model.vTemplate);
  const restN = normalise(resamplePositions(new Float64Array(3 * P), jit.verts, jit.weights, plan.templateNormals));
  const pts = resamplePositions(new Float64Array(3 * P), jit.verts, jit.weights, truth);
  const truthN = computeVertexNormals(new Float64Array(truth.length), truth, model.faces);
  const ptsN = normalise(resamplePositions(new Float64Array(3 * P), jit.verts, jit.weights, truthN));
  const { uvs, faceUvs } = resampleUvs(res, jit.verts, jit.weights, model.faces, model.uvs!, model.faceUvs!);
  // 2. hair: points under it, the cap above them
  const withHair = o.hair ?? true;
  const inHair = new Uint8Array(P);
  const capIndex = new Int32Array(P).fill(-1);
  const capPos: number[] = [], capN: number[] = [];
  if (withHair) {
    for (let p = 0; p < P; p++) {
      if (eyePart[p] !== 0) continue;
      const x = restPts[3 * p]!, y = restPts[3 * p + 1]!, z = restPts[3 * p + 2]!;
      if (hairDepth(subject.hair, x, y, z) < 0) continue;
      inHair[p] = 1;
      const h = hairThickness(subject.hair, x, y, z);
      capIndex[p] = capPos.length / 3;
      for (let k = 0; k < 3; k++) { capPos.push(pts[3 * p + k]! + h * ptsN[3 * p + k]!); capN.push(ptsN[3 * p + k]!); }
    }
  }
  // 3. holes
  const hole = holeMask(restPts, restN, eyePart, plan.eyes, rng.fork('holes'), o.holes);
  // 4. faces: under the hair (replaced by the cap), seen by the scanner
  const Fr = res.faces.length / 3;
  const photoFaces: number[] = [], photoFaceUvs: number[] = [], scanFaces: number[] = [], scanFaceUvs: number[] = [], capFaces: number[] = [], capFaceUvs: number[] = [];
  for (let t = 0; t < Fr; t++) {
    const a = res.faces[3 * t]!, b = res.faces[3 * t + 1]!, c = res.faces[3 * t + 2]!;
    const ua = faceUvs[3 * t]!, ub = faceUvs[3 * t + 1]!, uc = faceUvs[3 * t + 2]!;
    if (inHair[a] && inHair[b] && inHair[c]) {
      capFaces.push(capIndex[a]!, capIndex[b]!, capIndex[c]!);
      capFaceUvs.push(ua, ub, uc);
      continue;
    }
    photoFaces.push(a, b, c); photoFaceUvs.push(ua, ub, uc);
    if (!hole[a] && !hole[b] && !hole[c]) { scanFaces.push(a, b, c); scanFaceUvs.push(ua, ub, uc); }
  }
  // 5. torso and cavity, posed with the global and the head (neck) joint
  const withTorso = o.torso ?? true;
  const piece = (pc: Piece, A: Float64Array) => {
    const positions = transformPoints(new Float64Array(pc.positions.length), pc.positions, A, transl);
    return { positions, faces: pc.faces, uvs: pc.uvs, faceUvs: pc.faceUvs, normals: computeVertexNormals(new Float64Array(positions.length), positions, pc.faces) };
  };
  const torso = piece(subject.torso, A0);
  const cavity = piece(subject.cavity, A1);
  const empty = { positions: new Float64Array(0), faces: new Uint32Array(0), uvs: new Float32Array(0), faceUvs: new Uint32Array(0), normals: new Float64Array(0) };
  // the head surface and the hair cap share the head's UVs: one part, cap vertices after the P points
  const nCap = capPos.length / 3;
  const headPos = new Float64Array(3 * (P + nCap)), headN = new Float64Array(3 * (P + nCap));
  headPos.set(pts); headPos.set(capPos, 3 * P); headN.set(ptsN); headN.set(capN, 3 * P);
  for (let k = 0; k < capFaces.length; k++) capFaces[k]! += P;
  const head = (f: number[], fu: number[]) => ({
    positions: headPos, normals: headN, uvs,
    faces: Uint32Array.from([...f, ...capFaces]), faceUvs: Uint32Array.from([...fu, ...capFaceUvs]),
  });
  // 6. the photo subject (model frame)
  const photoParts = concat([head(photoFaces, photoFaceUvs), withTorso ? torso : empty, cavity]);
  const photo: RenderMesh = { positions: photoParts.positions, faces: photoParts.faces, uvs: photoParts.uvs, faceUvs: photoParts.faceUvs, normals: photoParts.normals, texture: subject.texture };
  // 7. the scan: noise along the normals, then compact and move to the scan frame
  const scanParts = concat([head(scanFaces, scanFaceUvs), withTorso ? torso : empty]);
  const sigma = new Float64Array(scanParts.positions.length / 3).fill(o.noise);
  sigma.fill(2 * o.noise, P, P + nCap); // hair is noisier
  normalNoise(scanParts.positions, scanParts.normals, sigma, rng.fork('noise'));
  const c = compact(scanParts.positions, scanParts.faces, scanParts.uvs, scanParts.faceUvs);
  toScanFrame(c.positions, c.positions, subject.placement);
  let nHead = 0, nHair = 0;
  for (const k of c.kept) { if (k < P) nHead++; else if (k < P + nCap) nHair++; }
  return {
    truth, photo,
    scan: { positions: c.positions, faces: c.faces, uvs: c.uvs, faceUvs: c.faceUvs },
    counts: { head: nHead, hair: nHair, torso: c.kept.length - nHead - nHair },
  };
}
