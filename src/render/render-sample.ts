/**
 * One synthetic training sample: a random view of a mesh, cropped to the face, with exact labels
 * (io/sample.ts). The labelled mesh is the rendered one (a built-in head, a registration) or a
 * FLAME-topology registration of a rendered scan (`own` = false: the labels come from the
 * registration, visibility is tested against the scan's depth).
 *
 * 1. random camera around the labelled mesh (sampling.ts), then the face crop: the square box of the
 *    projected face/ear vertices, enlarged by 20%, becomes the size×size image by K' = A·K;
 * 2. random lights, material and background; render (render-view.ts);
 * 3. mu, visible (ground-truth.ts); uv_flow, uv_flow_valid (uv-flow.ts); weights from the topology.
 * Every random draw comes from a named fork of the sample's rng ('camera', 'lights', 'material',
 * 'background'), so changing one part leaves the others as they were.
 */
import type { Rng } from '../util/rng.js';
import type { Sample } from '../io/sample.js';
import { projectPoints, type Camera } from './camera.js';
import { cropCamera, DepthTester, regionWeights, squareBox, vertexLabels, type VisibilityOptions } from './ground-truth.js';
import { createRasterBuffers, type RasterBuffers } from './rasterize.js';
import { renderView, type MapName, type RenderMesh } from './render-view.js';
import {
  headBounds, sampleBackground, sampleCamera, sampleLights, sampleMaterial,
  type CameraDraw, type CameraSampling, type LightSampling, type MaterialSampling,
} from './sampling.js';
import { buildUvLayout, uvFlowLabels, uvWeightMap, type UvLayout } from './uv-flow.js';

/** What the labels of a mesh need besides its vertices; built once per topology. */
export interface LabelTopology {
  /** Number of vertices V. */
  vertexCount: number;
  /** faces: Uint32Array [F*3] of the labelled mesh. */
  faces: Uint32Array;
  /** UV layout (absent: the mesh has no UVs, and the UV labels are empty, D = 0). */
  layout?: UvLayout;
  /** vertexWeight: Float32Array [V]; uvWeight: Float32Array [D*D]. */
  vertexWeight: Float32Array;
  uvWeight: Float32Array;
  /** Vertices whose projection defines the face box (face and ears); all when empty. */
  boxIndices: Uint32Array;
}

/** Regions whose vertices weigh 1 (the rest 0.005) and define the face box. */
export const FACE_REGIONS = ['face', 'left_ear', 'right_ear'] as const;

/**
 * The label topology of a mesh. regions: vertex index sets by name (FLAME's; empty for other
 * meshes: every vertex then weighs 1 and frames the box); uvs/faceUvs: its UVs, if any.
 */
export function labelTopology(
  vertexCount: number,
  faces: Uint32Array,
  uvSize: number,
  extra: { uvs?: Float32Array | undefined; faceUvs?: Uint32Array | undefined; regions?: Record<string, ArrayLike<number>> | undefined } = {},
): LabelTopology {
  const regions = extra.regions ?? {};
  const vertexWeight = regionWeights(vertexCount, regions, FACE_REGIONS);
  const box: number[] = [];
  for (const name of FACE_REGIONS) {
    const idx = regions[name];
    if (idx) for (let k = 0; k < idx.length; k++) box.push(idx[k]!);
  }
  const boxIndices = Uint32Array.from(new Set(box)).sort();
  if (extra.uvs && extra.faceUvs && uvSize > 0) {
    const layout = buildUvLayout(extra.uvs, extra.faceUvs, faces, vertexCount, uvSize);
    return { vertexCount, faces, layout, vertexWeight, uvWeight: uvWeightMap(layout, faces, vertexWeight), boxIndices };
  }
  return { vertexCount, faces, vertexWeight, uvWeight: new Float32Array(0), boxIndices };
}

/** What one sample shows and labels. */
export interface SampleScene {
  /** The mesh drawn. */
  render: RenderMesh;
  /** labels: Float64Array [V*3], world, metres: the labelled mesh's vertices (`render.positions` when own). */
  labels: Float64Array;
  topology: LabelTopology;
  /** The labelled mesh is the rendered mesh (same vertices and faces). */
  own: boolean;
}

export interface SampleOptions {
  /** Output image side D_img, pixels. Default 512. */
  size?: number;
  /** Maps to keep in the sample (mask is always there). */
  maps?: readonly MapName[];
  camera?: CameraSampling;
  lights?: LightSampling;
  material?: MaterialSampling;
  /** Visibility tolerance etc.; default 1 mm when own, 5 mm for a registration against its scan. */
  visibility?: VisibilityOptions;
  /** Drop back faces. Default false. */
  cullBackFaces?: boolean;
  /** Diffuse shading per 'pixel' or per 'vertex' (render-view.ts); 'auto' (default): per vertex when the mesh has fewer vertices than a quarter of the image's pixels. */
  diffuse?: 'pixel' | 'vertex' | 'auto';
}

/** Default visibility tolerance when the labels come from a registration of the rendered scan, metres. */
export const FOREIGN_VISIBILITY_TOLERANCE = 5e-3;

let _raster: RasterBuffers | undefined; // reused between samples of the same size
let _box = new Float64Array(0);

/** Renders one random labelled view. Returns the sample and what the camera draw was. */
export function renderSample(scene: SampleScene, rng: Rng, options: SampleOptions = {}): { sample: Sample; camera: CameraDraw } {
  const size = options.size ?? 512;
  const { render, labels, topology, own } = scene;
  const V = topology.vertexCount;
  if (labels.length !== 3 * V) throw new RangeError(`renderSample: ${labels.length / 3} labelled vertices, the topology has ${V}`);
  if (own && render.positions !== labels && render.positions.length !== labels.length) throw new RangeError('renderSample: own labels must be the rendered vertices');

  // 1. camera and crop
  const box = topology.boxIndices.length > 0 ? topology.boxIndices : undefined;
  const bounds = headBounds(labels, box);
  const { camera: wide, draw } = sampleCamera(rng.fork('camera'), bounds, size, options.camera);
  if (_box.length < 2 * V) _box = new Float64Array(2 * V);
  const xy = projectPoints(_box, labels, wide);
  const camera: Camera = cropCamera(wide, squareBox(xy.subarray(0, 2 * V), box), size);

  // 2. lights, material, background; render
  const lights = sampleLights(rng.fork('lights'), camera, bounds, options.lights);
  const material = sampleMaterial(rng.fork('material'), options.material);
  const background = sampleBackground(rng.fork('background'));
  if (!_raster || _raster.width !== size || _raster.height !== size) _raster = createRasterBuffers(size, size);
  const diffuse = options.diffuse === undefined || options.diffuse === 'auto' ? (render.positions.length / 3 < (size * size) / 4 ? 'vertex' : 'pixel') : options.diffuse;
  const view = renderView(render, camera, lights, material, { maps: options.maps ?? [], background, cullBackFaces: options.cullBackFaces ?? false, raster: _raster, diffuse });

  // 3. labels
  const tester = new DepthTester(
    { positions: render.positions, faces: render.faces, camera, raster: view.raster },
    { tolerance: own ? 1e-3 : FOREIGN_VISIBILITY_TOLERANCE, ...options.visibility },
  );
  const mu = new Float64Array(2 * V), z = new Float64Array(V), visible = new Uint8Array(V);
  vertexLabels({ mu, z, visible }, labels, camera, tester, own);
  const layout = topology.layout;
  const D = layout ? layout.size : 0;
  const uvFlow = new Float32Array(2 * D * D), uvFlowValid = new Uint8Array(D * D);
  if (layout) uvFlowLabels({ flow: uvFlow, valid: uvFlowValid }, layout, labels, topology.faces, camera, tester, own);

  const sample: Sample = {
    width: size,
    height: size,
    image: view.image,
    mask: view.mask,
    vertices: Float64Array.from(labels),
    mu,
    visible,
    K: camera.K,
    Rt: camera.Rt,
    uvSize: D,
    uvFlow,
    uvFlowValid,
    uvWeight: Float32Array.from(topology.uvWeight),
    vertexUv: layout ? Float64Array.from(layout.vertexUv) : new Float64Array(2 * V).fill(NaN),
    vertexWeight: Float32Array.from(topology.vertexWeight),
  };
  if (view.depth) sample.depth = view.depth;
  if (view.normal) sample.normal = view.normal;
  if (view.uv) sample.uv = view.uv;
  if (view.triangle) sample.triangle = view.triangle;
  return { sample, camera: draw };
}
