// Several single-plot figures as subplots of ONE figure (e.g. a 2×3 grid of decision boundaries).
import type { FigureSpec, PlotlyLayout, PlotlyTrace } from "../display/types";
import { PlotOptions, baseLayout, finish } from "./common";

export interface SmallMultiplesOptions extends PlotOptions {
  cols?: number;
  /** Subplot titles (default: each figure's title). */
  titles?: string[];
  /** Height of one row of subplots in px (default 300). */
  rowHeight?: number;
}

type Remap = (ref: unknown) => unknown;

/** Build each figure with `{ show: false }`, then combine: `smallMultiples([f1, f2, f3], { cols: 3 })`. */
export function smallMultiples(figs: FigureSpec[], opts: SmallMultiplesOptions = {}): FigureSpec {
  const cols = Math.max(1, Math.min(opts.cols ?? 3, figs.length || 1));
  const rows = Math.ceil(figs.length / cols);
  const rowHeight = opts.rowHeight ?? 300;
  const hgap = 0.05, vgap = rows > 1 ? Math.min(0.12, 80 / (rows * rowHeight)) : 0;
  const w = (1 - hgap * (cols - 1)) / cols, h = (1 - vgap * (rows - 1)) / rows;
  const data: PlotlyTrace[] = [];
  const annotations: Record<string, unknown>[] = [];
  const shapes: Record<string, unknown>[] = [];
  const height = opts.height ?? rows * rowHeight + 90;
  // Legend below the grid: on the right it would sit on the shared colorbar.
  const legend = { orientation: "h", x: 0.5, xanchor: "center", y: -50 / (height - 130), yanchor: "top" };
  const layout: PlotlyLayout = baseLayout({ ...opts, height }, { margin: { l: 50, r: 20, t: opts.title ? 70 : 40, b: 70 }, legend });
  const seenLegend = new Set<string>();
  let scaleShown = false;
  figs.forEach((fig, k) => {
    const s = k === 0 ? "" : String(k + 1);
    const remap: Remap = (ref) => (ref === "x" || ref === undefined ? `x${s}` : ref === "y" ? `y${s}` : ref);
    const remapY: Remap = (ref) => (ref === "y" || ref === undefined ? `y${s}` : remap(ref));
    const col = k % cols, row = Math.floor(k / cols);
    const xd = [col * (w + hgap), col * (w + hgap) + w];
    const yd = [1 - row * (h + vgap) - h, 1 - row * (h + vgap)];
    for (const t of fig.data) {
      if ((t.xaxis ?? "x") !== "x" || (t.yaxis ?? "y") !== "y") {
        throw new Error(`smallMultiples(): figure ${k} already has subplots (trace on ${String(t.xaxis)}/${String(t.yaxis)}); pass single-plot figures.`);
      }
      const trace: PlotlyTrace = { ...t, xaxis: `x${s}`, yaxis: `y${s}` };
      // One legend entry per name, one colorbar for the whole grid.
      const key = String(t.name ?? "");
      if (t.name !== undefined) { trace.legendgroup = key; if (seenLegend.has(key)) trace.showlegend = false; seenLegend.add(key); }
      if (t.type === "heatmap" && t.showscale !== false) { if (scaleShown) trace.showscale = false; scaleShown = true; }
      data.push(trace);
    }
    const ax = (fig.layout.xaxis ?? {}) as Record<string, unknown>;
    const ay = (fig.layout.yaxis ?? {}) as Record<string, unknown>;
    layout[`xaxis${s}`] = { ...ax, domain: xd, anchor: `y${s}` };
    layout[`yaxis${s}`] = { ...ay, domain: yd, anchor: `x${s}`, ...(ay.scaleanchor ? { scaleanchor: `x${s}` } : {}) };
    for (const a of (fig.layout.annotations ?? []) as Record<string, unknown>[]) annotations.push({ ...a, xref: remap(a.xref), yref: remapY(a.yref) });
    for (const sh of (fig.layout.shapes ?? []) as Record<string, unknown>[]) shapes.push({ ...sh, xref: remap(sh.xref), yref: remapY(sh.yref) });
    const title = opts.titles?.[k] ?? fig.layout.title?.text;
    if (title) {
      annotations.push({ text: title, x: (xd[0] + xd[1]) / 2, y: yd[1], xref: "paper", yref: "paper", xanchor: "center", yanchor: "bottom", showarrow: false, font: { size: 13 } });
    }
  });
  layout.annotations = annotations;
  if (shapes.length > 0) layout.shapes = shapes;
  return finish({ data, layout }, opts);
}
