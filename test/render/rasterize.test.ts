import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import {
  type Camera,
  createRasterBuffers,
  interpolateAttribute,
  interpolateCornerAttribute,
  intrinsics,
  lookAtRt,
  projectPoints,
  rasterize,
  type RasterBuffers,
  worldToCamera,
} from '../../src/render/index.js';

// ---------------------------------------------------------------------------------------------
// helpers

const IDENTITY_RT = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);

function cameraOf(width: number, height: number, focal: number, Rt: Float64Array = IDENTITY_RT): Camera {
  return { K: intrinsics(focal, width, height), Rt, width, height };
}

/** Rotation (row-major 3×3) from axis-angle. */
function rotation(ax: number, ay: number, az: number): number[] {
  const th = Math.hypot(ax, ay, az);
  if (th === 0) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const x = ax / th, y = ay / th, z = az / th, c = Math.cos(th), s = Math.sin(th), C = 1 - c;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ];
}

/**
 * World points whose projection through `camera` is (u, v) at camera depth z: camera point
 * ((u − cx)·z/f, (v − cy)·z/f, z), then X = Rᵀ(x − t).
 */
function unproject(camera: Camera, screen: number[], depths: number[]): Float64Array {
  const { K, Rt } = camera;
  const n = depths.length, out = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const z = depths[i]!;
    const yc = ((screen[2 * i + 1]! - K[5]!) * z) / K[4]!;
    const xc = ((screen[2 * i]! - K[2]! - K[1]! * yc / z) * z) / K[0]!;
    const dx = xc - Rt[3]!, dy = yc - Rt[7]!, dz = z - Rt[11]!;
    for (let k = 0; k < 3; k++) out[3 * i + k] = Rt[k]! * dx + Rt[4 + k]! * dy + Rt[8 + k]! * dz;
  }
  return out;
}

/** A random world → camera transform that keeps the camera frame at a random pose. */
function randomRt(rng: Rng): Float64Array {
  const R = rotation(rng.normal(0, 1), rng.normal(0, 1), rng.normal(0, 1));
  return new Float64Array([R[0]!, R[1]!, R[2]!, rng.normal(0, 0.3), R[3]!, R[4]!, R[5]!, rng.normal(0, 0.3), R[6]!, R[7]!, R[8]!, rng.normal(0, 0.3)]);
}

/**
 * Brute-force reference: every triangle tested at every pixel centre with directly evaluated edge
 * functions. Same rules as `rasterize` (see its header): vertices snapped to 1/256 px, top-left
 * fill rule on the positively oriented triangle, back faces = positive signed area in +Y-down
 * coordinates, triangles with a vertex at z <= near skipped, nearest 1/z wins and near-ties
 * (within 1e-12) go to the lower triangle id. Depth and barycentrics from the unsnapped projection.
 */
function reference(positions: Float64Array, faces: Uint32Array, camera: Camera, cull: boolean, near = 1e-3): RasterBuffers & { onEdge: number } {
  const { K, width: W, height: H } = camera;
  const V = positions.length / 3, F = faces.length / 3;
  const cam = worldToCamera(new Float64Array(3 * V), positions, camera.Rt);
  const u = new Float64Array(V), v = new Float64Array(V), su = new Float64Array(V), sv = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const x = cam[3 * i]!, y = cam[3 * i + 1]!, z = cam[3 * i + 2]!;
    u[i] = (K[0]! * x + K[1]! * y + K[2]! * z) / z;
    v[i] = (K[3]! * x + K[4]! * y + K[5]! * z) / z;
    su[i] = Math.round(u[i]! * 256) / 256;
    sv[i] = Math.round(v[i]! * 256) / 256;
  }
  const out = { ...createRasterBuffers(W, H), onEdge: 0 };
  const best = new Float64Array(W * H);
  const edge = (x0: number, y0: number, x1: number, y1: number, px: number, py: number): number => (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0);
  const topLeft = (x0: number, y0: number, x1: number, y1: number): boolean => y1 - y0 < 0 || (y1 - y0 === 0 && x1 - x0 > 0);
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const px = i + 0.5, py = j + 0.5, p = j * W + i;
      for (let f = 0; f < F; f++) {
        const c = [faces[3 * f]!, faces[3 * f + 1]!, faces[3 * f + 2]!];
        if (!c.every((k) => cam[3 * k + 2]! > near)) continue;
        const [a, b, d] = c as [number, number, number];
        const area = edge(su[a]!, sv[a]!, su[b]!, sv[b]!, su[d]!, sv[d]!);
        if (area === 0 || (cull && area > 0)) continue;
        const o = area > 0 ? [a, b, d] : [a, d, b];
        let inside = true, closed = true, zero = false;
        for (let k = 0; k < 3; k++) {
          const s = o[(k + 1) % 3]!, e = o[(k + 2) % 3]!;
          const E = edge(su[s]!, sv[s]!, su[e]!, sv[e]!, px, py);
          if (E === 0) zero = true;
          if (E < 0) closed = false;
          if (!(E > 0 || (E === 0 && topLeft(su[s]!, sv[s]!, su[e]!, sv[e]!)))) inside = false;
        }
        if (zero && closed) out.onEdge++; // centres on the triangle's boundary, drawn or not
        if (!inside) continue;
        // unsnapped screen barycentrics (snapped ones if the unsnapped triangle is flat or flipped)
        let X = u, Y = v;
        let ua = edge(u[a]!, v[a]!, u[b]!, v[b]!, u[d]!, v[d]!);
        if (!(ua * area > 0)) { X = su; Y = sv; ua = area; }
        const l = [edge(X[b]!, Y[b]!, X[d]!, Y[d]!, px, py) / ua, edge(X[d]!, Y[d]!, X[a]!, Y[a]!, px, py) / ua, edge(X[a]!, Y[a]!, X[b]!, Y[b]!, px, py) / ua];
        const w = [l[0]! / cam[3 * a + 2]!, l[1]! / cam[3 * b + 2]!, l[2]! / cam[3 * d + 2]!];
        const invz = w[0]! + w[1]! + w[2]!;
        if (invz > best[p]! * (1 + 1e-12)) {
          best[p] = invz;
          out.triangle[p] = f;
          out.depth[p] = 1 / invz;
          for (let k = 0; k < 3; k++) out.bary[3 * p + k] = w[k]! / invz;
        }
      }
    }
  }
  return out;
}

/** A triangle soup built in screen space (so edges and vertices can sit exactly on pixel centres). */
function randomSoup(rng: Rng, camera: Camera): { positions: Float64Array; faces: Uint32Array } {
  const { width: W, height: H } = camera;
  const screen: number[] = [], depth: number[] = [], faces: number[] = [];
  const vertex = (x: number, y: number, z: number): number => {
    screen.push(x, y);
    depth.push(z);
    return depth.length - 1;
  };
  const z = (): number => rng.uniform(0.5, 3);
  const onGrid = (lo: number, hi: number): number => Math.floor(rng.uniform(lo, hi)) + (rng.chance(0.5) ? 0.5 : 0);
  const tri = (a: number, b: number, c: number): void => {
    if (rng.chance(0.5)) faces.push(a, b, c);
    else faces.push(a, c, b); // random orientation: front and back faces
  };
  // large random triangles, intersecting each other, partly outside the image
  for (let n = 0; n < 6; n++) tri(vertex(rng.uniform(-10, W + 10), rng.uniform(-10, H + 10), z()), vertex(rng.uniform(-10, W + 10), rng.uniform(-10, H + 10), z()), vertex(rng.uniform(-10, W + 10), rng.uniform(-10, H + 10), z()));
  // small and sub-pixel triangles
  for (let n = 0; n < 12; n++) {
    const cx = rng.uniform(0, W), cy = rng.uniform(0, H), s = rng.uniform(0.1, 3), zz = z();
    tri(vertex(cx + s * rng.normal(), cy + s * rng.normal(), zz), vertex(cx + s * rng.normal(), cy + s * rng.normal(), zz * rng.uniform(0.9, 1.1)), vertex(cx + s * rng.normal(), cy + s * rng.normal(), zz));
  }
  // slivers: the third vertex a fraction of a pixel off the line through the other two
  for (let n = 0; n < 6; n++) {
    const x0 = rng.uniform(0, W), y0 = rng.uniform(0, H), x1 = rng.uniform(0, W), y1 = rng.uniform(0, H);
    const t = rng.uniform(0.2, 0.8), off = rng.uniform(0.01, 0.4), len = Math.hypot(x1 - x0, y1 - y0) || 1;
    tri(vertex(x0, y0, z()), vertex(x1, y1, z()), vertex(x0 + t * (x1 - x0) - (off * (y1 - y0)) / len, y0 + t * (y1 - y0) + (off * (x1 - x0)) / len, z()));
  }
  // quads on the half-pixel grid split along a shared diagonal (shared vertex indices)
  for (let n = 0; n < 5; n++) {
    const x0 = onGrid(0, W - 6), y0 = onGrid(0, H - 6), w = onGrid(2, 12), h = onGrid(2, 12);
    const a = vertex(x0, y0, z()), b = vertex(x0 + w, y0, z()), c = vertex(x0 + w, y0 + h, z()), d = vertex(x0, y0 + h, z());
    faces.push(a, c, b, a, d, c);
  }
  // the same, with duplicated (not shared) vertices along the diagonal
  for (let n = 0; n < 3; n++) {
    const x0 = onGrid(0, W - 6), y0 = onGrid(0, H - 6), w = onGrid(2, 12), h = onGrid(2, 12), z0 = z(), z2 = z();
    faces.push(vertex(x0, y0, z0), vertex(x0 + w, y0 + h, z2), vertex(x0 + w, y0, z()));
    faces.push(vertex(x0, y0, z0), vertex(x0, y0 + h, z()), vertex(x0 + w, y0 + h, z2));
  }
  // fans around a vertex on a pixel centre, spokes on the grid
  for (let n = 0; n < 3; n++) {
    const cx = Math.floor(rng.uniform(4, W - 4)) + 0.5, cy = Math.floor(rng.uniform(4, H - 4)) + 0.5, zz = z();
    const centre = vertex(cx, cy, zz);
    const spokes = [[3, 0], [2, 2], [0, 3], [-1, 1], [-3, 0], [-1, -3], [1, -2]].map(([dx, dy]) => vertex(cx + dx!, cy + dy!, zz * rng.uniform(0.8, 1.2)));
    for (let k = 0; k < spokes.length; k++) faces.push(centre, spokes[(k + 1) % spokes.length]!, spokes[k]!);
  }
  // an exact duplicate of an earlier triangle (tie: the lower id wins)
  faces.push(faces[0]!, faces[1]!, faces[2]!);
  return { positions: unproject(camera, screen, depth), faces: new Uint32Array(faces) };
}

/** Icosphere (radius 1, centred at the origin), counter-clockwise seen from outside. */
function icosphere(levels: number): { positions: Float64Array; faces: Uint32Array } {
  const t = (1 + Math.sqrt(5)) / 2;
  const verts: number[][] = [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]].map((p) => {
    const n = Math.hypot(p[0]!, p[1]!, p[2]!);
    return [p[0]! / n, p[1]! / n, p[2]! / n];
  });
  let faces: number[][] = [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]];
  for (let l = 0; l < levels; l++) {
    const cache = new Map<string, number>();
    const mid = (a: number, b: number): number => {
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      let m = cache.get(key);
      if (m === undefined) {
        const p = [0, 1, 2].map((k) => verts[a]![k]! + verts[b]![k]!);
        const n = Math.hypot(p[0]!, p[1]!, p[2]!);
        verts.push(p.map((x) => x / n));
        m = verts.length - 1;
        cache.set(key, m);
      }
      return m;
    };
    faces = faces.flatMap(([a, b, c]) => {
      const ab = mid(a!, b!), bc = mid(b!, c!), ca = mid(c!, a!);
      return [[a!, ab, ca], [b!, bc, ab], [c!, ca, bc], [ab, bc, ca]];
    });
  }
  const positions = new Float64Array(verts.flat());
  return { positions, faces: outward(positions, faces) };
}

/** A cube [-1, 1]³ with each side split into n×n quads (2 triangles each), with shared vertices. */
function cube(n: number): { positions: Float64Array; faces: Uint32Array } {
  const verts: number[] = [], faces: number[][] = [], index = new Map<string, number>();
  const vertex = (p: number[]): number => {
    const key = p.join(',');
    let i = index.get(key);
    if (i === undefined) { verts.push(...p); i = verts.length / 3 - 1; index.set(key, i); }
    return i;
  };
  for (let axis = 0; axis < 3; axis++) {
    for (const side of [-1, 1]) {
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          const at = (da: number, db: number): number => {
            const p = [0, 0, 0];
            p[axis] = side;
            p[(axis + 1) % 3] = -1 + (2 * (a + da)) / n;
            p[(axis + 2) % 3] = -1 + (2 * (b + db)) / n;
            return vertex(p);
          };
          faces.push([at(0, 0), at(1, 0), at(1, 1)], [at(0, 0), at(1, 1), at(0, 1)]);
        }
      }
    }
  }
  const positions = new Float64Array(verts);
  return { positions, faces: outward(positions, faces) };
}

/** Orders each face of a mesh around the origin counter-clockwise seen from outside. */
function outward(positions: Float64Array, faces: number[][]): Uint32Array {
  const out = new Uint32Array(faces.length * 3);
  faces.forEach(([a, b, c], f) => {
    const P = (i: number, k: number): number => positions[3 * i + k]!;
    const u = [0, 1, 2].map((k) => P(b!, k) - P(a!, k)), v = [0, 1, 2].map((k) => P(c!, k) - P(a!, k));
    const n = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
    const outwards = n[0]! * (P(a!, 0) + P(b!, 0) + P(c!, 0)) + n[1]! * (P(a!, 1) + P(b!, 1) + P(c!, 1)) + n[2]! * (P(a!, 2) + P(b!, 2) + P(c!, 2)) > 0;
    out.set(outwards ? [a!, b!, c!] : [a!, c!, b!], 3 * f);
  });
  return out;
}

/** How many times each pixel is covered when every face is rasterised on its own. */
function coverageCount(positions: Float64Array, faces: Uint32Array, camera: Camera, cull: boolean): Uint16Array {
  const count = new Uint16Array(camera.width * camera.height);
  const buffers = createRasterBuffers(camera.width, camera.height);
  for (let f = 0; f < faces.length / 3; f++) {
    rasterize(positions, faces.subarray(3 * f, 3 * f + 3), camera, { cullBackFaces: cull, out: buffers });
    for (let p = 0; p < count.length; p++) if (buffers.triangle[p]! >= 0) count[p]!++;
  }
  return count;
}

/** Where the ray through pixel centre (px, py) meets the plane of the camera-space triangle (A, B, C). */
function rayHit(K: Float64Array, A: number[], B: number[], C: number[], px: number, py: number): number[] {
  const dy = (py - K[5]!) / K[4]!;
  const d = [(px - K[2]! - K[1]! * dy) / K[0]!, dy, 1];
  const u = [0, 1, 2].map((k) => B[k]! - A[k]!), v = [0, 1, 2].map((k) => C[k]! - A[k]!);
  const n = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
  const t = (n[0]! * A[0]! + n[1]! * A[1]! + n[2]! * A[2]!) / (n[0]! * d[0]! + n[1]! * d[1]! + n[2]! * d[2]!);
  return d.map((x) => t * x);
}

function pixelsOf(raster: RasterBuffers, f: number): string[] {
  const out: string[] = [];
  for (let p = 0; p < raster.triangle.length; p++) if (raster.triangle[p] === f) out.push(`${p % raster.width},${Math.floor(p / raster.width)}`);
  return out.sort();
}

// ---------------------------------------------------------------------------------------------

describe('rasterize: hand-built coverage', () => {
  // identity pose, f = 100 px, principal point (4, 4) on an 8×8 image; vertices at z = 2 placed so
  // that they project to chosen pixel coordinates
  const camera = cameraOf(8, 8, 100);

  it('covers exactly the pixel centres inside a triangle, with the top-left rule on its edges', () => {
    // (1.5, 1.5), (5.5, 1.5), (1.5, 5.5): the top edge (y = 1.5) and left edge (x = 1.5) run through
    // pixel centres and count; the hypotenuse x + y = 7 runs through centres too and does not.
    // Counter-clockwise on screen = front face.
    const positions = unproject(camera, [1.5, 1.5, 1.5, 5.5, 5.5, 1.5], [2, 2, 2]);
    const raster = rasterize(positions, new Uint32Array([0, 1, 2]), camera, { cullBackFaces: true });
    const expected: string[] = [];
    for (let j = 1; j < 8; j++) for (let i = 1; i < 8; i++) if (i + j <= 5) expected.push(`${i},${j}`);
    expect(pixelsOf(raster, 0)).toEqual(expected.sort());
    expect(raster.triangle.filter((t) => t !== -1 && t !== 0).length).toBe(0);
  });

  it('draws a pixel centre on an edge shared by two triangles exactly once', () => {
    // square (1,1)-(7,7) split along the diagonal from (7,1) to (1,7), which runs through the centres
    // with i + j = 7; edges x = 1, y = 1, x = 7, y = 7 run between centres.
    const positions = unproject(camera, [1, 1, 7, 1, 7, 7, 1, 7], [2, 2, 2, 2]);
    const faces = new Uint32Array([0, 3, 1, 1, 3, 2]);
    const raster = rasterize(positions, faces, camera, { cullBackFaces: true });
    const upper: string[] = [], lower: string[] = [];
    for (let j = 1; j <= 6; j++) for (let i = 1; i <= 6; i++) (i + j <= 6 ? upper : lower).push(`${i},${j}`);
    expect(pixelsOf(raster, 0)).toEqual(upper.sort());
    expect(pixelsOf(raster, 1)).toEqual(lower.sort());
    const count = coverageCount(positions, faces, camera, true);
    for (let p = 0; p < 64; p++) {
      const i = p % 8, j = Math.floor(p / 8);
      expect(count[p]).toBe(i >= 1 && i <= 6 && j >= 1 && j <= 6 ? 1 : 0);
    }
  });

  it('culls triangles that are clockwise on screen (seen from behind)', () => {
    // a triangle counter-clockwise seen from the camera side (its normal points at the camera)
    const cam = { ...cameraOf(16, 16, 20), Rt: lookAtRt([0, 0, 2], [0, 0, 0], [0, 1, 0]) };
    const positions = new Float64Array([-0.5, -0.5, 0, 0.5, -0.5, 0, 0, 0.5, 0]);
    const front = new Uint32Array([0, 1, 2]), back = new Uint32Array([0, 2, 1]);
    const drawn = rasterize(positions, front, cam, { cullBackFaces: true }).triangle.filter((t) => t === 0).length;
    expect(drawn).toBeGreaterThan(20);
    expect(rasterize(positions, back, cam, { cullBackFaces: true }).triangle.every((t) => t === -1)).toBe(true);
    expect(rasterize(positions, back, cam, { cullBackFaces: false }).triangle.filter((t) => t === 0).length).toBe(drawn);
  });

  it('keeps the lower triangle id when two triangles have equal depth', () => {
    const positions = unproject(camera, [0, 0, 0, 8, 8, 0], [1.5, 1.5, 1.5]);
    const raster = rasterize(positions, new Uint32Array([0, 1, 2, 0, 1, 2, 0, 1, 2]), camera);
    expect(raster.triangle.filter((t) => t >= 0).length).toBeGreaterThan(20);
    expect(raster.triangle.every((t) => t === -1 || t === 0)).toBe(true);
  });
});

describe('rasterize: projection convention', () => {
  it('covers the pixel a projected point lands in, and interpolates back to the pixel centre (seed raster-proj-1)', () => {
    const rng = new Rng('raster-proj-1');
    for (let trial = 0; trial < 50; trial++) {
      const W = 64 + rng.int(64), H = 48 + rng.int(64);
      const eye = [rng.normal(0, 1), rng.normal(0, 1), rng.normal(0, 1)];
      const camera: Camera = { K: intrinsics(rng.uniform(50, 200), W, H), Rt: lookAtRt(eye, [0, 0, 0], [0, 1, 0]), width: W, height: H };
      // a world point somewhere in the image, and a small triangle around it facing the camera
      const q = unproject(camera, [rng.uniform(3, W - 3), rng.uniform(3, H - 3)], [rng.uniform(0.5, 3)]);
      const uv = projectPoints(new Float64Array(2), q, camera);
      const i = Math.floor(uv[0]!), j = Math.floor(uv[1]!);
      const z = worldToCamera(new Float64Array(3), q, camera.Rt)[2]!;
      const corners = unproject(camera, [uv[0]! - 3, uv[1]! - 3, uv[0]! + 3, uv[1]! - 2, uv[0]!, uv[1]! + 3], [z * 0.9, z * 1.1, z]);
      const raster = rasterize(corners, new Uint32Array([0, 1, 2]), camera);
      const p = j * W + i;
      expect(raster.triangle[p]).toBe(0);
      // the surface point at that pixel projects onto the pixel centre (i + 0.5, j + 0.5)
      const hit = new Float64Array(3);
      for (let k = 0; k < 3; k++) for (let c = 0; c < 3; c++) hit[c] += raster.bary[3 * p + k]! * corners[3 * k + c]!;
      const back = projectPoints(new Float64Array(2), hit, camera);
      expect(Math.abs(back[0]! - (i + 0.5))).toBeLessThan(1e-5);
      expect(Math.abs(back[1]! - (j + 0.5))).toBeLessThan(1e-5);
    }
  });
});

describe('rasterize: brute-force reference', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    for (const cull of [false, true]) {
      it(`matches a per-pixel edge-function loop on a random triangle soup (seed raster-soup-${seed}, cull ${cull})`, () => {
        const rng = new Rng(`raster-soup-${seed}`);
        const W = 40 + rng.int(24), H = 32 + rng.int(24);
        const camera = cameraOf(W, H, rng.uniform(30, 120), seed % 2 === 0 ? randomRt(rng) : IDENTITY_RT);
        const { positions, faces } = randomSoup(rng, camera);
        const fast = rasterize(positions, faces, camera, { cullBackFaces: cull });
        const slow = reference(positions, faces, camera, cull);
        let covered = 0;
        for (let p = 0; p < W * H; p++) {
          if (fast.triangle[p] !== slow.triangle[p]) expect(`pixel ${p}: ${fast.triangle[p]}`).toBe(`pixel ${p}: ${slow.triangle[p]}`);
          if (slow.triangle[p]! < 0) {
            expect(fast.depth[p]).toBe(Infinity);
            continue;
          }
          covered++;
          expect(Math.abs(fast.depth[p]! - slow.depth[p]!)).toBeLessThan(1e-5);
          for (let k = 0; k < 3; k++) expect(Math.abs(fast.bary[3 * p + k]! - slow.bary[3 * p + k]!)).toBeLessThan(1e-5);
        }
        expect(covered).toBeGreaterThan(W * H * 0.1);
        expect(slow.onEdge).toBeGreaterThan(20); // the fill rule was exercised
        expect(fast.bary.every(Number.isFinite)).toBe(true);
      });
    }
  }
});

describe('rasterize: closed meshes', () => {
  it('tiles a planar grid with vertices on pixel centres: every centre inside drawn exactly once', () => {
    // a 12×10 grid of 2-px cells from (4.5, 3.5) to (28.5, 23.5), diagonals alternating, at z = 1..1.4
    const camera = cameraOf(34, 28, 60);
    const screen: number[] = [], depth: number[] = [], faces: number[] = [];
    for (let b = 0; b <= 10; b++) for (let a = 0; a <= 12; a++) { screen.push(4.5 + 2 * a, 3.5 + 2 * b); depth.push(1 + 0.04 * b); }
    const at = (a: number, b: number): number => b * 13 + a;
    for (let b = 0; b < 10; b++) {
      for (let a = 0; a < 12; a++) {
        // counter-clockwise on screen (front faces)
        if ((a + b) % 2 === 0) faces.push(at(a, b), at(a, b + 1), at(a + 1, b + 1), at(a, b), at(a + 1, b + 1), at(a + 1, b));
        else faces.push(at(a, b), at(a, b + 1), at(a + 1, b), at(a + 1, b), at(a, b + 1), at(a + 1, b + 1));
      }
    }
    const positions = unproject(camera, screen, depth);
    const F = new Uint32Array(faces);
    const count = coverageCount(positions, F, camera, true);
    const raster = rasterize(positions, F, camera, { cullBackFaces: true });
    for (let j = 0; j < 28; j++) {
      for (let i = 0; i < 34; i++) {
        // inside: 4.5 <= x < 28.5 and 3.5 <= y < 23.5 (left and top borders count, right and bottom do not)
        const inside = i + 0.5 >= 4.5 && i + 0.5 < 28.5 && j + 0.5 >= 3.5 && j + 0.5 < 23.5;
        expect(count[j * 34 + i]).toBe(inside ? 1 : 0);
        expect(raster.triangle[j * 34 + i]! >= 0).toBe(inside);
      }
    }
  });

  for (const [name, mesh] of [['icosphere', icosphere(3)], ['cube', cube(5)]] as const) {
    it(`has no gaps and no double coverage on a ${name} seen from random poses (seed raster-closed-${name})`, () => {
      const rng = new Rng(`raster-closed-${name}`);
      for (let trial = 0; trial < 6; trial++) {
        const W = 72, H = 64;
        const dir = rng.unitVector();
        const dist = rng.uniform(2.5, 5);
        const eye = dir.map((x) => x * dist);
        const camera: Camera = { K: intrinsics(rng.uniform(60, 110), W, H), Rt: lookAtRt(eye, [rng.normal(0, 0.2), rng.normal(0, 0.2), 0], rng.unitVector()), width: W, height: H };
        const count = coverageCount(mesh.positions, mesh.faces, camera, true);
        const raster = rasterize(mesh.positions, mesh.faces, camera, { cullBackFaces: true });
        // the silhouette of a convex mesh is the convex hull of its projected vertices
        const uv = projectPoints(new Float64Array((mesh.positions.length / 3) * 2), mesh.positions, camera);
        const hull = convexHull(uv);
        let inside = 0;
        for (let p = 0; p < W * H; p++) {
          const d = hullDistance(hull, (p % W) + 0.5, Math.floor(p / W) + 0.5);
          expect(count[p]).toBeLessThanOrEqual(1);
          expect(raster.triangle[p]! >= 0).toBe(count[p] === 1);
          if (d > 0.01) { expect(count[p]).toBe(1); inside++; }
          if (d < -0.01) expect(count[p]).toBe(0);
        }
        expect(inside).toBeGreaterThan(200);
      }
    });
  }
});

/** Convex hull (counter-clockwise in +Y-up terms = clockwise on screen) of 2D points [N*2]. */
function convexHull(xy: Float64Array): number[][] {
  const pts: number[][] = [];
  for (let i = 0; i < xy.length; i += 2) pts.push([xy[i]!, xy[i + 1]!]);
  pts.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  const cross = (o: number[], a: number[], b: number[]): number => (a[0]! - o[0]!) * (b[1]! - o[1]!) - (a[1]! - o[1]!) * (b[0]! - o[0]!);
  const lower: number[][] = [], upper: number[][] = [];
  for (const p of pts) { while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop(); lower.push(p); }
  for (const p of pts.reverse()) { while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop(); upper.push(p); }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Signed distance from a point to the hull boundary: positive inside. */
function hullDistance(hull: number[][], x: number, y: number): number {
  let d = Infinity;
  for (let k = 0; k < hull.length; k++) {
    const a = hull[k]!, b = hull[(k + 1) % hull.length]!;
    const len = Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!);
    d = Math.min(d, ((b[0]! - a[0]!) * (y - a[1]!) - (b[1]! - a[1]!) * (x - a[0]!)) / len);
  }
  return d;
}

describe('rasterize: perspective-correct depth and barycentrics', () => {
  it('interpolates camera-space positions to the ray hit of every pixel centre to 1e-6 m (seed raster-persp-1)', () => {
    const rng = new Rng('raster-persp-1');
    const W = 96, H = 80;
    const camera = cameraOf(W, H, 90, randomRt(rng));
    // steeply slanted triangles: depths from 0.3 to 4 m across one triangle
    const screen: number[] = [], depth: number[] = [];
    for (let n = 0; n < 10; n++) for (let k = 0; k < 3; k++) { screen.push(rng.uniform(-20, W + 20), rng.uniform(-20, H + 20)); depth.push(rng.uniform(0.3, 4)); }
    const positions = unproject(camera, screen, depth);
    const faces = new Uint32Array(Array.from({ length: 30 }, (_, i) => i));
    const raster = rasterize(positions, faces, camera);
    const cam = worldToCamera(new Float64Array(positions.length), positions, camera.Rt);
    const interp = interpolateAttribute(new Float32Array(W * H * 3), raster, cam, faces, 3);
    let checked = 0, maxErr = 0, maxAffineErr = 0;
    for (let p = 0; p < W * H; p++) {
      const t = raster.triangle[p]!;
      if (t < 0) continue;
      const P = [0, 1, 2].map((k) => [0, 1, 2].map((c) => cam[3 * faces[3 * t + k]! + c]!));
      const hit = rayHit(camera.K, P[0]!, P[1]!, P[2]!, (p % W) + 0.5, Math.floor(p / W) + 0.5);
      // in float64 from the stored barycentrics
      const b = [raster.bary[3 * p]!, raster.bary[3 * p + 1]!, raster.bary[3 * p + 2]!];
      for (let c = 0; c < 3; c++) {
        const x = b[0]! * P[0]![c]! + b[1]! * P[1]![c]! + b[2]! * P[2]![c]!;
        maxErr = Math.max(maxErr, Math.abs(x - hit[c]!));
        // through interpolateAttribute (Float32 storage): float32 precision
        expect(Math.abs(interp[3 * p + c]! - hit[c]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(hit[c]!)) * 4);
      }
      expect(Math.abs(raster.depth[p]! - hit[2]!)).toBeLessThan(1e-6 * hit[2]!);
      // screen-affine (non-perspective) interpolation would be visibly wrong here
      const l = b.map((bk, k) => bk * P[k]![2]!); // screen-space barycentrics, up to scale
      const s = l[0]! + l[1]! + l[2]!;
      maxAffineErr = Math.max(maxAffineErr, Math.abs(((l[0]! / s) * P[0]![2]! + (l[1]! / s) * P[1]![2]! + (l[2]! / s) * P[2]![2]!) - hit[2]!));
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
    expect(maxErr).toBeLessThan(1e-6);
    expect(maxAffineErr).toBeGreaterThan(1e-3);
  });
});

describe('rasterize: determinism, buffers, bad input', () => {
  it('gives byte-identical buffers for the same input, also when reusing dirty buffers (seed raster-det-1)', () => {
    const rng = new Rng('raster-det-1');
    const camera = cameraOf(64, 48, 70, randomRt(rng));
    const a = randomSoup(rng, camera), b = randomSoup(rng, camera);
    const first = rasterize(a.positions, a.faces, camera, { cullBackFaces: true });
    const reused = rasterize(b.positions, b.faces, camera);
    rasterize(a.positions, a.faces, camera, { cullBackFaces: true, out: reused });
    const fresh = rasterize(a.positions, a.faces, camera, { cullBackFaces: true });
    for (const r of [reused, fresh]) {
      expect(Buffer.from(r.triangle.buffer).equals(Buffer.from(first.triangle.buffer))).toBe(true);
      expect(Buffer.from(r.bary.buffer).equals(Buffer.from(first.bary.buffer))).toBe(true);
      expect(Buffer.from(r.depth.buffer).equals(Buffer.from(first.depth.buffer))).toBe(true);
    }
  });

  it('skips triangles that reach the near plane or hold non-finite vertices, and never writes NaN', () => {
    const camera = cameraOf(32, 32, 30);
    const positions = new Float64Array([
      -1, -1, 1, 1, -1, 1, 0, 1, 1, // 0: in front
      -1, -1, 1, 1, -1, -1, 0, 1, 1, // 1: one vertex behind the camera
      -1, -1, 0.0005, 1, -1, 1, 0, 1, 1, // 2: one vertex closer than near = 1e-3
      -1, -1, 1, NaN, -1, 1, 0, 1, 1, // 3: NaN
      -1, -1, 1, Infinity, -1, 1, 0, 1, 1, // 4: infinite
    ]);
    const faces = new Uint32Array(Array.from({ length: 15 }, (_, i) => i));
    const raster = rasterize(positions, faces, camera);
    const ids = new Set(raster.triangle);
    expect([...ids].sort()).toEqual([-1, 0]);
    expect(raster.bary.every(Number.isFinite)).toBe(true);
    expect(raster.depth.every((d) => d === Infinity || (d > 0 && Number.isFinite(d)))).toBe(true);
    // with near = 1e-4 the triangle at z = 0.0005 is drawn
    expect(rasterize(positions, faces, camera, { near: 1e-4 }).triangle.includes(2)).toBe(true);
  });

  it('rejects out-of-range faces and mismatched buffers with messages that say what is wrong', () => {
    const camera = cameraOf(8, 8, 10);
    const positions = new Float64Array(9);
    expect(() => rasterize(positions, new Uint32Array([0, 1, 3]), camera)).toThrow(/face 0 corner 2 refers to vertex 3, but there are 3 vertices/);
    expect(() => rasterize(positions, new Uint32Array([0, 1]), camera)).toThrow(/faces length 2/);
    expect(() => rasterize(positions, new Uint32Array([0, 1, 2]), camera, { out: createRasterBuffers(8, 4) })).toThrow(/8×4.*8×8/);
    expect(() => rasterize(positions, new Uint32Array([0, 1, 2]), { ...camera, width: 0 })).toThrow(/image size/);
  });
});

describe('interpolate', () => {
  it('carries per-corner attributes through their own index, keeping each side of a seam (seed raster-seam-1)', () => {
    // two triangles sharing an edge (shared vertices) but with their own UV corners: the UV on each
    // side is an affine function of the surface point with a different offset, so the interpolated
    // UV at a pixel must equal that function at the ray hit of that pixel's triangle
    const rng = new Rng('raster-seam-1');
    const W = 48, H = 40;
    const camera = cameraOf(W, H, 50, randomRt(rng));
    const positions = unproject(camera, [4, 4, 44, 6, 40, 36, 6, 30], [1, 2.5, 1.5, 0.8]);
    const faces = new Uint32Array([0, 3, 1, 1, 3, 2]);
    const cam = worldToCamera(new Float64Array(12), positions, camera.Rt);
    const M = [rng.normal(), rng.normal(), rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    const offsets = [[0.1, 0.2], [0.6, 0.7]];
    const uvOf = (P: ArrayLike<number>, o: number[]): number[] => [M[0]! * P[0]! + M[1]! * P[1]! + M[2]! * P[2]! + o[0]!, M[3]! * P[0]! + M[4]! * P[1]! + M[5]! * P[2]! + o[1]!];
    const uvs: number[] = [], ft: number[] = [];
    for (let f = 0; f < 2; f++) {
      for (let k = 0; k < 3; k++) {
        const v = faces[3 * f + k]!;
        uvs.push(...uvOf(cam.subarray(3 * v, 3 * v + 3), offsets[f]!));
        ft.push(3 * f + k);
      }
    }
    const raster = rasterize(positions, faces, camera);
    const out = new Float32Array(W * H * 2).fill(7);
    interpolateCornerAttribute(out, raster, new Float32Array(uvs), new Uint32Array(ft), 2);
    const seen = [0, 0];
    for (let p = 0; p < W * H; p++) {
      const t = raster.triangle[p]!;
      if (t < 0) {
        expect([out[2 * p], out[2 * p + 1]]).toEqual([0, 0]);
        continue;
      }
      seen[t]!++;
      const P = [0, 1, 2].map((k) => Array.from(cam.subarray(3 * faces[3 * t + k]!, 3 * faces[3 * t + k]! + 3)));
      const hit = rayHit(camera.K, P[0]!, P[1]!, P[2]!, (p % W) + 0.5, Math.floor(p / W) + 0.5);
      const expected = uvOf(hit, offsets[t]!);
      expect(Math.abs(out[2 * p]! - expected[0]!)).toBeLessThan(2e-5);
      expect(Math.abs(out[2 * p + 1]! - expected[1]!)).toBeLessThan(2e-5);
    }
    expect(Math.min(...seen)).toBeGreaterThan(100);
  });

  it('interpolates per-vertex attributes with the barycentrics and zeroes the background', () => {
    const camera = cameraOf(16, 16, 20);
    const positions = unproject(camera, [2, 2, 2, 14, 14, 2], [1, 1, 2]);
    const faces = new Uint32Array([0, 1, 2]);
    const raster = rasterize(positions, faces, camera);
    const attr = new Float64Array([10, -1, 20, -2, 40, -4]);
    const out = interpolateAttribute(new Float32Array(16 * 16 * 2).fill(3), raster, attr, faces, 2);
    for (let p = 0; p < 256; p++) {
      const b = [raster.bary[3 * p]!, raster.bary[3 * p + 1]!, raster.bary[3 * p + 2]!];
      if (raster.triangle[p] === 0) {
        expect(out[2 * p]).toBeCloseTo(10 * b[0]! + 20 * b[1]! + 40 * b[2]!, 4);
        expect(out[2 * p + 1]).toBeCloseTo(-(b[0]! + 2 * b[1]! + 4 * b[2]!), 5);
      } else {
        expect(out[2 * p]).toBe(0);
        expect(out[2 * p + 1]).toBe(0);
      }
    }
    expect(() => interpolateAttribute(new Float32Array(5), raster, attr, faces, 2)).toThrow(/expected 16×16×2 = 512/);
    expect(() => interpolateAttribute(new Float32Array(512), raster, attr, new Uint32Array([0, 1, 3]), 2)).toThrow(/refers to attribute 3, but there are 3/);
  });
});
