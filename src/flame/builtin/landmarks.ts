/**
 * Landmark embedding of the built-in model in the iBUG-68 convention: 51 static landmarks
 * (iBUG 17–67), the full 68 with the frontal jaw contour, and the yaw-dependent contour in
 * FLAME/DECA's 79-bin layout. Landmarks are placed by casting frontal rays at chart positions
 * and, for the contour, by finding the silhouette of the jaw for each head yaw.
 */
import type { BarycentricLandmarks, DynamicContour } from '../model.js';
import { ANCHORS } from './features.js';
import type { HeadMesh } from './head-mesh.js';
import { yawOf } from './masks.js';
import { computeVertexNormals } from '../../io/mesh.js';
import { contourBinAngle, IBUG68_NAMES } from '../landmarks.js';

/** Frontal-chart (x, y) of iBUG points 17–67 on the mean head. */
function staticChartPoints(): Array<[number, number]> {
  const A = ANCHORS;
  const [ex, ey] = A.eyeCenter;
  const hw = A.eyeHalfWidth * 1.06, hu = A.eyeHalfHeight * 1.1 * 1.12, hl = A.eyeHalfHeight * 0.9 * 1.15;
  const pts: Array<[number, number]> = [];
  // 17–21 right brow (subject's right, −X), outer to inner; 22–26 left brow, inner to outer
  const brow = [[0.055, 0.040], [0.047, 0.0465], [0.037, 0.0495], [0.026, 0.0495], [0.015, 0.046]] as const;
  for (const [x, y] of brow) pts.push([-x, y]);
  for (const [x, y] of [...brow].reverse()) pts.push([x, y]);
  // 27–30 nose bridge, 31–35 nose base (right to left)
  pts.push([0, A.noseRootY], [0, 0.017], [0, 0.004], [0, A.noseTipY]);
  pts.push([-0.0125, A.noseBaseY + 0.003], [-0.0065, A.noseBaseY - 0.0005], [0, A.noseBaseY - 0.0015], [0.0065, A.noseBaseY - 0.0005], [0.0125, A.noseBaseY + 0.003]);
  // 36–41 right eye: outer corner, two upper, inner corner, two lower
  const eye = (side: number): Array<[number, number]> => {
    const cx = side * ex;
    const outer: [number, number] = [cx + side * hw, ey], inner: [number, number] = [cx - side * hw, ey];
    const up = (f: number): [number, number] => [cx + side * f * hw, ey + hu * Math.sqrt(1 - f * f)];
    const lo = (f: number): [number, number] => [cx + side * f * hw, ey - hl * Math.sqrt(1 - f * f)];
    return side < 0 ? [outer, up(0.35), up(-0.35), inner, lo(-0.35), lo(0.35)] : [inner, up(-0.35), up(0.35), outer, lo(0.35), lo(-0.35)];
  };
  pts.push(...eye(-1), ...eye(1));
  // 48–59 outer lip contour: right corner, upper lip to left corner, lower lip back
  const my = A.mouthY, mw = A.mouthHalfWidth;
  pts.push([-mw, my], [-0.016, -0.0385], [-0.0065, -0.0355], [0, -0.0365], [0.0065, -0.0355], [0.016, -0.0385], [mw, my]);
  pts.push([0.016, -0.0545], [0.0065, -0.0585], [0, -0.059], [-0.0065, -0.0585], [-0.016, -0.0545]);
  // 60–67 inner lip contour on the slit: right inner corner, upper lip, left inner corner, lower lip
  const up = my + 0.0006, lo = my - 0.0006;
  pts.push([-0.021, my], [-0.01, up], [0, up], [0.01, up], [0.021, my], [0.01, lo], [0, lo], [-0.01, lo]);
  return pts;
}

const BIG = 1e9;

/** Nearest-to-camera intersection of the ray (x, y, +∞) → −Z with the skin; throws if none. */
function castFrontal(mesh: HeadMesh, x: number, y: number): { face: number; bary: [number, number, number] } {
  const P = mesh.positions, F = mesh.faces;
  let best = -BIG, bestFace = -1;
  let bb: [number, number, number] = [0, 0, 0];
  for (let f = 0; f < F.length / 3; f++) {
    const a = F[3 * f]!, b = F[3 * f + 1]!, c = F[3 * f + 2]!;
    if (mesh.part[a] !== 0) continue;
    const ax = P[3 * a]!, ay = P[3 * a + 1]!, bx = P[3 * b]!, by = P[3 * b + 1]!, cx = P[3 * c]!, cy = P[3 * c + 1]!;
    const det = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (det <= 0) continue; // seen from the front, front faces are counter-clockwise
    const w1 = ((x - ax) * (cy - ay) - (y - ay) * (cx - ax)) / det;
    const w2 = ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / det;
    const w0 = 1 - w1 - w2;
    if (w0 < -1e-12 || w1 < -1e-12 || w2 < -1e-12) continue;
    const z = w0 * P[3 * a + 2]! + w1 * P[3 * b + 2]! + w2 * P[3 * c + 2]!;
    if (z > best) { best = z; bestFace = f; bb = [w0, w1, w2]; }
  }
  if (bestFace < 0) throw new Error(`builtin model: no surface at landmark chart point (${x}, ${y})`);
  return { face: bestFace, bary: bb };
}

/** Index of the face that has the directed grid edge a→b (or b→a) and the corner slots of a and b. */
function faceWithEdge(mesh: HeadMesh, a: number, b: number): { face: number; ia: number; ib: number } {
  const F = mesh.faces;
  for (let f = 0; f < F.length / 3; f++) {
    for (let k = 0; k < 3; k++) {
      const p = F[3 * f + k]!, q = F[3 * f + ((k + 1) % 3)]!;
      if ((p === a && q === b) || (p === b && q === a)) return { face: f, ia: p === a ? k : (k + 1) % 3, ib: p === a ? (k + 1) % 3 : k };
    }
  }
  throw new Error(`builtin model: no face with edge ${a}-${b}`);
}

/** Heights (y at the side of the jaw) of contour points 0–7 (8 is the chin). */
const CONTOUR_Y = [0.018, 0.0, -0.018, -0.036, -0.053, -0.069, -0.083, -0.095];

/**
 * Contour landmark k for a camera direction `view` in head coordinates: along the grid row at the
 * contour height, from the front towards the side, the first point where the surface turns away
 * from the camera (its silhouette), no further back than the jaw joint.
 */
function contourPoint(mesh: HeadMesh, normals: Float64Array, k: number, view: readonly [number, number, number]): { face: number; bary: [number, number, number] } {
  const { cols, rows } = mesh;
  const P = mesh.positions;
  const g = (r: number, c: number): number => 1 + r * cols + (((c % cols) + cols) % cols);
  const front = cols / 2;
  if (k === 8) {
    // chin (menton): down the midline column, where the surface has turned 70° away from the
    // camera on its way under the chin
    const turn = Math.cos((70 * Math.PI) / 180);
    for (let r = 1; r < rows; r++) {
      const a = g(r - 1, front), b = g(r, front);
      const fa = dot(normals, a, view) - turn, fb = dot(normals, b, view) - turn;
      if (P[3 * a + 1]! < -0.07 && fa > 0 && fb <= 0) return edgePoint(mesh, a, b, fa / (fa - fb));
    }
    throw new Error('builtin model: no chin silhouette');
  }
  const side = k < 8 ? -1 : 1;
  const level = k < 8 ? k : 16 - k;
  // the row whose vertex at yaw ≈ 75° is nearest the contour height
  let row = 0, bestD = Infinity;
  for (let r = 0; r < rows; r++) {
    let c = front;
    while (Math.abs(yawOf(P[3 * g(r, c)]!, P[3 * g(r, c) + 2]!)) < 1.3 && Math.abs(c - front) < cols / 2) c += side;
    const d = Math.abs(P[3 * g(r, c) + 1]! - CONTOUR_Y[level]!);
    if (d < bestD) { bestD = d; row = r; }
  }
  const maxYaw = 1.42 - 0.25 * (level / 7); // in front of the ear, lower points further forward
  let prev = g(row, front);
  let fp = dot(normals, prev, view);
  for (let s = 1; s < cols / 2; s++) {
    const cur = g(row, front + side * s);
    const fc = dot(normals, cur, view);
    const yaw = Math.abs(yawOf(P[3 * cur]!, P[3 * cur + 2]!));
    if (fp > 0 && fc <= 0) return edgePoint(mesh, prev, cur, fp / (fp - fc));
    if (yaw >= maxYaw) return edgePoint(mesh, prev, cur, 1);
    prev = cur; fp = fc;
  }
  throw new Error(`builtin model: no silhouette for contour point ${k}`);
}

function dot(n: Float64Array, i: number, v: readonly [number, number, number]): number {
  return n[3 * i]! * v[0] + n[3 * i + 1]! * v[1] + n[3 * i + 2]! * v[2];
}

function edgePoint(mesh: HeadMesh, a: number, b: number, f: number): { face: number; bary: [number, number, number] } {
  const { face, ia, ib } = faceWithEdge(mesh, a, b);
  const bary: [number, number, number] = [0, 0, 0];
  bary[ia] = 1 - f;
  bary[ib] = f;
  return { face, bary };
}


export function buildLandmarks(mesh: HeadMesh): { static51: BarycentricLandmarks; full68: BarycentricLandmarks; dynamic: DynamicContour } {
  const normals = computeVertexNormals(new Float64Array(mesh.positions.length), mesh.positions, mesh.faces);
  const statics = staticChartPoints().map(([x, y]) => castFrontal(mesh, x, y));
  const pack = (items: Array<{ face: number; bary: [number, number, number] }>, names: string[]): BarycentricLandmarks => ({
    faceIdx: Uint32Array.from(items.map((p) => p.face)),
    bary: Float64Array.from(items.flatMap((p) => p.bary)),
    names,
  });
  const frontalContour = Array.from({ length: 17 }, (_, k) => contourPoint(mesh, normals, k, [0, 0, 1]));
  const bins = 79;
  const dyn: Array<{ face: number; bary: [number, number, number] }> = [];
  for (let b = 0; b < bins; b++) {
    // FLAME/DECA bin → angle = −(head yaw about +Y) in degrees; the camera direction in head coordinates
    const yaw = (-contourBinAngle(b) * Math.PI) / 180;
    const view: [number, number, number] = [-Math.sin(yaw), 0, Math.cos(yaw)];
    for (let k = 0; k < 17; k++) dyn.push(contourPoint(mesh, normals, k, view));
  }
  const dynPacked = pack(dyn, []);
  return {
    static51: pack(statics, IBUG68_NAMES.slice(17)),
    full68: pack([...frontalContour, ...statics], [...IBUG68_NAMES]),
    dynamic: { faceIdx: dynPacked.faceIdx, bary: dynPacked.bary, bins },
  };
}
