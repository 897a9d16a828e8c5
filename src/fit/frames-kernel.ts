/**
 * The onnxruntime graph that turns one chunk of frames' per-vertex linearisation into Hessian
 * blocks. For a vertex subset s (Vs vertices, rows scaled by V/Vs by the caller):
 *
 *   G_s  = Bw_s·E_s + Rh·(W_s·M^E)  ‖  Gx_s          world Jacobian of the frame variables [3 × P]
 *   K_s  = Lt_s·G_s                                   with H_s = Lt_sᵀ·Lt_s the vertex's information
 *   A    = Σ_s w_s K_sᵀK_s (+ Σ_s w_s G_sᵀG_s for isotropic frame-only terms)            [P × P]
 * (w_s: the subset's Horvitz–Thompson weights, applied as √w_s on K and G; the caller weights Yt)
 *   ASF  = Σ_s (Lt_s·GS_s)ᵀ K_s,  GS_s = Bw_s·S_s + Rh·(W_s·M^S)                         [S × P]
 *   ACF  = Ytᵀ·G,  ACS = Ytᵀ·GS   (Yt: camera-cross coefficients [3Vs × X])
 * Every product runs batched over the chunk's frames in float32.
 */
import { graphSession, OrtTensor } from '../kernels/session.js';
import type { GraphSpec, InitializerSpec, NodeSpec } from '../kernels/onnx-proto.js';

export interface FramesKernelConfig {
  V: number;
  Vs: number;
  E: number;
  S: number;
  /** explicit frame columns (pose + head) */
  X: number;
  /** extra (camera) columns; 0 = none */
  Xe: number;
  shape: boolean;
  temporal: boolean;
}

export interface FramesKernelInputs {
  T: number;
  Bw: Float32Array; // [T,Vs,3,3]
  Rh: Float32Array; // [T,1,3,3]
  ME: Float32Array; // [T,5,3E]
  Gx: Float32Array; // [T,Vs,3,X]
  Lt: Float32Array; // [T,Vs,3,3]
  MS?: Float32Array; // [T,5,3S]
  Yt?: Float32Array; // [T,3Vs,Xe]
}

export interface FramesKernelOutputs {
  A: Float32Array; // [T,P,P]
  GtG?: Float32Array;
  ASF?: Float32Array; // [T,S,P]
  ACF?: Float32Array; // [T,Xe,P]
  ACS?: Float32Array; // [T,Xe,S]
}

let nextId = 0;

export class FramesKernel {
  readonly config: FramesKernelConfig;
  private readonly id = nextId++;
  private readonly constants: { Esub: Float32Array; Wsub: Float32Array; sw: Float32Array; Ssub?: Float32Array };

  constructor(config: FramesKernelConfig, constants: { Esub: Float32Array; Wsub: Float32Array; sw: Float32Array; Ssub?: Float32Array }) {
    this.config = config;
    this.constants = constants;
  }

  private graph(): GraphSpec {
    const { Vs, E, S, X, Xe } = this.config;
    const P = E + X;
    const i64 = (v: number[]) => BigInt64Array.from(v.map(BigInt));
    const nodes: NodeSpec[] = [
      { op: 'MatMul', inputs: ['Wsub', 'ME'], outputs: ['WME'] },
      { op: 'Reshape', inputs: ['WME', 'shapeVs3E'], outputs: ['ZE'] },
      { op: 'MatMul', inputs: ['Rh', 'ZE'], outputs: ['RZE'] },
      { op: 'MatMul', inputs: ['Bw', 'Esub'], outputs: ['BE'] },
      { op: 'Add', inputs: ['BE', 'RZE'], outputs: ['GE'] },
      { op: 'Concat', inputs: ['GE', 'Gx'], outputs: ['G'], attributes: { axis: 3 } },
      { op: 'MatMul', inputs: ['Lt', 'G'], outputs: ['K4u'] },
      { op: 'Mul', inputs: ['K4u', 'sw'], outputs: ['K4'] },
      { op: 'Reshape', inputs: ['K4', 'shape3VsP'], outputs: ['K'] },
      { op: 'Transpose', inputs: ['K'], outputs: ['KT'], attributes: { perm: [0, 2, 1] } },
      { op: 'MatMul', inputs: ['KT', 'K'], outputs: ['A'] },
    ];
    const initializers = [
      { name: 'Esub', dims: [Vs, 3, E], data: this.constants.Esub },
      { name: 'Wsub', dims: [Vs, 5], data: this.constants.Wsub },
      { name: 'sw', dims: [Vs, 1, 1], data: this.constants.sw },
      { name: 'shapeVs3E', dims: [4], data: i64([-1, Vs, 3, E]) },
      { name: 'shape3VsP', dims: [3], data: i64([-1, 3 * Vs, P]) },
    ] as InitializerSpec[];
    const inputs: GraphSpec['inputs'] = [
      { name: 'Bw', dtype: 'float32', dims: ['T', Vs, 3, 3] },
      { name: 'Rh', dtype: 'float32', dims: ['T', 1, 3, 3] },
      { name: 'ME', dtype: 'float32', dims: ['T', 5, 3 * E] },
      { name: 'Gx', dtype: 'float32', dims: ['T', Vs, 3, X] },
      { name: 'Lt', dtype: 'float32', dims: ['T', Vs, 3, 3] },
    ];
    const outputs: GraphSpec['outputs'] = [
      { name: 'A', dtype: 'float32', dims: ['T', P, P] },
    ];
    if (this.config.temporal) {
      nodes.push(
        { op: 'Mul', inputs: ['G', 'sw'], outputs: ['Gw'] },
        { op: 'Reshape', inputs: ['Gw', 'shape3VsP'], outputs: ['G3'] },
        { op: 'Transpose', inputs: ['G3'], outputs: ['G3T'], attributes: { perm: [0, 2, 1] } },
        { op: 'MatMul', inputs: ['G3T', 'G3'], outputs: ['GtG'] },
      );
      outputs.push({ name: 'GtG', dtype: 'float32', dims: ['T', P, P] });
    }
    if (this.config.shape) {
      initializers.push({ name: 'Ssub', dims: [Vs, 3, S], data: this.constants.Ssub! }, { name: 'shapeVs3S', dims: [4], data: i64([-1, Vs, 3, S]) }, { name: 'shape3VsS', dims: [3], data: i64([-1, 3 * Vs, S]) });
      inputs.push({ name: 'MS', dtype: 'float32', dims: ['T', 5, 3 * S] });
      nodes.push(
        { op: 'MatMul', inputs: ['Wsub', 'MS'], outputs: ['WMS'] },
        { op: 'Reshape', inputs: ['WMS', 'shapeVs3S'], outputs: ['ZS'] },
        { op: 'MatMul', inputs: ['Rh', 'ZS'], outputs: ['RZS'] },
        { op: 'MatMul', inputs: ['Bw', 'Ssub'], outputs: ['BS'] },
        { op: 'Add', inputs: ['BS', 'RZS'], outputs: ['GS'] },
        { op: 'MatMul', inputs: ['Lt', 'GS'], outputs: ['KS4u'] },
        { op: 'Mul', inputs: ['KS4u', 'sw'], outputs: ['KS4'] },
        { op: 'Reshape', inputs: ['KS4', 'shape3VsS'], outputs: ['KS'] },
        { op: 'Transpose', inputs: ['KS'], outputs: ['KST'], attributes: { perm: [0, 2, 1] } },
        { op: 'MatMul', inputs: ['KST', 'K'], outputs: ['ASF'] },
      );
      outputs.push({ name: 'ASF', dtype: 'float32', dims: ['T', S, P] });
    }
    if (Xe > 0) {
      inputs.push({ name: 'Yt', dtype: 'float32', dims: ['T', 3 * Vs, Xe] });
      nodes.push(
        { op: 'Transpose', inputs: ['Yt'], outputs: ['YtT'], attributes: { perm: [0, 2, 1] } },
        { op: 'Reshape', inputs: ['G', 'shape3VsP'], outputs: ['Gflat'] },
        { op: 'MatMul', inputs: ['YtT', 'Gflat'], outputs: ['ACF'] },
      );
      outputs.push({ name: 'ACF', dtype: 'float32', dims: ['T', Xe, P] });
      if (this.config.shape) {
        nodes.push(
          { op: 'Reshape', inputs: ['GS', 'shape3VsS'], outputs: ['GSflat'] },
          { op: 'MatMul', inputs: ['YtT', 'GSflat'], outputs: ['ACS'] },
        );
        outputs.push({ name: 'ACS', dtype: 'float32', dims: ['T', Xe, S] });
      }
    }
    return { nodes, inputs, outputs, initializers };
  }

  async run(inp: FramesKernelInputs): Promise<FramesKernelOutputs> {
    const c = this.config, T = inp.T;
    const session = await graphSession(`frames-kernel/${this.id}`, () => this.graph());
    const feeds: Record<string, InstanceType<typeof OrtTensor>> = {
      Bw: new OrtTensor('float32', inp.Bw, [T, c.Vs, 3, 3]),
      Rh: new OrtTensor('float32', inp.Rh, [T, 1, 3, 3]),
      ME: new OrtTensor('float32', inp.ME, [T, 5, 3 * c.E]),
      Gx: new OrtTensor('float32', inp.Gx, [T, c.Vs, 3, c.X]),
      Lt: new OrtTensor('float32', inp.Lt, [T, c.Vs, 3, 3]),
    };
    if (c.shape) feeds.MS = new OrtTensor('float32', inp.MS!, [T, 5, 3 * c.S]);
    if (c.Xe > 0) feeds.Yt = new OrtTensor('float32', inp.Yt!, [T, 3 * c.Vs, c.Xe]);
    const out = await session.run(feeds);
    return {
      A: out.A!.data as Float32Array,
      ...(c.temporal ? { GtG: out.GtG!.data as Float32Array } : {}),
      ...(c.shape ? { ASF: out.ASF!.data as Float32Array } : {}),
      ...(c.Xe > 0 ? { ACF: out.ACF!.data as Float32Array } : {}),
      ...(c.Xe > 0 && c.shape ? { ACS: out.ACS!.data as Float32Array } : {}),
    };
  }
}
