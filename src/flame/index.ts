/** The head model: loading, evaluation, Jacobians, regions and landmark embeddings, the built-in model. */
export * from './model.js';
export * from './rotation.js';
export * from './lbs.js';
export * from './landmarks.js';
export * from './embedding.js';
export * from './load.js';
export * from './export.js';
export { builtinModel, buildBuiltinModel, type BuiltinOptions } from './builtin/index.js';
export * from './batch.js';
export * from './bench.js';
export * from './restrict.js';
