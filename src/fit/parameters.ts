/**
 * Parameter blocks: named vectors the solver changes. A block lives on a manifold — Euclidean, or
 * a rotation stored as a 3×3 matrix and updated by left multiplication with exp([δ]×), so the
 * solver never leaves SO(3) — and can be held constant or bounded (Euclidean blocks). Blocks that
 * belong to one frame carry its index: the solver eliminates each frame's blocks together.
 */
import { rodrigues, mul3 } from '../flame/rotation.js';

export type Manifold = 'euclidean' | 'rotation';

export interface BlockOptions {
  manifold?: Manifold;
  /** Frame the block belongs to (per-frame blocks are eliminated by the Schur complement). */
  frame?: number;
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  constant?: boolean;
}

export class ParameterBlock {
  readonly name: string;
  /** Stored values: Euclidean [n]; rotation: 3×3 row-major [9]. */
  readonly values: Float64Array;
  readonly manifold: Manifold;
  /** Tangent size: n for Euclidean, 3 for rotations. */
  readonly size: number;
  readonly frame: number | undefined;
  readonly lower: Float64Array | undefined;
  readonly upper: Float64Array | undefined;
  constant: boolean;
  /** Offset of this block in the solver's tangent vector (−1 when constant). Set by the problem. */
  offset = -1;

  constructor(name: string, values: Float64Array, options: BlockOptions = {}) {
    this.name = name;
    this.values = values;
    this.manifold = options.manifold ?? 'euclidean';
    if (this.manifold === 'rotation' && values.length !== 9) throw new RangeError(`parameter block '${name}': a rotation is stored as 9 values, got ${values.length}`);
    this.size = this.manifold === 'rotation' ? 3 : values.length;
    this.frame = options.frame;
    this.constant = options.constant ?? false;
    this.lower = options.lower ? Float64Array.from(options.lower) : undefined;
    this.upper = options.upper ? Float64Array.from(options.upper) : undefined;
    for (const b of [this.lower, this.upper]) {
      if (b && b.length !== this.size) throw new RangeError(`parameter block '${name}': bounds have ${b.length} entries, expected ${this.size}`);
    }
    if (this.manifold === 'rotation' && (this.lower || this.upper)) throw new RangeError(`parameter block '${name}': rotations cannot be bounded`);
  }

  /** values ← values ⊞ delta (delta: tangent vector at `offset` in `delta`), projected onto the bounds. */
  plus(delta: ArrayLike<number>, at = 0): void {
    if (this.manifold === 'rotation') {
      rodrigues(_dR, 0, delta, at);
      mul3(_R, 0, _dR, 0, this.values, 0);
      orthonormalize(_R);
      this.values.set(_R);
      return;
    }
    for (let k = 0; k < this.size; k++) {
      let v = this.values[k]! + delta[at + k]!;
      if (this.lower && v < this.lower[k]!) v = this.lower[k]!;
      if (this.upper && v > this.upper[k]!) v = this.upper[k]!;
      this.values[k] = v;
    }
  }

  copy(): Float64Array { return Float64Array.from(this.values); }
  restore(saved: Float64Array): void { this.values.set(saved); }
}

const _dR = new Float64Array(9), _R = new Float64Array(9);

/** Re-orthonormalises a rotation matrix in place (one Gram–Schmidt pass on the rows). */
function orthonormalize(R: Float64Array): void {
  let n = Math.hypot(R[0]!, R[1]!, R[2]!);
  R[0]! /= n; R[1]! /= n; R[2]! /= n;
  const d = R[0]! * R[3]! + R[1]! * R[4]! + R[2]! * R[5]!;
  R[3]! -= d * R[0]!; R[4]! -= d * R[1]!; R[5]! -= d * R[2]!;
  n = Math.hypot(R[3]!, R[4]!, R[5]!);
  R[3]! /= n; R[4]! /= n; R[5]! /= n;
  R[6] = R[1]! * R[5]! - R[2]! * R[4]!;
  R[7] = R[2]! * R[3]! - R[0]! * R[5]!;
  R[8] = R[0]! * R[4]! - R[1]! * R[3]!;
}

/** The set of parameter blocks of a problem, with the tangent layout of the variable ones. */
export class ParameterSet {
  readonly blocks: ParameterBlock[] = [];
  private readonly byName = new Map<string, ParameterBlock>();

  add(block: ParameterBlock): ParameterBlock {
    if (this.byName.has(block.name)) throw new Error(`parameter block '${block.name}' added twice`);
    this.blocks.push(block);
    this.byName.set(block.name, block);
    return block;
  }

  get(name: string): ParameterBlock {
    const b = this.byName.get(name);
    if (!b) throw new Error(`no parameter block '${name}'`);
    return b;
  }

  has(name: string): boolean { return this.byName.has(name); }

  /**
   * Assigns tangent offsets: shared (frame-less) variable blocks first, then each frame's variable
   * blocks together in frame order. Returns the layout.
   */
  layout(): Layout {
    let o = 0;
    const shared: ParameterBlock[] = [];
    const frames = new Map<number, ParameterBlock[]>();
    for (const b of this.blocks) {
      b.offset = -1;
      if (b.constant) continue;
      if (b.frame === undefined) shared.push(b);
      else {
        let list = frames.get(b.frame);
        if (!list) frames.set(b.frame, (list = []));
        list.push(b);
      }
    }
    for (const b of shared) { b.offset = o; o += b.size; }
    const sharedSize = o;
    const groups: FrameGroup[] = [];
    for (const f of [...frames.keys()].sort((a, b) => a - b)) {
      const start = o;
      for (const b of frames.get(f)!) { b.offset = o; o += b.size; }
      groups.push({ frame: f, start, size: o - start });
    }
    return { size: o, sharedSize, groups, groupOfFrame: new Map(groups.map((g, k) => [g.frame, k])) };
  }

  /** Snapshot of all values (to restore after a rejected step). */
  save(): Float64Array[] { return this.blocks.map((b) => b.copy()); }
  restore(saved: Float64Array[]): void { this.blocks.forEach((b, k) => b.restore(saved[k]!)); }
}

export interface FrameGroup { frame: number; start: number; size: number }

export interface Layout {
  /** Total tangent size of the variable blocks. */
  size: number;
  /** Shared variables occupy [0, sharedSize). */
  sharedSize: number;
  /** Per-frame variable groups, each a contiguous range [start, start + size). */
  groups: FrameGroup[];
  groupOfFrame: Map<number, number>;
}
