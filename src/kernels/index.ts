/** Fast numeric kernels (onnxruntime CPU) and the ONNX graph encoder behind them. */
export * from './onnx-proto.js';
export * from './session.js';
export * from './matmul.js';
export * from './linalg.js';
