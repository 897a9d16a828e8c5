/**
 * E_temp = λ Σ_t Σ_i ‖x_{i,t−1} − 2x_{i,t} + x_{i,t+1}‖², the acceleration of world-space vertices
 * (FlowFace Eq. 14), for t = 1 … T−2. The cost of the acceleration at t is booked on frame t.
 * Gradient exact; the Hessian keeps each frame's own (isotropic) part, not the coupling between
 * neighbouring frames (see NormalEquations).
 */
import type { FlameFrames, VertexTerm, VertexTermContext } from '../flame-frames.js';

export class TemporalTerm implements VertexTerm {
  readonly name = 'E_temp';
  readonly usesFrameIsotropic = true;
  readonly weight: number;

  constructor(weight: number) {
    this.weight = weight;
  }

  frameCost(t: number, _world: Float64Array, frames: FlameFrames): number {
    if (t < 1 || t > frames.T - 2) return 0;
    const a = frames.world[t - 1]!, b = frames.world[t]!, c = frames.world[t + 1]!;
    let s = 0;
    for (let r = 0; r < a.length; r++) { const d = a[r]! - 2 * b[r]! + c[r]!; s += d * d; }
    return this.weight * s;
  }

  linearizeFrame(ctx: VertexTermContext, frames: FlameFrames): number {
    const T = frames.T, t = ctx.t, lam = this.weight, q = ctx.q;
    const W = frames.world;
    const acc = (tau: number, r: number): number => (tau >= 1 && tau <= T - 2 ? W[tau - 1]![r]! - 2 * W[tau]![r]! + W[tau + 1]![r]! : 0);
    let cost = 0;
    const n = ctx.world.length;
    for (let r = 0; r < n; r++) {
      const at = acc(t, r);
      cost += lam * at * at;
      // ∂/∂x_t of λ Σ_τ ‖a_τ‖²: x_t enters a_{t−1} and a_{t+1} with +1, a_t with −2
      q[r]! += 2 * lam * (acc(t - 1, r) - 2 * at + acc(t + 1, r));
    }
    let c2 = 0;
    if (t - 1 >= 1 && t - 1 <= T - 2) c2 += 1;
    if (t >= 1 && t <= T - 2) c2 += 4;
    if (t + 1 >= 1 && t + 1 <= T - 2) c2 += 1;
    if (ctx.wantHessian && c2) ctx.addFrameIsotropic(2 * lam * c2);
    return cost;
  }
}
