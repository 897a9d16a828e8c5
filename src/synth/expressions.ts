/**
 * FaceScape's twenty expressions as parameters of the built-in model: expression coefficients ψ
 * (components 0–20 are named in `src/flame/builtin/bases.ts`) and a jaw rotation (axis-angle,
 * radians; +X opens the mouth, +Y swings the chin towards the subject's left, +X).
 *
 * Intensities are "clearly visible" (coefficient 1 is one standard deviation of that movement);
 * `expressionParams` scales a recipe by a random per-scan intensity and adds small random
 * activity of the other components, as a person never repeats an expression exactly.
 */
import { type Rng, UsageError } from '../util/index.js';

/** FaceScape's expression folder names, in order (1_neutral … 20_brow_lower). */
export const FACESCAPE_EXPRESSIONS: readonly string[] = [
  '1_neutral', '2_smile', '3_mouth_stretch', '4_anger', '5_jaw_left', '6_jaw_right', '7_jaw_forward', '8_mouth_left',
  '9_mouth_right', '10_dimpler', '11_chin_raiser', '12_lip_puckerer', '13_lip_funneler', '14_sadness', '15_lip_roll',
  '16_grin', '17_cheek_blowing', '18_eye_closed', '19_brow_raiser', '20_brow_lower',
];

// Built-in expression components (bases.ts).
const OPEN = 0, SMILE = 1, PUCKER = 2, BROW_RAISE = 3, FROWN = 4, BLINK_L = 5, BLINK_R = 6, STRETCH = 7, UPPER_LIP_UP = 8,
  LOWER_LIP_DOWN = 9, PUFF = 10, NOSE_WRINKLE = 11, LIP_PRESS = 12, SIDEWAYS = 13, JAW_FWD = 14, SQUINT_L = 15, SQUINT_R = 16,
  CORNERS_DOWN = 17, DIMPLER = 18, FUNNEL = 19, EYES_WIDE = 20;

interface Recipe {
  /** [component, coefficient] pairs. */
  expr: ReadonlyArray<readonly [number, number]>;
  /** Jaw axis-angle, radians. */
  jaw?: readonly [number, number, number];
}

/** The recipe of each expression (by name without its number). */
const RECIPES: Record<string, Recipe> = {
  neutral: { expr: [] },
  smile: { expr: [[SMILE, 2.2], [SQUINT_L, 0.5], [SQUINT_R, 0.5], [UPPER_LIP_UP, 0.3]], jaw: [0.03, 0, 0] },
  mouth_stretch: { expr: [[STRETCH, 0.8], [LOWER_LIP_DOWN, 1.0], [EYES_WIDE, 0.6], [OPEN, 0.5]], jaw: [0.32, 0, 0] },
  anger: { expr: [[FROWN, 2.0], [SQUINT_L, 1.0], [SQUINT_R, 1.0], [LIP_PRESS, 1.5], [NOSE_WRINKLE, 0.6], [CORNERS_DOWN, 0.6]] },
  jaw_left: { expr: [[SIDEWAYS, 0.8]], jaw: [0.05, 0.12, 0] },
  jaw_right: { expr: [[SIDEWAYS, -0.8]], jaw: [0.05, -0.12, 0] },
  jaw_forward: { expr: [[JAW_FWD, 2.2]], jaw: [0.05, 0, 0] },
  mouth_left: { expr: [[SIDEWAYS, 2.0], [LIP_PRESS, 0.4]] },
  mouth_right: { expr: [[SIDEWAYS, -2.0], [LIP_PRESS, 0.4]] },
  dimpler: { expr: [[DIMPLER, 2.2], [LIP_PRESS, 0.5], [SMILE, 0.3]] },
  chin_raiser: { expr: [[LIP_PRESS, 1.5], [CORNERS_DOWN, 1.0], [LOWER_LIP_DOWN, -1.0], [JAW_FWD, 0.5]] },
  lip_puckerer: { expr: [[PUCKER, 2.5], [LIP_PRESS, 0.3]] },
  lip_funneler: { expr: [[FUNNEL, 2.0], [PUCKER, 0.6]], jaw: [0.1, 0, 0] },
  sadness: { expr: [[BROW_RAISE, 0.7], [FROWN, 0.8], [CORNERS_DOWN, 2.0], [SQUINT_L, 0.3], [SQUINT_R, 0.3]] },
  lip_roll: { expr: [[LIP_PRESS, 2.5], [PUCKER, -0.3]] },
  grin: { expr: [[SMILE, 2.5], [UPPER_LIP_UP, 1.5], [LOWER_LIP_DOWN, 1.5], [STRETCH, 1.0], [SQUINT_L, 0.7], [SQUINT_R, 0.7]], jaw: [0.12, 0, 0] },
  cheek_blowing: { expr: [[PUFF, 2.5], [PUCKER, 0.8], [LIP_PRESS, 0.6]] },
  eye_closed: { expr: [[BLINK_L, 1.0], [BLINK_R, 1.0]] },
  brow_raiser: { expr: [[BROW_RAISE, 2.0], [EYES_WIDE, 1.0]] },
  brow_lower: { expr: [[FROWN, 2.0], [SQUINT_L, 0.6], [SQUINT_R, 0.6]] },
};

/** The expression's name without its number: '3_mouth_stretch' → 'mouth_stretch'. */
function recipeOf(name: string): Recipe {
  const key = name.replace(/^\d+_/, '');
  const recipe = RECIPES[key];
  if (!recipe || !FACESCAPE_EXPRESSIONS.includes(name)) {
    throw new UsageError(`synth facescape: unknown expression '${name}', expected one of ${FACESCAPE_EXPRESSIONS.join(', ')}`);
  }
  return recipe;
}

export interface ExpressionParams {
  /** ψ: Float64Array [E]. */
  expr: Float64Array;
  /** Jaw axis-angle [3], radians. */
  jaw: Float64Array;
}

/**
 * Parameters of one performance of `name` for a model with E expression components: the recipe
 * times an intensity in [0.85, 1.15], plus N(0, 0.08²) on the other components 0–49 (none for
 * the neutral, which is exact), plus up to ±0.01 rad of jaw.
 */
export function expressionParams(name: string, E: number, rng: Rng): ExpressionParams {
  const recipe = recipeOf(name);
  const expr = new Float64Array(E);
  const jaw = new Float64Array(3);
  if (name === '1_neutral') return { expr, jaw };
  const intensity = rng.uniform(0.85, 1.15);
  const used = new Set<number>();
  for (const [c, w] of recipe.expr) {
    if (c >= E) throw new UsageError(`synth facescape: expression '${name}' needs component ${c}, the model has ${E}`);
    expr[c] = intensity * w;
    used.add(c);
  }
  for (let c = 0; c < Math.min(E, 50); c++) if (!used.has(c)) expr[c] = rng.normal(0, 0.08);
  const j = recipe.jaw ?? [0, 0, 0];
  for (let k = 0; k < 3; k++) jaw[k] = intensity * j[k]! + rng.uniform(-0.01, 0.01);
  if (jaw[0]! < 0) jaw[0] = 0; // the jaw does not open backwards
  return { expr, jaw };
}

/**
 * The expressions of a subject: '1_neutral' then the first `k` of the other nineteen, or the
 * names given (each validated; '1_neutral' is always first and never repeated).
 */
export function expressionList(k: number, names?: readonly string[]): string[] {
  if (names && names.length > 0) {
    for (const n of names) recipeOf(n);
    return ['1_neutral', ...names.filter((n) => n !== '1_neutral').filter((n, i, a) => a.indexOf(n) === i)];
  }
  if (!(Number.isInteger(k) && k >= 0 && k <= 19)) throw new UsageError(`synth facescape: --expressions must be an integer 0–19, got ${k}`);
  return FACESCAPE_EXPRESSIONS.slice(0, k + 1);
}
