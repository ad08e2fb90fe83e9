// Sending MIME bundles, and the small text/HTML helpers built on them.
import type { DisplayMessage } from "./types";
import { currentSink } from "./kernel";

/**
 * Send one output made of several MIME types. Returns false outside a kernel (nothing sent).
 * `displayId` + `update` re-draw an existing output in place (`update_display_data`).
 */
export function displayBundle(data: Record<string, unknown>, opts: { displayId?: string; update?: boolean } = {}): boolean {
  const sink = currentSink();
  if (sink === null) return false;
  const message: DisplayMessage = {
    data,
    metadata: {},
    transient: opts.displayId === undefined ? {} : { display_id: opts.displayId },
  };
  sink(message, opts.update === true);
  return true;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Show raw HTML; `text` is the plain-text alternative (printed outside a kernel). */
export function showHtml(html: string, text?: string): void {
  const plain = text ?? html.replace(/<[^>]*>/g, "").trim();
  if (!displayBundle({ "text/html": html, "text/plain": plain }) && text !== undefined) process.stdout.write(`${text}\n`);
}

/** Show Markdown (rendered by the front-end); printed as is outside a kernel. */
export function showMarkdown(markdown: string): void {
  if (!displayBundle({ "text/markdown": markdown, "text/plain": markdown })) process.stdout.write(`${markdown}\n`);
}

/** Format a cell: integers as is, other numbers with 4 significant digits. */
export function formatCell(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  if (v === undefined || v === null) return "";
  return String(v);
}

/** A monospace table: header, a rule, rows; numbers right-aligned. */
export function textTable(columns: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => columns.map((_, j) => formatCell(r[j])));
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const numeric = columns.map((_, j) => rows.every((r) => typeof r[j] === "number" || r[j] == null));
  const line = (r: string[]): string =>
    r.map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join("  ").trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

export function htmlTable(columns: string[], rows: unknown[][], caption?: string): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${columns.map((_, j) => `<td${typeof r[j] === "number" ? ' style="text-align:right"' : ""}>${escapeHtml(formatCell(r[j]))}</td>`).join("")}</tr>`)
    .join("\n");
  const cap = caption ? `<caption style="caption-side:top;font-weight:bold">${escapeHtml(caption)}</caption>` : "";
  return `<table class="tsdl-table">${cap}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

export type TableRows = Record<string, unknown>[] | { columns: string[]; rows: unknown[][] };

/** Columns and rows of either table form (objects: columns are the union of their keys, in order). */
export function tableOf(rows: TableRows): { columns: string[]; rows: unknown[][] } {
  if (!Array.isArray(rows)) return rows;
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { columns, rows: rows.map((r) => columns.map((c) => r[c])) };
}

/** Show a table (HTML + text/plain); printed as text outside a kernel. */
export function showTable(rows: TableRows, opts: { title?: string } = {}): void {
  const t = tableOf(rows);
  const text = (opts.title ? `${opts.title}\n` : "") + textTable(t.columns, t.rows);
  if (!displayBundle({ "text/html": htmlTable(t.columns, t.rows, opts.title), "text/plain": text })) process.stdout.write(`${text}\n`);
}
