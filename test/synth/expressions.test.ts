import { describe, it, expect, beforeAll } from 'vitest';
import { builtinModel, lbs, landmarkPositions, type FlameModel } from '../../src/flame/index.js';
import { Rng } from '../../src/util/rng.js';
import { FACESCAPE_EXPRESSIONS, expressionList, expressionParams } from '../../src/synth/expressions.js';

let model: FlameModel;
beforeAll(async () => { model = await builtinModel(); });

/** Landmark k of the mean head under an expression (metres). */
function landmark(name: string, k: number): [number, number, number] {
  const p = expressionParams(name, model.numExpr, new Rng(`expr-${name}`));
  const pose = new Float64Array(15);
  pose.set(p.jaw, 6);
  const v = lbs(model, { expr: p.expr, pose });
  const L = landmarkPositions(v, model.faces, model.landmarks.full68!);
  return [L[3 * k]!, L[3 * k + 1]!, L[3 * k + 2]!];
}

describe('FaceScape expressions', () => {
  it('names the twenty FaceScape expressions in order', () => {
    expect(FACESCAPE_EXPRESSIONS.length).toBe(20);
    expect(FACESCAPE_EXPRESSIONS[0]).toBe('1_neutral');
    expect(FACESCAPE_EXPRESSIONS[19]).toBe('20_brow_lower');
    FACESCAPE_EXPRESSIONS.forEach((n, i) => expect(n.startsWith(`${i + 1}_`)).toBe(true));
  });

  it('lists the neutral then the first K, or the names given', () => {
    expect(expressionList(0)).toEqual(['1_neutral']);
    expect(expressionList(3)).toEqual(['1_neutral', '2_smile', '3_mouth_stretch', '4_anger']);
    expect(expressionList(19).length).toBe(20);
    expect(expressionList(5, ['18_eye_closed', '1_neutral', '18_eye_closed'])).toEqual(['1_neutral', '18_eye_closed']);
    expect(() => expressionList(20)).toThrow(/0–19/);
    expect(() => expressionList(1, ['2_grin'])).toThrow(/unknown expression '2_grin'/);
  });

  it('the neutral is exactly zero; the others move the face the way their names say', () => {
    const n = expressionParams('1_neutral', model.numExpr, new Rng(1));
    expect(n.expr.every((x) => x === 0) && n.jaw.every((x) => x === 0)).toBe(true);
    const neutral = (k: number): [number, number, number] => landmark('1_neutral', k);
    // mouth stretch: the lower lip (57) drops by more than a centimetre
    expect(neutral(57)[1] - landmark('3_mouth_stretch', 57)[1]).toBeGreaterThan(0.01);
    // smile: the mouth corners (48, 54) rise and widen
    const sl = landmark('2_smile', 48), sr = landmark('2_smile', 54);
    expect(sl[1] - neutral(48)[1]).toBeGreaterThan(0.002);
    expect(sr[0] - sl[0]).toBeGreaterThan(neutral(54)[0] - neutral(48)[0]);
    // jaw left / right: the chin (8) swings to the subject's left (+X) / right
    expect(landmark('5_jaw_left', 8)[0]).toBeGreaterThan(0.004);
    expect(landmark('6_jaw_right', 8)[0]).toBeLessThan(-0.004);
    // eye closed: upper lid (37) comes down to the lower lid (41)
    expect(landmark('18_eye_closed', 37)[1] - landmark('18_eye_closed', 41)[1]).toBeLessThan(0.5 * (neutral(37)[1] - neutral(41)[1]));
    // brow raiser / lowerer move the brows (19, 24) up / down
    expect(landmark('19_brow_raiser', 19)[1] - neutral(19)[1]).toBeGreaterThan(0.003);
    expect(landmark('20_brow_lower', 21)[1] - neutral(21)[1]).toBeLessThan(-0.002);
    // lip puckerer pushes the lips (51) forward
    expect(landmark('12_lip_puckerer', 51)[2] - neutral(51)[2]).toBeGreaterThan(0.004);
  });

  it('varies the intensity per performance, deterministically for a seed', () => {
    const a = expressionParams('2_smile', 100, new Rng('p'));
    const b = expressionParams('2_smile', 100, new Rng('p'));
    const c = expressionParams('2_smile', 100, new Rng('q'));
    expect(a.expr).toEqual(b.expr);
    expect(a.expr).not.toEqual(c.expr);
    expect(a.expr[1]!).toBeGreaterThan(2.2 * 0.85 - 1e-12);
    expect(a.expr[1]!).toBeLessThan(2.2 * 1.15 + 1e-12);
  });
});
