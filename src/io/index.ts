/** File formats: pickle (safe read, write), npy/npz, OBJ/MTL/PLY meshes, MeshLab .pp, images, inspection. */
export * from './ndarray.js';
export * from './mesh.js';
export * from './pickle.js';
export * from './pickle-write.js';
export * from './npy.js';
export * from './npz.js';
export * from './obj.js';
export * from './mtl.js';
export * from './ply.js';
export * from './pp.js';
export * from './image.js';
export * from './inspect.js';
export * from './sample.js';
