/**
 * Reading a flow field at continuous positions, and forward-backward consistency: where the flow
 * from A to B and the flow from B to A do not undo each other, the match is unreliable (an
 * occlusion, a face part that appeared or disappeared, or a failure of the method).
 */
import { checkFlowField, type FlowField } from './image.js';

/**
 * The flow at a continuous position (x, y) in pixels (pixel (i, j) centred at (i + ½, j + ½)):
 * bilinear between pixel centres; within half a pixel of the border, and outside the image, the
 * nearest border values (replicated). Returns [dx, dy].
 */
export function sampleFlow(flow: FlowField, x: number, y: number): [number, number] {
  const W = flow.width, H = flow.height, d = flow.data;
  const sx = x - 0.5, sy = y - 0.5;
  let x0 = Math.floor(sx), y0 = Math.floor(sy);
  const fx = sx - x0, fy = sy - y0;
  let x1 = x0 + 1, y1 = y0 + 1;
  const lastX = W - 1, lastY = H - 1;
  x0 = x0 < 0 ? 0 : x0 > lastX ? lastX : x0; x1 = x1 < 0 ? 0 : x1 > lastX ? lastX : x1;
  y0 = y0 < 0 ? 0 : y0 > lastY ? lastY : y0; y1 = y1 < 0 ? 0 : y1 > lastY ? lastY : y1;
  const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
  const a = 2 * (y0 * W + x0), b = 2 * (y0 * W + x1), c = 2 * (y1 * W + x0), e = 2 * (y1 * W + x1);
  return [
    w00 * d[a]! + w01 * d[b]! + w10 * d[c]! + w11 * d[e]!,
    w00 * d[a + 1]! + w01 * d[b + 1]! + w10 * d[c + 1]! + w11 * d[e + 1]!,
  ];
}

function inside(x: number, y: number, W: number, H: number): boolean {
  return x >= 0 && x <= W && y >= 0 && y <= H;
}

/**
 * Forward-backward error at a position p of image A, in pixels: ‖f(p) + b(p + f(p))‖ with f the
 * flow A→B and b the flow B→A, both sampled bilinearly. Infinity when p lies outside A
 * ([0, W]×[0, H]) or p + f(p) lies outside B: a point carried out of the image has no check.
 */
export function forwardBackwardError(forward: FlowField, backward: FlowField, x: number, y: number): number {
  if (forward.width !== backward.width || forward.height !== backward.height) {
    throw new RangeError(`forwardBackwardError: forward flow is ${forward.width}×${forward.height}, backward ${backward.width}×${backward.height}`);
  }
  const W = forward.width, H = forward.height;
  if (!inside(x, y, W, H)) return Infinity;
  const [fx, fy] = sampleFlow(forward, x, y);
  const qx = x + fx, qy = y + fy;
  if (!inside(qx, qy, W, H)) return Infinity;
  const [bx, by] = sampleFlow(backward, qx, qy);
  return Math.hypot(fx + bx, fy + by);
}

/**
 * The forward-backward error at every pixel centre of A: Float32Array [H*W], pixels (Infinity
 * where the forward flow leaves the image). Useful as an occlusion map (threshold it).
 */
export function forwardBackwardErrorMap(forward: FlowField, backward: FlowField): Float32Array {
  checkFlowField(forward, 'forwardBackwardErrorMap: forward');
  checkFlowField(backward, 'forwardBackwardErrorMap: backward');
  const W = forward.width, H = forward.height;
  const out = new Float32Array(W * H);
  for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) out[j * W + i] = forwardBackwardError(forward, backward, i + 0.5, j + 0.5);
  return out;
}
