/**
 * Files of `workbench fit`: the observations npz in, and flame.npz, cameras.npz, vertices.npy,
 * summary.json out (DESIGN.md conventions; see docs/fitting.md).
 *
 * OBS.npz: `mu` [T,C,V,2] pixels, `sigma` [T,C,V] pixels (0, inf or NaN: missing), `image_size`
 * [C,2] (width, height), optional `K` [C,3,3], `Rt` [C,3,4], `mica_template` [V,3],
 * `vertex_weight` [V], `fps`.
 */
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { isNdArray, ndarray, toFloat32, toFloat64, type NdArray } from '../io/ndarray.js';
import { loadNpz, saveNpz } from '../io/npz.js';
import { saveNpy } from '../io/npy.js';
import type { SequenceData, FitResult } from './fit-sequence.js';
import type { SynthProblem } from './synth-problem.js';

function need(z: Map<string, unknown>, key: string, file: string): NdArray {
  const v = z.get(key);
  if (!isNdArray(v)) throw new UsageError(`${file}: missing array '${key}'`);
  return v;
}

function shapeIs(a: NdArray, expected: Array<number | null>, file: string, key: string): void {
  if (a.shape.length !== expected.length || expected.some((d, k) => d !== null && d !== a.shape[k])) {
    throw new UsageError(`${file}: '${key}' has shape (${a.shape.join(', ')}), expected (${expected.map((d) => d ?? 'n').join(', ')})`);
  }
}

/** Reads OBS.npz. mu/sigma stay float32 (1000 frames × 4 views × 5000 vertices = 240 MB). */
export function readObservations(path: string): SequenceData {
  const z = loadNpz(path);
  const mu = need(z, 'mu', path);
  if (mu.shape.length !== 4 || mu.shape[3] !== 2) throw new UsageError(`${path}: 'mu' has shape (${mu.shape.join(', ')}), expected (T, C, V, 2)`);
  const [T, C, V] = mu.shape as [number, number, number];
  const sigma = need(z, 'sigma', path);
  shapeIs(sigma, [T, C, V], path, 'sigma');
  const imageSize = need(z, 'image_size', path);
  shapeIs(imageSize, [C, 2], path, 'image_size');
  const data: SequenceData = {
    obs: { frames: T, cameras: C, vertices: V, mu: toFloat32(mu, `${path} mu`), sigma: toFloat32(sigma, `${path} sigma`) },
    imageSize: toFloat64(imageSize),
  };
  const opt = (k: string): NdArray | undefined => { const v = z.get(k); return isNdArray(v) ? v : undefined; };
  const K = opt('K'), Rt = opt('Rt');
  if (K) { shapeIs(K, [C, 3, 3], path, 'K'); data.K = toFloat64(K); }
  if (Rt) { shapeIs(Rt, [C, 3, 4], path, 'Rt'); data.Rt = toFloat64(Rt); }
  const mica = opt('mica_template');
  if (mica) { shapeIs(mica, [V, 3], path, 'mica_template'); data.micaTemplate = toFloat64(mica); }
  const vw = opt('vertex_weight');
  if (vw) { shapeIs(vw, [V], path, 'vertex_weight'); data.obs.vertexWeight = toFloat64(vw); }
  const fps = opt('fps');
  if (fps) data.fps = Number(toFloat64(fps)[0]);
  return data;
}

/** Writes a synthetic problem: OBS.npz and OBS.truth.npz. */
export async function saveSynthProblem(path: string, p: SynthProblem, options: { withCameras?: boolean } = {}): Promise<{ obs: string; truth: string }> {
  const { frames: T, cameras: C, vertices: V } = p.obs;
  const entries: Record<string, NdArray> = {
    mu: ndarray('float32', [T, C, V, 2], Float32Array.from(p.obs.mu)),
    sigma: ndarray('float32', [T, C, V], Float32Array.from(p.obs.sigma)),
    image_size: ndarray('float64', [C, 2], Float64Array.from(p.imageSize)),
    fps: ndarray('float64', [], Float64Array.of(p.fps)),
  };
  if (options.withCameras) {
    entries.K = ndarray('float64', [C, 3, 3], Float64Array.from(p.truth.K));
    entries.Rt = ndarray('float64', [C, 3, 4], Float64Array.from(p.truth.Rt));
  }
  const truthPath = path.replace(/\.npz$/i, '') + '.truth.npz';
  const S = p.truth.shape.length, E = p.truth.expr.length / T;
  await saveNpz(path, entries);
  await saveNpz(truthPath, {
    vertices: ndarray('float64', [T, V, 3], p.truth.vertices),
    K: ndarray('float64', [C, 3, 3], p.truth.K),
    Rt: ndarray('float64', [C, 3, 4], p.truth.Rt),
    shape: ndarray('float64', [S], p.truth.shape),
    expr: ndarray('float64', [T, E], p.truth.expr),
    pose: ndarray('float64', [T, 15], p.truth.pose),
    transl: ndarray('float64', [T, 3], p.truth.transl),
  });
  return { obs: path, truth: truthPath };
}

/** Writes flame.npz, cameras.npz, vertices.npy and summary.json into dir. */
export async function saveFitResult(dir: string, r: FitResult, extra: Record<string, unknown> = {}): Promise<string[]> {
  const { frames: T, views: C, vertices: V } = r.summary;
  const E = r.expr.length / T, S = r.shape.length;
  await saveNpz(join(dir, 'flame.npz'), {
    shape: ndarray('float64', [S], r.shape),
    expr: ndarray('float64', [T, E], r.expr),
    pose: ndarray('float64', [T, 15], r.pose),
    transl: ndarray('float64', [T, 3], r.transl),
    offsets: ndarray('float64', [V, 3], r.offsets),
  });
  await saveNpz(join(dir, 'cameras.npz'), { K: ndarray('float64', [C, 3, 3], r.K), Rt: ndarray('float64', [C, 3, 4], r.Rt) });
  await saveNpy(join(dir, 'vertices.npy'), ndarray('float32', [T, V, 3], Float32Array.from(r.vertices)));
  await writeJsonAtomic(join(dir, 'summary.json'), { ...r.summary, ...extra });
  return ['flame.npz', 'cameras.npz', 'vertices.npy', 'summary.json'];
}
