// TensorBoard-like figures drawn in the notebook with Plotly, from the event files: for students who
// cannot run TensorBoard. Curves: one line per run; histograms: a step × value heatmap or lines.
import * as path from "path";
import type { FigureSpec, PlotlyTrace } from "../display/types";
import { PALETTE, heatmap, plotLines, smallMultiples, type PlotOptions } from "../plot";
import { showFigure } from "../display";
import { listRuns, readRun, type HistogramPoint } from "./reader";

export interface PlotScalarsOptions extends PlotOptions {
  /** Tags to draw (default: all). */
  tags?: string[];
  /** Runs to draw (default: all); a name also selects its sub-runs (addScalars' "<run>/<tag>_<name>"). */
  runs?: string[];
  /** TensorBoard's smoothing: exponential moving average weight in [0, 1) (default 0: raw values). */
  smoothing?: number;
}

/** Shows a figure built with `show: false` (so it could be recolored first) unless told not to. */
function shown(fig: FigureSpec, opts: PlotOptions): FigureSpec {
  if (opts.show !== false) showFigure(fig);
  return fig;
}

function selectRuns(logDir: string, wanted?: string[]): string[] {
  const all = listRuns(logDir);
  if (!wanted) return all;
  return all.filter((r) => wanted.some((w) => r === w || r.startsWith(w + "/")));
}

function ema(values: number[], w: number): number[] {
  let last = values[0] ?? 0;
  return values.map((v) => (last = w * last + (1 - w) * v));
}

/** One chart per scalar tag, one line per run (the same color for a run in every chart). */
export function plotScalars(logDir: string, opts: PlotScalarsOptions = {}): FigureSpec {
  const runs = selectRuns(logDir, opts.runs);
  const data = runs.map((r) => readRun(path.join(logDir, r)).scalars);
  const tags = [...new Set(data.flatMap((d) => [...d.keys()]))].filter((t) => !opts.tags || opts.tags.includes(t)).sort();
  if (!tags.length) throw new Error(`plotScalars: no scalar${opts.tags ? ` tagged ${opts.tags.join(", ")}` : ""} in "${logDir}" (runs: ${runs.join(", ") || "none"}). Did the SummaryWriter flush (writer.flush() or close())?`);
  const multi = tags.length > 1;
  const figs = tags.map((tag) => {
    const series = runs.flatMap((run, i) => {
      const pts = data[i].get(tag);
      return pts ? [{ run: i, name: run, x: pts.map((p) => p.step), y: ema(pts.map((p) => p.value), opts.smoothing ?? 0) }] : [];
    });
    const fig = plotLines(series, { ...(multi ? {} : opts), title: multi ? tag : opts.title ?? tag, xTitle: "step", show: false });
    // Color by run, not by position in this chart, so a run keeps its color across the grid.
    fig.data.forEach((t: PlotlyTrace, k) => (t.line = { color: PALETTE[series[k].run % PALETTE.length] }));
    return fig;
  });
  return multi ? smallMultiples(figs, { cols: Math.min(3, figs.length), ...opts }) : shown(figs[0], opts);
}

export interface PlotHistogramsOptions extends PlotOptions {
  runs?: string[];
  /** Equal-width bins between the smallest and largest value over all steps (default 40). */
  bins?: number;
  /** "heatmap" (default): rows = steps, colour = count; "lines": one line per step, darker = later. */
  mode?: "heatmap" | "lines";
}

/**
 * Counts of a stored histogram spread over equal-width bins on [lo, hi], each bucket's count shared
 * in proportion to the overlap (TensorBoard's frontend re-bins the same way).
 */
export function rebin(h: HistogramPoint, lo: number, hi: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins || 1;
  const binAt = (v: number): number => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
  h.bucket.forEach((c, i) => {
    if (c <= 0) return;
    const left = Math.max(i === 0 ? h.min : h.bucketLimit[i - 1], h.min);
    const right = Math.min(h.bucketLimit[i], h.max);
    if (!(right > left)) return void (out[binAt(Math.min(Math.max(left, h.min), h.max))] += c);
    for (let b = binAt(left); b <= binAt(right); b++) {
      const overlap = Math.min(right, lo + (b + 1) * width) - Math.max(left, lo + b * width);
      if (overlap > 0) out[b] += (c * overlap) / (right - left);
    }
  });
  return out;
}

/** Histograms of `tag` over training, per run (a small multiple per run when there are several). */
export function plotHistograms(logDir: string, tag: string, opts: PlotHistogramsOptions = {}): FigureSpec {
  const runs = selectRuns(logDir, opts.runs)
    .map((run) => ({ run, pts: readRun(path.join(logDir, run)).histograms.get(tag) ?? [] }))
    .filter((r) => r.pts.length > 0);
  if (!runs.length) throw new Error(`plotHistograms: no histogram tagged "${tag}" in "${logDir}". Check the tag, and that the SummaryWriter was closed (histograms without totalSteps are written by close()).`);
  const all = runs.flatMap((r) => r.pts);
  const lo = Math.min(...all.map((p) => p.min));
  let hi = Math.max(...all.map((p) => p.max));
  if (hi <= lo) hi = lo + 1;
  const bins = Math.max(1, Math.floor(opts.bins ?? 40));
  const centers = Array.from({ length: bins }, (_, b) => lo + ((b + 0.5) * (hi - lo)) / bins);
  const counts = new Map(all.map((p) => [p, rebin(p, lo, hi, bins)]));
  const zmax = Math.max(...[...counts.values()].flat()); // one color scale for all runs (shared colorbar)
  const one = (pts: HistogramPoint[], title: string, show: boolean): FigureSpec => {
    const sub = { ...opts, title, show };
    const rows = pts.map((p) => counts.get(p) ?? []);
    if (opts.mode !== "lines")
      return heatmap(rows, { ...sub, x: centers, y: pts.map((p) => p.step), xTitle: tag, yTitle: "step", colorscale: [[0, "#ffffff"], [0.3, "#9ecae1"], [1, "#08306b"]], zmin: 0, zmax });
    const fig = plotLines(pts.map((p, k) => ({ name: `step ${p.step}`, x: centers, y: rows[k] })), { ...sub, xTitle: tag, yTitle: "effectif", show: false });
    fig.data.forEach((t: PlotlyTrace, k) => (t.line = { color: `rgba(31,119,180,${(0.15 + (0.85 * (k + 1)) / pts.length).toFixed(2)})` }));
    return shown(fig, sub);
  };
  if (runs.length === 1) return one(runs[0].pts, opts.title ?? `${tag} — ${runs[0].run}`, opts.show !== false);
  return smallMultiples(runs.map((r) => one(r.pts, r.run, false)), { cols: Math.min(2, runs.length), ...opts, title: opts.title ?? tag });
}
