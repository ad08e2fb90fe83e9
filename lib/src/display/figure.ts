// Figures as one output carrying a MIME bundle:
//   application/vnd.plotly.v1+json  JupyterLab's plotly extension, VS Code
//   text/html                       plotly.js embedded once per kernel session + a script that waits
//                                   for window.Plotly (classic notebook, JupyterLab, nbconvert HTML)
//   text/plain                      a one-line description
import * as fs from "fs";
import * as path from "path";
import { randomBytes } from "crypto";
import type { FigureSpec } from "./types";
import { state } from "./state";
import { currentSink } from "./kernel";
import { displayBundle } from "./output";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

const DEFAULT_CONFIG: Record<string, unknown> = { responsive: true, displaylogo: false };

let plotlySource: string | undefined;

/** The plotly.js bundle of `plotly.js-dist` (v4 ships no .min.js: ~10 MB, read once). */
export function plotlyJs(): string {
  if (plotlySource === undefined) {
    const file = require.resolve("plotly.js-dist");
    // `</script` inside an inline script would end it; plotly 4.1.1 has none, but stay safe.
    plotlySource = fs.readFileSync(file, "utf8").replace(/<\/script/gi, "<\\/script");
  }
  return plotlySource;
}

export function plotlyVersion(): string {
  const pkg = require("plotly.js-dist/package.json") as { version: string };
  return pkg.version;
}

/** JSON safe inside an inline <script>: no `<` (so no `</script>` nor `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export function figureTitle(fig: FigureSpec): string {
  return fig.layout.title?.text ?? "";
}

export function figureText(fig: FigureSpec): string {
  const n = fig.data.length;
  const title = figureTitle(fig);
  return `Figure${title ? `: ${title}` : ""} (${n} trace${n === 1 ? "" : "s"})`;
}

function withConfig(fig: FigureSpec): Required<FigureSpec> {
  return { data: fig.data, layout: fig.layout, config: { ...DEFAULT_CONFIG, ...(fig.config ?? {}) } };
}

/**
 * The HTML that draws `fig`: a div and a script polling for window.Plotly (plotly.js may be
 * embedded by an earlier output, loaded later, or rendered out of order by the front-end).
 */
export function figureHtml(fig: FigureSpec, opts: { embedPlotly?: boolean; plotlySrc?: string } = {}): string {
  const id = `tsdl-fig-${randomBytes(6).toString("hex")}`;
  const full = withConfig(fig);
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 450;
  const width = typeof fig.layout.width === "number" ? `${fig.layout.width}px` : "100%";
  const parts: string[] = [];
  if (opts.embedPlotly) parts.push(`<script type="text/javascript">${plotlyJs()}</script>`);
  if (opts.plotlySrc !== undefined) parts.push(`<script type="text/javascript" src="${opts.plotlySrc}"></script>`);
  parts.push(`<div id="${id}" class="tsdl-figure" style="width:${width};max-width:100%;height:${height}px;"></div>`);
  parts.push(
    `<script type="text/javascript">(function(){` +
      `var id=${JSON.stringify(id)},fig=${scriptJson(full)},t0=Date.now();` +
      `function go(){var el=document.getElementById(id),P=window.Plotly;` +
      `if(el&&P&&P.newPlot){try{Promise.resolve(P.newPlot(el,fig.data,fig.layout,fig.config)).catch(fail);}catch(e){fail(e);}return;}` +
      `if(Date.now()-t0<60000){setTimeout(go,50);return;}` +
      `if(el){el.textContent="Plotly.js n'est pas chargé dans cette page : redémarrez le noyau et ré-exécutez le notebook.";}` +
      `console.error("tsdl: window.Plotly missing, figure "+id+" not drawn");}` +
      `function fail(e){console.error("tsdl: figure "+id+" failed:",e);var el=document.getElementById(id);if(el){el.textContent="Figure non dessinée : "+e;}}` +
      `go();})();</script>`,
  );
  return parts.join("\n");
}

/** The display bundle of a figure; embeds plotly.js when asked (first figure of a session). */
export function figureBundle(fig: FigureSpec, embedPlotly: boolean): Record<string, unknown> {
  return {
    [PLOTLY_MIME]: withConfig(fig),
    "text/html": figureHtml(fig, { embedPlotly }),
    "text/plain": figureText(fig),
  };
}

function slug(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);
}

/** Write `content` to `file` atomically (temp name in the same folder, then rename). */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/**
 * Outside a kernel: write a standalone HTML page into TSDL_FIGURE_DIR (plotly.js is copied once
 * beside it, so that a hundred figures do not weigh 10 MB each). Returns the file, if any.
 */
function writeFigureFile(fig: FigureSpec): string | undefined {
  const s = state();
  const dir = process.env.TSDL_FIGURE_DIR;
  if (!s.noticePrinted) {
    s.noticePrinted = true;
    process.stderr.write(
      dir
        ? `tsdl: no Jupyter kernel: figures are written as HTML to ${path.resolve(dir)}\n`
        : `tsdl: no Jupyter kernel: figures are not shown (set TSDL_FIGURE_DIR=<folder> to save them as HTML)\n`,
    );
  }
  if (!dir) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const lib = `plotly-${plotlyVersion()}.js`;
  if (!fs.existsSync(path.join(dir, lib))) writeFileAtomic(path.join(dir, lib), plotlyJs());
  const n = ++s.figureCount;
  const name = `figure-${process.pid}-${String(n).padStart(3, "0")}${slug(figureTitle(fig)) ? `-${slug(figureTitle(fig))}` : ""}.html`;
  const file = path.join(dir, name);
  const title = figureTitle(fig).replace(/[<>&]/g, " ");
  const page = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title || "tsdl figure"}</title></head>\n<body>\n${figureHtml(fig, { plotlySrc: lib })}\n</body></html>\n`;
  writeFileAtomic(file, page);
  return file;
}

/**
 * Show a Plotly figure as one output (JSON + HTML + text). Outside a kernel, writes it to
 * TSDL_FIGURE_DIR if set (returns the file path), else does nothing.
 */
export function showFigure(fig: FigureSpec): string | undefined {
  if (currentSink() === null) return writeFigureFile(fig);
  const s = state();
  const embed = !s.plotlyEmbedded;
  displayBundle(figureBundle(fig, embed));
  s.plotlyEmbedded = true;
  return undefined;
}
