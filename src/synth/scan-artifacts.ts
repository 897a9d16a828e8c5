/**
 * What makes a synthetic scan look like a real one, beyond the re-meshed head surface: holes where
 * a multi-view scanner sees nothing (under the nose, under the chin, the back of the eyeballs, a few
 * random patches, optionally a large hole over one cheek), and extra geometry that is not the head
 * model: shoulders and upper torso below the neck, and (for the photos only) the dark back wall of
 * the mouth cavity. The hair cap is made in scan-geometry.ts from hair.ts's hairline.
 *
 * Masks are evaluated on the rest (template) positions of the resampled points, so they pick the
 * same anatomy whatever the identity, expression and pose. Extra geometry is built in the rest frame
 * of the subject's identity and moved with a joint's skinning transform.
 */
import type { Rng } from '../util/index.js';
import { computeVertexNormals } from '../io/index.js';
import { fractalNoise3, smoothstep } from './noise.js';
import { CAVITY_UV, TORSO_UV } from './skin-texture.js';

/** A small triangle mesh with per-corner UVs. */
export interface Piece {
  /** positions: Float64Array [V*3], metres (rest frame until moved). */
  positions: Float64Array;
  /** faces: Uint32Array [F*3], counter-clockwise from outside. */
  faces: Uint32Array;
  /** uvs: Float32Array [U*2] (v up) and faceUvs: Uint32Array [F*3]. */
  uvs: Float32Array;
  faceUvs: Uint32Array;
}

export interface HoleOptions {
  /** Under the nose (nostrils, columella): scanners looking from the front and above miss it. */
  nose?: boolean;
  /** Under the chin and jaw (where the surface faces down, behind the chin's front). */
  chin?: boolean;
  /** Keep only the front cap of the eyeballs (the rest is hidden behind the lids). */
  eyeballs?: boolean;
  /** Number of random small holes (radius 2.5–5 mm) on the face. */
  random?: number;
  /** A large hole (radius about 22 mm) over the left (+X) or right (−X) cheek. */
  cheek?: 'left' | 'right';
}

/**
 * Points to drop: out[p] = 1 where a hole covers resampled point p. restPts, restNormals:
 * Float64Array [P*3] (rest frame, unit normals); eyePart: Uint8Array [P] (0 skin, 1 left eyeball,
 * 2 right eyeball); eyes: centres [2*3] of the left and right eyeball.
 */
export function holeMask(restPts: Float64Array, restNormals: Float64Array, eyePart: Uint8Array, eyes: Float64Array, rng: Rng, options: HoleOptions): Uint8Array {
  const P = restPts.length / 3;
  const out = new Uint8Array(P);
  const seed = rng.nextUint32() | 0;
  // random patches: centres on the front of the face
  const patches: Array<{ c: [number, number, number]; r: number }> = [];
  const candidates: number[] = [];
  for (let p = 0; p < P; p++) {
    const x = restPts[3 * p]!, y = restPts[3 * p + 1]!, z = restPts[3 * p + 2]!;
    if (eyePart[p] === 0 && z > 0.05 && Math.abs(x) < 0.06 && y > -0.085 && y < 0.07) candidates.push(p);
  }
  for (let k = 0; k < (options.random ?? 0) && candidates.length > 0; k++) {
    const p = candidates[rng.int(candidates.length)]!;
    patches.push({ c: [restPts[3 * p]!, restPts[3 * p + 1]!, restPts[3 * p + 2]!], r: rng.uniform(0.0025, 0.005) });
  }
  if (options.cheek) {
    // the skin point nearest the cheek's centre seen from the front
    const side = options.cheek === 'left' ? 1 : -1;
    let best = -1, bestZ = -Infinity;
    for (let p = 0; p < P; p++) {
      if (eyePart[p] !== 0) continue;
      const x = restPts[3 * p]!, y = restPts[3 * p + 1]!, z = restPts[3 * p + 2]!;
      if (Math.abs(x - side * 0.048) < 0.004 && Math.abs(y + 0.02) < 0.004 && z > bestZ) { best = p; bestZ = z; }
    }
    if (best >= 0) patches.push({ c: [restPts[3 * best]!, restPts[3 * best + 1]!, restPts[3 * best + 2]!], r: 0.022 });
  }
  for (let p = 0; p < P; p++) {
    const x = restPts[3 * p]!, y = restPts[3 * p + 1]!, z = restPts[3 * p + 2]!;
    const ny = restNormals[3 * p + 1]!;
    const e = eyePart[p]!;
    if (e !== 0) {
      if (options.eyeballs !== false) {
        const cx = eyes[3 * (e - 1)]!, cy = eyes[3 * (e - 1) + 1]!, cz = eyes[3 * (e - 1) + 2]!;
        const dx = x - cx, dy = y - cy, dz = z - cz;
        if (dz < 0.55 * Math.sqrt(dx * dx + dy * dy + dz * dz)) out[p] = 1;
      }
      continue;
    }
    const ragged = 0.12 * fractalNoise3(seed, x, y, z, 0.006, 2);
    if (options.nose !== false && Math.abs(x) < 0.017 && y < -0.012 && y > -0.034 && z > 0.075 && ny < -0.55 + ragged) out[p] = 1;
    if (options.chin !== false && y < -0.09 && y > -0.15 && z > -0.03 && z < 0.075 && ny < -0.8 + ragged) out[p] = 1;
    for (const h of patches) {
      const dx = x - h.c[0], dy = y - h.c[1], dz = z - h.c[2];
      const r = h.r * (1 + 2 * ragged);
      if (dx * dx + dy * dy + dz * dz < r * r) out[p] = 1;
    }
  }
  return out;
}

/** The neck's lowest ring (the model's 'boundary' region) in the rest frame: centre, half-width (x), half-depth (z). */
export function neckRing(rest: Float64Array, boundary: ArrayLike<number>): { c: [number, number, number]; rx: number; rz: number } {
  const n = boundary.length;
  if (n === 0) throw new Error('synth: the model has no neck boundary region');
  const c: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < n; k++) for (let a = 0; a < 3; a++) c[a] += rest[3 * boundary[k]! + a]! / n;
  let rx = 0, rz = 0;
  for (let k = 0; k < n; k++) {
    rx = Math.max(rx, Math.abs(rest[3 * boundary[k]!]! - c[0]));
    rz = Math.max(rz, Math.abs(rest[3 * boundary[k]! + 2]! - c[2]));
  }
  return { c, rx, rz };
}

export interface TorsoOptions {
  /** Columns around and rows down. */
  columns: number;
  rows: number;
  /** Depth below the neck ring, metres. Default 0.24. */
  depth?: number;
  /** Shoulder half-width and chest half-depth, metres. */
  shoulderHalfWidth: number;
  chestHalfDepth: number;
}

/**
 * Shoulders and upper torso in the rest frame: a tube whose top edge hides 12 mm up inside the
 * neck (4 % narrower than the neck's lowest ring) and which is 3 % wider than that ring at its
 * height, so no gap opens between neck and torso; it widens over 10 cm into the shoulders (the trapezius slope) and squaring
 * its cross-section (a superellipse) towards the chest. UVs in the atlas's torso rectangle:
 * u by angle (front at the middle), v by depth.
 */
const TOP = 0.012; // the torso's top edge sits this far up inside the neck

export function buildTorso(ring: { c: [number, number, number]; rx: number; rz: number }, o: TorsoOptions): Piece {
  const C = o.columns, R = o.rows, depth = o.depth ?? 0.24;
  const pos = new Float64Array((C + 1) * R * 3);
  const uvs = new Float32Array((C + 1) * R * 2);
  for (let r = 0; r < R; r++) {
    const d = (r / (R - 1)) * depth;
    // inside the neck at the top edge, 3 % outside it at the neck's lowest ring (no gap to see into)
    const collar = 0.96 + 0.07 * smoothstep(0, TOP, d);
    const W = collar * ring.rx + (o.shoulderHalfWidth - 1.03 * ring.rx) * smoothstep(0.016, 0.11, d);
    const D = collar * ring.rz + (o.chestHalfDepth - 1.03 * ring.rz) * smoothstep(0.016, 0.13, d);
    const e = 2 / (2 + 2.5 * smoothstep(0.02, 0.12, d));
    for (let c = 0; c <= C; c++) {
      const phi = -Math.PI + (2 * Math.PI * c) / C;
      const s = Math.sin(phi), k = Math.cos(phi);
      const i = r * (C + 1) + c;
      pos[3 * i] = ring.c[0] + W * Math.sign(s) * Math.abs(s) ** e;
      pos[3 * i + 1] = ring.c[1] + TOP - d;
      pos[3 * i + 2] = ring.c[2] + D * Math.sign(k) * Math.abs(k) ** e;
      uvs[2 * i] = TORSO_UV.u0 + (c / C) * (TORSO_UV.u1 - TORSO_UV.u0);
      uvs[2 * i + 1] = TORSO_UV.v1 - (d / depth) * (TORSO_UV.v1 - TORSO_UV.v0);
    }
  }
  const faces = new Uint32Array((R - 1) * C * 6);
  let t = 0;
  for (let r = 0; r < R - 1; r++) {
    for (let c = 0; c < C; c++) {
      const a = r * (C + 1) + c, b = a + 1, d = a + C + 1, e = d + 1;
      // outward: going round with φ (towards +X from the back) and down, (a, b, d) faces out
      faces[t++] = a; faces[t++] = d; faces[t++] = b;
      faces[t++] = b; faces[t++] = d; faces[t++] = e;
    }
  }
  orientOutwards(pos, faces, ring.c);
  return { positions: pos, faces, uvs, faceUvs: faces.slice() };
}

/** Flips every face when the mesh's faces point towards `centre` on the whole (a closed-ish tube or cap). */
function orientOutwards(pos: Float64Array, faces: Uint32Array, centre: readonly number[]): void {
  const n = computeVertexNormals(new Float64Array(pos.length), pos, faces);
  let s = 0;
  for (let i = 0; i < pos.length / 3; i++) {
    s += n[3 * i]! * (pos[3 * i]! - centre[0]!) + n[3 * i + 2]! * (pos[3 * i + 2]! - centre[2]!);
  }
  if (s < 0) for (let f = 0; f < faces.length; f += 3) { const b = faces[f + 1]!; faces[f + 1] = faces[f + 2]!; faces[f + 2] = b; }
}

/**
 * The mouth cavity's back wall (photos only): an elliptical disc facing +Z, `behind` metres behind
 * the mouth corners, spanning the mouth opening, in the atlas's cavity rectangle.
 * mouthCentre: rest position between the mouth corners.
 */
export function buildCavity(mouthCentre: readonly number[], behind = 0.045, rings = 6, segments = 24): Piece {
  const cx = mouthCentre[0]!, cy = mouthCentre[1]! - 0.012, cz = mouthCentre[2]! - behind;
  const rx = 0.03, ry = 0.032;
  const V = 1 + rings * segments;
  const pos = new Float64Array(V * 3), uvs = new Float32Array(V * 2);
  const uc = (CAVITY_UV.u0 + CAVITY_UV.u1) / 2, vc = (CAVITY_UV.v0 + CAVITY_UV.v1) / 2;
  const ur = 0.45 * (CAVITY_UV.u1 - CAVITY_UV.u0), vr = 0.45 * (CAVITY_UV.v1 - CAVITY_UV.v0);
  pos[0] = cx; pos[1] = cy; pos[2] = cz - 0.004; uvs[0] = uc; uvs[1] = vc;
  for (let r = 1; r <= rings; r++) {
    const f = r / rings;
    for (let s = 0; s < segments; s++) {
      const a = (2 * Math.PI * s) / segments, i = 1 + (r - 1) * segments + s;
      pos[3 * i] = cx + rx * f * Math.cos(a);
      pos[3 * i + 1] = cy + ry * f * Math.sin(a);
      pos[3 * i + 2] = cz - 0.004 * (1 - f * f); // a shallow cup
      uvs[2 * i] = uc + ur * f * Math.cos(a);
      uvs[2 * i + 1] = vc + vr * f * Math.sin(a);
    }
  }
  const faces: number[] = [];
  const ring = (r: number, s: number): number => 1 + (r - 1) * segments + (s % segments);
  // counter-clockwise seen from +Z (x right, y up, angle increasing)
  for (let s = 0; s < segments; s++) faces.push(0, ring(1, s), ring(1, s + 1));
  for (let r = 1; r < rings; r++) {
    for (let s = 0; s < segments; s++) faces.push(ring(r, s), ring(r + 1, s), ring(r + 1, s + 1), ring(r, s), ring(r + 1, s + 1), ring(r, s + 1));
  }
  const f32 = Uint32Array.from(faces);
  return { positions: pos, faces: f32, uvs, faceUvs: f32.slice() };
}

/**
 * Moves rest points with a skinning transform: out_i = A [p_i; 1] + transl. A: [12] (3×4 row-major).
 * out may alias points.
 */
export function transformPoints(out: Float64Array, points: Float64Array, A: ArrayLike<number>, transl: ArrayLike<number>): Float64Array {
  const n = points.length / 3;
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]!, y = points[3 * i + 1]!, z = points[3 * i + 2]!;
    out[3 * i] = A[0]! * x + A[1]! * y + A[2]! * z + A[3]! + transl[0]!;
    out[3 * i + 1] = A[4]! * x + A[5]! * y + A[6]! * z + A[7]! + transl[1]!;
    out[3 * i + 2] = A[8]! * x + A[9]! * y + A[10]! * z + A[11]! + transl[2]!;
  }
  return out;
}

/** Adds N(0, σ²) noise along the unit normals: positions [V*3] in place; sigma [V] or a number. */
export function normalNoise(positions: Float64Array, normals: ArrayLike<number>, sigma: number | ArrayLike<number>, rng: Rng): Float64Array {
  const V = positions.length / 3;
  for (let i = 0; i < V; i++) {
    const s = typeof sigma === 'number' ? sigma : sigma[i]!;
    if (!(s > 0)) continue;
    const e = rng.normal(0, s);
    positions[3 * i]! += e * normals[3 * i]!;
    positions[3 * i + 1]! += e * normals[3 * i + 1]!;
    positions[3 * i + 2]! += e * normals[3 * i + 2]!;
  }
  return positions;
}
