/**
 * A minimal encoder for ONNX models (the protobuf `ModelProto`), enough to build the small compute
 * graphs the workbench runs through onnxruntime's CPU kernels: nodes with attributes, graph inputs
 * and outputs with (symbolic) shapes, and initializers. Field numbers follow onnx/onnx.proto.
 */

export type OnnxDType = 'float32' | 'float64' | 'int64' | 'int32';

/** onnx.TensorProto.DataType */
const ELEM_TYPE: Record<OnnxDType, number> = { float32: 1, int32: 6, int64: 7, float64: 11 };

export interface ValueSpec {
  name: string;
  dtype: OnnxDType;
  /** Dimensions: numbers, or names for symbolic (dynamic) dimensions. */
  dims: Array<number | string>;
}

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface InitializerSpec {
  name: string;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
}

export interface GraphSpec {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: InitializerSpec[];
  /** Default-domain opset version (default 17). */
  opset?: number;
}

class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;
  private push(bytes: Uint8Array): void { this.chunks.push(bytes); this.length += bytes.length; }
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
    return this;
  }
  tag(field: number, wire: number): this { return this.varint((field << 3) | wire); }
  int(field: number, value: number | bigint): this { return this.tag(field, 0).varint(value); }
  bytes(field: number, bytes: Uint8Array): this { this.tag(field, 2).varint(bytes.length); this.push(bytes); return this; }
  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  message(field: number, build: (w: Writer) => void): this { const w = new Writer(); build(w); return this.bytes(field, w.finish()); }
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

function valueInfo(w: Writer, field: number, v: ValueSpec): void {
  w.message(field, (vi) => {
    vi.string(1, v.name); // ValueInfoProto.name
    vi.message(2, (tp) => // ValueInfoProto.type: TypeProto
      tp.message(1, (tt) => { // TypeProto.tensor_type
        tt.int(1, ELEM_TYPE[v.dtype]); // elem_type
        tt.message(2, (shape) => { // shape: TensorShapeProto
          for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        });
      }));
  });
}

function attribute(w: Writer, name: string, value: AttributeValue): void {
  // AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, type=20 (FLOAT=1, INT=2, STRING=3, FLOATS=6, INTS=7)
  w.message(5, (a) => {
    a.string(1, name);
    if (typeof value === 'number') { a.int(3, value); a.int(20, 2); }
    else if (typeof value === 'string') { a.string(4, value); a.int(20, 3); }
    else if (Array.isArray(value)) { for (const v of value) a.int(8, v); a.int(20, 7); }
    else if ('float' in value) { a.float(2, value.float); a.int(20, 1); }
    else { for (const v of value.floats) a.float(7, v); a.int(20, 6); }
  });
}

/** Serialises a model (IR version 8) holding one graph. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'face-workbench'); // producer_name
  w.message(7, (g) => { // graph
    for (const n of spec.nodes) {
      g.message(1, (node) => {
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        node.string(4, n.op);
        for (const [k, v] of Object.entries(n.attributes ?? {})) attribute(node, k, v);
      });
    }
    g.string(2, 'workbench');
    for (const init of spec.initializers ?? []) {
      g.message(5, (t) => { // TensorProto
        for (const d of init.dims) t.int(1, d);
        const dtype: OnnxDType = init.data instanceof Float32Array ? 'float32' : init.data instanceof Float64Array ? 'float64' : init.data instanceof Int32Array ? 'int32' : 'int64';
        t.int(2, ELEM_TYPE[dtype]);
        t.string(8, init.name);
        // raw_data, little-endian as the machine stores it
        t.bytes(9, new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength));
      });
    }
    for (const v of spec.inputs) valueInfo(g, 11, v);
    for (const v of spec.outputs) valueInfo(g, 12, v);
  });
  w.message(8, (o) => { o.string(1, ''); o.int(2, spec.opset ?? 17); }); // opset_import
  return w.finish();
}
