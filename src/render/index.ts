/** The software renderer: cameras, rasterisation, attribute interpolation and shading. */
export * from './camera.js';
export * from './rasterize.js';
export * from './interpolate.js';
export * from './shade.js';
