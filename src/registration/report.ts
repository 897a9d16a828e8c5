/**
 * `report.html` of a registration run: totals, then one row per scan with its status, reason,
 * landmark source, the fit figures and its QA (or review) picture.
 */
import type { ScanRecord } from './register-files.js';
import { escapeHtml, pageHead } from '../util/html.js';

const esc = escapeHtml;

const fmt = (x: number | undefined, d = 3): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

export function reportHtml(records: readonly ScanRecord[], info: { title: string; dataset: string; totals: Record<string, number>; parameters: Record<string, unknown> }): string {
  const rows = records.map((r) => {
    const img = r.outputs?.qa ?? r.reviewImage;
    const lm = r.landmarks ? `${r.landmarks.source} (${r.landmarks.count})` : '–';
    const truth = r.truthErrorMm ? `${fmt(r.truthErrorMm.median)} / ${fmt(r.truthErrorMm.p95)}` : '–';
    return `<tr class="${esc(r.status)}">
<td>${esc(r.id)}</td><td>${esc(r.expression)}</td><td class="st">${esc(r.status)}</td>
<td>${esc(lm)}</td><td>${esc(r.unit ?? '–')}</td>
<td>${fmt(r.scanToMeshMm?.median)} / ${fmt(r.scanToMeshMm?.mean)} / ${fmt(r.scanToMeshMm?.p95)}</td>
<td>${fmt(r.landmarkErrorMm?.median, 2)}</td><td>${truth}</td><td>${fmt(r.seconds, 2)}</td>
<td class="why">${esc(r.reason ?? '')}${img ? `<br><a href="${esc(img)}"><img src="${esc(img)}" loading="lazy" alt="QA"></a>` : ''}${r.reviewImage && r.outputs ? ` <a href="${esc(r.reviewImage)}">propagated landmarks</a>` : ''}</td>
</tr>`;
  }).join('\n');
  return `${pageHead(info.title, `table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #333; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { color: #aaa; font-weight: 600; }
tr.failed .st { color: #f66; } tr.review .st { color: #fc4; } tr.skipped .st { color: #999; } tr.ok .st { color: #6d6; }
img { max-width: 384px; margin-top: .3rem; border-radius: 4px; }
`)}
<body>
<h1>${esc(info.title)}</h1>
<p>Dataset <code>${esc(info.dataset)}</code>. ${Object.entries(info.totals).map(([k, v]) => `${esc(k)}: <b>${v}</b>`).join(', ')}.</p>
<p>Parameters: <code>${esc(JSON.stringify(info.parameters))}</code></p>
<p>Scan-to-mesh: distance from scan points to the registration on the face region (median / mean / 95th percentile, mm). QA picture: the scan (left) and the registration coloured by its distance to the scan (blue 0 → red ≥ 2 mm).</p>
<table>
<thead><tr><th>subject</th><th>scan</th><th>status</th><th>landmarks</th><th>unit</th><th>scan-to-mesh (mm)</th><th>landmark err. (mm)</th><th>truth err. median / p95 (mm)</th><th>s</th><th>reason / QA</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
