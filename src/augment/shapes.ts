/**
 * 2D shape primitives for occluders, as signed distances in pixels (positive inside), and their
 * anti-aliased coverage of pixel centres: `clamp(sd / softness + ½, 0, 1)` — with softness 1 a
 * one-pixel ramp across the edge, larger for soft-edged shadows.
 */

export type Primitive =
  /** Ellipse centred at (cx, cy) with radii rx, ry (pixels), rotated by angle (radians). */
  | { kind: 'ellipse'; cx: number; cy: number; rx: number; ry: number; angle: number }
  /** Elliptic ring: the ellipse minus the same ellipse shrunk by `thickness` pixels. */
  | { kind: 'ring'; cx: number; cy: number; rx: number; ry: number; angle: number; thickness: number }
  /** Segment (x0, y0)–(x1, y1) thickened by radius r: a bar with round ends. */
  | { kind: 'capsule'; x0: number; y0: number; x1: number; y1: number; r: number }
  /** Simple polygon, points: [x0, y0, x1, y1, ...] (even-odd inside test). */
  | { kind: 'polygon'; points: number[] };

function ellipseDistance(x: number, y: number, cx: number, cy: number, rx: number, ry: number, cos: number, sin: number): number {
  const dx = x - cx, dy = y - cy;
  const u = cos * dx + sin * dy, v = -sin * dx + cos * dy;
  const k = Math.sqrt((u * u) / (rx * rx) + (v * v) / (ry * ry));
  if (k === 0) return Math.min(rx, ry);
  // first-order distance to the level set k = 1: (1 − k)/|∇k| (exact for circles)
  const g = Math.sqrt((u * u) / (rx * rx * rx * rx) + (v * v) / (ry * ry * ry * ry)) / k;
  return (1 - k) / g;
}

function segmentDistance(x: number, y: number, x0: number, y0: number, x1: number, y1: number): number {
  const ex = x1 - x0, ey = y1 - y0, len2 = ex * ex + ey * ey;
  let t = len2 > 0 ? ((x - x0) * ex + (y - y0) * ey) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return Math.hypot(x - x0 - t * ex, y - y0 - t * ey);
}

/** Signed distance from (x, y) to the primitive's boundary, pixels, positive inside. */
export function signedDistance(p: Primitive, x: number, y: number): number {
  switch (p.kind) {
    case 'ellipse':
      return ellipseDistance(x, y, p.cx, p.cy, p.rx, p.ry, Math.cos(p.angle), Math.sin(p.angle));
    case 'ring': {
      const c = Math.cos(p.angle), s = Math.sin(p.angle);
      const outer = ellipseDistance(x, y, p.cx, p.cy, p.rx, p.ry, c, s);
      const irx = p.rx - p.thickness, iry = p.ry - p.thickness;
      if (!(irx > 0 && iry > 0)) return outer;
      return Math.min(outer, -ellipseDistance(x, y, p.cx, p.cy, irx, iry, c, s));
    }
    case 'capsule':
      return p.r - segmentDistance(x, y, p.x0, p.y0, p.x1, p.y1);
    case 'polygon': {
      const pts = p.points, n = pts.length / 2;
      let inside = false, d = Infinity;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const xi = pts[2 * i]!, yi = pts[2 * i + 1]!, xj = pts[2 * j]!, yj = pts[2 * j + 1]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
        const e = segmentDistance(x, y, xi, yi, xj, yj);
        if (e < d) d = e;
      }
      return inside ? d : -d;
    }
  }
}

/** Axis-aligned bounds [xmin, ymin, xmax, ymax] of the primitive, pixels. */
export function primitiveBounds(p: Primitive): [number, number, number, number] {
  switch (p.kind) {
    case 'ellipse':
    case 'ring': {
      const c = Math.cos(p.angle), s = Math.sin(p.angle);
      const hx = Math.hypot(p.rx * c, p.ry * s), hy = Math.hypot(p.rx * s, p.ry * c);
      return [p.cx - hx, p.cy - hy, p.cx + hx, p.cy + hy];
    }
    case 'capsule':
      return [Math.min(p.x0, p.x1) - p.r, Math.min(p.y0, p.y1) - p.r, Math.max(p.x0, p.x1) + p.r, Math.max(p.y0, p.y1) + p.r];
    case 'polygon': {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < p.points.length; i += 2) {
        const x = p.points[i]!, y = p.points[i + 1]!;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      return [x0, y0, x1, y1];
    }
  }
}

/** Integer pixel box [x0, y0, x1, y1) covering the primitives (plus the soft edge), clipped to the image; empty when x1 ≤ x0 or y1 ≤ y0. */
export function pixelBox(primitives: readonly Primitive[], softness: number, width: number, height: number): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of primitives) {
    const b = primitiveBounds(p);
    x0 = Math.min(x0, b[0]); y0 = Math.min(y0, b[1]); x1 = Math.max(x1, b[2]); y1 = Math.max(y1, b[3]);
  }
  const pad = softness + 1;
  return [
    Math.max(0, Math.floor(x0 - pad)), Math.max(0, Math.floor(y0 - pad)),
    Math.min(width, Math.ceil(x1 + pad)), Math.min(height, Math.ceil(y1 + pad)),
  ];
}

/**
 * Coverage of the union of primitives at the pixel centres of a box [x0, y0, x1, y1):
 * out: Float32Array [(y1−y0)*(x1−x0)], in [0, 1].
 */
export function coverage(out: Float32Array, box: readonly number[], primitives: readonly Primitive[], softness: number): Float32Array {
  const [x0, y0, x1, y1] = box as [number, number, number, number];
  const bw = x1 - x0, bh = y1 - y0, inv = 1 / softness;
  out.fill(0, 0, bw * bh);
  for (const p of primitives) {
    const b = primitiveBounds(p);
    const px0 = Math.max(x0, Math.floor(b[0] - softness - 1)), py0 = Math.max(y0, Math.floor(b[1] - softness - 1));
    const px1 = Math.min(x1, Math.ceil(b[2] + softness + 1)), py1 = Math.min(y1, Math.ceil(b[3] + softness + 1));
    for (let y = py0; y < py1; y++) {
      for (let x = px0; x < px1; x++) {
        let c = signedDistance(p, x + 0.5, y + 0.5) * inv + 0.5;
        c = c > 0 ? (c < 1 ? c : 1) : 0;
        const i = (y - y0) * bw + (x - x0);
        if (c > out[i]!) out[i] = c;
      }
    }
  }
  return out;
}
