/**
 * A scan as a queryable surface: closest points (with interpolated normals) and ray casts through
 * a three-mesh-bvh bounding-volume hierarchy — not brute force.
 */
import { BufferAttribute, BufferGeometry, Ray, Vector3, DoubleSide } from 'three';
import { MeshBVH, type HitPointInfo } from 'three-mesh-bvh';
import { computeVertexNormals } from '../io/mesh.js';

export interface ClosestPoints {
  /** points [n*3], normals [n*3] (unit, interpolated vertex normals), distance [n], face [n] (−1: none within reach). */
  points: Float64Array;
  normals: Float64Array;
  distance: Float64Array;
  face: Int32Array;
}

export class ScanSurface {
  /** positions [V*3] (as given, in the frame the queries use); faces [F*3] in the BVH's triangle order (the order `face` results refer to). */
  readonly positions: Float64Array;
  readonly faces: Uint32Array;
  readonly normals: Float64Array;
  /** 1 for vertices on the scan's border (an edge used by one triangle: holes, cut-offs) [V]. */
  readonly boundary: Uint8Array;
  private readonly bvh: MeshBVH;
  /** Whether the normals were flipped (a scan with clockwise triangles). */
  flipped = false;
  private readonly hit: HitPointInfo = { point: new Vector3(), distance: 0, faceIndex: 0 };
  private readonly q = new Vector3();

  constructor(positions: Float64Array, faces: Uint32Array) {
    this.positions = positions;
    this.normals = computeVertexNormals(new Float64Array(positions.length), positions, faces);
    const geometry = new BufferGeometry();
    geometry.setAttribute('position', new BufferAttribute(Float32Array.from(positions), 3));
    geometry.setIndex(new BufferAttribute(Uint32Array.from(faces), 1));
    this.bvh = new MeshBVH(geometry);
    // the BVH reorders the triangles in place; face indices it reports refer to that order
    this.faces = geometry.index!.array as Uint32Array;
    this.boundary = boundaryVertices(positions.length / 3, this.faces);
  }

  get vertexCount(): number { return this.positions.length / 3; }

  /** Whether triangle f has a vertex on the scan's border. */
  touchesBoundary(f: number): boolean {
    const F = this.faces, B = this.boundary;
    return B[F[3 * f]!] === 1 || B[F[3 * f + 1]!] === 1 || B[F[3 * f + 2]!] === 1;
  }

  /** Interpolated unit normal at point (x, y, z) of face f, written to out[o..o+3]. */
  private normalAt(f: number, x: number, y: number, z: number, out: Float64Array, o: number): void {
    const P = this.positions, N = this.normals, F = this.faces;
    const a = F[3 * f]!, b = F[3 * f + 1]!, c = F[3 * f + 2]!;
    // barycentrics of the point in the triangle
    const v0x = P[3 * b]! - P[3 * a]!, v0y = P[3 * b + 1]! - P[3 * a + 1]!, v0z = P[3 * b + 2]! - P[3 * a + 2]!;
    const v1x = P[3 * c]! - P[3 * a]!, v1y = P[3 * c + 1]! - P[3 * a + 1]!, v1z = P[3 * c + 2]! - P[3 * a + 2]!;
    const v2x = x - P[3 * a]!, v2y = y - P[3 * a + 1]!, v2z = z - P[3 * a + 2]!;
    const d00 = v0x * v0x + v0y * v0y + v0z * v0z, d01 = v0x * v1x + v0y * v1y + v0z * v1z, d11 = v1x * v1x + v1y * v1y + v1z * v1z;
    const d20 = v2x * v0x + v2y * v0y + v2z * v0z, d21 = v2x * v1x + v2y * v1y + v2z * v1z;
    const den = d00 * d11 - d01 * d01;
    let wb = 1 / 3, wc = 1 / 3;
    if (den > 1e-30) { wb = (d11 * d20 - d01 * d21) / den; wc = (d00 * d21 - d01 * d20) / den; }
    const wa = 1 - wb - wc;
    let nx = wa * N[3 * a]! + wb * N[3 * b]! + wc * N[3 * c]!, ny = wa * N[3 * a + 1]! + wb * N[3 * b + 1]! + wc * N[3 * c + 1]!, nz = wa * N[3 * a + 2]! + wb * N[3 * b + 2]! + wc * N[3 * c + 2]!;
    const l = Math.hypot(nx, ny, nz);
    if (l > 0) { nx /= l; ny /= l; nz /= l; }
    else {
      // degenerate: the face normal
      nx = v0y * v1z - v0z * v1y; ny = v0z * v1x - v0x * v1z; nz = v0x * v1y - v0y * v1x;
      const m = Math.hypot(nx, ny, nz) || 1;
      nx /= m; ny /= m; nz /= m;
    }
    out[o] = nx; out[o + 1] = ny; out[o + 2] = nz;
  }

  /**
   * Makes the scan's normals point outwards: compares them with the normals of a roughly aligned
   * model (world [V*3], faces, its vertices `probe` within `maxDistance` of the scan) and flips
   * them when most disagree (a scan stored with clockwise triangles). Returns whether it flipped.
   */
  orientOutward(world: Float64Array, faces: Uint32Array, probe: Uint32Array, maxDistance: number): boolean {
    const normals = computeVertexNormals(new Float64Array(world.length), world, faces);
    const q = new Float64Array(3 * probe.length);
    probe.forEach((i, k) => { q[3 * k] = world[3 * i]!; q[3 * k + 1] = world[3 * i + 1]!; q[3 * k + 2] = world[3 * i + 2]!; });
    const hits = this.closestPoints(q, maxDistance);
    let agree = 0, disagree = 0;
    probe.forEach((i, k) => {
      if (hits.face[k]! < 0) return;
      const d = normals[3 * i]! * hits.normals[3 * k]! + normals[3 * i + 1]! * hits.normals[3 * k + 1]! + normals[3 * i + 2]! * hits.normals[3 * k + 2]!;
      if (d > 0.3) agree++; else if (d < -0.3) disagree++;
    });
    if (disagree <= agree) return false;
    for (let k = 0; k < this.normals.length; k++) this.normals[k] = -this.normals[k]!;
    this.flipped = !this.flipped;
    return true;
  }

  /** Closest surface points to query points [n*3] within maxDistance (farther: face −1). */
  closestPoints(queries: ArrayLike<number>, maxDistance = Infinity, out?: ClosestPoints): ClosestPoints {
    const n = queries.length / 3;
    const r = out ?? { points: new Float64Array(3 * n), normals: new Float64Array(3 * n), distance: new Float64Array(n), face: new Int32Array(n) };
    for (let i = 0; i < n; i++) {
      this.q.set(queries[3 * i]!, queries[3 * i + 1]!, queries[3 * i + 2]!);
      const h = this.bvh.closestPointToPoint(this.q, this.hit, 0, maxDistance);
      if (!h) { r.face[i] = -1; r.distance[i] = Infinity; continue; }
      const x = h.point.x, y = h.point.y, z = h.point.z;
      r.points[3 * i] = x; r.points[3 * i + 1] = y; r.points[3 * i + 2] = z;
      r.distance[i] = h.distance;
      r.face[i] = h.faceIndex;
      this.normalAt(h.faceIndex, x, y, z, r.normals, 3 * i);
    }
    return r;
  }

  /** Dot product of triangle f's unit normal (from its winding, flipped with the scan's normals) with a direction. */
  faceNormalDot(f: number, d: ArrayLike<number>): number {
    const P = this.positions, F = this.faces, a = F[3 * f]!, b = F[3 * f + 1]!, c = F[3 * f + 2]!;
    const ux = P[3 * b]! - P[3 * a]!, uy = P[3 * b + 1]! - P[3 * a + 1]!, uz = P[3 * b + 2]! - P[3 * a + 2]!;
    const vx = P[3 * c]! - P[3 * a]!, vy = P[3 * c + 1]! - P[3 * a + 1]!, vz = P[3 * c + 2]! - P[3 * a + 2]!;
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    const l = Math.hypot(nx, ny, nz) || 1;
    return (this.flipped ? -1 : 1) * (nx * d[0]! + ny * d[1]! + nz * d[2]!) / l;
  }

  /** First hit of the ray origin + s·direction (s > 0), or null. Returns [x, y, z, face]. */
  raycast(origin: ArrayLike<number>, direction: ArrayLike<number>): [number, number, number, number] | null {
    const ray = new Ray(new Vector3(origin[0]!, origin[1]!, origin[2]!), new Vector3(direction[0]!, direction[1]!, direction[2]!).normalize());
    const h = this.bvh.raycastFirst(ray, DoubleSide);
    if (!h || h.faceIndex === undefined || h.faceIndex === null) return null;
    return [h.point.x, h.point.y, h.point.z, h.faceIndex];
  }
}

/** Vertices on an edge that only one triangle uses [V] (1 = border). */
export function boundaryVertices(V: number, faces: Uint32Array): Uint8Array {
  // count each undirected edge through a hash of (min, max); a border edge is counted once
  const count = new Map<number, number>();
  for (let f = 0; f < faces.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f + k]!, b = faces[f + ((k + 1) % 3)]!;
      const key = a < b ? a * V + b : b * V + a;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const out = new Uint8Array(V);
  for (const [key, n] of count) {
    if (n !== 1) continue;
    const a = Math.floor(key / V);
    out[a] = 1;
    out[key - a * V] = 1;
  }
  return out;
}
