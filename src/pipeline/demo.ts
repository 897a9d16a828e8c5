/**
 * `workbench demo`: the main job on built-in defaults. Builds the head model, poses a few heads
 * (identities, expressions, jaw and head motion), writes them as OBJ with UVs, renders a picture
 * of each, writes a glTF with the expression components as morph targets and a short animation,
 * and an index.html that shows it all.
 */
import { join } from 'node:path';
import { Rng } from '../util/rng.js';
import { writeFileAtomic } from '../util/atomic.js';
import { writeManifest } from '../util/manifest.js';
import type { Logger } from '../util/log.js';
import { Progress } from '../util/progress.js';
import { FlameEvaluator, type FlameParams } from '../flame/lbs.js';
import type { FlameModel } from '../flame/model.js';
import { saveObj } from '../io/obj.js';
import { writeImage } from '../io/image.js';
import { intrinsics, lookAtRt, type Camera } from '../render/camera.js';
import { rasterize } from '../render/rasterize.js';
import { computeVertexNormals, shadeLambert } from '../render/shade.js';
import { headAlbedo } from '../render/albedo.js';
import { saveGlb } from '../export/gltf.js';

export interface DemoOptions {
  model: FlameModel;
  seed?: number | string;
  logger: Logger;
  /** Image side in pixels. */
  size?: number;
}

export interface DemoResult {
  outDir: string;
  heads: Array<{ name: string; obj: string; image: string }>;
  glb: string;
  index: string;
}

interface HeadSpec { name: string; caption: string; params: FlameParams }

function pose(values: Partial<Record<'global' | 'neck' | 'jaw', [number, number, number]>>): Float64Array {
  const p = new Float64Array(15);
  if (values.global) p.set(values.global, 0);
  if (values.neck) p.set(values.neck, 3);
  if (values.jaw) p.set(values.jaw, 6);
  return p;
}

function headSpecs(model: FlameModel, rng: Rng): HeadSpec[] {
  const S = model.numShape, E = model.numExpr;
  const identity = () => new Float64Array(S).map(() => rng.normal());
  const expr = (entries: Record<number, number>) => { const e = new Float64Array(E); for (const [k, v] of Object.entries(entries)) if (Number(k) < E) e[Number(k)] = v; return e; };
  const id1 = identity(), id2 = identity();
  return [
    { name: 'neutral', caption: 'mean head, neutral', params: {} },
    { name: 'jaw-open-smile', caption: 'jaw open 0.25 rad, smile', params: { expr: expr({ 1: 1.5 }), pose: pose({ jaw: [0.25, 0, 0] }) } },
    { name: 'identity-a', caption: 'random identity, brow raise', params: { shape: id1, expr: expr({ 3: 1.5 }) } },
    { name: 'identity-a-turned', caption: 'same identity, head turned, left eye blink', params: { shape: id1, expr: expr({ 5: 1 }), pose: pose({ neck: [0, 0.45, 0] }) } },
    { name: 'identity-b', caption: 'random identity, pucker', params: { shape: id2, expr: expr({ 2: 1.5 }) } },
    { name: 'identity-b-talking', caption: 'same identity, mid-sentence (random expression), head tilted', params: { shape: id2, expr: new Float64Array(E).map((_, k) => (k < 30 ? rng.normal(0, 0.6) : 0)), pose: pose({ global: [0.12, -0.25, 0.05], jaw: [0.12, 0, 0] }) } },
  ];
}

/** Front camera framing the head: 36 mm-equivalent lens, 0.9 m away. */
export function frontCamera(size: number): Camera {
  return { K: intrinsics(size * 2.25, size, size), Rt: lookAtRt([0, 0.0, 0.9], [0, -0.02, 0], [0, 1, 0]), width: size, height: size };
}

export async function runDemo(outDir: string, options: DemoOptions): Promise<DemoResult> {
  const { model, logger } = options;
  const size = options.size ?? 512;
  const rng = new Rng(options.seed ?? 0);
  const specs = headSpecs(model, rng);
  const ev = new FlameEvaluator(model);
  const albedo = headAlbedo(model);
  const camera = frontCamera(size);
  const lights = { ambient: [0.25, 0.25, 0.27] as [number, number, number], directional: [{ direction: [-0.4, -0.5, -0.75] as [number, number, number], color: [0.9, 0.88, 0.85] as [number, number, number] }] };
  const normals = new Float64Array(model.numVertices * 3);
  const heads: DemoResult['heads'] = [];
  const progress = new Progress('demo', specs.length + 2, { logger });
  for (const spec of specs) {
    const v = Float64Array.from(ev.evaluateParams(spec.params));
    const obj = join('heads', `${spec.name}.obj`), image = join('images', `${spec.name}.png`);
    await saveObj(join(outDir, obj), { positions: v, faces: model.faces, ...(model.uvs ? { uvs: model.uvs, faceUvs: model.faceUvs! } : {}) });
    const raster = rasterize(v, model.faces, camera, { cullBackFaces: true });
    computeVertexNormals(normals, v, model.faces);
    const rgb = shadeLambert(raster, v, model.faces, normals, albedo, lights, camera, [0.08, 0.09, 0.11]);
    await writeImage(join(outDir, image), { width: size, height: size, channels: 3, data: rgb });
    heads.push({ name: spec.name, obj, image });
    progress.tick();
  }
  // glTF: the mean head with the first expression components as morph targets, and an animation
  const M = Math.min(10, model.numExpr);
  const R = model.numVertices * 3;
  const morphTargets = Array.from({ length: M }, (_, l) => {
    const d = new Float64Array(R);
    for (let r = 0; r < R; r++) d[r] = model.exprDirs[r * model.numExpr + l]!;
    return { name: `expression_${l}`, displacement: d };
  });
  const frames = 60, fps = 30;
  const weights = new Float32Array(frames * M);
  for (let t = 0; t < frames; t++) for (let l = 0; l < M; l++) weights[t * M + l] = 1.2 * Math.max(0, Math.sin((2 * Math.PI * t) / frames - l * 0.6)) * (l < 3 ? 1 : 0.5);
  const glb = 'head.glb';
  await saveGlb(join(outDir, glb), { positions: model.vTemplate, faces: model.faces, ...(model.uvs ? { uvs: model.uvs, faceUvs: model.faceUvs! } : {}), colors: albedo }, { name: 'head', morphTargets, animation: { fps, frames, weights } });
  progress.tick();
  const index = 'index.html';
  await writeFileAtomic(join(outDir, index), indexHtml(model, specs, heads, glb));
  progress.tick();
  progress.finish();
  await writeManifest(outDir, {
    command: 'demo',
    parameters: { model: model.source, seed: options.seed ?? 0, size, heads: specs.map((s) => s.name) },
    outputs: [...heads.flatMap((h) => [h.obj, h.image]), glb, index],
  });
  return { outDir, heads, glb, index: join(outDir, index) };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function indexHtml(model: FlameModel, specs: HeadSpec[], heads: DemoResult['heads'], glb: string): string {
  const cards = heads.map((h, k) => `    <figure><img src="${h.image}" alt="${escapeHtml(h.name)}"><figcaption>${escapeHtml(specs[k]!.caption)}<br><a href="${h.obj}">${escapeHtml(h.obj)}</a></figcaption></figure>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>face-workbench demo</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; background: #15171b; color: #ddd; }
a { color: #8cf; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(256px, 1fr)); gap: 1rem; }
figure { margin: 0; background: #1d2026; padding: .5rem; border-radius: 6px; }
img { width: 100%; display: block; border-radius: 4px; }
figcaption { font-size: 13px; margin-top: .4rem; }
</style>
</head>
<body>
<h1>face-workbench demo</h1>
<p>Model: <code>${escapeHtml(model.source)}</code> — ${model.numVertices} vertices, ${model.faces.length / 3} triangles,
${model.numShape} identity and ${model.numExpr} expression components, 5 joints.
Each head is written as OBJ (metres, with UVs) and rendered by the workbench's software rasteriser.</p>
<p>glTF with the first expression components as morph targets and a 2 s animation: <a href="${glb}">${glb}</a>.</p>
<div class="grid">
${cards}
</div>
</body>
</html>
`;
}
