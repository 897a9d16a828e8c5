/**
 * 3D terms for scan registration, on world vertices:
 * - `PointsTerm`: per vertex a target point p_i and optionally a normal n_i; point-to-point
 *   ½w‖x_i − p_i‖² or point-to-plane ½w(n_iᵀ(x_i − p_i))², robust on the distance in units of `scale`;
 * - `LandmarksTerm`: ½ρ(w‖Σ_j b_kj x_{f_kj} − L_k‖²) for barycentric landmarks (exact Hessian rows
 *   for l2; IRLS weights for a robust ρ).
 * Targets are per frame (set them between solves; e.g. closest points for ICP).
 */
import type { Loss } from '../loss.js';
import { l2 } from '../loss.js';
import type { FlameFrames, VertexTerm, VertexTermContext } from '../flame-frames.js';

export interface PointTargets {
  /** vertices: indices of the constrained vertices [n]; points [n*3]; normals [n*3] (plane) or undefined (point). */
  vertices: Uint32Array;
  points: Float64Array;
  normals?: Float64Array;
  /** per-target weights [n] (default 1). */
  weights?: Float64Array;
}

export class PointsTerm implements VertexTerm {
  readonly name: string;
  /** targets[t] for frame t (undefined: no targets in that frame). */
  readonly targets: Array<PointTargets | undefined>;
  /** The robust loss (may be changed between solves, e.g. annealed in ICP). */
  loss: Loss;
  /** Residuals are divided by this distance (metres) before the robust loss. */
  readonly scale: number;
  private readonly rho = new Float64Array(3);

  constructor(name: string, frames: number, options: { loss?: Loss; scale?: number } = {}) {
    this.name = name;
    this.targets = new Array(frames).fill(undefined);
    this.loss = options.loss ?? l2;
    this.scale = options.scale ?? 1e-3;
  }

  private each(t: number, world: Float64Array, visit: (i: number, w: number, r: number[], n: number[] | undefined) => void): number {
    const tg = this.targets[t];
    if (!tg) return 0;
    let cost = 0;
    const inv = 1 / this.scale;
    for (let k = 0; k < tg.vertices.length; k++) {
      const i = tg.vertices[k]!;
      const dx = (world[3 * i]! - tg.points[3 * k]!) * inv, dy = (world[3 * i + 1]! - tg.points[3 * k + 1]!) * inv, dz = (world[3 * i + 2]! - tg.points[3 * k + 2]!) * inv;
      const wk = tg.weights ? tg.weights[k]! : 1;
      if (tg.normals) {
        const n = [tg.normals[3 * k]!, tg.normals[3 * k + 1]!, tg.normals[3 * k + 2]!];
        const d = n[0]! * dx + n[1]! * dy + n[2]! * dz;
        this.loss.evaluate(d * d, this.rho);
        cost += 0.5 * wk * this.rho[0]!;
        visit(i, wk * this.rho[1]!, [d], n);
      } else {
        this.loss.evaluate(dx * dx + dy * dy + dz * dz, this.rho);
        cost += 0.5 * wk * this.rho[0]!;
        visit(i, wk * this.rho[1]!, [dx, dy, dz], undefined);
      }
    }
    return cost;
  }

  frameCost(t: number, world: Float64Array): number {
    return this.each(t, world, () => {});
  }

  linearizeFrame(ctx: VertexTermContext): number {
    const inv = 1 / this.scale, q = ctx.q, H = ctx.H;
    return this.each(ctx.t, ctx.world, (i, w, r, n) => {
      if (n) {
        for (let a = 0; a < 3; a++) q[3 * i + a]! += w * r[0]! * n[a]! * inv;
        if (ctx.wantHessian) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) H[9 * i + 3 * a + b]! += w * n[a]! * n[b]! * inv * inv;
      } else {
        for (let a = 0; a < 3; a++) q[3 * i + a]! += w * r[a]! * inv;
        if (ctx.wantHessian) for (let a = 0; a < 3; a++) H[9 * i + 4 * a]! += w * inv * inv;
      }
    });
  }
}

export interface LandmarkTargets {
  /** faces [L], bary [L*3] (the model's embedding), points [L*3] target positions, weights [L] optional. */
  faceIdx: Uint32Array;
  bary: Float64Array;
  points: Float64Array;
  weights?: Float64Array;
}

export class LandmarksTerm implements VertexTerm {
  readonly name: string;
  readonly targets: Array<LandmarkTargets | undefined>;
  readonly faces: Uint32Array;
  readonly weight: number;
  /** Robust loss on s = w‖r‖² (default l2: ½w‖r‖²). */
  readonly loss: Loss;
  private readonly rho = new Float64Array(3);

  constructor(name: string, frames: number, faces: Uint32Array, weight = 1, loss: Loss = l2) {
    this.name = name;
    this.targets = new Array(frames).fill(undefined);
    this.faces = faces;
    this.weight = weight;
    this.loss = loss;
  }

  private residual(tg: LandmarkTargets, k: number, world: Float64Array, out: Float64Array): number[] {
    const f = tg.faceIdx[k]!;
    const vs = [this.faces[3 * f]!, this.faces[3 * f + 1]!, this.faces[3 * f + 2]!];
    for (let a = 0; a < 3; a++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += tg.bary[3 * k + j]! * world[3 * vs[j]! + a]!;
      out[a] = s - tg.points[3 * k + a]!;
    }
    return vs;
  }

  frameCost(t: number, world: Float64Array): number {
    const tg = this.targets[t];
    if (!tg) return 0;
    const r = new Float64Array(3);
    let cost = 0;
    for (let k = 0; k < tg.faceIdx.length; k++) {
      this.residual(tg, k, world, r);
      const w = this.weight * (tg.weights ? tg.weights[k]! : 1);
      cost += 0.5 * this.loss.evaluate(w * (r[0]! ** 2 + r[1]! ** 2 + r[2]! ** 2), this.rho)[0]!;
    }
    return cost;
  }

  linearizeFrame(ctx: VertexTermContext): number {
    const tg = this.targets[ctx.t];
    if (!tg) return 0;
    const r = new Float64Array(3);
    let cost = 0;
    for (let k = 0; k < tg.faceIdx.length; k++) {
      const vs = this.residual(tg, k, ctx.world, r);
      const w0 = this.weight * (tg.weights ? tg.weights[k]! : 1);
      this.loss.evaluate(w0 * (r[0]! ** 2 + r[1]! ** 2 + r[2]! ** 2), this.rho);
      cost += 0.5 * this.rho[0]!;
      // IRLS: the robust loss scales the weight by ρ'(s)
      const w = w0 * this.rho[1]!;
      for (let j = 0; j < 3; j++) {
        const b = tg.bary[3 * k + j]!;
        for (let a = 0; a < 3; a++) ctx.q[3 * vs[j]! + a]! += w * b * r[a]!;
      }
      if (ctx.wantHessian) {
        // rows √w·[b_0 I | b_1 I | b_2 I] over the three vertices
        const sw = Math.sqrt(w), phi = new Float64Array(3 * 9);
        for (let a = 0; a < 3; a++) for (let j = 0; j < 3; j++) phi[a * 9 + 3 * j + a] = sw * tg.bary[3 * k + j]!;
        ctx.addExplicitRows(vs, phi, 3);
      }
    }
    return cost;
  }
}
