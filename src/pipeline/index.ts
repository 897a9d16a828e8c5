/** Pipelines and whole jobs built from the stages. */
export * from './demo.js';
