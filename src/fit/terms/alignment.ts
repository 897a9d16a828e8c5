/**
 * E_A, the uncertainty-weighted 2D alignment (FlowFace Eq. 12):
 *   E_A = Σ_{t,c,i} λ_i · ½ρ(‖π_c(x_{i,t}) − μ_{i,c,t}‖² / σ²_{i,c,t})
 * with a robust ρ (l2, Huber, Geman–McClure; Gauss–Newton with IRLS weights ρ'). Observations with
 * σ = 0, ∞ or NaN, or a non-finite μ, are missing. A vertex at or behind a camera is skipped for
 * that camera (and counted in `behindCamera`).
 */
import type { Loss } from '../loss.js';
import { CAMERA_COLUMNS, cameraColumnOffsets, projectPoint, type CameraBlocks } from '../cameras.js';
import type { FlameFrames, VertexTerm, VertexTermContext } from '../flame-frames.js';

export interface Observations {
  frames: number;
  cameras: number;
  vertices: number;
  /** mu: [T*C*V*2] pixels; sigma: [T*C*V] pixels. */
  mu: Float32Array | Float64Array;
  sigma: Float32Array | Float64Array;
  /** Per-vertex weights λ_i [V] (default 1). */
  vertexWeight?: Float64Array;
}

/** Whether observation (t, c, i) is present. */
export function observed(obs: Observations, t: number, c: number, i: number): boolean {
  const k = (t * obs.cameras + c) * obs.vertices + i;
  const s = obs.sigma[k]!;
  return s > 0 && Number.isFinite(s) && Number.isFinite(obs.mu[2 * k]!) && Number.isFinite(obs.mu[2 * k + 1]!);
}

export class AlignmentTerm implements VertexTerm {
  readonly name = 'E_A';
  readonly obs: Observations;
  readonly cameras: CameraBlocks[];
  readonly loss: Loss;
  extraBase = 0;
  /** Observations skipped because the vertex was at or behind the camera, at the last evaluation. */
  behindCamera = 0;
  private readonly uv = new Float64Array(2);
  private readonly jac = new Float64Array(24);
  private readonly rho = new Float64Array(3);

  constructor(obs: Observations, cameras: CameraBlocks[], loss: Loss) {
    if (cameras.length !== obs.cameras) throw new RangeError(`E_A: ${obs.cameras} cameras in the observations, ${cameras.length} camera blocks`);
    this.obs = obs;
    this.cameras = cameras;
    this.loss = loss;
  }

  extraOffsets(): Int32Array {
    const out = new Int32Array(CAMERA_COLUMNS * this.cameras.length);
    this.cameras.forEach((c, k) => cameraColumnOffsets(c, out.subarray(k * CAMERA_COLUMNS, (k + 1) * CAMERA_COLUMNS)));
    return out;
  }

  frameCost(t: number, world: Float64Array): number {
    const { obs, uv, rho } = this;
    const V = obs.vertices;
    let cost = 0;
    this.behindCamera = 0;
    for (let c = 0; c < obs.cameras; c++) {
      const cam = this.cameras[c]!;
      for (let i = 0; i < V; i++) {
        const k = (t * obs.cameras + c) * V + i;
        const s = obs.sigma[k]!;
        if (!(s > 0 && s < Infinity)) continue;
        const mx = obs.mu[2 * k]!, my = obs.mu[2 * k + 1]!;
        if (!Number.isFinite(mx) || !Number.isFinite(my)) continue;
        if (!projectPoint(cam, world[3 * i]!, world[3 * i + 1]!, world[3 * i + 2]!, uv)) { this.behindCamera++; continue; }
        const rx = (uv[0]! - mx) / s, ry = (uv[1]! - my) / s;
        this.loss.evaluate(rx * rx + ry * ry, rho);
        cost += 0.5 * (obs.vertexWeight ? obs.vertexWeight[i]! : 1) * rho[0]!;
      }
    }
    return cost;
  }

  linearizeFrame(ctx: VertexTermContext, _frames: FlameFrames): number {
    const { obs, uv, jac, rho } = this;
    const V = obs.vertices, t = ctx.t, world = ctx.world, q = ctx.q, H = ctx.H;
    const Y = new Float64Array(3 * CAMERA_COLUMNS);
    const gc = new Float64Array(CAMERA_COLUMNS), Hc = new Float64Array(CAMERA_COLUMNS * CAMERA_COLUMNS);
    let cost = 0;
    for (let c = 0; c < obs.cameras; c++) {
      const cam = this.cameras[c]!;
      const camIdx = cameraColumnOffsets(cam);
      const camVar = camIdx.some((o) => o >= 0);
      gc.fill(0); Hc.fill(0);
      for (let i = 0; i < V; i++) {
        const k = (t * obs.cameras + c) * V + i;
        const s = obs.sigma[k]!;
        if (!(s > 0 && s < Infinity)) continue;
        const mx = obs.mu[2 * k]!, my = obs.mu[2 * k + 1]!;
        if (!Number.isFinite(mx) || !Number.isFinite(my)) continue;
        if (!projectPoint(cam, world[3 * i]!, world[3 * i + 1]!, world[3 * i + 2]!, uv, jac)) continue;
        const inv = 1 / s;
        const rx = (uv[0]! - mx) * inv, ry = (uv[1]! - my) * inv;
        this.loss.evaluate(rx * rx + ry * ry, rho);
        const lam = obs.vertexWeight ? obs.vertexWeight[i]! : 1;
        cost += 0.5 * lam * rho[0]!;
        const w = lam * rho[1]!;
        if (w === 0) continue;
        // point Jacobian rows (scaled by 1/σ): a = jac[0..3]/σ, b = jac[12..15]/σ
        const a0 = jac[0]! * inv, a1 = jac[1]! * inv, a2 = jac[2]! * inv;
        const b0 = jac[12]! * inv, b1 = jac[13]! * inv, b2 = jac[14]! * inv;
        q[3 * i]! += w * (a0 * rx + b0 * ry);
        q[3 * i + 1]! += w * (a1 * rx + b1 * ry);
        q[3 * i + 2]! += w * (a2 * rx + b2 * ry);
        if (ctx.wantHessian) {
          const o = 9 * i;
          H[o]! += w * (a0 * a0 + b0 * b0); H[o + 1]! += w * (a0 * a1 + b0 * b1); H[o + 2]! += w * (a0 * a2 + b0 * b2);
          H[o + 3]! += w * (a1 * a0 + b1 * b0); H[o + 4]! += w * (a1 * a1 + b1 * b1); H[o + 5]! += w * (a1 * a2 + b1 * b2);
          H[o + 6]! += w * (a2 * a0 + b2 * b0); H[o + 7]! += w * (a2 * a1 + b2 * b1); H[o + 8]! += w * (a2 * a2 + b2 * b2);
        }
        if (!camVar) continue;
        // camera columns (scaled by 1/σ): u row jac[3..12], v row jac[15..24]
        for (let p = 0; p < CAMERA_COLUMNS; p++) {
          const cu = jac[3 + p]! * inv, cv = jac[15 + p]! * inv;
          gc[p]! += w * (cu * rx + cv * ry);
          if (!ctx.wantHessian) continue;
          for (let p2 = 0; p2 <= p; p2++) Hc[p * CAMERA_COLUMNS + p2]! += w * (cu * jac[3 + p2]! * inv + cv * jac[15 + p2]! * inv);
          Y[p] = w * (a0 * cu + b0 * cv); Y[CAMERA_COLUMNS + p] = w * (a1 * cu + b1 * cv); Y[2 * CAMERA_COLUMNS + p] = w * (a2 * cu + b2 * cv);
        }
        if (ctx.wantHessian) ctx.addExtraCross(i, this.extraBase + c * CAMERA_COLUMNS, Y, CAMERA_COLUMNS);
      }
      if (!camVar) continue;
      for (let p = 0; p < CAMERA_COLUMNS; p++) if (camIdx[p]! >= 0) ctx.eq.gradient[camIdx[p]!]! += gc[p]!;
      if (ctx.wantHessian) {
        for (let p = 0; p < CAMERA_COLUMNS; p++) for (let p2 = 0; p2 < p; p2++) Hc[p2 * CAMERA_COLUMNS + p] = Hc[p * CAMERA_COLUMNS + p2]!;
        ctx.eq.addHessianIndexed(camIdx, Hc, CAMERA_COLUMNS);
      }
    }
    return cost;
  }
}
