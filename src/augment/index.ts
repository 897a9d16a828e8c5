/**
 * Augmentation of synthetic training samples: photometric (noise, colour shift, brightness,
 * contrast, saturation, grayscale, blur, JPEG), geometric (rotation, translation, scale with every
 * label transformed exactly), background replacement (image folders or procedural textures) and
 * occlusion (with an occlusion map). Configs list ops with probabilities (`loadAugmentConfig`,
 * `buildAugmentation`); `data/augment/default.json` is `--augment default`.
 */
export * from './op.js';
export * from './config.js';
export * from './warp.js';
export * from './geometric.js';
export * from './textures.js';
export * from './shapes.js';
export * from './background.js';
export * from './occlude.js';
export * from './noise.js';
export * from './color-shift.js';
export * from './brightness.js';
export * from './contrast.js';
export * from './saturation.js';
export * from './grayscale.js';
export * from './blur.js';
export * from './jpeg.js';
