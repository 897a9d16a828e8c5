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
  /** Residual of the landmarks after alignment, in scan units (RMS). */
  rms: number;
}

/**
 * modelPoints, scanPoints [n*3] (n ≥ 3, not collinear): corresponding landmarks on the model
 * (metres) and on the scan (scan units).
 */
export function alignLandmarks(modelPoints: Float64Array, scanPoints: Float64Array): LandmarkAlignment {
  const free = umeyama(modelPoints, scanPoints, { scale: true });
  const unit = guessUnit(free.s);
  let similarity = free;
  if (unit.unit !== 'unknown') {
    const scaled = Float64Array.from(modelPoints, (x) => x * unit.unitsPerMetre);
    const rigid = umeyama(scaled, scanPoints);
    similarity = { s: unit.unitsPerMetre, R: rigid.R, t: rigid.t };
  }
  const mapped = applySimilarity(similarity, modelPoints);
  let sq = 0;
  for (let k = 0; k < mapped.length; k++) sq += (mapped[k]! - scanPoints[k]!) ** 2;
  return { similarity, unit, rms: Math.sqrt(sq / (mapped.length / 3)) };
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
