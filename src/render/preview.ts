/**
 * `preview.html` of a rendered dataset: a grid of samples, each its image with the labels drawn
 * over it by a small inline canvas script — vertices at `mu` (green visible, red hidden; a
 * subsample), the mask outline (yellow) — and beside it the UV flow as colour: texel p shows where
 * it lands, μ(p) = p + F(p), as red = x/W and green = y/H (blue 0.6 where valid, 0.15 where the
 * point is hidden or only a gutter texel, black where no surface is). The labels travel as a
 * small JSON per sample; the flow pictures are D_uv×D_uv PNGs under `preview/`.
 */
import { escapeHtml, pageHead } from '../util/html.js';
import type { Image } from '../io/image.js';
import type { Sample } from '../io/sample.js';

/** What the preview shows of one sample (all JSON). */
export interface PreviewItem {
  id: string;
  /** image and flow picture paths, relative to the output folder. */
  image: string;
  flow: string;
  width: number;
  height: number;
  source: string;
  /** Every `stride`-th vertex: x, y pairs (pixels, 0.1 px) and visibility as a '0'/'1' string. */
  stride: number;
  mu: number[];
  visible: string;
  /** Mask outline: x, y pairs of boundary cells on a grid of `cell` pixels (cell centres, pixels). */
  cell: number;
  outline: number[];
}

/** Most vertices drawn per sample. */
const MAX_POINTS = 700;

/** The preview data of a sample. */
export function previewItem(sample: Sample, id: string, image: string, flow: string, source: string): PreviewItem {
  const V = sample.visible.length;
  const stride = Math.max(1, Math.ceil(V / MAX_POINTS));
  const mu: number[] = [];
  let visible = '';
  for (let v = 0; v < V; v += stride) {
    mu.push(Math.round(sample.mu[2 * v]! * 10) / 10, Math.round(sample.mu[2 * v + 1]! * 10) / 10);
    visible += sample.visible[v] ? '1' : '0';
  }
  // mask outline on a coarse grid: a cell is "in" when the mask covers its centre pixel; boundary
  // cells are in-cells with an out-cell among their 4 neighbours
  const W = sample.width, H = sample.height;
  const cell = Math.max(1, Math.round(Math.max(W, H) / 128));
  const gw = Math.ceil(W / cell), gh = Math.ceil(H / cell);
  const inside = (gi: number, gj: number): boolean => {
    if (gi < 0 || gj < 0 || gi >= gw || gj >= gh) return false;
    const x = Math.min(W - 1, gi * cell + (cell >> 1)), y = Math.min(H - 1, gj * cell + (cell >> 1));
    return sample.mask[y * W + x] === 1;
  };
  const outline: number[] = [];
  for (let gj = 0; gj < gh; gj++) {
    for (let gi = 0; gi < gw; gi++) {
      if (inside(gi, gj) && (!inside(gi - 1, gj) || !inside(gi + 1, gj) || !inside(gi, gj - 1) || !inside(gi, gj + 1))) {
        outline.push(gi * cell + cell / 2, gj * cell + cell / 2);
      }
    }
  }
  return { id, image, flow, width: W, height: H, source, stride, mu, visible, cell, outline };
}

/** The UV flow as a colour picture (see the file header): Image D×D×3. */
export function flowPicture(sample: Sample): Image {
  const D = sample.uvSize, W = sample.width, H = sample.height;
  const data = new Uint8Array(Math.max(1, D * D) * 3);
  for (let p = 0; p < D * D; p++) {
    const fx = sample.uvFlow[2 * p]!, fy = sample.uvFlow[2 * p + 1]!;
    if (fx === 0 && fy === 0 && !sample.uvFlowValid[p]) continue; // no surface
    const x = (p % D) + 0.5 + fx, y = Math.floor(p / D) + 0.5 + fy;
    const c = (t: number): number => Math.max(0, Math.min(255, Math.round(255 * t)));
    data[3 * p] = c(x / W);
    data[3 * p + 1] = c(y / H);
    data[3 * p + 2] = sample.uvFlowValid[p] ? 153 : 38;
  }
  return { width: Math.max(1, D), height: Math.max(1, D), channels: 3, data };
}


/** The page. `total`: samples in the dataset (the grid shows `items`). */
export function previewHtml(items: readonly PreviewItem[], info: { title: string; total: number; parameters: Record<string, unknown> }): string {
  // JSON inside <script>: escape '<' so no '</script>' can end it early
  const json = JSON.stringify(items).replace(/</g, '\\u003c');
  return `${pageHead(info.title, `.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: .8rem; }
figure { margin: 0; background: #1d2026; padding: .4rem; border-radius: 6px; }
.pair { display: flex; gap: .4rem; align-items: flex-start; }
canvas { width: 220px; height: 220px; border-radius: 3px; }
img.flow { width: 72px; height: 72px; image-rendering: pixelated; border-radius: 3px; }
figcaption { font-size: 12px; margin-top: .3rem; color: #aaa; word-break: break-all; }
.key span { display: inline-block; width: .8em; height: .8em; margin: 0 .3em 0 1em; vertical-align: middle; }
`)}
<body>
<h1>${escapeHtml(info.title)}</h1>
<p>${items.length} of ${info.total} samples. Parameters: <code>${escapeHtml(JSON.stringify(info.parameters))}</code></p>
<p class="key">Overlay:<span style="background:#3f3"></span>visible vertex<span style="background:#f33"></span>hidden vertex<span style="background:#fd2"></span>mask outline.
Small picture: the UV flow as colour, red = x/W and green = y/H of μ(p) = p + F(p); dim where not valid.</p>
<div class="grid" id="grid"></div>
<script>
const items = ${json};
const grid = document.getElementById('grid');
for (const it of items) {
  const fig = document.createElement('figure');
  const pair = document.createElement('div'); pair.className = 'pair';
  const canvas = document.createElement('canvas'); canvas.width = it.width; canvas.height = it.height;
  const flow = document.createElement('img'); flow.className = 'flow'; flow.src = it.flow; flow.alt = 'uv flow';
  pair.append(canvas, flow);
  const cap = document.createElement('figcaption');
  cap.textContent = it.id + ' \\u2014 ' + it.source;
  fig.append(pair, cap);
  grid.append(fig);
  const img = new Image();
  img.onload = () => {
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const r = Math.max(1.5, it.width / 256);
    g.fillStyle = '#fd2';
    for (let k = 0; k < it.outline.length; k += 2) g.fillRect(it.outline[k] - r / 2, it.outline[k + 1] - r / 2, r, r);
    for (let k = 0; k < it.visible.length; k++) {
      g.fillStyle = it.visible[k] === '1' ? '#3f3' : '#f33';
      g.fillRect(it.mu[2 * k] - r / 2, it.mu[2 * k + 1] - r / 2, r, r);
    }
  };
  img.src = it.image;
}
</script>
</body>
</html>
`;
}
