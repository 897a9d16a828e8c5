/**
 * Terms on parameters directly:
 * - E_FLAME = λ (‖β‖² + Σ_t ‖ψ_t‖²)   (FlowFace Eq. 13; λ_shape and λ_expr may differ)
 * - E_pose  = λ Σ_t ‖θ_t‖²          (weak prior on neck, jaw and eye rotations; resolves the neck
 *                                    versus head-rotation ambiguity)
 * - E_deform = λ ‖δ‖²               (per-vertex offsets on a region, multi-view only)
 * - E_MICA  = λ ‖T + S·β + δ − M_MICA‖² over all vertices (the neutral shape against a template)
 */
import type { ParameterBlock } from '../parameters.js';
import type { NormalEquations } from '../system.js';
import type { FlameModel } from '../../flame/model.js';
import { matmul } from '../../kernels/matmul.js';

/** A term over parameter blocks (the problem calls it with current values). */
export interface ParameterTerm {
  readonly name: string;
  cost(): number;
  linearize(eq: NormalEquations, wantHessian: boolean): number | Promise<number>;
}

/** λ Σ_blocks ‖values‖² over Euclidean blocks. */
export class SquaredNormTerm implements ParameterTerm {
  readonly name: string;
  readonly blocks: ParameterBlock[];
  readonly weight: number;

  constructor(name: string, blocks: ParameterBlock[], weight: number) {
    this.name = name;
    this.blocks = blocks;
    this.weight = weight;
  }

  cost(): number {
    let s = 0;
    for (const b of this.blocks) for (let k = 0; k < b.values.length; k++) s += b.values[k]! ** 2;
    return this.weight * s;
  }

  linearize(eq: NormalEquations, wantHessian: boolean): number {
    const two = 2 * this.weight;
    for (const b of this.blocks) {
      if (b.offset < 0) continue;
      for (let k = 0; k < b.size; k++) eq.gradient[b.offset + k]! += two * b.values[k]!;
      if (wantHessian) {
        const I = new Float64Array(b.size * b.size);
        for (let k = 0; k < b.size; k++) I[k * b.size + k] = two;
        eq.addHessian(b.offset, b.offset, I, b.size, b.size);
      }
    }
    return this.cost();
  }
}

/** E_MICA = λ ‖T + S·β + δ − M‖² (δ only on the offset region). */
export class MicaTerm implements ParameterTerm {
  readonly name = 'E_MICA';
  private readonly model: FlameModel;
  private readonly template: Float64Array;
  private readonly shape: ParameterBlock;
  private readonly offsets: ParameterBlock | undefined;
  private readonly region: Uint32Array;
  readonly weight: number;
  private StS: Float64Array | undefined;

  constructor(model: FlameModel, template: Float64Array, shape: ParameterBlock, weight: number, offsets?: ParameterBlock, region?: Uint32Array) {
    if (template.length !== model.numVertices * 3) throw new RangeError(`E_MICA: template has ${template.length / 3} vertices, the model ${model.numVertices}`);
    this.model = model;
    this.template = template;
    this.shape = shape;
    this.offsets = offsets;
    this.region = region ?? new Uint32Array(0);
    this.weight = weight;
  }

  private residual(): Float64Array {
    const m = this.model, S = m.numShape, R = m.numVertices * 3, beta = this.shape.values;
    const d = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      let s = m.vTemplate[r]! - this.template[r]!;
      const o = r * S;
      for (let l = 0; l < S; l++) s += m.shapeDirs[o + l]! * beta[l]!;
      d[r] = s;
    }
    if (this.offsets) this.region.forEach((i, k) => { for (let a = 0; a < 3; a++) d[3 * i + a]! += this.offsets!.values[3 * k + a]!; });
    return d;
  }

  cost(): number {
    let s = 0;
    for (const v of this.residual()) s += v * v;
    return this.weight * s;
  }

  async linearize(eq: NormalEquations, wantHessian: boolean): Promise<number> {
    const m = this.model, S = m.numShape, R = m.numVertices * 3, two = 2 * this.weight;
    const d = this.residual();
    let cost = 0;
    for (const v of d) cost += v * v;
    if (this.shape.offset >= 0) {
      const g = new Float64Array(S);
      for (let r = 0; r < R; r++) { const dr = d[r]!; if (dr === 0) continue; for (let l = 0; l < S; l++) g[l]! += dr * m.shapeDirs[r * S + l]!; }
      eq.addGradient(this.shape.offset, g, S, two);
      if (wantHessian) {
        this.StS ??= await matmul(m.shapeDirs, m.shapeDirs, S, R, S, { transA: true });
        eq.addHessian(this.shape.offset, this.shape.offset, this.StS, S, S, two);
      }
    }
    if (this.offsets && this.offsets.offset >= 0) {
      const o = this.offsets.offset;
      this.region.forEach((i, k) => {
        for (let a = 0; a < 3; a++) eq.gradient[o + 3 * k + a]! += two * d[3 * i + a]!;
        if (!wantHessian) return;
        eq.addHessian(o + 3 * k, o + 3 * k, [two, 0, 0, 0, two, 0, 0, 0, two], 3, 3);
        if (this.shape.offset >= 0) eq.addHessian(o + 3 * k, this.shape.offset, m.shapeDirs.subarray(3 * i * S, (3 * i + 3) * S), 3, S, two);
      });
    }
    return this.weight * cost;
  }
}
