/**
 * Optical flow between images: a classical coarse-to-fine variational method (`computeFlow`,
 * deterministic, plain TypeScript), an optional RAFT-style ONNX model (`loadFlowModel`), bilinear
 * reading of a field (`sampleFlow`) and forward-backward consistency checks. Pixel convention of
 * DESIGN.md: pixel (i, j) centred at (i + ½, j + ½); flows are (dx, dy) in pixels from A to B.
 */
export * from './image.js';
export * from './classical.js';
export * from './consistency.js';
export * from './onnx.js';
export { benchFlow, type FlowBenchOptions, type FlowBenchResult } from './bench.js';
