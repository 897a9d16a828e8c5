/**
 * The software renderer: cameras, rasterisation, attribute interpolation, shading (lights,
 * materials, textures), random views, exact ground truth (crop, mu, visibility, UV flow), samples
 * on disk, and the per-sample runner and worker pool of `workbench render`.
 */
export * from './camera.js';
export * from './rasterize.js';
export * from './interpolate.js';
export * from './shade.js';
export * from './albedo.js';
export * from './lights.js';
export * from './material.js';
export * from './texture.js';
export * from './render-view.js';
export * from './sampling.js';
export * from './ground-truth.js';
export * from './uv-flow.js';
export * from './render-sample.js';
export * from './sample-io.js';
export * from './preview.js';
export * from './runner.js';
export * from './pool.js';
