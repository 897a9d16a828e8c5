/**
 * PLY meshes (Stanford polygon format): ASCII, binary little endian and binary big endian.
 *
 * Read: every PLY scalar type (char/int8, uchar/uint8, short/int16, ushort/uint16, int/int32,
 * uint/uint32, float/float32, double/float64) for every property. From `vertex`: x, y, z;
 * nx, ny, nz (→ per-vertex `normals`, `faceNormals` = `faces`); red, green, blue (alpha
 * ignored; integer types are divided by the type's maximum, float types are taken as 0–1)
 * (→ `colors`); s/t, u/v, texture_u/texture_v or texture_s/texture_t (→ per-vertex `uvs`,
 * `faceUvs` = `faces`). From `face`: the `vertex_indices` or `vertex_index` list (any count and
 * index types), polygons triangulated as fans from their first corner, and MeshLab's per-corner
 * `texcoord` list (→ `uvs` with one entry per polygon corner; it wins over per-vertex UVs).
 * Every other element and property, list properties included, is read past and dropped.
 * ASCII values of `float` properties are rounded to float32, so all three formats read alike.
 *
 * Write: x, y, z (double by default, so a round trip is exact), per-vertex normals and UVs when
 * the mesh's values are a function of the vertex (otherwise UVs go into a per-face `texcoord`
 * list and normals are left out), colours as uchar (or float), faces as `uchar int` lists.
 */
import { readFile } from 'node:fs/promises';
import type { Mesh } from './mesh.js';
import { FormatError, assertUnreachable } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { formatFloat32 } from './obj.js';

export type PlyFormat = 'ascii' | 'binary_little_endian' | 'binary_big_endian';

type ScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

const TYPE_NAMES: Record<string, ScalarType> = {
  char: 'int8', int8: 'int8', uchar: 'uint8', uint8: 'uint8', short: 'int16', int16: 'int16',
  ushort: 'uint16', uint16: 'uint16', int: 'int32', int32: 'int32', uint: 'uint32', uint32: 'uint32',
  float: 'float32', float32: 'float32', double: 'float64', float64: 'float64',
};

const TYPE_SIZE: Record<ScalarType, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };
const TYPE_MAX: Record<ScalarType, number> = { int8: 127, uint8: 255, int16: 32767, uint16: 65535, int32: 2147483647, uint32: 4294967295, float32: 1, float64: 1 };
const TYPE_MIN: Record<ScalarType, number> = { int8: -128, uint8: 0, int16: -32768, uint16: 0, int32: -2147483648, uint32: 0, float32: -Infinity, float64: -Infinity };

interface PlyProperty {
  name: string;
  type: ScalarType;
  /** For list properties: the type of the count. */
  countType?: ScalarType;
}

interface PlyElement {
  name: string;
  count: number;
  properties: PlyProperty[];
}

interface PlyHeader {
  format: PlyFormat;
  elements: PlyElement[];
  comments: string[];
  /** Byte offset of the body. */
  bodyOffset: number;
}

// ---------------------------------------------------------------------------------------------
// Header

const MAGIC = [0x70, 0x6c, 0x79]; // "ply"

function parseHeader(bytes: Uint8Array, file: string): PlyHeader {
  const n0 = bytes.length;
  if (n0 < 4 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2] || (bytes[3] !== 10 && bytes[3] !== 13)) {
    const found = Buffer.from(bytes.subarray(0, Math.min(8, n0))).toString('latin1');
    throw new FormatError(file, 0, `not a PLY file: expected 'ply' and a line end, found ${JSON.stringify(found)}`);
  }
  // find "end_header" followed by a line end
  const marker = Buffer.from('end_header', 'latin1');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = -1;
  for (let from = 0; ; ) {
    at = buf.indexOf(marker, from);
    if (at < 0) throw new FormatError(file, undefined, "header has no 'end_header' line");
    const before = at === 0 ? 10 : bytes[at - 1];
    if (before === 10 || before === 13) break;
    from = at + 1;
  }
  let bodyOffset = at + marker.length;
  while (bodyOffset < n0 && (bytes[bodyOffset] === 32 || bytes[bodyOffset] === 9)) bodyOffset++;
  if (bytes[bodyOffset] === 13) bodyOffset++;
  if (bytes[bodyOffset] === 10) bodyOffset++;
  else if (bodyOffset < n0 && bytes[bodyOffset - 1] !== 13) {
    throw new FormatError(file, `byte ${bodyOffset}`, "expected a line end after 'end_header'");
  }

  const lines = buf.toString('latin1', 0, at).split(/\r\n|\r|\n/);
  let format: PlyFormat | undefined;
  const elements: PlyElement[] = [];
  const comments: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const where = `header line ${i + 1}`;
    if (line === '') continue;
    const words = line.split(/\s+/);
    switch (words[0]) {
      case 'comment':
      case 'obj_info':
        comments.push(line.slice(words[0].length).trim());
        break;
      case 'format': {
        const f = words[1];
        if (f !== 'ascii' && f !== 'binary_little_endian' && f !== 'binary_big_endian') {
          throw new FormatError(file, where, `expected format ascii, binary_little_endian or binary_big_endian, found '${line}'`);
        }
        if (words[2] !== undefined && !/^1(\.0*)?$/.test(words[2])) {
          throw new FormatError(file, where, `expected format version 1.0, found '${words[2]}'`);
        }
        format = f;
        break;
      }
      case 'element': {
        const count = Number(words[2]);
        if (words.length !== 3 || !Number.isSafeInteger(count) || count < 0 || !/^\d+$/.test(words[2]!)) {
          throw new FormatError(file, where, `expected 'element <name> <count>', found '${line}'`);
        }
        elements.push({ name: words[1]!, count, properties: [] });
        break;
      }
      case 'property': {
        const element = elements[elements.length - 1];
        if (!element) throw new FormatError(file, where, `property before any element: '${line}'`);
        if (words[1] === 'list') {
          const countType = TYPE_NAMES[words[2] ?? ''];
          const type = TYPE_NAMES[words[3] ?? ''];
          if (words.length !== 5 || !countType || !type) {
            throw new FormatError(file, where, `expected 'property list <count type> <item type> <name>' with PLY types, found '${line}'`);
          }
          if (countType === 'float32' || countType === 'float64') {
            throw new FormatError(file, where, `list count type must be an integer type, found '${words[2]}'`);
          }
          element.properties.push({ name: words[4]!, type, countType });
        } else {
          const type = TYPE_NAMES[words[1] ?? ''];
          if (words.length !== 3 || !type) {
            throw new FormatError(file, where, `expected 'property <type> <name>' with a PLY type (char, uchar, short, ushort, int, uint, float, double), found '${line}'`);
          }
          element.properties.push({ name: words[2]!, type });
        }
        break;
      }
      default:
        throw new FormatError(file, where, `unknown header line '${line}'`);
    }
  }
  if (!format) throw new FormatError(file, 'header', "no 'format' line");
  return { format, elements, comments, bodyOffset };
}

// ---------------------------------------------------------------------------------------------
// Body readers

/** Reads scalars from the body in file order; knows where it is for error messages. */
abstract class BodyReader {
  element = '';
  row = 0;
  property = '';
  constructor(readonly file: string) {}
  abstract read(type: ScalarType): number;
  /** Skips `n` values of one type. */
  abstract skip(type: ScalarType, n: number): void;
  abstract position(): string;
  /** Reads a list count; a negative count is an error. */
  count(type: ScalarType): number {
    const n = this.read(type);
    if (n < 0) throw this.error(`list count is ${n}, expected 0 or more`);
    return n;
  }
  error(problem: string): FormatError {
    return new FormatError(this.file, `${this.position()} (element ${this.element} ${this.row}, property ${this.property})`, problem);
  }
}

class BinaryReader extends BodyReader {
  private readonly view: DataView;
  constructor(file: string, private readonly bytes: Uint8Array, public offset: number, private readonly little: boolean) {
    super(file);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  position(): string { return `byte ${this.offset}`; }
  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw this.error(`file ends after ${this.bytes.length} bytes, expected ${n} more byte${n === 1 ? '' : 's'} (truncated body)`);
    }
  }
  read(type: ScalarType): number {
    const o = this.offset;
    const v = this.view;
    switch (type) {
      case 'uint8': this.need(1); this.offset = o + 1; return v.getUint8(o);
      case 'int8': this.need(1); this.offset = o + 1; return v.getInt8(o);
      case 'uint16': this.need(2); this.offset = o + 2; return v.getUint16(o, this.little);
      case 'int16': this.need(2); this.offset = o + 2; return v.getInt16(o, this.little);
      case 'uint32': this.need(4); this.offset = o + 4; return v.getUint32(o, this.little);
      case 'int32': this.need(4); this.offset = o + 4; return v.getInt32(o, this.little);
      case 'float32': this.need(4); this.offset = o + 4; return v.getFloat32(o, this.little);
      case 'float64': this.need(8); this.offset = o + 8; return v.getFloat64(o, this.little);
      default: return assertUnreachable(type, 'PLY type');
    }
  }
  skip(type: ScalarType, n: number): void {
    const size = TYPE_SIZE[type] * n;
    this.need(size);
    this.offset += size;
  }
}

class AsciiReader extends BodyReader {
  private pos: number;
  private line: number;
  constructor(file: string, private readonly text: string, offset: number, firstLine: number) {
    super(file);
    this.pos = offset;
    this.line = firstLine;
  }
  position(): string { return `line ${this.line}`; }
  read(type: ScalarType): number {
    const t = this.text;
    const n = t.length;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 10) { this.line++; p++; continue; }
      if (c === 32 || c === 9 || c === 13) { p++; continue; }
      break;
    }
    if (p >= n) { this.pos = p; throw this.error('file ends early: expected a value (truncated body)'); }
    const start = p;
    while (p < n) {
      const c = t.charCodeAt(p);
      if (c === 32 || c === 9 || c === 10 || c === 13) break;
      p++;
    }
    this.pos = p;
    const token = t.slice(start, p);
    let value = Number(token);
    if (Number.isNaN(value)) {
      if (/^[+-]?inf(inity)?$/i.test(token)) value = token.startsWith('-') ? -Infinity : Infinity;
      else if (!/^[+-]?nan$/i.test(token)) throw this.error(`expected a ${type} number, found '${token}'`);
    }
    if (type === 'float32') return Math.fround(value); // as a binary file would hold it
    if (type !== 'float64') {
      if (!Number.isInteger(value) || value < TYPE_MIN[type] || value > TYPE_MAX[type]) {
        throw this.error(`expected a ${type} integer, found '${token}'`);
      }
    }
    return value;
  }
  skip(type: ScalarType, n: number): void {
    for (let i = 0; i < n; i++) this.read(type);
  }
}

// ---------------------------------------------------------------------------------------------
// Parser

const enum Slot { X, Y, Z, NX, NY, NZ, R, G, B, U, V, COUNT }

const VERTEX_SLOTS: Record<string, Slot> = {
  x: Slot.X, y: Slot.Y, z: Slot.Z, nx: Slot.NX, ny: Slot.NY, nz: Slot.NZ,
  red: Slot.R, green: Slot.G, blue: Slot.B, diffuse_red: Slot.R, diffuse_green: Slot.G, diffuse_blue: Slot.B,
  s: Slot.U, t: Slot.V, u: Slot.U, v: Slot.V, texture_u: Slot.U, texture_v: Slot.V, texture_s: Slot.U, texture_t: Slot.V,
};

const SLOT_NAMES = ['x', 'y', 'z', 'nx', 'ny', 'nz', 'red', 'green', 'blue', 'u', 'v'];

/** Parses a PLY file (any of the three formats). `file` names it in errors. */
export function parsePly(bytes: Uint8Array, file = '<ply>'): Mesh {
  const header = parseHeader(bytes, file);
  let reader: BodyReader;
  if (header.format === 'ascii') {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let firstLine = 1;
    for (let i = 0; i < header.bodyOffset; i++) if (bytes[i] === 10) firstLine++;
    reader = new AsciiReader(file, text, header.bodyOffset, firstLine);
  } else {
    reader = new BinaryReader(file, bytes, header.bodyOffset, header.format === 'binary_little_endian');
  }

  // a header that promises more rows than the body can hold is a truncated (or hostile) file:
  // refuse it before allocating anything of that size
  let minimum = 0;
  for (const e of header.elements) {
    let row = 0;
    for (const p of e.properties) row += header.format === 'ascii' ? 1 : TYPE_SIZE[p.countType ?? p.type];
    minimum += row * e.count;
  }
  const available = bytes.length - header.bodyOffset;
  if (minimum > available) {
    throw new FormatError(file, 'header', `elements (${header.elements.map((e) => `${e.count} ${e.name}`).join(', ')}) need at least ${minimum} bytes, the body has ${available} (truncated body)`);
  }

  const vertexElement = header.elements.find((e) => e.name === 'vertex');
  if (!vertexElement) throw new FormatError(file, 'header', "no 'vertex' element");
  const V = vertexElement.count;

  // which slots the vertex element fills
  const slotOf: number[] = [];
  const present = new Array<boolean>(Slot.COUNT).fill(false);
  for (const p of vertexElement.properties) {
    const slot = p.countType === undefined ? VERTEX_SLOTS[p.name] : undefined;
    slotOf.push(slot ?? -1);
    if (slot !== undefined) {
      if (present[slot]) throw new FormatError(file, 'header', `vertex property for '${SLOT_NAMES[slot]}' appears twice ('${p.name}')`);
      present[slot] = true;
    }
  }
  for (const axis of [Slot.X, Slot.Y, Slot.Z]) {
    if (!present[axis]) throw new FormatError(file, 'header', `vertex element has no '${SLOT_NAMES[axis]}' property`);
  }
  const hasNormals = present[Slot.NX] && present[Slot.NY] && present[Slot.NZ];
  const hasColors = present[Slot.R] && present[Slot.G] && present[Slot.B];
  const hasUvs = present[Slot.U] && present[Slot.V];
  const colorScale: number[] = vertexElement.properties.map((p) => (p.type === 'float32' || p.type === 'float64' ? 1 : 1 / TYPE_MAX[p.type]));

  const positions = new Float64Array(V * 3);
  const normals = hasNormals ? new Float32Array(V * 3) : undefined;
  const colors = hasColors ? new Float32Array(V * 3) : undefined;
  const uvs = hasUvs ? new Float32Array(V * 2) : undefined;
  const slots = new Float64Array(Slot.COUNT);

  let faces: Uint32Array = new Uint32Array(0);
  let wedgeUvs: Float32Array | undefined;
  let faceWedges: Uint32Array | undefined;

  for (const element of header.elements) {
    reader.element = element.name;
    const props = element.properties;
    const np = props.length;
    if (element === vertexElement) {
      for (let i = 0; i < V; i++) {
        reader.row = i;
        for (let k = 0; k < np; k++) {
          const p = props[k]!;
          reader.property = p.name;
          if (p.countType !== undefined) { reader.skip(p.type, reader.count(p.countType)); continue; }
          const value = reader.read(p.type);
          const slot = slotOf[k]!;
          if (slot < 0) continue;
          if (!Number.isFinite(value)) throw reader.error(`${p.name} is ${value}, expected a finite number`);
          slots[slot] = slot >= Slot.R && slot <= Slot.B ? value * colorScale[k]! : value;
        }
        positions[3 * i] = slots[Slot.X]!; positions[3 * i + 1] = slots[Slot.Y]!; positions[3 * i + 2] = slots[Slot.Z]!;
        if (normals) { normals[3 * i] = slots[Slot.NX]!; normals[3 * i + 1] = slots[Slot.NY]!; normals[3 * i + 2] = slots[Slot.NZ]!; }
        if (colors) { colors[3 * i] = slots[Slot.R]!; colors[3 * i + 1] = slots[Slot.G]!; colors[3 * i + 2] = slots[Slot.B]!; }
        if (uvs) { uvs[2 * i] = slots[Slot.U]!; uvs[2 * i + 1] = slots[Slot.V]!; }
      }
    } else if (element.name === 'face') {
      const result = readFaces(reader, element, V);
      faces = result.faces;
      wedgeUvs = result.wedgeUvs;
      faceWedges = result.faceWedges;
    } else {
      for (let i = 0; i < element.count; i++) {
        reader.row = i;
        for (let k = 0; k < np; k++) {
          const p = props[k]!;
          reader.property = p.name;
          if (p.countType !== undefined) reader.skip(p.type, reader.count(p.countType));
          else reader.skip(p.type, 1);
        }
      }
    }
  }

  const mesh: Mesh = { positions, faces };
  if (normals) { mesh.normals = normals; mesh.faceNormals = faces.slice(); }
  if (colors) mesh.colors = colors;
  if (wedgeUvs && faceWedges) { mesh.uvs = wedgeUvs; mesh.faceUvs = faceWedges; }
  else if (uvs) { mesh.uvs = uvs; mesh.faceUvs = faces.slice(); }
  return mesh;
}

/** Reads the face element: vertex index lists (triangulated) and optional per-corner texcoords. */
function readFaces(reader: BodyReader, element: PlyElement, V: number): { faces: Uint32Array; wedgeUvs?: Float32Array; faceWedges?: Uint32Array } {
  const props = element.properties;
  const np = props.length;
  let indexProp = props.findIndex((p) => p.name === 'vertex_indices' && p.countType !== undefined);
  if (indexProp < 0) indexProp = props.findIndex((p) => p.name === 'vertex_index' && p.countType !== undefined);
  if (indexProp < 0) throw new FormatError(reader.file, 'header', "face element has no 'vertex_indices' (or 'vertex_index') list property");
  const texProp = props.findIndex((p) => p.name === 'texcoord' && p.countType !== undefined);
  let out = new Uint32Array(Math.max(3, element.count * 3));
  let nTri = 0;
  let wedge = texProp >= 0 ? new Float32Array(Math.max(6, element.count * 6)) : undefined;
  let wedgeIndex = texProp >= 0 ? new Uint32Array(out.length) : undefined;
  let nWedge = 0;
  let corners = new Uint32Array(16);
  let cornerCount = 0;
  for (let f = 0; f < element.count; f++) {
    reader.row = f;
    let texCount = -1;
    const wedgeBase = nWedge;
    for (let k = 0; k < np; k++) {
      const p = props[k]!;
      reader.property = p.name;
      if (k === indexProp) {
        const n = reader.count(p.countType!);
        if (n < 3) throw reader.error(`a face needs at least 3 vertices, found ${n}`);
        if (n > corners.length) corners = new Uint32Array(n * 2);
        for (let j = 0; j < n; j++) {
          const vi = reader.read(p.type);
          if (!(vi >= 0 && vi < V && Number.isInteger(vi))) throw reader.error(`vertex index ${vi} (corner ${j + 1}) is out of range: ${V} vertices`);
          corners[j] = vi;
        }
        cornerCount = n;
        const tri = n - 2;
        if ((nTri + tri) * 3 > out.length) {
          const next = new Uint32Array(Math.max(out.length * 2, (nTri + tri) * 3));
          next.set(out);
          out = next;
          if (wedgeIndex) { const w = new Uint32Array(next.length); w.set(wedgeIndex); wedgeIndex = w; }
        }
        for (let j = 1; j + 1 < n; j++) {
          const o = (nTri + j - 1) * 3;
          out[o] = corners[0]!; out[o + 1] = corners[j]!; out[o + 2] = corners[j + 1]!;
        }
      } else if (k === texProp) {
        const n = reader.count(p.countType!);
        if (nWedge * 2 + n > wedge!.length) {
          const next = new Float32Array(Math.max(wedge!.length * 2, nWedge * 2 + n));
          next.set(wedge!);
          wedge = next;
        }
        for (let j = 0; j < n; j++) {
          const x = reader.read(p.type);
          if (!Number.isFinite(x)) throw reader.error(`texcoord ${j + 1} is ${x}, expected a finite number`);
          wedge![nWedge * 2 + j] = x;
        }
        texCount = n;
      } else if (p.countType !== undefined) {
        reader.skip(p.type, reader.count(p.countType));
      } else {
        reader.skip(p.type, 1);
      }
    }
    if (wedge && wedgeIndex) {
      reader.property = 'texcoord';
      if (texCount !== 2 * cornerCount) {
        throw reader.error(`texcoord has ${texCount} values, expected ${2 * cornerCount} (u v per corner)`);
      }
      for (let j = 1; j + 1 < cornerCount; j++) {
        const o = (nTri + j - 1) * 3;
        wedgeIndex[o] = wedgeBase; wedgeIndex[o + 1] = wedgeBase + j; wedgeIndex[o + 2] = wedgeBase + j + 1;
      }
      nWedge += cornerCount;
    }
    nTri += cornerCount - 2;
  }
  const faces = out.slice(0, nTri * 3);
  if (!wedge || !wedgeIndex) return { faces };
  return { faces, wedgeUvs: wedge.slice(0, nWedge * 2), faceWedges: wedgeIndex.slice(0, nTri * 3) };
}

/** Reads a PLY file. */
export async function loadPly(path: string): Promise<Mesh> {
  const bytes = await readFile(path);
  return parsePly(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

// ---------------------------------------------------------------------------------------------
// Writer

export interface FormatPlyOptions {
  /** Default 'binary_little_endian'. */
  format?: PlyFormat;
  /** Type of x, y, z: 'double' (default, exact round trip) or 'float'. */
  positionType?: 'float' | 'double';
  /** Type of red, green, blue: 'uchar' (default, 0–255, what most viewers expect) or 'float' (0–1, exact). */
  colorType?: 'uchar' | 'float';
  /** Extra `comment` lines. */
  comments?: string[];
}

export const FORMAT_PLY_DEFAULTS: Required<Omit<FormatPlyOptions, 'comments'>> = {
  format: 'binary_little_endian',
  positionType: 'double',
  colorType: 'uchar',
};

/**
 * Per-vertex values of an indexed attribute when every corner of each vertex carries the same
 * value; undefined at a seam. values: [N*width]; index: [F*3] into values; returns [V*width].
 */
function perVertex(values: Float32Array, index: Uint32Array, faces: Uint32Array, V: number, width: number): Float32Array | undefined {
  const out = new Float32Array(V * width);
  const set = new Uint8Array(V);
  for (let j = 0; j < faces.length; j++) {
    const v = faces[j]!;
    const src = index[j]! * width;
    if (src + width > values.length) throw new RangeError(`formatPly: attribute index ${index[j]} out of range (${values.length / width} values)`);
    if (!set[v]) {
      for (let c = 0; c < width; c++) out[v * width + c] = values[src + c]!;
      set[v] = 1;
    } else {
      for (let c = 0; c < width; c++) if (out[v * width + c] !== values[src + c]) return undefined;
    }
  }
  return out;
}

/** Scalar writer over a growing byte buffer or ASCII text. */
interface Sink {
  value(type: ScalarType, x: number): void;
  endRow(): void;
}

/** Encodes a mesh as PLY. */
export function formatPly(mesh: Mesh, options: FormatPlyOptions = {}): Uint8Array {
  const o = { ...FORMAT_PLY_DEFAULTS, ...options };
  const { positions, faces } = mesh;
  if (positions.length % 3 !== 0) throw new RangeError(`formatPly: positions length ${positions.length} is not a multiple of 3`);
  if (faces.length % 3 !== 0) throw new RangeError(`formatPly: faces length ${faces.length} is not a multiple of 3`);
  const V = positions.length / 3;
  const F = faces.length / 3;
  for (let j = 0; j < faces.length; j++) {
    if (faces[j]! >= V) throw new RangeError(`formatPly: face ${Math.floor(j / 3)} names vertex ${faces[j]}, but there are ${V}`);
  }
  const colors = mesh.colors;
  if (colors && colors.length !== V * 3) throw new RangeError(`formatPly: colors length ${colors.length}, expected ${V * 3}`);
  const normals = mesh.normals && mesh.faceNormals ? perVertex(mesh.normals, mesh.faceNormals, faces, V, 3) : undefined;
  let vertexUvs: Float32Array | undefined;
  let wedgeUvs = false;
  if (mesh.uvs && mesh.faceUvs) {
    vertexUvs = perVertex(mesh.uvs, mesh.faceUvs, faces, V, 2);
    wedgeUvs = vertexUvs === undefined;
  }
  const posType: ScalarType = o.positionType === 'double' ? 'float64' : 'float32';
  const colType: ScalarType = o.colorType === 'uchar' ? 'uint8' : 'float32';

  const header = ['ply', `format ${o.format} 1.0`, 'comment written by face-workbench'];
  for (const c of options.comments ?? []) header.push(`comment ${c.replace(/[\r\n]+/g, ' ')}`);
  header.push(`element vertex ${V}`);
  const pt = o.positionType;
  header.push(`property ${pt} x`, `property ${pt} y`, `property ${pt} z`);
  if (normals) header.push('property float nx', 'property float ny', 'property float nz');
  if (colors) header.push(`property ${o.colorType} red`, `property ${o.colorType} green`, `property ${o.colorType} blue`);
  if (vertexUvs) header.push('property float s', 'property float t');
  header.push(`element face ${F}`, 'property list uchar int vertex_indices');
  if (wedgeUvs) header.push('property list uchar float texcoord');
  header.push('end_header');
  const headerText = header.join('\n') + '\n';

  const color = (x: number): number => (colType === 'uint8' ? Math.round(Math.min(1, Math.max(0, x)) * 255) : x);

  const writeBody = (sink: Sink): void => {
    for (let i = 0; i < V; i++) {
      sink.value(posType, positions[3 * i]!); sink.value(posType, positions[3 * i + 1]!); sink.value(posType, positions[3 * i + 2]!);
      if (normals) { sink.value('float32', normals[3 * i]!); sink.value('float32', normals[3 * i + 1]!); sink.value('float32', normals[3 * i + 2]!); }
      if (colors) { sink.value(colType, color(colors[3 * i]!)); sink.value(colType, color(colors[3 * i + 1]!)); sink.value(colType, color(colors[3 * i + 2]!)); }
      if (vertexUvs) { sink.value('float32', vertexUvs[2 * i]!); sink.value('float32', vertexUvs[2 * i + 1]!); }
      sink.endRow();
    }
    for (let f = 0; f < F; f++) {
      sink.value('uint8', 3);
      sink.value('int32', faces[3 * f]!); sink.value('int32', faces[3 * f + 1]!); sink.value('int32', faces[3 * f + 2]!);
      if (wedgeUvs) {
        sink.value('uint8', 6);
        for (let k = 0; k < 3; k++) {
          const u = mesh.faceUvs![3 * f + k]! * 2;
          sink.value('float32', mesh.uvs![u]!); sink.value('float32', mesh.uvs![u + 1]!);
        }
      }
      sink.endRow();
    }
  };

  const headerBytes = Buffer.from(headerText, 'latin1');
  if (o.format === 'ascii') {
    const lines: string[] = [];
    let row: string[] = [];
    writeBody({
      value: (type, x) => { row.push(type === 'float32' ? formatFloat32(Math.fround(x)) : String(x)); },
      endRow: () => { lines.push(row.join(' ')); row = []; },
    });
    const body = Buffer.from(lines.join('\n') + (lines.length ? '\n' : ''), 'latin1');
    const out = new Uint8Array(headerBytes.length + body.length);
    out.set(headerBytes, 0);
    out.set(body, headerBytes.length);
    return out;
  }
  const vertexSize = 3 * TYPE_SIZE[posType] + (normals ? 12 : 0) + (colors ? 3 * TYPE_SIZE[colType] : 0) + (vertexUvs ? 8 : 0);
  const faceSize = 13 + (wedgeUvs ? 25 : 0);
  const total = headerBytes.length + V * vertexSize + F * faceSize;
  const out = new Uint8Array(total);
  out.set(headerBytes, 0);
  const view = new DataView(out.buffer);
  const little = o.format === 'binary_little_endian';
  let off = headerBytes.length;
  writeBody({
    value: (type, x) => {
      switch (type) {
        case 'uint8': view.setUint8(off, x); off += 1; break;
        case 'int32': view.setInt32(off, x, little); off += 4; break;
        case 'float32': view.setFloat32(off, x, little); off += 4; break;
        case 'float64': view.setFloat64(off, x, little); off += 8; break;
        case 'int8': case 'int16': case 'uint16': case 'uint32':
          throw new Error(`formatPly: unexpected type ${type}`);
        default: assertUnreachable(type, 'PLY type');
      }
    },
    endRow: () => {},
  });
  if (off !== total) throw new Error(`formatPly: wrote ${off} bytes, expected ${total}`);
  return out;
}

/** Writes a mesh as PLY atomically. */
export async function savePly(path: string, mesh: Mesh, options: FormatPlyOptions = {}): Promise<void> {
  await writeFileAtomic(path, formatPly(mesh, options));
}
