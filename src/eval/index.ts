/** Metrics: reprojection error, aligned vertex error. */
export * from './fit-metrics.js';
