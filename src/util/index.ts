/** Shared plumbing: seeded randomness, errors and exit codes, atomic writes, manifests, logging, progress. */
export * from './rng.js';
export * from './errors.js';
export * from './atomic.js';
export * from './hash.js';
export * from './manifest.js';
export * from './log.js';
export * from './progress.js';
export * from './version.js';
export * from './gradient-check.js';
export * from './profile.js';
