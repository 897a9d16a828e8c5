/**
 * Wavefront MTL material libraries: the subset a textured scan or template needs — `newmtl`,
 * `Kd` (diffuse colour) and `map_Kd` (diffuse texture). Every other statement is ignored.
 *
 * `map_Kd` options (`-s 1 1 1`, `-o 0 0`, `-clamp on`, `-bm 0.5`, ...) are skipped; the rest of
 * the line is the path, so paths with spaces work. Backslashes are read as folder separators
 * (files written on Windows), and a relative path is resolved against the MTL file's folder.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Material } from './mesh.js';
import { FormatError } from '../util/errors.js';

/** Number of arguments of each texture-map option (`-o`, `-s`, `-t` take 1 to 3 numbers). */
const MAP_OPTION_ARGS: Record<string, number> = {
  '-blendu': 1, '-blendv': 1, '-boost': 1, '-mm': 2, '-texres': 1, '-clamp': 1, '-bm': 1,
  '-imfchan': 1, '-type': 1, '-cc': 1, '-o': 3, '-s': 3, '-t': 3,
};

/**
 * Parses an MTL file. `file` names it in errors; `baseDir` (default: the folder of `file`)
 * resolves relative texture paths to absolute ones. Without either, paths stay as written.
 */
export function parseMtl(text: string, file = '<mtl>', baseDir?: string): Material[] {
  const dir = baseDir ?? (file.startsWith('<') ? undefined : dirname(file));
  const materials: Material[] = [];
  let current: Material | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const space = line.search(/\s/);
    const keyword = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? '' : line.slice(space + 1).trim();
    const where = `line ${i + 1}`;
    if (keyword === 'newmtl') {
      if (rest === '') throw new FormatError(file, where, 'newmtl without a material name');
      current = { name: rest };
      materials.push(current);
    } else if (keyword === 'Kd') {
      if (!current) throw new FormatError(file, where, 'Kd before any newmtl');
      const parts = rest.split(/\s+/);
      if (parts[0] === 'spectral' || parts[0] === 'xyz') continue; // unsupported colour spaces
      const values = parts.map(Number);
      if (values.length === 1) values.push(values[0]!, values[0]!);
      if (values.length !== 3 || !values.every(Number.isFinite)) {
        throw new FormatError(file, where, `expected Kd r g b (three finite numbers), found '${rest}'`);
      }
      current.diffuse = [values[0]!, values[1]!, values[2]!];
    } else if (keyword === 'map_Kd') {
      if (!current) throw new FormatError(file, where, 'map_Kd before any newmtl');
      const path = texturePath(rest);
      if (path === '') throw new FormatError(file, where, 'map_Kd without a file name');
      current.diffuseTexture = dir === undefined || isAbsolute(path) ? path : resolve(dir, path);
    }
  }
  return materials;
}

/** The file name of a texture statement's arguments, after its options. */
function texturePath(args: string): string {
  const tokens = args.split(/(\s+)/); // keeps the separators, so a path's own spaces survive
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.trim() === '') { i++; continue; }
    const count = MAP_OPTION_ARGS[t];
    if (count === undefined) break;
    i++;
    for (let taken = 0; taken < count; ) {
      while (i < tokens.length && tokens[i]!.trim() === '') i++;
      if (i >= tokens.length) break;
      // -o/-s/-t take up to three numbers; stop at the first non-number
      if (count === 3 && !Number.isFinite(Number(tokens[i]))) break;
      i++;
      taken++;
    }
  }
  return tokens.slice(i).join('').trim().replace(/\\/g, '/');
}

/** Reads and parses an MTL file; texture paths become absolute. */
export async function loadMtl(path: string): Promise<Material[]> {
  return parseMtl(await readFile(path, 'utf8'), path, dirname(resolve(path)));
}

/**
 * MTL text for materials. With `mtlDir`, absolute texture paths are written relative to it
 * (with `/` separators), so the folder can be moved as a whole.
 */
export function formatMtl(materials: readonly Material[], mtlDir?: string): string {
  const out: string[] = ['# written by face-workbench'];
  for (const m of materials) {
    out.push('', `newmtl ${m.name}`);
    const kd = m.diffuse ?? [1, 1, 1];
    out.push(`Kd ${kd[0]} ${kd[1]} ${kd[2]}`);
    if (m.diffuseTexture !== undefined) {
      let p = m.diffuseTexture;
      if (mtlDir !== undefined && isAbsolute(p)) p = relative(mtlDir, p).split(sep).join('/');
      out.push(`map_Kd ${p}`);
    }
  }
  return out.join('\n') + '\n';
}
