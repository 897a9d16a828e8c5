/** Dataset and model writers: glTF. */
export * from './gltf.js';
