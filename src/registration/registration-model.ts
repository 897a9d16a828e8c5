/**
 * The model a registration fits: any model `loadModel` reads (builtin, FLAME .pkl, exported .npz),
 * or a bare template mesh (.obj/.ply, e.g. FLAME's `head_template.obj`) with a landmark embedding
 * file — then there are no blendshapes and only the rigid and non-rigid stages apply
 * (`templateModel`). Output topology is always the model's.
 */
import { extname } from 'node:path';
import { existsSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { FlameModel } from '../flame/model.js';
import { loadModel } from '../flame/load.js';
import { loadLandmarkEmbedding, loadRegionMasks } from '../flame/embedding.js';
import { templateModel } from '../flame/template-model.js';
import { loadObj } from '../io/obj.js';
import { loadPly } from '../io/ply.js';

export interface RegistrationModelOptions {
  /** Landmark embedding file (required with a template mesh). */
  embedding?: string;
  /** Region masks (FLAME_masks.pkl). */
  masks?: string;
  logger?: Logger;
}

export function isTemplateSpec(spec: string): boolean {
  return ['.obj', '.ply'].includes(extname(spec).toLowerCase());
}

export async function loadRegistrationModel(spec: string, o: RegistrationModelOptions = {}): Promise<FlameModel> {
  if (!isTemplateSpec(spec)) {
    return loadModel(spec, { ...(o.embedding ? { embeddings: [o.embedding] } : {}), ...(o.masks ? { masks: o.masks } : {}), ...(o.logger ? { logger: o.logger } : {}) });
  }
  if (!existsSync(spec)) throw new UsageError(`template mesh '${spec}' not found`);
  if (!o.embedding) throw new UsageError(`--model ${spec} is a bare template mesh: give its landmark embedding with --embedding (e.g. flame_static_embedding.pkl)`);
  const mesh = extname(spec).toLowerCase() === '.obj' ? await loadObj(spec, { materials: false }) : await loadPly(spec);
  // a head in millimetres spans ~250 units, in metres ~0.25
  let lo = Infinity, hi = -Infinity;
  for (let i = 1; i < mesh.positions.length; i += 3) { lo = Math.min(lo, mesh.positions[i]!); hi = Math.max(hi, mesh.positions[i]!); }
  const metresPerUnit = hi - lo > 10 ? 0.001 : 1;
  if (metresPerUnit !== 1) o.logger?.info(`template ${spec}: taken to be in millimetres (height ${(hi - lo).toFixed(1)} units)`);
  return templateModel(mesh, {
    source: spec, metresPerUnit, landmarks: loadLandmarkEmbedding(o.embedding),
    ...(o.masks ? { regions: loadRegionMasks(o.masks) } : {}),
  });
}
