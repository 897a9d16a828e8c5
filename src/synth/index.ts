/** Synthetic datasets with known truth: the FaceScape-layout scan dataset (`workbench synth facescape`). */
export * from './facescape.js';
export * from './expressions.js';
export * from './remesh.js';
export * from './rig.js';
export * from './hair.js';
export { randomLook, skinTexture, textureToSrgb8, TORSO_UV, CAVITY_UV, type SkinLook } from './skin-texture.js';
export { holeMask, buildTorso, buildCavity, neckRing, normalNoise, transformPoints, type HoleOptions, type Piece } from './scan-artifacts.js';
export { buildScanGeometry, createSubject, planRemesh, subjectPieces, compact, type RemeshPlan, type Subject, type SubjectOptions, type ScanGeometry, type ScanGeometryOptions } from './scan-geometry.js';
