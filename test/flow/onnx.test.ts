import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFlowModel, type FlowImage } from '../../src/flow/index.js';
import { encodeModel, type GraphSpec, type ValueSpec } from '../../src/kernels/onnx-proto.js';
import { FormatError, UsageError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('wb-flow-onnx-');

function save(name: string, spec: GraphSpec): string {
  const path = join(dir, name);
  writeFileSync(path, encodeModel(spec));
  return path;
}

const image = (name: string, h: number | string = 'H', w: number | string = 'W', c = 3): ValueSpec => ({ name, dtype: 'float32', dims: [1, c, h, w] });
const i64 = (name: string, values: number[]): { name: string; dims: number[]; data: BigInt64Array } => ({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });

/**
 * A dynamic-size model whose "flow" is (red of image1, red of image2), 0–255: the output at each
 * pixel shows which input pixel the loader put there and in which order it fed the two images.
 */
function redChannelsModel(inputs = ['image1', 'image2']): GraphSpec {
  return {
    nodes: [
      { op: 'Slice', inputs: [inputs[0]!, 'zero', 'one', 'axis1'], outputs: ['r1'] },
      { op: 'Slice', inputs: [inputs[1]!, 'zero', 'one', 'axis1'], outputs: ['r2'] },
      { op: 'Concat', inputs: ['r1', 'r2'], outputs: ['flow'], attributes: { axis: 1 } },
    ],
    inputs: [image(inputs[0]!), image(inputs[1]!)],
    outputs: [{ name: 'flow', dtype: 'float32', dims: [1, 2, 'H', 'W'] }],
    initializers: [i64('zero', [0]), i64('one', [1]), i64('axis1', [1])],
  };
}

/** A model of fixed input size h×w whose flow is the constant (dx, dy) in its own pixels (image1·0 + c). */
function constantModel(h: number, w: number, dx: number, dy: number): GraphSpec {
  return {
    nodes: [
      { op: 'Slice', inputs: ['image1', 'zero', 'two', 'axis1'], outputs: ['s'] },
      { op: 'Mul', inputs: ['s', 'zeroF'], outputs: ['z'] },
      { op: 'Add', inputs: ['z', 'c'], outputs: ['z2'] },
      // image2 must be used (a graph input that feeds nothing is still an input, but keep it honest)
      { op: 'ReduceSum', inputs: ['image2'], outputs: ['sum2'], attributes: { keepdims: 1 } },
      { op: 'Mul', inputs: ['sum2', 'zeroF'], outputs: ['zero2'] },
      { op: 'Add', inputs: ['z2', 'zero2'], outputs: ['flow'] },
    ],
    inputs: [image('image1', h, w), image('image2', h, w)],
    outputs: [{ name: 'flow', dtype: 'float32', dims: [1, 2, h, w] }],
    initializers: [
      i64('zero', [0]), i64('two', [2]), i64('axis1', [1]),
      { name: 'zeroF', dims: [], data: new Float32Array([0]) },
      { name: 'c', dims: [1, 2, 1, 1], data: new Float32Array([dx, dy]) },
    ],
  };
}

/** A seeded RGB image with values k/255 (exact after the loader's ×255). */
function randomRgb(seed: string, width: number, height: number): FlowImage {
  const rng = new Rng(seed), data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256) / 255;
  return { width, height, channels: 3, data };
}

describe('loadFlowModel: input and output handling', () => {
  it('pads a dynamic-size model to a multiple of 8, feeds image1 then image2 as RGB 0–255, and crops the flow back (seeds onnx-a/onnx-b)', async () => {
    const model = await loadFlowModel(save('red.onnx', redChannelsModel()));
    // 37×21: padded to 40×24 (1 column left, 2 right; 1 row top, 2 bottom)
    const a = randomRgb('onnx-a', 37, 21), b = randomRgb('onnx-b', 37, 21);
    const flow = await model(a, b);
    expect(flow.width).toBe(37);
    expect(flow.height).toBe(21);
    expect(flow.data).toBeInstanceOf(Float32Array);
    expect(flow.data.length).toBe(37 * 21 * 2);
    let maxError = 0;
    for (let p = 0; p < 37 * 21; p++) {
      maxError = Math.max(maxError, Math.abs(flow.data[2 * p]! - a.data[3 * p]! * 255), Math.abs(flow.data[2 * p + 1]! - b.data[3 * p]! * 255));
    }
    expect(maxError).toBeLessThan(1e-3);
  });

  it('feeds grey images as three equal channels; a multiple-of-8 size passes through unpadded', async () => {
    const model = await loadFlowModel(save('red-named.onnx', redChannelsModel(['frame_a', 'frame_b'])));
    const grey = (v: (p: number) => number): FlowImage => ({ width: 16, height: 8, channels: 1, data: Float32Array.from({ length: 128 }, (_, p) => v(p)) });
    const flow = await model(grey((p) => (p % 256) / 255), grey((p) => (255 - p) / 255));
    for (const p of [0, 1, 15, 16, 127]) {
      expect(flow.data[2 * p]).toBeCloseTo(p, 3);
      expect(flow.data[2 * p + 1]).toBeCloseTo(255 - p, 3);
    }
  });

  it('resizes to a fixed-size model and scales the flow back by the size ratios', async () => {
    const model = await loadFlowModel(save('fixed.onnx', constantModel(32, 64, 4, 2)));
    const a = randomRgb('onnx-c', 96, 128), b = randomRgb('onnx-d', 96, 128);
    const flow = await model(a, b);
    expect(flow.width).toBe(96);
    expect(flow.height).toBe(128);
    // dx in model pixels × 96/64, dy × 128/32
    for (let p = 0; p < 96 * 128; p += 97) {
      expect(flow.data[2 * p]).toBeCloseTo(6, 5);
      expect(flow.data[2 * p + 1]).toBeCloseTo(8, 5);
    }
  });

  it('rejects image pairs of different sizes', async () => {
    const model = await loadFlowModel(save('red2.onnx', redChannelsModel()));
    await expect(model(randomRgb('x', 16, 16), randomRgb('y', 16, 8))).rejects.toThrow(/images differ in size: a is 16×16, b is 16×8/);
  });
});

describe('loadFlowModel: clear errors', () => {
  it('a missing file is a usage error naming the file', async () => {
    const path = join(dir, 'nope.onnx');
    const error = await loadFlowModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(path);
  });

  it('a file that is not ONNX is a format error naming the file', async () => {
    const path = join(dir, 'text.onnx');
    writeFileSync(path, 'this is not a model\n');
    const error = await loadFlowModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toMatch(/text\.onnx: not a loadable ONNX model/);
  });

  it('wrong inputs or outputs name the file, the expected interface and what was found', async () => {
    // one input only
    const one = save('one-input.onnx', {
      nodes: [{ op: 'Slice', inputs: ['img', 'zero', 'two', 'axis1'], outputs: ['flow'] }],
      inputs: [image('img')],
      outputs: [{ name: 'flow', dtype: 'float32', dims: [1, 2, 'H', 'W'] }],
      initializers: [i64('zero', [0]), i64('two', [2]), i64('axis1', [1])],
    });
    const e1 = await loadFlowModel(one).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(FormatError);
    expect((e1 as Error).message).toContain(one);
    expect((e1 as Error).message).toMatch(/1 input;.*expected two float32 inputs \[1, 3, H, W\].*found inputs 'img' float32 \[1, 3, H, W\]/);

    // four-channel inputs
    const four = redChannelsModel();
    four.inputs = [image('image1', 'H', 'W', 4), image('image2', 'H', 'W', 4)];
    const e2 = await loadFlowModel(save('rgba.onnx', four)).catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/rgba\.onnx: not a RAFT-style flow model: input 'image1' has 4 channels/);

    // a three-channel output: no flow output
    const three: GraphSpec = {
      nodes: [{ op: 'Add', inputs: ['image1', 'image2'], outputs: ['sum'] }],
      inputs: [image('image1'), image('image2')],
      outputs: [{ name: 'sum', dtype: 'float32', dims: [1, 3, 'H', 'W'] }],
    };
    const e3 = await loadFlowModel(save('sum.onnx', three)).catch((e: unknown) => e);
    expect((e3 as Error).message).toMatch(/sum\.onnx: .*no float32 output of shape \[1, 2, H, W\].*outputs 'sum' float32 \[1, 3, H, W\]/);
  });

  it('an output that comes back at the wrong size at run time is a format error naming the shapes', async () => {
    // dynamic model whose flow is half the input size (a stride-2 slice)
    const spec: GraphSpec = {
      nodes: [
        { op: 'Slice', inputs: ['image1', 'zero', 'two', 'axis1'], outputs: ['s'] },
        { op: 'Slice', inputs: ['s', 'zero2', 'big2', 'axes23', 'steps'], outputs: ['flow'] },
        { op: 'Identity', inputs: ['image2'], outputs: ['unused'] },
      ],
      inputs: [image('image1'), image('image2')],
      outputs: [{ name: 'flow', dtype: 'float32', dims: [1, 2, 'h', 'w'] }, { name: 'unused', dtype: 'float32', dims: [1, 3, 'H', 'W'] }],
      initializers: [i64('zero', [0]), i64('two', [2]), i64('axis1', [1]), i64('zero2', [0, 0]), i64('big2', [1 << 30, 1 << 30]), i64('axes23', [2, 3]), i64('steps', [2, 2])],
    };
    const model = await loadFlowModel(save('half.onnx', spec));
    await expect(model(randomRgb('z', 16, 16), randomRgb('w', 16, 16))).rejects.toThrow(/half\.onnx: no output of shape \[1, 2, 16, 16\] \(the input size\); found 'flow' \[1, 2, 8, 8\]/);
  });
});
