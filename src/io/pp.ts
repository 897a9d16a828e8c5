/**
 * MeshLab picked points (`.pp`): the XML file MeshLab's PickPoints tool saves, used for the manual
 * landmarks of a scan.
 *
 * ```xml
 * <!DOCTYPE PickedPoints>
 * <PickedPoints>
 *  <DocumentData>
 *   <DataFileName name="scan.ply"/>
 *   <templateName name=""/>
 *  </DocumentData>
 *  <point x="0.1" y="0.2" z="0.3" active="1" name="nose_tip"/>
 * </PickedPoints>
 * ```
 *
 * The reader is a small tag scanner rather than an XML library: the format is flat and only the
 * attributes of `point` elements matter. It accepts any attribute order, single or double quotes,
 * the five named entities and numeric character references, comments, `<?xml?>` and DOCTYPE
 * declarations, and `<point ...></point>` as well as `<point .../>`. Coordinates are in the
 * scan's units. A missing `active` means active (MeshLab's default); a missing name is ''.
 */
import { readFile } from 'node:fs/promises';
import { FormatError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface PickedPoint {
  name: string;
  /** Position in the picked mesh's units. */
  position: [number, number, number];
  /** Whether the point was placed (MeshLab writes unplaced template points as inactive). */
  active: boolean;
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Replaces XML entities; an unknown or malformed one is an error. */
function decodeEntities(value: string, fail: (problem: string) => never): string {
  if (!value.includes('&')) return value;
  return value.replace(/&([^;&\s]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) fail(`'&' not followed by an entity ending in ';' in ${JSON.stringify(value)}`);
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      const digits = body[1] === 'x' || body[1] === 'X' ? /^#[xX][0-9a-fA-F]+$/ : /^#\d+$/;
      if (!digits.test(body) || !(code >= 0 && code <= 0x10ffff)) fail(`bad character reference '${whole}'`);
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[body];
    if (named === undefined) fail(`unknown entity '${whole}'`);
    return named;
  });
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Attributes of a start tag's inside (after the tag name). */
function parseAttributes(inside: string, fail: (problem: string) => never): Map<string, string> {
  const attributes = new Map<string, string>();
  const re = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
  let p = 0;
  for (;;) {
    while (p < inside.length && /\s/.test(inside[p]!)) p++;
    if (p >= inside.length) break;
    re.lastIndex = p;
    const m = re.exec(inside);
    if (!m) fail(`expected name="value" in tag, found '${inside.slice(p, p + 30)}'`);
    if (attributes.has(m[1]!)) fail(`attribute '${m[1]}' appears twice`);
    attributes.set(m[1]!, decodeEntities(m[2] ?? m[3]!, fail));
    p = re.lastIndex;
  }
  return attributes;
}

/** Parses a `.pp` file. `file` names it in errors (with the line of the offending tag). */
export function parsePickedPoints(text: string, file = '<pp>'): PickedPoint[] {
  const points: PickedPoint[] = [];
  let sawRoot = false;
  let p = 0;
  const n = text.length;
  while (p < n) {
    const lt = text.indexOf('<', p);
    if (lt < 0) break;
    const fail = (problem: string): never => { throw new FormatError(file, `line ${lineAt(text, lt)}`, problem); };
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) fail('comment is never closed');
      p = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt);
      if (end < 0) fail('CDATA section is never closed');
      p = end + 3;
      continue;
    }
    // find the tag's end, skipping '>' inside quoted attribute values
    let q = lt + 1;
    let quote = 0;
    for (; q < n; q++) {
      const c = text.charCodeAt(q);
      if (quote) { if (c === quote) quote = 0; }
      else if (c === 34 || c === 39) quote = c;
      else if (c === 62) break;
    }
    if (q >= n) fail('tag is never closed with \'>\'');
    const tag = text.slice(lt + 1, q);
    p = q + 1;
    if (tag.startsWith('?') || tag.startsWith('!') || tag.startsWith('/')) continue;
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const nameEnd = body.search(/[\s]|$/);
    const name = body.slice(0, nameEnd);
    if (name === 'PickedPoints') { sawRoot = true; continue; }
    if (name !== 'point') continue;
    if (!sawRoot) fail('point outside a PickedPoints element');
    const attributes = parseAttributes(body.slice(nameEnd), fail);
    const position: [number, number, number] = [0, 0, 0];
    for (let k = 0; k < 3; k++) {
      const axis = 'xyz'[k]!;
      const raw = attributes.get(axis);
      if (raw === undefined) fail(`point ${points.length + 1} has no '${axis}' attribute`);
      const value = raw!.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(value)) fail(`point ${points.length + 1} ${axis}="${raw}", expected a finite number`);
      position[k] = value;
    }
    const activeRaw = (attributes.get('active') ?? '1').trim().toLowerCase();
    let active: boolean;
    if (activeRaw === '1' || activeRaw === 'true') active = true;
    else if (activeRaw === '0' || activeRaw === 'false') active = false;
    else fail(`point ${points.length + 1} active="${activeRaw}", expected 1 or 0`);
    points.push({ name: attributes.get('name') ?? '', position, active: active! });
  }
  if (!sawRoot) throw new FormatError(file, undefined, 'not a picked-points file: no <PickedPoints> element');
  return points;
}

/** Reads a `.pp` file. */
export async function loadPickedPoints(path: string): Promise<PickedPoint[]> {
  return parsePickedPoints(await readFile(path, 'utf8'), path);
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

export interface FormatPickedPointsOptions {
  /** The mesh the points were picked on (`DataFileName`). Default ''. */
  dataFileName?: string;
  /** MeshLab's `templateName`. Default ''. */
  templateName?: string;
}

/**
 * The XML MeshLab writes (without its date and user lines, so output is deterministic).
 * Numbers are written in their shortest exact form.
 */
export function formatPickedPoints(points: readonly PickedPoint[], options: FormatPickedPointsOptions = {}): string {
  const out = [
    '<!DOCTYPE PickedPoints>',
    '<PickedPoints>',
    ' <DocumentData>',
    `  <DataFileName name="${escapeAttribute(options.dataFileName ?? '')}"/>`,
    `  <templateName name="${escapeAttribute(options.templateName ?? '')}"/>`,
    ' </DocumentData>',
  ];
  for (const pt of points) {
    const [x, y, z] = pt.position;
    if (![x, y, z].every(Number.isFinite)) throw new RangeError(`formatPickedPoints: point '${pt.name}' has a non-finite coordinate (${x}, ${y}, ${z})`);
    out.push(` <point x="${x}" y="${y}" z="${z}" active="${pt.active ? 1 : 0}" name="${escapeAttribute(pt.name)}"/>`);
  }
  out.push('</PickedPoints>');
  return out.join('\n') + '\n';
}

/** Writes a `.pp` file atomically. */
export async function savePickedPoints(path: string, points: readonly PickedPoint[], options: FormatPickedPointsOptions = {}): Promise<void> {
  await writeFileAtomic(path, formatPickedPoints(points, options));
}
