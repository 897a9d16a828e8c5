/**
 * `workbench synth facescape OUT`: a FaceScape-layout dataset with known truth, built from the
 * built-in head model, to test scan registration (issue 5, section 5; DESIGN.md "FaceScape").
 *
 * Layout (ids 1..N; expressions '1_neutral' then K of FaceScape's other nineteen):
 *
 *   OUT/{id}/models_reg/{k}_{expression}.obj, .mtl, .jpg   the scan (mm, scan frame) with its texture
 *   OUT/{id}/models_reg/1_neutral.pp                        68 neutral landmarks (MeshLab), click noise
 *   OUT/{id}/{k}_{expression}/{view}.jpg                    multi-view photos (view 0 is frontal)
 *   OUT/{id}/{k}_{expression}/params.json                   {v}_K, {v}_Rt, {v}_distortion, {v}_width,
 *                                                           {v}_height, {v}_valid (one view false)
 *   OUT/_truth/{id}/{k}_{expression}.npz                     vertices [V,3] (model topology, scan frame
 *                                                           and units), shape, expr, pose, transl,
 *                                                           scale, R, t, landmarks [68,3], frontal_view,
 *                                                           invalid_view
 *   OUT/manifest.json
 *   OUT/robustness/{variant}/...                            with --variants: one subject per variant,
 *                                                           each folder a dataset of the same layout
 *
 * Truth: `vertices = scale · R · M(shape, expr, pose, transl) + t`, M the model in metres; the
 * scan's surface contains the truth surface wherever it has no hole, no hair and no noise.
 *
 * Robustness variants (issue 5, section 6), each `OUT/robustness/{name}/` with one subject '1':
 * - `metres`: scans, landmarks and camera translations in metres instead of millimetres;
 * - `rotated`: the scan frame turned 90° about its Z axis (the head lies on its side); landmarks
 *   and cameras in the same frame, photos unchanged;
 * - `cheek_hole`: every scan misses a disc of about 22 mm radius over the left cheek;
 * - `missing_landmarks`: 20 % of the neutral landmarks (14 of 68) are unplaced, written as MeshLab
 *   writes unplaced template points: `active="0"` at (0, 0, 0);
 * - `landmark_noise`: neutral landmark click noise σ = 2 mm per axis (default 1.5 mm).
 *
 * Deterministic: every random choice comes from the seed through named `Rng.fork`s (subject,
 * expression, purpose), so the same seed and options give byte-identical files.
 *
 * Speed, measured (N = 2, K = 3 at the defaults: 10 views of 1024², ~99k-vertex scans, 2048²
 * textures; one thread on the shared 2-core machine at load average ≈ 6): 28 s wall, 22 s CPU —
 * rendering 11 s (140 ms a view; JPEG encoding overlaps it on sharp's threads), subjects (texture,
 * body) 5.6 s, OBJ writing 4.5 s, scan geometry 2.7 s. Tried: per-pixel diffuse with a specular
 * lobe, 190 ms a view (now Gouraud diffuse, no specular: the mesh is denser than the pixels);
 * awaiting each photo's JPEG before rendering the next, +3.7 s; Math.pow for the texture's sRGB
 * encoding, 1.4 s a subject (now the renderer's table). `--verbose` logs the breakdown.
 *
 * The built-in model has 14 vertices no triangle uses (inside the eye openings); their truth
 * positions follow the model but lie on no surface, so a scan cannot constrain them.
 */
import { join, resolve } from 'node:path';
import { Rng, type Seed, UsageError, writeFileAtomic, writeJsonAtomic, writeManifest, Progress, silentLogger, type Logger, profile } from '../util/index.js';
import { type FlameModel, builtinModel, IBUG68_NAMES, landmarkPositions } from '../flame/index.js';
import { encodeImage, writeImage, type Image, saveObj, savePickedPoints, type PickedPoint, saveNpz, nd } from '../io/index.js';
import { createRasterBuffers, renderView, type Material } from '../render/index.js';
import { expressionList, expressionParams } from './expressions.js';
import { textureToSrgb8 } from './skin-texture.js';
import { paramsJson, rigCameras, studioLights, toScanFrame, MAX_VIEWS } from './rig.js';
import { buildScanGeometry, createSubject, planRemesh, type RemeshPlan } from './scan-geometry.js';

export const VARIANTS = ['metres', 'rotated', 'cheek_hole', 'missing_landmarks', 'landmark_noise'] as const;
export type VariantName = (typeof VARIANTS)[number];

export interface SynthFacescapeOptions {
  /** Output folder. */
  out: string;
  /** Number of subjects (ids 1..N). */
  subjects: number;
  /** Expressions per subject besides the neutral (0–19): the first K of FaceScape's list. */
  expressions: number;
  /** Explicit expression names instead of the first K (e.g. ['3_mouth_stretch', '18_eye_closed']). */
  expressionNames?: string[];
  seed?: Seed;
  /** Photo side, pixels. */
  size?: number;
  /** Views per scan (1–16); view 0 is frontal. */
  views?: number;
  /** About how many vertices a scan has. */
  scanVertices?: number;
  /** Texture side, texels. */
  textureSize?: number;
  /** Scan noise along the normals, σ in millimetres (the hair cap gets twice this). */
  noiseMm?: number;
  /** Neutral landmark click noise, σ per axis in millimetres. */
  landmarkNoiseMm?: number;
  /** Holes (under the nose and chin, back of the eyeballs, 0–2 random patches). */
  holes?: boolean;
  /** Hair cap over the scalp. */
  hair?: boolean;
  /** Shoulders and upper torso. */
  torso?: boolean;
  /** Robustness variants to add under OUT/robustness/. */
  variants?: readonly VariantName[];
  /** The head model; default the built-in model (it needs UVs, regions and the 68 landmarks). */
  model?: FlameModel;
  logger?: Logger;
}

export const SYNTH_FACESCAPE_DEFAULTS = {
  size: 1024, views: 10, scanVertices: 100_000, textureSize: 2048, noiseMm: 0.15, landmarkNoiseMm: 1.5,
  holes: true, hair: true, torso: true,
} as const;

export interface SynthFacescapeResult {
  out: string;
  subjects: string[];
  expressions: string[];
  /** Scans written (all datasets). */
  scans: number;
  /** Vertices per scan: smallest, largest. */
  scanVertices: [number, number];
  /** Variant name → its dataset folder. */
  variants: Partial<Record<VariantName, string>>;
  /** Files written (all datasets, manifests included). */
  files: number;
  seconds: number;
}

/** What varies between the main dataset and a robustness variant. */
interface DatasetSpec {
  dir: string;
  /** Seed label of the dataset. */
  label: string;
  ids: string[];
  /** Model metres → scan units. */
  scale: number;
  /** Extra rotation of the scan frame (row-major [9]) after the placement. */
  rotate?: Float64Array;
  cheek?: 'left' | 'right';
  landmarkNoiseMm: number;
  missingLandmarks: number;
}

type Resolved = Required<Omit<SynthFacescapeOptions, 'expressionNames' | 'seed' | 'model' | 'logger' | 'variants'>> & { seed: Seed };

/** Generates the dataset (and the variants); returns what it wrote. */
export async function synthFacescape(options: SynthFacescapeOptions): Promise<SynthFacescapeResult> {
  const t0 = performance.now();
  const before = profile.report();
  const o: Resolved = { ...SYNTH_FACESCAPE_DEFAULTS, ...stripUndefined(options), seed: options.seed ?? 0 } as Resolved;
  const logger = options.logger ?? silentLogger;
  if (!(Number.isInteger(o.subjects) && o.subjects >= 1)) throw new UsageError(`synth facescape: --subjects must be a positive integer, got ${o.subjects}`);
  if (!(Number.isInteger(o.size) && o.size >= 32 && o.size <= 8192)) throw new UsageError(`synth facescape: --size must be an integer 32–8192, got ${o.size}`);
  if (!(Number.isInteger(o.views) && o.views >= 1 && o.views <= MAX_VIEWS)) throw new UsageError(`synth facescape: --views must be an integer 1–${MAX_VIEWS}, got ${o.views}`);
  if (!(Number.isFinite(o.scanVertices) && o.scanVertices >= 5000)) throw new UsageError(`synth facescape: --scan-vertices must be at least 5000, got ${o.scanVertices}`);
  if (!(o.noiseMm >= 0 && o.landmarkNoiseMm >= 0)) throw new UsageError(`synth facescape: noise must be >= 0 (scan ${o.noiseMm} mm, landmarks ${o.landmarkNoiseMm} mm)`);
  const variants = [...new Set(options.variants ?? [])];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new UsageError(`synth facescape: unknown variant '${v}', expected ${VARIANTS.join(', ')}`);
  const expressions = expressionList(o.expressions, options.expressionNames);
  const model = options.model ?? (await builtinModel());
  checkModel(model);
  const out = resolve(o.out);
  const plan = planRemesh(model, o.scanVertices);
  logger.debug(`synth facescape: re-meshing each model triangle ${plan.res.n}×${plan.res.n} (${plan.res.points} points), torso ${plan.torsoColumns}×${plan.torsoRows}`);

  const datasets: DatasetSpec[] = [{
    dir: out, label: 'main', ids: Array.from({ length: o.subjects }, (_, i) => String(i + 1)), scale: 1000,
    landmarkNoiseMm: o.landmarkNoiseMm, missingLandmarks: 0,
  }];
  const variantDirs: Partial<Record<VariantName, string>> = {};
  for (const v of variants) {
    const dir = join(out, 'robustness', v);
    variantDirs[v] = dir;
    const base: DatasetSpec = { dir, label: `variant/${v}`, ids: ['1'], scale: 1000, landmarkNoiseMm: o.landmarkNoiseMm, missingLandmarks: 0 };
    switch (v) {
      case 'metres': base.scale = 1; break;
      case 'rotated': base.rotate = Float64Array.of(0, -1, 0, 1, 0, 0, 0, 0, 1); break;
      case 'cheek_hole': base.cheek = 'left'; break;
      case 'missing_landmarks': base.missingLandmarks = 14; break;
      case 'landmark_noise': base.landmarkNoiseMm = 2; break;
    }
    datasets.push(base);
  }
  const totalScans = datasets.reduce((s, d) => s + d.ids.length * expressions.length, 0);
  const progress = new Progress('synth facescape', totalScans, { logger });
  const root = new Rng(o.seed);
  const stats = { scans: 0, minV: Infinity, maxV: 0, files: 0 };
  const variantManifests: string[] = [];
  // variants first, so the main manifest can name their manifests
  for (const d of [...datasets.slice(1), datasets[0]!]) {
    const files = await writeDataset(model, plan, d, expressions, o, root.fork(d.label), progress, stats);
    const parameters = {
      model: model.source, seed: String(o.seed), subjects: d.ids.length, expressions, size: o.size, views: o.views,
      scanVerticesTarget: o.scanVertices, subdivision: plan.res.n, textureSize: o.textureSize, noiseMm: o.noiseMm,
      landmarkNoiseMm: d.landmarkNoiseMm, missingLandmarks: d.missingLandmarks, holes: o.holes, hair: o.hair, torso: o.torso,
      units: d.scale === 1000 ? 'mm' : 'm', rotated: Boolean(d.rotate), cheekHole: d.cheek ?? null,
      ...(d.label === 'main' ? { variants } : { variant: d.label.slice('variant/'.length) }),
    };
    if (d.label === 'main') files.push(...variantManifests);
    await profile.timeAsync('synth.manifest', () => writeManifest(d.dir, { command: 'synth facescape', parameters, outputs: files }));
    stats.files += files.length + 1;
    if (d.label !== 'main') variantManifests.push(join(d.dir, 'manifest.json'));
  }
  progress.finish();
  logger.debug('synth facescape: where the time went (ms)', phaseTimes(before));
  return {
    out, subjects: datasets[0]!.ids, expressions, scans: stats.scans, scanVertices: [stats.minV, stats.maxV],
    variants: variantDirs, files: stats.files, seconds: (performance.now() - t0) / 1000,
  };
}

/** The invalid view's defect: a frame shot about three stops under (sRGB values × 0.12). */
function underexpose(image: Float32Array): void {
  for (let i = 0; i < image.length; i++) image[i]! *= 0.12;
}

/** sRGB floats in [0, 1] → an 8-bit RGB image (rounded, clamped). */
function toImage8(data: Float32Array, width: number, height: number): Image {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]! * 255 + 0.5;
    out[i] = x > 0 ? (x < 255 ? x | 0 : 255) : 0;
  }
  return { width, height, channels: 3, data: out };
}

/** Milliseconds of this run's `synth.*` phases: the profiler's totals minus those at the start. */
function phaseTimes(before: Record<string, { ms: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(profile.report())) if (k.startsWith('synth.')) out[k.slice(6)] = v.ms - (before[k]?.ms ?? 0);
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkModel(model: FlameModel): void {
  const missing: string[] = [];
  if (!model.uvs || !model.faceUvs) missing.push('UVs');
  if (!model.landmarks.full68) missing.push('the 68-landmark embedding');
  for (const r of ['boundary', 'left_eyeball', 'right_eyeball']) if (!model.regions[r]?.length) missing.push(`region '${r}'`);
  if (model.numExpr < 21) missing.push('expression components 0–20');
  if (missing.length) throw new UsageError(`synth facescape: model '${model.source}' lacks ${missing.join(', ')}; use the built-in model`);
}

const DEG = Math.PI / 180;

/** Writes one dataset; returns its files (absolute paths). */
async function writeDataset(model: FlameModel, plan: RemeshPlan, d: DatasetSpec, expressions: string[], o: Resolved, rng: Rng, progress: Progress, stats: { scans: number; minV: number; maxV: number }): Promise<string[]> {
  const files: string[] = [];
  const full68 = model.landmarks.full68!;
  const precision = d.scale >= 100 ? 5 : 8;
  for (const id of d.ids) {
    const srng = rng.fork(`subject/${id}`);
    const subject = profile.time('synth.subject', () => createSubject(model, plan, srng, { textureSize: o.textureSize, scale: d.scale, ...(d.rotate ? { rotate: d.rotate } : {}) }));
    const { texture, placement, shape } = subject;
    const textureJpeg = await encodeImage({ width: texture.width, height: texture.height, channels: 3, data: textureToSrgb8(texture) }, { format: 'jpeg', quality: 92 });
    const rest = new Float64Array(subject.evaluator.evaluate([], new Float64Array(15)));
    const L = landmarkPositions(rest, model.faces, full68);
    // aim between the eyes and the chin, 8.5 cm behind the nose tip (about the middle of the head,
    // so the side views keep it centred)
    const target = [0, (L[3 * 37 + 1]! + L[3 * 44 + 1]! + 2 * L[3 * 8 + 1]!) / 4, L[3 * 30 + 2]! - 0.085];
    const cameras = rigCameras(srng.fork('rig'), target, { views: o.views, size: o.size });
    const lights = studioLights(srng.fork('lights'));
    const material: Material = { tint: [1, 1, 1], specular: 0, shininess: 24 };
    const raster = createRasterBuffers(o.size, o.size);
    const background: [number, number, number] = [0.09, 0.11, 0.15];

    for (const name of expressions) {
      const erng = srng.fork(`scan/${name}`);
      const ep = expressionParams(name, model.numExpr, erng.fork('expression'));
      const prng = erng.fork('pose');
      const pose = new Float64Array(15);
      for (let k = 0; k < 3; k++) { pose[k] = prng.normal(0, 1.5 * DEG); pose[3 + k] = prng.normal(0, 2.5 * DEG); pose[6 + k] = ep.jaw[k]!; }
      const transl = Float64Array.of(prng.normal(0, 0.002), prng.normal(0, 0.002), prng.normal(0, 0.002));
      const geom = profile.time('synth.geometry', () => buildScanGeometry(model, plan, subject, ep.expr, pose, transl, erng.fork('scan'), {
        noise: o.noiseMm / 1000, hair: o.hair, torso: o.torso,
        holes: o.holes ? { random: erng.fork('patches').int(3), ...(d.cheek ? { cheek: d.cheek } : {}) } : { nose: false, chin: false, eyeballs: false, random: 0, ...(d.cheek ? { cheek: d.cheek } : {}) },
      }));
      const nV = geom.scan.positions.length / 3;
      stats.minV = Math.min(stats.minV, nV); stats.maxV = Math.max(stats.maxV, nV);

      // photos and params.json
      const shotDir = join(d.dir, id, name);
      const invalid = o.views > 1 ? 1 + erng.fork('invalid').int(o.views - 1) : -1;
      const valid = cameras.map((_, v) => v !== invalid);
      const writes: Array<Promise<void>> = []; // JPEG encoding runs on sharp's threads while the next view renders
      for (let v = 0; v < cameras.length; v++) {
        const view = profile.time('synth.render', () => renderView(geom.photo, cameras[v]!, lights, material, { background, raster, diffuse: 'vertex' }));
        if (v === invalid) underexpose(view.image);
        const path = join(shotDir, `${v}.jpg`);
        writes.push(writeImage(path, toImage8(view.image, view.width, view.height), { quality: 92 }));
        files.push(path);
      }
      const paramsPath = join(shotDir, 'params.json');
      writes.push(writeJsonAtomic(paramsPath, paramsJson(cameras, placement, valid)));
      files.push(paramsPath);

      // the scan with its texture
      const regDir = join(d.dir, id, 'models_reg');
      const texPath = join(regDir, `${name}.jpg`);
      writes.push(writeFileAtomic(texPath, textureJpeg));
      const objPath = join(regDir, `${name}.obj`);
      await profile.timeAsync('synth.obj', () => saveObj(objPath, geom.scan, { texture: texPath, precision }));
      files.push(texPath, objPath, join(regDir, `${name}.mtl`));

      // truth
      const vertices = toScanFrame(new Float64Array(geom.truth.length), geom.truth, placement);
      const lmk = landmarkPositions(vertices, model.faces, full68);
      const truthPath = join(d.dir, '_truth', id, `${name}.npz`);
      await saveNpz(truthPath, {
        vertices: nd.f64([model.numVertices, 3], vertices),
        shape: nd.f64([model.numShape], shape),
        expr: nd.f64([model.numExpr], ep.expr),
        pose: nd.f64([15], pose),
        transl: nd.f64([3], transl),
        scale: nd.scalar(placement.scale),
        R: nd.f64([3, 3], placement.R),
        t: nd.f64([3], Array.from(placement.t, (x) => x * placement.scale)),
        landmarks: nd.f64([full68.faceIdx.length, 3], lmk),
        frontal_view: nd.i32([], [0]),
        invalid_view: nd.i32([], [invalid]),
      });
      files.push(truthPath);

      // neutral landmarks as a MeshLab .pp, with click noise (and unplaced points)
      if (name === '1_neutral') {
        const lrng = erng.fork('landmarks');
        const sigma = (d.landmarkNoiseMm / 1000) * d.scale;
        const missing = new Set(lrng.shuffle(Array.from({ length: lmk.length / 3 }, (_, k) => k)).slice(0, d.missingLandmarks));
        const points: PickedPoint[] = [];
        for (let k = 0; k < lmk.length / 3; k++) {
          const noise = [lrng.normal(0, sigma), lrng.normal(0, sigma), lrng.normal(0, sigma)];
          const active = !missing.has(k);
          points.push({
            name: IBUG68_NAMES[k] ?? `landmark_${k}`, active,
            position: active ? [lmk[3 * k]! + noise[0]!, lmk[3 * k + 1]! + noise[1]!, lmk[3 * k + 2]! + noise[2]!] : [0, 0, 0],
          });
        }
        const ppPath = join(regDir, '1_neutral.pp');
        await savePickedPoints(ppPath, points, { dataFileName: '1_neutral.obj' });
        files.push(ppPath);
      }
      await profile.timeAsync('synth.wait-writes', () => Promise.all(writes));
      stats.scans++;
      progress.tick();
    }
  }
  return files;
}
