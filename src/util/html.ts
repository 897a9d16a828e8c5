/** Small helpers for the HTML reports (preview.html, report.html). */

/** Text safe inside HTML element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The head of a report page: title and the shared dark style, plus page-specific CSS. */
export function pageHead(title: string, css = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; background: #15171b; color: #ddd; }
code { color: #9cf; }
${css}</style>
</head>`;
}
