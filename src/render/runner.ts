/**
 * The per-sample work of `workbench render`, the same in the main thread and in every worker:
 * sample k → its source (a built-in head, a mesh, a scan with its registration) → a random labelled
 * view (render-sample.ts) → augmentation → `images/<id>` and `labels/<id>.npz`.
 *
 * Determinism: sample k draws from `new Rng(seed).fork(k)` only, built-in head h from
 * `fork('head/' + h)`, augmentation from the sample's `fork('augment')`; nothing depends on which
 * thread runs a sample or in what order, so the outputs are byte-identical for any worker count.
 *
 * The plan (`RenderPlan`) is plain JSON; the model travels separately (shared memory to workers).
 * Sources are loaded lazily and the last one is kept, so consecutive views of one source (the
 * scheduler hands out runs of them) load and pose it once. A source that fails to load fails all
 * its samples with the same message (the pipeline quarantines them and goes on).
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { Rng } from '../util/rng.js';
import { FormatError, UsageError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Sample } from '../io/sample.js';
import type { Mesh } from '../io/mesh.js';
import { loadObj } from '../io/obj.js';
import { loadPly } from '../io/ply.js';
import { encodeImage, type ImageFormat } from '../io/image.js';
import { FlameEvaluator } from '../flame/lbs.js';
import { buildAugmentation, loadAugmentConfig } from '../augment/index.js';
import type { FlameModel } from '../flame/model.js';
import { headAlbedo } from './albedo.js';
import { srgbToLinear, type MapName, type RenderMesh } from './render-view.js';
import { labelTopology, renderSample, type LabelTopology } from './render-sample.js';
import { sampleHeadParams, type CameraDraw, type CameraSampling, type HeadSampling, type LightSampling, type MaterialSampling } from './sampling.js';
import { loadTexture, type Texture } from './texture.js';
import { writeSampleFiles } from './sample-io.js';
import { flowPicture, previewItem, type PreviewItem } from './preview.js';

/** One input of the dataset. */
export type SourceSpec =
  | { kind: 'builtin'; head: number; name: string }
  | { kind: 'mesh'; path: string; registration?: string; name: string; requireFlame?: boolean };

export type Units = 'auto' | 'm' | 'cm' | 'mm';

/** Everything a runner needs besides the model; plain JSON. */
export interface RenderPlan {
  outDir: string;
  sources: SourceSpec[];
  views: number;
  seed: number | string;
  size: number;
  uvSize: number;
  maps: MapName[];
  /** Augmentation: 'none', 'default' or a JSON config path. */
  augment: string;
  format: ImageFormat;
  quality: number;
  units: Units;
  /** Samples k < previewCount get preview data. */
  previewCount: number;
  /** Deflate in the label npz files: 'maps' (default: the image-sized arrays), 'all' or 'none'. */
  compress?: 'maps' | 'all' | 'none';
  camera?: CameraSampling;
  lights?: LightSampling;
  material?: MaterialSampling;
  head?: HeadSampling;
  /** Visibility tolerance, metres (default 1 mm for own labels, 5 mm against a scan). */
  visibilityTolerance?: number;
}

/** What one written sample reports back. */
export interface SampleRecord {
  index: number;
  id: string;
  image: string;
  labels: string;
  source: string;
  view: number;
  seed: string;
  camera: CameraDraw;
  /** How the source's units were read (mesh sources). */
  units?: string;
  preview?: PreviewItem;
}

/** Sample id: the zero-padded index. */
export function sampleId(index: number, total: number): string {
  return String(index).padStart(Math.max(6, String(Math.max(0, total - 1)).length), '0');
}

/** Total samples of a plan. */
export function sampleCount(plan: Pick<RenderPlan, 'sources' | 'views'>): number {
  return plan.sources.length * plan.views;
}

type AugmentFn = (sample: Sample, rng: Rng) => Promise<Sample> | Sample;

/** The augmentation function for a spec ('none' → none); UsageError for a bad config (augment/config.ts). */
export function loadAugmentation(spec: string): AugmentFn | null {
  if (spec === 'none' || spec === '') return null;
  return buildAugmentation(loadAugmentConfig(spec));
}

/** Metres per unit of a mesh: given, or from its bounding-box diagonal (< 3 → m, < 150 → cm, else mm). */
export function unitScale(positions: Float64Array, units: Units): { scale: number; units: 'm' | 'cm' | 'mm'; detected: boolean } {
  if (units !== 'auto') return { scale: units === 'm' ? 1 : units === 'cm' ? 0.01 : 0.001, units, detected: false };
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i++) {
    const c = i % 3, x = positions[i]!;
    if (x < lo[c]!) lo[c] = x;
    if (x > hi[c]!) hi[c] = x;
  }
  const d = Math.hypot(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!);
  const u = d < 3 ? 'm' : d < 150 ? 'cm' : 'mm';
  return { scale: u === 'm' ? 1 : u === 'cm' ? 0.01 : 0.001, units: u, detected: true };
}

async function loadMeshFile(path: string): Promise<Mesh> {
  if (!existsSync(path)) throw new UsageError(`render: mesh ${path} not found`);
  const ext = extname(path).toLowerCase();
  if (ext === '.obj') return loadObj(path);
  if (ext === '.ply') return loadPly(path);
  throw new UsageError(`render: ${path}: expected an .obj or .ply mesh, found '${ext}'`);
}

/** A loaded, posed source: what is drawn and what is labelled. */
interface LoadedSource {
  render: RenderMesh;
  labels: Float64Array;
  topology: LabelTopology;
  own: boolean;
  units?: string;
}

export class RenderRunner {
  private evaluator: FlameEvaluator | undefined;
  private albedo: Float32Array | undefined;
  private flameTopology: LabelTopology | undefined;
  private cached: { source: number; value: LoadedSource | Error } | undefined;
  private readonly root: Rng;
  private readonly total: number;

  private constructor(readonly plan: RenderPlan, readonly model: FlameModel, private readonly augment: AugmentFn | null) {
    this.root = new Rng(plan.seed);
    this.total = sampleCount(plan);
  }

  static async create(plan: RenderPlan, model: FlameModel): Promise<RenderRunner> {
    return new RenderRunner(plan, model, loadAugmentation(plan.augment));
  }

  /** The model's own label topology (FLAME regions and UVs). */
  private flame(): LabelTopology {
    const m = this.model;
    this.flameTopology ??= labelTopology(m.numVertices, m.faces, this.plan.uvSize, { uvs: m.uvs, faceUvs: m.faceUvs, regions: m.regions });
    return this.flameTopology;
  }

  private headAlbedo(): Float32Array {
    this.albedo ??= headAlbedo(this.model);
    return this.albedo;
  }

  /** Whether a mesh has the model's topology (same vertex count and faces). */
  private isFlame(mesh: Mesh): boolean {
    const f = this.model.faces;
    if (mesh.positions.length !== 3 * this.model.numVertices || mesh.faces.length !== f.length) return false;
    for (let i = 0; i < f.length; i++) if (mesh.faces[i] !== f[i]) return false;
    return true;
  }

  private async loadSource(spec: SourceSpec): Promise<LoadedSource> {
    const plan = this.plan, model = this.model;
    if (spec.kind === 'builtin') {
      const p = sampleHeadParams(this.root.fork(`head/${spec.head}`), model, plan.head);
      this.evaluator ??= new FlameEvaluator(model);
      this.evaluator.setIdentity(p.shape);
      const v = Float64Array.from(this.evaluator.evaluate(p.expr, p.pose));
      const render: RenderMesh = { positions: v, faces: model.faces, colors: this.headAlbedo() };
      if (model.uvs && model.faceUvs) { render.uvs = model.uvs; render.faceUvs = model.faceUvs; }
      return { render, labels: v, topology: this.flame(), own: true };
    }
    const mesh = await loadMeshFile(spec.path);
    const unit = unitScale(mesh.positions, plan.units);
    const positions = scaled(mesh.positions, unit.scale);
    let unitsNote = `${spec.path}: ${unit.units}${unit.detected ? ' (detected)' : ''}`;
    const render: RenderMesh = { positions, faces: mesh.faces };
    const flame = this.isFlame(mesh);
    if (mesh.uvs && mesh.faceUvs) { render.uvs = mesh.uvs; render.faceUvs = mesh.faceUvs; }
    else if (flame && model.uvs && model.faceUvs) { render.uvs = model.uvs; render.faceUvs = model.faceUvs; }
    // albedo: texture (map_Kd) > vertex colours (sRGB in files) > MTL Kd > the head albedo for FLAME topology > grey
    const texture = await this.textureOf(mesh, spec.path);
    if (texture) {
      if (!render.uvs) throw new FormatError(spec.path, undefined, 'has a texture (map_Kd) but no UVs (vt) to map it');
      render.texture = texture;
    } else if (mesh.colors) {
      render.colors = decodeColors(mesh.colors);
    } else if (mesh.materials?.[0]?.diffuse) {
      const kd = mesh.materials[0].diffuse;
      render.colors = new Float32Array(positions.length).map((_, i) => kd[i % 3]!);
    } else if (flame) {
      render.colors = this.headAlbedo();
    }

    if (spec.registration === undefined) {
      if (spec.requireFlame && !flame) {
        throw new FormatError(spec.path, undefined, `expected a registration in the model's topology (${model.numVertices} vertices, ${model.faces.length / 3} faces as in '${model.source}'), found ${mesh.positions.length / 3} vertices and ${mesh.faces.length / 3} faces`);
      }
      const topology = flame
        ? (mesh.uvs && mesh.faceUvs ? labelTopology(model.numVertices, model.faces, plan.uvSize, { uvs: mesh.uvs, faceUvs: mesh.faceUvs, regions: model.regions }) : this.flame())
        : labelTopology(positions.length / 3, mesh.faces, plan.uvSize, { uvs: mesh.uvs, faceUvs: mesh.faceUvs });
      return { render, labels: positions, topology, own: true, units: unitsNote };
    }
    // a scan with its registration: the scan is drawn, the registration labelled
    const reg = await loadMeshFile(spec.registration);
    const regUnit = unitScale(reg.positions, plan.units);
    unitsNote += `; ${spec.registration}: ${regUnit.units}${regUnit.detected ? ' (detected)' : ''}`;
    const labels = scaled(reg.positions, regUnit.scale);
    const regFlame = this.isFlame(reg);
    const topology = regFlame
      ? (reg.uvs && reg.faceUvs ? labelTopology(model.numVertices, model.faces, plan.uvSize, { uvs: reg.uvs, faceUvs: reg.faceUvs, regions: model.regions }) : this.flame())
      : labelTopology(labels.length / 3, reg.faces, plan.uvSize, { uvs: reg.uvs, faceUvs: reg.faceUvs });
    return { render, labels, topology, own: false, units: unitsNote };
  }

  private async textureOf(mesh: Mesh, path: string): Promise<Texture | undefined> {
    const textured = (mesh.materials ?? []).filter((m) => m.diffuseTexture);
    if (textured.length === 0) return undefined;
    const file = textured[0]!.diffuseTexture!;
    if (!existsSync(file)) throw new FormatError(path, undefined, `texture ${file} (map_Kd of material '${textured[0]!.name}') not found`);
    return loadTexture(file);
  }

  private async source(sourceIndex: number): Promise<LoadedSource> {
    if (this.cached?.source !== sourceIndex) {
      let value: LoadedSource | Error;
      try {
        value = await this.loadSource(this.plan.sources[sourceIndex]!);
      } catch (error) {
        value = error instanceof Error ? error : new Error(String(error));
      }
      this.cached = { source: sourceIndex, value };
    }
    const v = this.cached.value;
    if (v instanceof Error) throw v;
    return v;
  }

  /** Renders, augments and writes sample `index`; returns its record. Throws when its source cannot be used. */
  async run(index: number): Promise<SampleRecord> {
    const plan = this.plan;
    if (!(Number.isInteger(index) && index >= 0 && index < this.total)) throw new RangeError(`render: sample ${index} is outside 0..${this.total - 1}`);
    const s = Math.floor(index / plan.views), view = index % plan.views;
    const spec = plan.sources[s]!;
    const src = await this.source(s);
    const rng = this.root.fork(index);
    const visibility = plan.visibilityTolerance === undefined ? {} : { tolerance: plan.visibilityTolerance };
    const { sample: rendered, camera } = renderSample({ render: src.render, labels: src.labels, topology: src.topology, own: src.own }, rng, {
      size: plan.size, maps: plan.maps, visibility,
      ...(plan.camera ? { camera: plan.camera } : {}), ...(plan.lights ? { lights: plan.lights } : {}), ...(plan.material ? { material: plan.material } : {}),
    });
    const sample = this.augment ? await this.augment(rendered, rng.fork('augment')) : rendered;
    const id = sampleId(index, this.total);
    const written = await writeSampleFiles(plan.outDir, id, sample, { format: plan.format, quality: plan.quality, maps: plan.maps, ...(plan.compress === undefined ? {} : { compress: plan.compress }) });
    const record: SampleRecord = { index, id, image: written.image, labels: written.labels, source: spec.name, view, seed: rng.seed, camera };
    if (src.units) record.units = src.units;
    if (index < plan.previewCount) {
      const flow = `preview/${id}-flow.png`;
      await writeFileAtomic(`${plan.outDir}/${flow}`, await encodeImage(flowPicture(sample)));
      record.preview = previewItem(sample, id, written.image, flow, spec.name);
    }
    return record;
  }
}

function scaled(p: Float64Array, s: number): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i]! * s;
  return out;
}

/** Vertex colours as stored in files (sRGB in [0, 1]) → linear albedo. */
function decodeColors(c: Float32Array): Float32Array {
  const out = new Float32Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = srgbToLinear(Math.min(1, Math.max(0, c[i]!)));
  return out;
}
