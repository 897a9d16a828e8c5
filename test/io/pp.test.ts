import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePickedPoints, formatPickedPoints, loadPickedPoints, savePickedPoints, type PickedPoint } from '../../src/io/pp.js';
import { FormatError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/tmp.js';

function expectFormatError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try { fn(); } catch (error) { caught = error; }
  expect(caught).toBeInstanceOf(FormatError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
}

/** As MeshLab 2022 writes it (date, user and template lines included). */
const MESHLAB = `<!DOCTYPE PickedPoints>
<PickedPoints>
 <DocumentData>
  <DateTime time="14:03:11" date="2023-05-02"/>
  <User name="annotator"/>
  <DataFileName name="1_neutral.obj"/>
  <templateName name=""/>
 </DocumentData>
 <point x="-36.2512" y="29.8071" z="12.4017" active="1" name="0"/>
 <point x="36.0993" y="30.1182" z="12.2249" active="1" name="1"/>
 <point x="0.5" y="-1e-2" z="93" active="0" name="2"/>
</PickedPoints>
`;

describe('parsePickedPoints', () => {
  it("reads MeshLab's file: names, positions and active flags", () => {
    expect(parsePickedPoints(MESHLAB, 'a.pp')).toEqual([
      { name: '0', position: [-36.2512, 29.8071, 12.4017], active: true },
      { name: '1', position: [36.0993, 30.1182, 12.2249], active: true },
      { name: '2', position: [0.5, -0.01, 93], active: false },
    ]);
  });

  it('accepts any attribute order, single quotes, entities, comments, an XML declaration and </point>', () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PickedPoints>
<!-- <point x="9" y="9" z="9" name="commented out"/> -->
<PickedPoints>
  <point name='nose &amp; tip &lt;1&gt;' active = '1' z='3' y="2" x="1"/>
  <point active="0" name="say &quot;hi&quot; &apos;x&apos; &#65;&#x42;" x="-4" y="5e-1" z="+6"></point>
  <point x="7" y="8" z="9" name="a > b"/>
  <point x="1" y="1" z="1"/>
</PickedPoints>`;
    expect(parsePickedPoints(text)).toEqual([
      { name: 'nose & tip <1>', position: [1, 2, 3], active: true },
      { name: `say "hi" 'x' AB`, position: [-4, 0.5, 6], active: false },
      { name: 'a > b', position: [7, 8, 9], active: true },
      { name: '', position: [1, 1, 1], active: true },
    ]);
  });

  it('reads a file with no points', () => {
    expect(parsePickedPoints('<!DOCTYPE PickedPoints>\n<PickedPoints>\n</PickedPoints>\n')).toEqual([]);
  });

  it.each([
    ['no PickedPoints element', '<Points><point x="1" y="2" z="3"/></Points>', ['line 1', 'point outside a PickedPoints element']],
    ['not XML at all', 'hello', ['no <PickedPoints> element']],
    ['missing coordinate', '<PickedPoints>\n <point x="1" z="3" name="a"/>\n</PickedPoints>', ['line 2', "point 1 has no 'y'"]],
    ['non-numeric coordinate', '<PickedPoints>\n\n <point x="1" y="two" z="3"/>\n</PickedPoints>', ['line 3', 'y="two"']],
    ['empty coordinate', '<PickedPoints><point x="" y="2" z="3"/></PickedPoints>', ['x=""']],
    ['NaN coordinate', '<PickedPoints><point x="NaN" y="2" z="3"/></PickedPoints>', ['x="NaN"', 'finite']],
    ['bad active flag', '<PickedPoints><point x="1" y="2" z="3" active="yes"/></PickedPoints>', ['active="yes"']],
    ['unknown entity', '<PickedPoints><point x="1" y="2" z="3" name="&nbsp;"/></PickedPoints>', ["unknown entity '&nbsp;'"]],
    ['bare ampersand', '<PickedPoints><point x="1" y="2" z="3" name="a & b"/></PickedPoints>', ["'&' not followed"]],
    ['unquoted attribute', '<PickedPoints><point x=1 y="2" z="3"/></PickedPoints>', ['expected name="value"']],
    ['duplicate attribute', '<PickedPoints><point x="1" x="2" y="2" z="3"/></PickedPoints>', ["attribute 'x' appears twice"]],
    ['unclosed tag', '<PickedPoints>\n<point x="1" y="2" z="3"', ['line 2', 'never closed']],
    ['unclosed comment', '<PickedPoints><!-- x', ['comment is never closed']],
  ])('%s', (_name, text, fragments) => {
    expectFormatError(() => parsePickedPoints(text, 'bad.pp'), 'bad.pp', ...fragments);
  });
});

describe('formatPickedPoints', () => {
  const points: PickedPoint[] = [
    { name: 'left eye "outer" <&>', position: [0.0123, -0.5, 1e-7], active: true },
    { name: "chin's", position: [1 / 3, 2, -3], active: false },
  ];

  it('writes the XML MeshLab writes', () => {
    expect(formatPickedPoints(points.slice(1), { dataFileName: 'scan.ply' })).toBe(`<!DOCTYPE PickedPoints>
<PickedPoints>
 <DocumentData>
  <DataFileName name="scan.ply"/>
  <templateName name=""/>
 </DocumentData>
 <point x="0.3333333333333333" y="2" z="-3" active="0" name="chin&apos;s"/>
</PickedPoints>
`);
  });

  it('round-trips exactly through save and load (names with entities, inactive points)', async () => {
    const dir = tempDir();
    const path = join(dir, 'lm.pp');
    await savePickedPoints(path, points);
    expect(readdirSync(dir)).toEqual(['lm.pp']);
    expect(readFileSync(path, 'utf8')).toContain('name="left eye &quot;outer&quot; &lt;&amp;&gt;"');
    expect(await loadPickedPoints(path)).toEqual(points);
  });

  it('refuses non-finite coordinates', () => {
    expect(() => formatPickedPoints([{ name: 'a', position: [NaN, 0, 0], active: true }])).toThrow(/non-finite/);
  });
});
