/**
 * Robust losses on a squared residual norm s = ‖r‖² (Ceres' convention): a term costs ½·ρ(s).
 * `evaluate(s, out)` writes [ρ(s), ρ'(s), ρ''(s)]. Residuals are already divided by their σ, so the
 * scale `c` is in units of σ: inliers (s ≪ c²) cost like least squares.
 */
import { assertUnreachable, UsageError } from '../util/errors.js';

export interface Loss {
  readonly name: string;
  evaluate(s: number, out: Float64Array): Float64Array;
}

export type LossName = 'l2' | 'huber' | 'geman-mcclure';

/** ρ(s) = s. */
export const l2: Loss = {
  name: 'l2',
  evaluate(s, out) { out[0] = s; out[1] = 1; out[2] = 0; return out; },
};

/** Huber: ρ(s) = s for s ≤ c², 2c√s − c² beyond (quadratic core, linear tails). */
export function huber(c = 2): Loss {
  const c2 = c * c;
  return {
    name: `huber(${c})`,
    evaluate(s, out) {
      if (s <= c2) { out[0] = s; out[1] = 1; out[2] = 0; }
      else { const r = Math.sqrt(s); out[0] = 2 * c * r - c2; out[1] = c / r; out[2] = -0.5 * out[1]! / s; }
      return out;
    },
  };
}

/** Geman–McClure: ρ(s) = c² s / (c² + s), bounded by c² (outliers stop pulling). */
export function gemanMcClure(c = 2): Loss {
  const c2 = c * c;
  return {
    name: `geman-mcclure(${c})`,
    evaluate(s, out) {
      const d = c2 + s;
      out[0] = (c2 * s) / d;
      out[1] = (c2 * c2) / (d * d);
      out[2] = (-2 * c2 * c2) / (d * d * d);
      return out;
    },
  };
}

export function lossByName(name: string, scale = 2): Loss {
  const n = name as LossName;
  switch (n) {
    case 'l2': return l2;
    case 'huber': return huber(scale);
    case 'geman-mcclure': return gemanMcClure(scale);
    default:
      if (!['l2', 'huber', 'geman-mcclure'].includes(name)) throw new UsageError(`unknown loss '${name}' (expected l2, huber or geman-mcclure)`);
      return assertUnreachable(n, 'loss');
  }
}
