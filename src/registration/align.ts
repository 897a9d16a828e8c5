/**
 * Stage 1 of registration: the similarity that places the model (metres) in the scan's frame and
 * units, from corresponding landmarks (Umeyama), with the scan's unit detected from its scale.
 *
 * The scale is first estimated freely; when it is within 30% of a unit's (1 for metres, 100 for
 * centimetres, 1000 for millimetres) the unit is taken as known and the rotation and translation
 * are re-estimated at exactly that scale (the model's identity components absorb the size of the
 * head). Otherwise the estimated scale is kept and the unit is reported as unclear.
 */
import { umeyama, applySimilarity, type Similarity } from '../fit/umeyama.js';

export interface UnitGuess {
  unit: 'm' | 'cm' | 'mm' | 'unknown';
  /** Scan units per metre (1000 for millimetres). */
  unitsPerMetre: number;
  /** Freely estimated scale (scan units per model metre). */
  estimatedScale: number;
}

const UNITS: Array<{ unit: UnitGuess['unit']; perMetre: number }> = [
  { unit: 'm', perMetre: 1 },
  { unit: 'cm', perMetre: 100 },
  { unit: 'mm', perMetre: 1000 },
];

/** The unit whose scale is nearest (in ratio) to the estimated one, if within 30%. */
export function guessUnit(estimatedScale: number): UnitGuess {
  let best = UNITS[0]!, bestRatio = Infinity;
  for (const u of UNITS) {
    const r = Math.abs(Math.log(estimatedScale / u.perMetre));
    if (r < bestRatio) { bestRatio = r; best = u; }
  }
  if (bestRatio <= Math.log(1.3)) return { unit: best.unit, unitsPerMetre: best.perMetre, estimatedScale };
  return { unit: 'unknown', unitsPerMetre: estimatedScale, estimatedScale };
}

export interface LandmarkAlignment {
  /** Model (metres) → scan: y = s·R·x + t. */
  similarity: Similarity;
  unit: UnitGuess;
  /** Residual of the landmarks kept after alignment, in scan units (RMS). */
  rms: number;
  /** Landmarks left out as outliers (indices into the given ones). */
  outliers: number[];
}

/**
 * modelPoints, scanPoints [n*3] (n ≥ 3, not collinear): corresponding landmarks on the model
 * (metres) and on the scan (scan units). Trimmed: landmarks whose residual exceeds three times
 * the median (and 2% of the landmarks' spread) are left out and the similarity re-estimated, up
 * to three times — a few wrong landmarks (a mis-click, a failed propagation) do not tilt the head.
 */
export function alignLandmarks(modelPoints: Float64Array, scanPoints: Float64Array): LandmarkAlignment {
  const n = modelPoints.length / 3;
  let keep = Array.from({ length: n }, (_, k) => k);
  let similarity: Similarity = umeyama(modelPoints, scanPoints, { scale: true });
  let unit = guessUnit(similarity.s);
  const spread = rmsSpread(scanPoints);
  for (let round = 0; round < 4; round++) {
    const X = pick(modelPoints, keep), Y = pick(scanPoints, keep);
    const free = umeyama(X, Y, { scale: true });
    unit = guessUnit(free.s);
    similarity = free;
    if (unit.unit !== 'unknown') {
      const rigid = umeyama(Float64Array.from(X, (x) => x * unit.unitsPerMetre), Y);
      similarity = { s: unit.unitsPerMetre, R: rigid.R, t: rigid.t };
    }
    if (round === 3) break;
    const r = residuals(similarity, modelPoints, scanPoints);
    const sorted = keep.map((k) => r[k]!).sort((a, b) => a - b);
    const limit = Math.max(3 * sorted[sorted.length >> 1]!, 0.02 * spread);
    const next = Array.from({ length: n }, (_, k) => k).filter((k) => r[k]! <= limit);
    if (next.length < Math.max(4, Math.ceil(0.5 * n)) || next.length === keep.length) break;
    keep = next;
  }
  const r = residuals(similarity, modelPoints, scanPoints);
  let sq = 0;
  for (const k of keep) sq += r[k]! ** 2;
  const kept = new Set(keep);
  return { similarity, unit, rms: Math.sqrt(sq / keep.length), outliers: Array.from({ length: n }, (_, k) => k).filter((k) => !kept.has(k)) };
}

function pick(points: Float64Array, idx: number[]): Float64Array {
  const out = new Float64Array(3 * idx.length);
  idx.forEach((k, j) => { out[3 * j] = points[3 * k]!; out[3 * j + 1] = points[3 * k + 1]!; out[3 * j + 2] = points[3 * k + 2]!; });
  return out;
}

function residuals(sim: Similarity, X: Float64Array, Y: Float64Array): Float64Array {
  const m = applySimilarity(sim, X), n = X.length / 3, r = new Float64Array(n);
  for (let k = 0; k < n; k++) r[k] = Math.hypot(m[3 * k]! - Y[3 * k]!, m[3 * k + 1]! - Y[3 * k + 1]!, m[3 * k + 2]! - Y[3 * k + 2]!);
  return r;
}

/** RMS distance of points [n*3] from their centroid. */
function rmsSpread(P: Float64Array): number {
  const n = P.length / 3, c = [0, 0, 0];
  for (let k = 0; k < n; k++) for (let a = 0; a < 3; a++) c[a]! += P[3 * k + a]! / n;
  let s = 0;
  for (let k = 0; k < n; k++) for (let a = 0; a < 3; a++) s += (P[3 * k + a]! - c[a]!) ** 2;
  return Math.sqrt(s / n);
}

/** Scan points → model space: x = Rᵀ(y − t)/s. */
export function scanToModel(sim: Similarity, points: ArrayLike<number>, out = new Float64Array(points.length)): Float64Array {
  const { s, R, t } = sim;
  for (let i = 0; i < points.length / 3; i++) {
    const a = points[3 * i]! - t[0]!, b = points[3 * i + 1]! - t[1]!, c = points[3 * i + 2]! - t[2]!;
    for (let k = 0; k < 3; k++) out[3 * i + k] = (R[k]! * a + R[3 + k]! * b + R[6 + k]! * c) / s;
  }
  return out;
}

export { applySimilarity as modelToScan };
