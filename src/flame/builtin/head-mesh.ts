/**
 * The mean head mesh of the built-in model: the base profile surface plus features, sampled on a
 * (θ, t) grid denser on the face, with a crown pole, a mouth slit (lips are separate surfaces so
 * the jaw can open), two almond eye openings and two eyeballs behind them.
 *
 * Vertex order: crown pole, grid rows top to bottom (row r, column c at 1 + r·cols + c), the
 * duplicated lower-lip vertices of the mouth slit, then the left and right eyeball.
 */
import { LEVELS, baseNormal, basePoint } from './profiles.js';
import { ANCHORS, MEAN_FEATURES, type FeatureScales, earDisplacement, faceDisplacement } from './features.js';

export interface HeadGridOptions {
  /** Columns around the head (θ samples). */
  cols: number;
  /** Rows from below the crown to the neck base (t samples). */
  rows: number;
  /** Eyeball rings (excluding poles) and segments. */
  eyeRings: number;
  eyeSegments: number;
}

export const DEFAULT_GRID: HeadGridOptions = { cols: 80, rows: 58, eyeRings: 12, eyeSegments: 16 };

export interface HeadMesh {
  positions: Float64Array; // [V*3]
  faces: Uint32Array; // [F*3]
  uvs: Float32Array; // [U*2]
  faceUvs: Uint32Array; // [F*3]
  /** Per vertex: θ and t of the grid point (NaN for eyeballs), [V*2]. */
  param: Float64Array;
  /** Per vertex: 0 skin, 1 left eyeball, 2 right eyeball. */
  part: Uint8Array;
  /** Grid row/column per vertex (−1 for pole and eyeballs), and the row of the mouth slit. */
  gridRow: Int32Array;
  gridCol: Int32Array;
  mouthRow: number;
  /** Lower-lip duplicates: slitLower[k] duplicates grid vertex slitUpper[k]. */
  slitUpper: Uint32Array;
  slitLower: Uint32Array;
  /** Vertices on the rim of each eye opening (left, right). */
  eyeRims: [Uint32Array, Uint32Array];
  /** Eyeball centres, [2*3] (left, right), and radius. */
  eyeCenters: Float64Array;
  eyeRadius: number;
  cols: number;
  rows: number;
}

/**
 * Positions of n samples of [a, b] whose spacing is inversely proportional to `density`
 * (first sample at a; `closed` = periodic, so the last sample stops one step before b).
 */
function samplesByDensity(n: number, a: number, b: number, density: (x: number) => number, closed: boolean): Float64Array {
  const steps = 8000;
  const cum = new Float64Array(steps + 1);
  for (let k = 0; k < steps; k++) cum[k + 1] = cum[k]! + density(a + ((k + 0.5) / steps) * (b - a));
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const target = (i / (closed ? n : n - 1)) * cum[steps]!;
    while (k < steps - 1 && cum[k + 1]! < target) k++;
    const f = cum[k + 1]! > cum[k]! ? Math.min(1, (target - cum[k]!) / (cum[k + 1]! - cum[k]!)) : 0;
    out[i] = a + ((k + f) / steps) * (b - a);
  }
  return out;
}

/**
 * θ of each column: θ from −π (back seam, column 0) round to the front (θ = 0 at column cols/2);
 * columns are densest on the face, dense over the ears and sparse at the back.
 */
export function columnThetas(cols: number): Float64Array {
  const density = (th: number): number => {
    const a = Math.abs(th);
    const face = 2.3 * Math.exp(-0.5 * (a / 0.75) ** 4);
    const ear = 1.7 * Math.exp(-0.5 * ((a - 1.62) / 0.2) ** 2);
    return 0.45 + face + ear;
  };
  const t = samplesByDensity(cols + 1, -Math.PI, Math.PI, density, false);
  // symmetrise: column c and cols − c mirror each other
  const out = new Float64Array(cols);
  for (let c = 0; c < cols; c++) out[c] = 0.5 * (t[c]! - t[cols - c]!);
  out[0] = -Math.PI;
  return out;
}

/** t of each row: from t≈0.35 below the crown to the neck base, densest between forehead and chin. */
export function rowLevels(rows: number): Float64Array {
  const density = (t: number): number => (t < 2.2 ? 1.9 : t < 11.8 ? 2.3 : t < 13 ? 1.3 : 0.55);
  return samplesByDensity(rows, 0.35, LEVELS - 1, density, false);
}

const _p = new Float64Array(3), _n = new Float64Array(3);

/** Surface point of the mean head (base + features) at (θ, t). */
export function headPoint(out: Float64Array, theta: number, t: number, scales: FeatureScales = MEAN_FEATURES): Float64Array {
  basePoint(_p, theta, t);
  baseNormal(_n, theta, t);
  const d = faceDisplacement(_p[0]!, _p[1]!, _p[2]!, scales) + earDisplacement(_p[0]!, _p[1]!, _p[2]!, scales);
  out[0] = _p[0]! + d * _n[0]!;
  out[1] = _p[1]! + d * _n[1]!;
  out[2] = _p[2]! + d * _n[2]!;
  return out;
}

/** Finds (θ, t) near (θ0, t0) whose head point has frontal chart coordinates (x, y) (2D Newton). */
function solveChart(x: number, y: number, theta0: number, t0: number): [number, number] {
  let th = theta0, t = t0;
  const q = new Float64Array(3), qa = new Float64Array(3), qb = new Float64Array(3);
  for (let it = 0; it < 30; it++) {
    headPoint(q, th, t);
    const fx = q[0]! - x, fy = q[1]! - y;
    if (Math.hypot(fx, fy) < 1e-9) break;
    const h = 1e-5;
    headPoint(qa, th + h, t);
    headPoint(qb, th, t + h);
    const a = (qa[0]! - q[0]!) / h, b = (qb[0]! - q[0]!) / h, c = (qa[1]! - q[1]!) / h, d = (qb[1]! - q[1]!) / h;
    const det = a * d - b * c;
    if (Math.abs(det) < 1e-12) break;
    let dth = (d * fx - b * fy) / det, dt = (-c * fx + a * fy) / det;
    const lim = 0.05;
    const s = Math.max(Math.abs(dth), Math.abs(dt) / 4);
    if (s > lim) { dth *= lim / s; dt *= lim / s; }
    th -= dth; t -= dt;
  }
  return [th, t];
}

/** Normalised radius of chart point (x, y) in the almond of eye `side` (+1 left, −1 right). */
export function eyeRadius(x: number, y: number, side: number): number {
  const A = ANCHORS;
  const u = (x - side * A.eyeCenter[0]) / A.eyeHalfWidth;
  const dy = y - A.eyeCenter[1];
  // almond: the upper lid arches higher than the lower lid, the outer corner sits slightly higher
  const v = dy / (A.eyeHalfHeight * (dy > 0 ? 1.1 : 0.9)) - 0.12 * side * u * 0;
  return Math.hypot(u, v);
}

/** Builds the mean head mesh. */
export function buildHeadMesh(options: HeadGridOptions = DEFAULT_GRID): HeadMesh {
  const { cols, rows } = options;
  const A = ANCHORS;
  const thetas = columnThetas(cols);
  const levels = rowLevels(rows);
  const gridCount = 1 + rows * cols;
  const pos: number[] = [];
  const param: number[] = [];
  const q = new Float64Array(3);
  // crown pole
  basePoint(q, 0, 0);
  pos.push(q[0]!, q[1]!, q[2]!);
  param.push(0, 0);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      headPoint(q, thetas[c]!, levels[r]!);
      pos.push(q[0]!, q[1]!, q[2]!);
      param.push(thetas[c]!, levels[r]!);
    }
  }
  const g = (r: number, c: number): number => 1 + r * cols + (((c % cols) + cols) % cols);
  const front = cols / 2;

  // Mouth slit: the row whose front vertex is nearest the mouth line.
  let mouthRow = 0;
  for (let r = 1; r < rows; r++) if (Math.abs(pos[3 * g(r, front) + 1]! - A.mouthY) < Math.abs(pos[3 * g(mouthRow, front) + 1]! - A.mouthY)) mouthRow = r;
  const slitCols: number[] = [];
  for (let c = 0; c < cols; c++) if (Math.abs(pos[3 * g(mouthRow, c)]!) < A.mouthHalfWidth && pos[3 * g(mouthRow, c) + 2]! > 0) slitCols.push(c);
  // Snap the mouth corners (first columns outside the slit) onto the corner points.
  const cornerLeft = Math.max(...slitCols) + 1, cornerRight = Math.min(...slitCols) - 1;
  for (const [c, sx] of [[cornerLeft, 1], [cornerRight, -1]] as const) {
    const i = g(mouthRow, c);
    const [th, t] = solveChart(sx * A.mouthHalfWidth, A.mouthY, param[2 * i]!, param[2 * i + 1]!);
    headPoint(q, th, t);
    pos[3 * i] = q[0]!; pos[3 * i + 1] = q[1]!; pos[3 * i + 2] = q[2]!;
    param[2 * i] = th; param[2 * i + 1] = t;
  }
  // Pull the slit vertices onto the mouth line and slightly inwards, so closed lips meet in a crease.
  for (const c of slitCols) {
    const i = g(mouthRow, c);
    const [th, t] = solveChart(pos[3 * i]!, A.mouthY, param[2 * i]!, param[2 * i + 1]!);
    headPoint(q, th, t);
    pos[3 * i] = q[0]!; pos[3 * i + 1] = q[1]!; pos[3 * i + 2] = q[2]! - 0.0015;
    param[2 * i] = th; param[2 * i + 1] = t;
  }

  // Eye openings: remove the grid quads whose centre lies inside either almond.
  const removedQuad = new Uint8Array(rows * cols);
  for (let r = 0; r < rows - 1; r++) {
    for (let c = 0; c < cols; c++) {
      const ids = [g(r, c), g(r, c + 1), g(r + 1, c), g(r + 1, c + 1)];
      let x = 0, y = 0, z = 0;
      for (const i of ids) { x += pos[3 * i]! / 4; y += pos[3 * i + 1]! / 4; z += pos[3 * i + 2]! / 4; }
      if (z > 0.05 && (eyeRadius(x, y, 1) < 1 || eyeRadius(x, y, -1) < 1)) removedQuad[r * cols + c] = 1;
    }
  }
  // Rim vertices: corners of removed quads that also touch a kept quad. Snap them onto the almond.
  const rims: [number[], number[]] = [[], []];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let removed = 0, kept = 0;
      for (const [dr, dc] of [[0, 0], [0, -1], [-1, 0], [-1, -1]] as const) {
        const rr = r + dr, cc = (c + dc + cols) % cols;
        if (rr < 0 || rr >= rows - 1) continue;
        if (removedQuad[rr * cols + cc]) removed++; else kept++;
      }
      if (removed === 0 || kept === 0) continue;
      const i = g(r, c);
      const side = pos[3 * i]! > 0 ? 1 : -1;
      rims[side > 0 ? 0 : 1].push(i);
      const ex = side * A.eyeCenter[0], ey = A.eyeCenter[1];
      const dx = pos[3 * i]! - ex, dy = pos[3 * i + 1]! - ey;
      const rad = eyeRadius(pos[3 * i]!, pos[3 * i + 1]!, side);
      const [th, t] = solveChart(ex + dx / rad, ey + dy / rad, param[2 * i]!, param[2 * i + 1]!);
      headPoint(q, th, t);
      pos[3 * i] = q[0]!; pos[3 * i + 1] = q[1]!; pos[3 * i + 2] = q[2]!;
      param[2 * i] = th; param[2 * i + 1] = t;
    }
  }
  // Lids curl back towards the eyeball near the opening.
  for (let i = 1; i < gridCount; i++) {
    if (pos[3 * i + 2]! < 0.05) continue;
    for (const side of [1, -1]) {
      const rad = eyeRadius(pos[3 * i]!, pos[3 * i + 1]!, side);
      if (rad < 1.6) pos[3 * i + 2]! -= 0.0022 * Math.max(0, 1 - (rad - 1) / 0.6) ** 2;
    }
  }

  // Faces of the grid (outward = ∂P/∂t × ∂P/∂θ): (a, d, b) and (b, d, e) for the quad a=(r,c), b=(r,c+1), d=(r+1,c), e=(r+1,c+1).
  const slitSet = new Map<number, number>();
  const slitUpper: number[] = [], slitLower: number[] = [];
  let next = gridCount;
  for (const c of slitCols) {
    const i = g(mouthRow, c);
    slitSet.set(i, next);
    slitUpper.push(i); slitLower.push(next);
    pos.push(pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!);
    param.push(param[2 * i]!, param[2 * i + 1]!);
    next++;
  }
  const lower = (i: number): number => slitSet.get(i) ?? i;
  const faces: number[] = [];
  const faceUv: number[] = [];
  // UVs of the grid: u by column (a duplicate column at u = 1 closes the back seam), v by row.
  const uvs: number[] = [];
  const vTop = 1, vBottom = 0.15;
  const gridUv = (r: number, c: number): number => r * (cols + 1) + c; // c in 0..cols
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c <= cols; c++) uvs.push(c / cols, vTop - ((r + 1) / rows) * (vTop - vBottom));
  }
  const poleUvBase = uvs.length / 2;
  for (let c = 0; c < cols; c++) uvs.push((c + 0.5) / cols, vTop);
  for (let c = 0; c < cols; c++) {
    faces.push(0, g(0, c), g(0, c + 1));
    faceUv.push(poleUvBase + c, gridUv(0, c), gridUv(0, c + 1));
  }
  for (let r = 0; r < rows - 1; r++) {
    for (let c = 0; c < cols; c++) {
      if (removedQuad[r * cols + c]) continue;
      const top = r === mouthRow ? lower : (i: number) => i;
      const a = top(g(r, c)), b = top(g(r, c + 1)), d = g(r + 1, c), e = g(r + 1, c + 1);
      const ua = gridUv(r, c), ub = gridUv(r, c + 1), ud = gridUv(r + 1, c), ue = gridUv(r + 1, c + 1);
      faces.push(a, d, b, b, d, e);
      faceUv.push(ua, ud, ub, ub, ud, ue);
    }
  }

  // Eyeballs: spheres behind the openings, pole facing forward, radius 12.5 mm.
  const eyeR = 0.0125;
  const eyeCenters = new Float64Array(6);
  const part: number[] = new Array(pos.length / 3).fill(0);
  for (const [k, side] of [[0, 1], [1, -1]] as const) {
    let zr = 0;
    for (const i of rims[k]) zr += pos[3 * i + 2]! / rims[k].length;
    const cx = side * A.eyeCenter[0], cy = A.eyeCenter[1], cz = zr + 0.0025 - eyeR;
    eyeCenters.set([cx, cy, cz], 3 * k);
    // Lids drape over the eyeball: skin near the eye stays at least 0.7 mm outside the sphere.
    const lid = eyeR + 0.0007;
    for (let i = 1; i < gridCount + slitUpper.length; i++) {
      const dx = pos[3 * i]! - cx, dy = pos[3 * i + 1]! - cy, dz = pos[3 * i + 2]! - cz;
      const r2 = dx * dx + dy * dy;
      if (dz < 0 || r2 >= lid * lid) continue;
      // keep the chart position, push forwards onto the sphere
      pos[3 * i + 2] = Math.max(pos[3 * i + 2]!, cz + Math.sqrt(lid * lid - r2));
    }
    const base = pos.length / 3;
    const { eyeRings: nr, eyeSegments: ns } = options;
    const uc = k === 0 ? 0.25 : 0.75, vc = 0.072, rad = 0.065;
    // front pole, rings, back pole
    const ringVertex = (ring: number, s: number): number => base + 1 + ring * ns + (s % ns);
    pos.push(cx, cy, cz + eyeR); part.push(k + 1); param.push(NaN, NaN);
    const ringUv0 = uvs.length / 2;
    uvs.push(uc, vc);
    for (let ring = 0; ring < nr; ring++) {
      const phi = (Math.PI * (ring + 1)) / (nr + 1);
      for (let s = 0; s < ns; s++) {
        const az = (2 * Math.PI * s) / ns;
        pos.push(cx + eyeR * Math.sin(phi) * Math.cos(az), cy + eyeR * Math.sin(phi) * Math.sin(az), cz + eyeR * Math.cos(phi));
        part.push(k + 1); param.push(NaN, NaN);
        uvs.push(uc + rad * (phi / Math.PI) * Math.cos(az), vc + rad * (phi / Math.PI) * Math.sin(az));
      }
    }
    const backPole = pos.length / 3;
    pos.push(cx, cy, cz - eyeR); part.push(k + 1); param.push(NaN, NaN);
    const backUv0 = uvs.length / 2;
    for (let s = 0; s < ns; s++) {
      const az = (2 * Math.PI * (s + 0.5)) / ns;
      uvs.push(uc + rad * Math.cos(az), vc + rad * Math.sin(az));
    }
    const ringUv = (ring: number, s: number): number => ringUv0 + 1 + ring * ns + (s % ns);
    // Outward winding: seen from the front (+Z), azimuth increases counter-clockwise (x right, y up).
    for (let s = 0; s < ns; s++) {
      faces.push(base, ringVertex(0, s), ringVertex(0, s + 1));
      faceUv.push(ringUv0, ringUv(0, s), ringUv(0, s + 1));
    }
    for (let ring = 0; ring < nr - 1; ring++) {
      for (let s = 0; s < ns; s++) {
        const a = ringVertex(ring, s), b = ringVertex(ring, s + 1), d = ringVertex(ring + 1, s), e = ringVertex(ring + 1, s + 1);
        faces.push(a, d, b, b, d, e);
        faceUv.push(ringUv(ring, s), ringUv(ring + 1, s), ringUv(ring, s + 1), ringUv(ring, s + 1), ringUv(ring + 1, s), ringUv(ring + 1, s + 1));
      }
    }
    for (let s = 0; s < ns; s++) {
      faces.push(ringVertex(nr - 1, s), backPole, ringVertex(nr - 1, s + 1));
      faceUv.push(ringUv(nr - 1, s), backUv0 + s, ringUv(nr - 1, s + 1));
    }
  }
  const V = pos.length / 3;
  const gridRow = new Int32Array(V).fill(-1), gridCol = new Int32Array(V).fill(-1);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) { gridRow[g(r, c)] = r; gridCol[g(r, c)] = c; }
  for (let k = 0; k < slitLower.length; k++) { gridRow[slitLower[k]!] = mouthRow; gridCol[slitLower[k]!] = gridCol[slitUpper[k]!]!; }
  return {
    positions: Float64Array.from(pos), faces: Uint32Array.from(faces), uvs: Float32Array.from(uvs), faceUvs: Uint32Array.from(faceUv),
    param: Float64Array.from(param), part: Uint8Array.from(part), gridRow, gridCol, mouthRow,
    slitUpper: Uint32Array.from(slitUpper), slitLower: Uint32Array.from(slitLower),
    eyeRims: [Uint32Array.from(rims[0]), Uint32Array.from(rims[1])], eyeCenters, eyeRadius: eyeR, cols, rows,
  };
}
