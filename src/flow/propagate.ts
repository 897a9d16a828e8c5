/**
 * Flow propagation between neighbours (the propagation step of PatchMatch, Barnes et al. 2009,
 * as used for large-displacement flow, e.g. Bao et al. 2014): each pixel tries the flow of its
 * left and upper neighbours (then, scanning back, right and lower) and keeps whichever matches
 * its 5×5 patch best. A motion found on part of an object so spreads over the whole object in two
 * scans, where the linearised variational solver would stay in a local minimum (an object
 * moving by more than its texture's scale). Deterministic: fixed scan order, no random search.
 */

/**
 * Matching cost of the (2r+1)² patch of A at pixel (x, y) against B displaced by (u, v): the mean
 * absolute difference over the patch's points that lie in both images (B sampled bilinearly,
 * replicated within half a pixel of its border); Infinity when fewer than half of them do.
 */
function patchCost(a: Float32Array, b: Float32Array, w: number, h: number, x: number, y: number, u: number, v: number, r: number): number {
  const lastX = w - 1, lastY = h - 1;
  const bx = x + u, by = y + v;
  const x0 = Math.floor(bx), y0 = Math.floor(by);
  const fx = bx - x0, fy = by - y0;
  const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
  let cost = 0, count = 0;
  for (let dy = -r; dy <= r; dy++) {
    const ay = y + dy, sy = y0 + dy;
    if (ay < 0 || ay > lastY || sy < -1 || sy > lastY) continue;
    const r0 = (sy < 0 ? 0 : sy) * w, r1 = (sy + 1 > lastY ? lastY : sy + 1) * w;
    for (let dx = -r; dx <= r; dx++) {
      const ax = x + dx, sx = x0 + dx;
      if (ax < 0 || ax > lastX || sx < -1 || sx > lastX) continue;
      const c0 = sx < 0 ? 0 : sx, c1 = sx + 1 > lastX ? lastX : sx + 1;
      const d = w00 * b[r0 + c0]! + w01 * b[r0 + c1]! + w10 * b[r1 + c0]! + w11 * b[r1 + c1]! - a[ay * w + ax]!;
      cost += d < 0 ? -d : d;
      count++;
    }
  }
  // fewer than half the patch's points in both images: no verdict
  return 2 * count > (2 * r + 1) * (2 * r + 1) ? cost / count : Infinity;
}

/** Patch radius of the per-pixel tests (5×5 patches: 3×3 ones let chance matches through). */
const R = 2;

/** Neighbours' flows closer than this (pixels, L1) to a pixel's own are not tried: the solver refines those. */
const SAME = 0.5;

/**
 * Two propagation scans over an interleaved flow [h*w*2] of a level (in place): forward (left,
 * up) then backward (right, down). Only neighbour flows that differ from the pixel's by at least
 * half a pixel are tried, so smooth regions cost almost nothing. cost: scratch Float32Array of at
 * least w*h. Returns the number of pixels that took a neighbour's flow.
 */
export function propagateFlow(flow: Float32Array, a: Float32Array, b: Float32Array, w: number, h: number, cost: Float32Array): number {
  cost.fill(NaN, 0, w * h); // NaN: not computed yet
  let changed = 0;
  const tryFrom = (p: number, q: number, x: number, y: number): void => {
    const u = flow[2 * q]!, v = flow[2 * q + 1]!;
    const du = u - flow[2 * p]!, dv = v - flow[2 * p + 1]!;
    if ((du < 0 ? -du : du) + (dv < 0 ? -dv : dv) < SAME) return;
    let own = cost[p]!;
    if (own !== own) own = cost[p] = patchCost(a, b, w, h, x, y, flow[2 * p]!, flow[2 * p + 1]!, R);
    if (own === Infinity) return; // a pixel carried out of B (its match unseen) keeps its extrapolated flow
    const c = patchCost(a, b, w, h, x, y, u, v, R);
    if (c < own) { cost[p] = c; flow[2 * p] = u; flow[2 * p + 1] = v; changed++; }
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if (x > 0) tryFrom(p, p - 1, x, y);
      if (y > 0) tryFrom(p, p - w, x, y);
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const p = y * w + x;
      if (x < w - 1) tryFrom(p, p + 1, x, y);
      if (y < h - 1) tryFrom(p, p + w, x, y);
    }
  }
  return changed;
}

/**
 * Block-matching candidates (exhaustive integer search) for motions too large for the coarser
 * levels to have seen, e.g. a small object moving farther than its size. The level is cut into
 * `block`×`block` blocks; each block's best integer displacement within ±radius (mean absolute
 * difference over the block's pixels that land in B, at least half of them) is offered to its
 * pixels where it beats the current flow on the whole block clearly (half its cost), and adopted
 * where it matches the pixel's 5×5 patch clearly better (70% of the cost) than the current flow. Run `propagateFlow`
 * afterwards to spread the adopted motions. flow: interleaved [h*w*2] (in place). Returns the
 * number of pixels changed.
 */
export function blockSearch(flow: Float32Array, a: Float32Array, b: Float32Array, w: number, h: number, radius: number, block: number): number {
  const bw = Math.ceil(w / block), bh = Math.ceil(h / block);
  let changed = 0;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const xs = bx * block, ys = by * block, xe = Math.min(xs + block, w), ye = Math.min(ys + block, h);
      const size = (xe - xs) * (ye - ys);
      // 1. the block's best displacement (ties: the first in scan order from (−r, −r))
      let best = Infinity, bu = 0, bv = 0;
      for (let v = -radius; v <= radius; v++) {
        const y0 = Math.max(ys, -v), y1 = Math.min(ye, h - v); // rows whose displaced row is in B
        if (2 * (y1 - y0) * (xe - xs) <= size) continue;
        for (let u = -radius; u <= radius; u++) {
          const x0 = Math.max(xs, -u), x1 = Math.min(xe, w - u);
          const count = (y1 - y0) * (x1 - x0);
          if (x1 <= x0 || 2 * count <= size) continue;
          let sum = 0;
          const bound = best * count;
          for (let y = y0; y < y1 && sum < bound; y++) {
            const row = y * w, srow = (y + v) * w + u;
            for (let x = x0; x < x1; x++) { const d = b[srow + x]! - a[row + x]!; sum += d < 0 ? -d : d; }
          }
          if (sum < bound) { best = sum / count; bu = u; bv = v; }
        }
      }
      if (best === Infinity) continue;
      // 2. offer it where it clearly beats the current flow over the block
      let current = 0, count = 0;
      for (let y = ys; y < ye; y++) {
        for (let x = xs; x < xe; x++) {
          const p = y * w + x, c = patchCost(a, b, w, h, x, y, flow[2 * p]!, flow[2 * p + 1]!, 0);
          if (c !== Infinity) { current += c; count++; }
        }
      }
      if (!(best < 0.5 * (count > 0 ? current / count : Infinity))) continue;
      // 3. pixels adopt it where it fits their patch clearly better (a margin against chance matches)
      for (let y = ys; y < ye; y++) {
        for (let x = xs; x < xe; x++) {
          const p = y * w + x;
          const c = patchCost(a, b, w, h, x, y, flow[2 * p]!, flow[2 * p + 1]!, R);
          if (c !== Infinity && patchCost(a, b, w, h, x, y, bu, bv, R) < 0.7 * c) {
            flow[2 * p] = bu; flow[2 * p + 1] = bv; changed++;
          }
        }
      }
    }
  }
  return changed;
}
