/**
 * Reading a scan for registration: OBJ or PLY, checked so that a bad file fails with a reason
 * (unreadable, empty, non-finite, degenerate) instead of producing a bad registration.
 */
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { FormatError } from '../util/errors.js';
import { loadObj } from '../io/obj.js';
import { loadPly } from '../io/ply.js';
import type { Mesh } from '../io/mesh.js';

export interface ScanInfo {
  vertices: number;
  triangles: number;
  /** Bounding-box diagonal, scan units. */
  extent: number;
  /** Triangles of (near) zero area, dropped. */
  degenerateTriangles: number;
}

/** Loads and checks a scan; degenerate triangles are dropped (and counted). */
export async function loadScan(path: string): Promise<{ mesh: Mesh; info: ScanInfo }> {
  if (!existsSync(path)) throw new FormatError(path, undefined, 'scan file not found');
  if (statSync(path).size === 0) throw new FormatError(path, undefined, 'empty file');
  const ext = extname(path).toLowerCase();
  let mesh: Mesh;
  if (ext === '.obj') mesh = await loadObj(path, { materials: false });
  else if (ext === '.ply') mesh = await loadPly(path);
  else throw new FormatError(path, undefined, `unknown scan format '${ext}' (expected .obj or .ply)`);
  return checkScan(mesh, path);
}

/** Checks a scan mesh (see loadScan). */
export function checkScan(mesh: Mesh, path: string): { mesh: Mesh; info: ScanInfo } {
  const P = mesh.positions, V = P.length / 3;
  if (V === 0) throw new FormatError(path, undefined, 'the scan has no vertices');
  if (mesh.faces.length === 0) throw new FormatError(path, undefined, `the scan has ${V} vertices but no triangles (a point cloud); registration needs a surface`);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < V; i++) {
    for (let a = 0; a < 3; a++) {
      const x = P[3 * i + a]!;
      if (!Number.isFinite(x)) throw new FormatError(path, `vertex ${i}`, `coordinate ${'xyz'[a]} is ${x}`);
      if (x < lo[a]!) lo[a] = x;
      if (x > hi[a]!) hi[a] = x;
    }
  }
  const extent = Math.hypot(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!);
  if (!(extent > 0)) throw new FormatError(path, undefined, 'all vertices are at one point (degenerate scan)');
  // drop zero-area triangles (relative to the scan's size)
  const F = mesh.faces, keep: number[] = [];
  const eps = (extent * 1e-9) ** 2;
  let degenerate = 0;
  for (let f = 0; f < F.length; f += 3) {
    const a = F[f]!, b = F[f + 1]!, c = F[f + 2]!;
    const ux = P[3 * b]! - P[3 * a]!, uy = P[3 * b + 1]! - P[3 * a + 1]!, uz = P[3 * b + 2]! - P[3 * a + 2]!;
    const vx = P[3 * c]! - P[3 * a]!, vy = P[3 * c + 1]! - P[3 * a + 1]!, vz = P[3 * c + 2]! - P[3 * a + 2]!;
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    if (nx * nx + ny * ny + nz * nz <= eps) { degenerate++; continue; }
    keep.push(f);
  }
  if (keep.length === 0) throw new FormatError(path, undefined, `all ${F.length / 3} triangles have zero area (degenerate mesh)`);
  let faces = F;
  if (degenerate > 0) {
    faces = new Uint32Array(3 * keep.length);
    keep.forEach((f, k) => { faces[3 * k] = F[f]!; faces[3 * k + 1] = F[f + 1]!; faces[3 * k + 2] = F[f + 2]!; });
  }
  return { mesh: { ...mesh, faces }, info: { vertices: V, triangles: faces.length / 3, extent, degenerateTriangles: degenerate } };
}
