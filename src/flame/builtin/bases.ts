/**
 * Shape (identity) and expression components of the built-in model.
 *
 * Each basis starts from a list of displacement fields over the mean head: first named,
 * anatomically meaningful ones (head width, nose size, jaw open, smile, blink, ...), then smooth
 * random fields (sums of Gaussian bumps on the surface, mostly mirror-symmetric; for expressions
 * confined to the face). The fields are orthonormalised in order (modified Gram–Schmidt, twice)
 * and each keeps its own size, like FLAME's PCA bases: column l is σ_l·u_l with u orthonormal in
 * R^{3V} and σ_l the field's norm, so coefficients ~ N(0, 1) give plausible faces.
 * Eyeballs move rigidly with their socket for identity fields and stay still for expressions.
 */
import { Rng } from '../../util/rng.js';
import { orthonormalizeRows } from '../../kernels/linalg.js';
import { ANCHORS, MEAN_FEATURES, type FeatureScales } from './features.js';
import { headPoint, type HeadMesh } from './head-mesh.js';
import { ellipseRadius, gauss, lowerFaceField, smoothstep, yawOf } from './masks.js';

/** A displacement field: writes the displacement of every vertex into out [V*3]. */
type Field = (out: Float64Array) => void;

interface Context {
  mesh: HeadMesh;
  V: number;
  P: Float64Array;
  skin: number[]; // skin vertex ids
  /** lower-face field without fades (lip sidedness: 1 lower lip, 0 upper lip). */
  lower: Float64Array;
  /** 1 on the face, fading to 0 at the sides. */
  front: Float64Array;
  /** Mean length of the edges at each vertex (metres): random bumps are never narrower than the mesh. */
  edgeLength: Float64Array;
}

function context(mesh: HeadMesh): Context {
  const V = mesh.positions.length / 3;
  const skin: number[] = [];
  for (let i = 0; i < V; i++) if (mesh.part[i] === 0) skin.push(i);
  const front = new Float64Array(V);
  for (const i of skin) front[i] = smoothstep(0.03, 0.07, mesh.positions[3 * i + 2]!);
  const edgeLength = new Float64Array(V), count = new Float64Array(V);
  const F = mesh.faces, P = mesh.positions;
  for (let f = 0; f < F.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = F[f + k]!, b = F[f + ((k + 1) % 3)]!;
      const l = Math.hypot(P[3 * a]! - P[3 * b]!, P[3 * a + 1]! - P[3 * b + 1]!, P[3 * a + 2]! - P[3 * b + 2]!);
      edgeLength[a]! += l; edgeLength[b]! += l; count[a]!++; count[b]!++;
    }
  }
  for (let i = 0; i < V; i++) edgeLength[i]! /= Math.max(1, count[i]!);
  return { mesh, V, P, skin, lower: lowerFaceField(mesh, false), front, edgeLength };
}

/** Per-vertex field from a function of position (skin only). */
function perVertex(ctx: Context, f: (x: number, y: number, z: number, i: number, out: number[]) => void): Field {
  return (out) => {
    const d = [0, 0, 0];
    for (const i of ctx.skin) {
      d[0] = d[1] = d[2] = 0;
      f(ctx.P[3 * i]!, ctx.P[3 * i + 1]!, ctx.P[3 * i + 2]!, i, d);
      out[3 * i] = d[0]!; out[3 * i + 1] = d[1]!; out[3 * i + 2] = d[2]!;
    }
  };
}

/** Moves each eyeball rigidly by the field's mean displacement over the skin around its socket. */
function eyeballsFollow(ctx: Context, out: Float64Array): void {
  const { mesh, V, P } = ctx;
  for (const k of [0, 1]) {
    const cx = mesh.eyeCenters[3 * k]!, cy = mesh.eyeCenters[3 * k + 1]!, cz = mesh.eyeCenters[3 * k + 2]!;
    let sx = 0, sy = 0, sz = 0, sw = 0;
    for (const i of ctx.skin) {
      const d = Math.hypot(P[3 * i]! - cx, P[3 * i + 1]! - cy, P[3 * i + 2]! - cz);
      if (d > 0.03) continue;
      const w = gauss(d, 0.012);
      sx += w * out[3 * i]!; sy += w * out[3 * i + 1]!; sz += w * out[3 * i + 2]!; sw += w;
    }
    for (let i = 0; i < V; i++) {
      if (mesh.part[i] !== k + 1) continue;
      out[3 * i] = sx / sw; out[3 * i + 1] = sy / sw; out[3 * i + 2] = sz / sw;
    }
  }
}

/** The displacement of the features when one feature scale changes by +1. */
function featureField(ctx: Context, change: Partial<FeatureScales>): Field {
  const scales = { ...MEAN_FEATURES, ...change };
  const a = new Float64Array(3), b = new Float64Array(3);
  return (out) => {
    for (const i of ctx.skin) {
      const th = ctx.mesh.param[2 * i]!, t = ctx.mesh.param[2 * i + 1]!;
      headPoint(a, th, t, scales);
      headPoint(b, th, t);
      for (let k = 0; k < 3; k++) out[3 * i + k] = a[k]! - b[k]!;
    }
  };
}

/** Smooth random field: a few Gaussian bumps centred on random vertices of `centres`. */
function randomField(ctx: Context, rng: Rng, centres: number[], sigma: [number, number], bumps: number, symmetric: boolean, mask?: Float64Array): Field {
  const items: Array<{ c: [number, number, number]; s: number; a: [number, number, number] }> = [];
  for (let q = 0; q < bumps; q++) {
    const i = rng.pick(centres);
    const c: [number, number, number] = [ctx.P[3 * i]!, ctx.P[3 * i + 1]!, ctx.P[3 * i + 2]!];
    const s = Math.max(rng.uniform(sigma[0], sigma[1]), 2 * ctx.edgeLength[i]!);
    const a: [number, number, number] = [rng.normal(), rng.normal(), rng.normal()];
    items.push({ c, s, a });
    if (symmetric) items.push({ c: [-c[0], c[1], c[2]], s, a: [-a[0], a[1], a[2]] });
  }
  return perVertex(ctx, (x, y, z, i, d) => {
    const m = mask ? mask[i]! : 1;
    if (m === 0) return;
    for (const it of items) {
      const r2 = (x - it.c[0]) ** 2 + (y - it.c[1]) ** 2 + (z - it.c[2]) ** 2;
      if (r2 > 9 * it.s * it.s) continue;
      const w = m * Math.exp((-0.5 * r2) / (it.s * it.s));
      d[0]! += w * it.a[0]; d[1]! += w * it.a[1]; d[2]! += w * it.a[2];
    }
  });
}

// ---------------------------------------------------------------------------------------------

function shapeFields(ctx: Context): Field[] {
  const A = ANCHORS;
  const lowerFace = (y: number): number => 1 - smoothstep(-0.06, 0.0, y);
  const face = ctx.front;
  // Standard deviations: coefficient 1 is one standard deviation of that trait.
  const fields: Field[] = [
    perVertex(ctx, (x, y, z, _i, d) => { d[0] = 0.04 * x; d[1] = 0.04 * y; d[2] = 0.04 * z; }), // overall size ±4 %
    perVertex(ctx, (x, _y, _z, _i, d) => { d[0] = 0.04 * x; }), // width ±4 %
    perVertex(ctx, (_x, y, z, _i, d) => { d[2] = 0.04 * z * (1 - smoothstep(-0.12, -0.09, y)); }), // depth ±4 %
    perVertex(ctx, (_x, y, _z, _i, d) => { d[1] = 0.06 * Math.max(0, y - 0.03); }), // cranium height
    perVertex(ctx, (_x, y, _z, i, d) => { d[1] = 0.05 * Math.min(0, y - 0.04) * face[i]! * (1 - smoothstep(-0.13, -0.105, y)); }), // face length ±5 %
    perVertex(ctx, (x, y, _z, _i, d) => { d[0] = 0.06 * x * lowerFace(y) * (1 - smoothstep(-0.14, -0.11, y)); }), // jaw width ±6 %
    featureField(ctx, { nose: 1.2 }), // nose size ±20 %
    featureField(ctx, { noseWidth: 1.15 }),
    perVertex(ctx, (x, y, _z, i, d) => { // nose length: tip down and forward
      const w = face[i]! * gauss(x, 0.012);
      d[2] = 0.0025 * w * gauss(y, 0.02); d[1] = -0.002 * w * gauss(y + 0.012, 0.01);
    }),
    featureField(ctx, { chin: 1.3 }),
    featureField(ctx, { upperLip: 1.25, lowerLip: 1.25 }),
    featureField(ctx, { eyeSocket: 1.3 }),
    featureField(ctx, { brow: 1.4 }),
    featureField(ctx, { cheek: 1.4 }),
    featureField(ctx, { ear: 1.25 }),
    perVertex(ctx, (x, y, _z, i, d) => { // eye spacing ±2 mm
      d[0] = 0.002 * Math.sign(x) * face[i]! * gauss(Math.abs(x) - A.eyeCenter[0], 0.014) * gauss(y - A.eyeCenter[1], 0.012);
    }),
    perVertex(ctx, (_x, y, z, i, d) => { d[2] = z > 0 ? 0.004 * face[i]! * gauss(y - 0.065, 0.02) : 0; }), // forehead slope
    perVertex(ctx, (x, y, z, i, d) => { // neck thickness ±6 %
      const n = 0.06 * smoothstep(-0.11, -0.14, y) * (ctx.mesh.param[2 * i + 1]! > 12 ? 1 : 0);
      d[0] = x * n; d[2] = z * n;
    }),
    perVertex(ctx, (x, y, _z, i, d) => { d[0] = 0.0015 * face[i]! * gauss(x, 0.02) * gauss(y + 0.01, 0.03); }), // nose/face asymmetry
    perVertex(ctx, (x, y, _z, i, d) => { d[1] = 0.0012 * face[i]! * Math.sign(x) * gauss(Math.abs(x) - A.eyeCenter[0], 0.015) * gauss(y - A.eyeCenter[1], 0.015); }), // eye height asymmetry
  ];
  const rng = new Rng('builtin-shape');
  const skin = ctx.skin;
  const faceVerts = skin.filter((i) => face[i]! > 0.5);
  const named = fields.length;
  for (let l = named; l < 300; l++) {
    const local = l > 60;
    const sig: [number, number] = local ? [0.013, 0.03] : [0.025, 0.07];
    const field = randomField(ctx, rng, rng.chance(0.7) ? faceVerts : skin, sig, local ? 3 : 4, rng.chance(0.75));
    fields.push(withPeak(field, (local ? 0.0012 : 0.002) * ((l + 1) / (named + 1)) ** -1.1));
  }
  return fields;
}

/** Scales a field so that its largest per-vertex displacement is `peak` metres. */
function withPeak(field: Field, peak: number): Field {
  return (out) => {
    field(out);
    let m = 0;
    for (let i = 0; i < out.length; i += 3) m = Math.max(m, Math.hypot(out[i]!, out[i + 1]!, out[i + 2]!));
    if (m > 0) for (let r = 0; r < out.length; r++) out[r]! *= peak / m;
  };
}

function expressionFields(ctx: Context): Field[] {
  const A = ANCHORS;
  const { P, lower, front } = ctx;
  const [ex, ey] = A.eyeCenter;
  const mouthDist = (x: number, y: number): number => ellipseRadius(x, y, 0, A.mouthY, 0.03, 0.016);
  const corner = (x: number, y: number, s: number): number => gauss(Math.abs(x) - A.mouthHalfWidth, s) * gauss(y - A.mouthY, s);
  const lipsMask = (x: number, y: number): number => 1 - smoothstep(0.8, 1.4, mouthDist(x, y));
  const jawPivot = [0, -0.006, 0.0];
  const jawMask = lowerFaceField(ctx.mesh, true);
  const lid = (x: number, y: number, side: number, upper: boolean): number => {
    // skin of one eyelid: above (upper) or below the opening, fading with distance from it
    const u = (x - side * ex) / A.eyeHalfWidth;
    if (Math.abs(u) > 1.6) return 0;
    const dy = y - ey;
    const sideOfEye = upper ? smoothstep(-0.0025, 0.0025, dy) : 1 - smoothstep(-0.0025, 0.0025, dy);
    if (sideOfEye === 0) return 0;
    const r = Math.hypot(u, dy / A.eyeHalfHeight);
    return sideOfEye * (1 - smoothstep(1.0, 2.1, r)) * (1 - smoothstep(0.8, 1.6, Math.abs(u)));
  };
  // blink: coefficient 1 closes the eye
  const blink = (side: number): Field => perVertex(ctx, (x, y, _z, i, d) => {
    const w = front[i]! * lid(x, y, side, true);
    if (w === 0) { d[1] = 0.0012 * front[i]! * lid(x, y, side, false); return; }
    const u = (x - side * ex) / A.eyeHalfWidth;
    const open = Math.sqrt(Math.max(0, 1 - u * u)) * A.eyeHalfHeight * 1.9; // lid travel to close the eye
    d[1] = -w * open;
    d[2] = w * 0.0022 * Math.sqrt(Math.max(0, 1 - u * u)); // over the bulge of the eyeball
  });
  const squint = (side: number): Field => perVertex(ctx, (x, y, _z, i, d) => {
    d[1] = front[i]! * (0.002 * lid(x, y, side, false) + 0.0015 * gauss(Math.abs(x) - ex, 0.012) * gauss(y - (ey - 0.015), 0.01) * (Math.sign(x) === side ? 1 : 0));
  });
  // Coefficient 1 is a clearly visible, moderate expression (about one standard deviation).
  const fields: Field[] = [
    // 0 mouth open: the lower face turns 0.12 rad about the jaw axis
    perVertex(ctx, (_x, y, z, i, d) => { const w = 0.12 * jawMask[i]!; d[1] = -w * (z - jawPivot[2]!); d[2] = w * (y - jawPivot[1]!); }),
    // 1 smile: corners out 3 mm, up 4 mm, back 2 mm; cheeks rise 2 mm
    perVertex(ctx, (x, y, _z, i, d) => {
      const c = front[i]! * corner(x, y, 0.012), ch = front[i]! * gauss(Math.abs(x) - 0.038, 0.013) * gauss(y + 0.015, 0.013);
      d[0] = Math.sign(x) * 0.003 * c; d[1] = 0.004 * c + 0.002 * ch; d[2] = -0.002 * c + 0.0015 * ch;
    }),
    // 2 pucker: lips 4 mm forward, corners 3 mm towards the middle
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * lipsMask(x, y); d[0] = -0.003 * w * x / A.mouthHalfWidth; d[2] = 0.004 * w; }),
    // 3 brow raise: 5 mm
    perVertex(ctx, (x, y, _z, i, d) => { d[1] = front[i]! * (0.005 * gauss(y - 0.05, 0.012) * (1 - smoothstep(0.05, 0.07, Math.abs(x))) + 0.0015 * gauss(y - 0.07, 0.015)); }),
    // 4 frown: inner brows 4 mm down and together
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * gauss(Math.abs(x) - 0.016, 0.011) * gauss(y - 0.046, 0.009); d[0] = -Math.sign(x) * 0.0015 * w; d[1] = -0.004 * w; d[2] = 0.001 * w; }),
    // 5, 6 blink left and right
    blink(1), blink(-1),
    // 7 mouth stretch: corners 4 mm out
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * lipsMask(x, y); d[0] = 0.004 * w * x / A.mouthHalfWidth; d[1] = -0.001 * w * (lower[i]! - 0.5); }),
    // 8 upper lip raise: 3 mm
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * (1 - lower[i]!) * gauss(x, 0.018) * gauss(y - A.upperLipY, 0.008); d[1] = 0.003 * w; d[2] = 0.0008 * w; }),
    // 9 lower lip depress: 4 mm
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * lower[i]! * gauss(x, 0.018) * gauss(y - A.lowerLipY, 0.008); d[1] = -0.004 * w; d[2] = 0.001 * w; }),
    // 10 cheek puff: 5 mm
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * gauss(Math.abs(x) - 0.045, 0.016) * gauss(y + 0.035, 0.017); d[0] = 0.005 * Math.sign(x) * w; d[2] = 0.002 * w; }),
    // 11 nose wrinkle: 3 mm
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * gauss(Math.abs(x) - 0.012, 0.008) * gauss(y - A.noseBaseY - 0.008, 0.008); d[1] = 0.003 * w; d[2] = 0.0008 * w; }),
    // 12 lip press: lips 2 mm in and towards the mouth line
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * lipsMask(x, y); d[2] = -0.002 * w; d[1] = -0.0015 * w * Math.max(-1, Math.min(1, (y - A.mouthY) / 0.01)); }),
    // 13 mouth sideways: 4 mm
    perVertex(ctx, (x, y, _z, i, d) => { d[0] = 0.004 * front[i]! * lipsMask(x, y); }),
    // 14 jaw forward: 4 mm
    perVertex(ctx, (_x, _y, _z, i, d) => { d[2] = 0.004 * jawMask[i]!; }),
    // 15, 16 squint left and right
    squint(1), squint(-1),
    // 17 lip corners down: 4 mm
    perVertex(ctx, (x, y, _z, i, d) => { d[1] = -0.004 * front[i]! * corner(x, y, 0.01); }),
    // 18 dimpler: corners 3 mm back
    perVertex(ctx, (x, y, _z, i, d) => { d[2] = -0.003 * front[i]! * corner(x, y, 0.009); }),
    // 19 funnel: lips 4 mm forward and apart
    perVertex(ctx, (x, y, _z, i, d) => { const w = front[i]! * lipsMask(x, y); d[2] = 0.004 * w; d[1] = 0.003 * w * (0.5 - lower[i]!); }),
    // 20 eyes wide: upper lids 2 mm up
    perVertex(ctx, (x, y, _z, i, d) => { d[1] = 0.002 * front[i]! * (lid(x, y, 1, true) + lid(x, y, -1, true)); }),
  ];
  const rng = new Rng('builtin-expression');
  const faceVerts = ctx.skin.filter((i) => front[i]! > 0.5 && P[3 * i + 1]! < 0.075 && P[3 * i + 1]! > -0.1 && Math.abs(yawOf(P[3 * i]!, P[3 * i + 2]!)) < 1.0);
  const lipVerts = faceVerts.filter((i) => mouthDist(P[3 * i]!, P[3 * i + 1]!) < 1.3);
  const eyeVerts = faceVerts.filter((i) => Math.abs(P[3 * i + 1]! - ey) < 0.025);
  const faceMask = new Float64Array(ctx.V);
  for (const i of faceVerts) faceMask[i] = front[i]!;
  const named = fields.length;
  for (let l = named; l < 100; l++) {
    const pool = l % 3 === 0 ? lipVerts : l % 3 === 1 ? eyeVerts : faceVerts;
    const field = randomField(ctx, rng, pool, [0.006, 0.02], 2, rng.chance(0.5), faceMask);
    const peak = 0.0015 * ((l + 1) / (named + 1)) ** -1.0;
    // lip-sided variants: half of the mouth fields act on one lip only
    if (pool === lipVerts && rng.chance(0.5)) {
      const upper = rng.chance(0.5);
      fields.push(withPeak((out) => { field(out); for (const i of ctx.skin) { const s = upper ? 1 - lower[i]! : lower[i]!; for (let k = 0; k < 3; k++) out[3 * i + k]! *= s; } }, peak));
    } else fields.push(withPeak(field, peak));
  }
  return fields;
}

/**
 * Orthogonal basis from fields: dirs [R*K], row r = vertex coordinate; column l = ‖f_l‖·u_l where
 * u is the Gram–Schmidt orthonormalisation of the fields in order (so coefficient 1 displaces by
 * the field's own size, along its orthogonalised direction).
 */
async function basisFromFields(ctx: Context, fields: Field[], rigidEyes: boolean): Promise<Float64Array> {
  const R = ctx.V * 3, K = fields.length;
  const rows = new Float64Array(K * R);
  const norms = new Float64Array(K);
  for (let l = 0; l < K; l++) {
    const v = rows.subarray(l * R, (l + 1) * R);
    fields[l]!(v);
    if (rigidEyes) eyeballsFollow(ctx, v);
    let n = 0;
    for (let r = 0; r < R; r++) n += v[r]! * v[r]!;
    norms[l] = Math.sqrt(n);
  }
  // Gram–Schmidt in field order (CholQR2 through the MatMul kernel: ~0.3 s instead of ~4 s in JS)
  const U = await orthonormalizeRows(rows, K, R);
  const dirs = new Float64Array(R * K);
  for (let l = 0; l < K; l++) {
    const s = norms[l]!, o = l * R;
    for (let r = 0; r < R; r++) dirs[r * K + l] = s * U[o + r]!;
  }
  return dirs;
}

/** Identity components [V*3*count] (≤ 300): 20 named traits, then smooth random fields of decreasing size. */
export function buildShapeBasis(mesh: HeadMesh, count = 300): Promise<Float64Array> {
  const ctx = context(mesh);
  return basisFromFields(ctx, shapeFields(ctx).slice(0, count), true);
}

/** Expression components [V*3*count] (≤ 100): 21 named motions, then local random motions of decreasing size. */
export function buildExpressionBasis(mesh: HeadMesh, count = 100): Promise<Float64Array> {
  const ctx = context(mesh);
  return basisFromFields(ctx, expressionFields(ctx).slice(0, count), false);
}
