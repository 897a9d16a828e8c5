/** Point-to-surface distances through three-mesh-bvh (test oracle for the synthetic scans). */
import { BufferAttribute, BufferGeometry, Vector3 } from 'three';
import { MeshBVH } from 'three-mesh-bvh';

/** A closest-point query structure over a triangle mesh (positions [V*3], faces [F*3]). */
export function surface(positions: ArrayLike<number>, faces: ArrayLike<number>): (x: number, y: number, z: number) => number {
  const geometry = new BufferGeometry();
  geometry.setAttribute('position', new BufferAttribute(Float32Array.from(positions), 3));
  geometry.setIndex(new BufferAttribute(Uint32Array.from(faces), 1));
  const bvh = new MeshBVH(geometry);
  const q = new Vector3();
  return (x, y, z) => {
    q.set(x, y, z);
    const hit = bvh.closestPointToPoint(q);
    return hit ? hit.distance : Infinity;
  };
}

/** Distances from every point (points [N*3]) to the surface. */
export function distances(points: ArrayLike<number>, query: (x: number, y: number, z: number) => number, indices?: ArrayLike<number>): Float64Array {
  const n = indices ? indices.length : points.length / 3;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k]! : k;
    out[k] = query(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!);
  }
  return out;
}

/** The q-quantile (0..1) of values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
}
