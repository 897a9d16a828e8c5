/**
 * The files of one registration (issue 5, section 4), all written atomically into one folder:
 * - `registration.obj`  model topology with the model's UVs, in the scan's frame and units;
 * - `registration.ply`  the same mesh, binary;
 * - `params.npz`        shape [S], expr [E], pose [15] (axis-angle; global = head rotation),
 *                       transl [3] (metres, model space), offsets [V,3] (metres, model space, added
 *                       after posing), and the similarity model → scan: scale, R [3,3], t [3]
 *                       (scan = scale·R·model + t), units_per_metre;
 * - `distance_mm.npy`   float32 [V]: each vertex's distance to the scan, mm (NaN: farther than the search radius);
 * - `qa.png`            the scan and the registration coloured by that distance.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { FlameModel } from '../flame/model.js';
import { saveObj } from '../io/obj.js';
import { savePly } from '../io/ply.js';
import { saveNpz } from '../io/npz.js';
import { saveNpy } from '../io/npy.js';
import { nd } from '../io/ndarray.js';
import { writeImage, type Image } from '../io/image.js';
import type { RegistrationResult } from './register-scan.js';

export const OUTPUT_FILES = {
  obj: 'registration.obj',
  ply: 'registration.ply',
  params: 'params.npz',
  distances: 'distance_mm.npy',
  qa: 'qa.png',
} as const;

export async function writeRegistration(dir: string, model: FlameModel, r: RegistrationResult, distanceMm: Float32Array, qa: Image): Promise<Record<keyof typeof OUTPUT_FILES, string>> {
  await mkdir(dir, { recursive: true });
  const path = (k: keyof typeof OUTPUT_FILES) => join(dir, OUTPUT_FILES[k]);
  const mesh = { positions: r.vertices, faces: model.faces, ...(model.uvs && model.faceUvs ? { uvs: model.uvs, faceUvs: model.faceUvs } : {}) };
  await saveObj(path('obj'), mesh);
  await savePly(path('ply'), { positions: r.vertices, faces: model.faces }, { format: 'binary_little_endian' });
  await saveNpz(path('params'), {
    shape: nd.f64([r.shape.length], r.shape),
    expr: nd.f64([r.expr.length], r.expr),
    pose: nd.f64([15], r.pose),
    transl: nd.f64([3], r.transl),
    offsets: nd.f64([model.numVertices, 3], r.offsets),
    scale: nd.scalar(r.similarity.s),
    R: nd.f64([3, 3], r.similarity.R),
    t: nd.f64([3], r.similarity.t),
    units_per_metre: nd.scalar(r.unit.unitsPerMetre),
  });
  await saveNpy(path('distances'), nd.f32([model.numVertices], distanceMm));
  await writeImage(path('qa'), qa);
  return { obj: path('obj'), ply: path('ply'), params: path('params'), distances: path('distances'), qa: path('qa') };
}
