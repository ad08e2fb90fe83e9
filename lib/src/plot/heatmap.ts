import type { FigureSpec, PlotlyTrace } from "../display/types";
import { PlotOptions, axisTitle, baseLayout, color, finish, toNumbers } from "./common";
import { classTraces } from "./scatter";

export interface HeatmapOptions extends PlotOptions {
  x?: ArrayLike<number>;
  y?: ArrayLike<number>;
  xTitle?: string;
  yTitle?: string;
  colorscale?: string | [number, string][];
  zmin?: number;
  zmax?: number;
  showScale?: boolean;
  opacity?: number;
  /** Interpolate between cells (continuous fields); off by default (class regions stay sharp). */
  smooth?: boolean;
  /** Points drawn over the heatmap, colored by class (a decision boundary's data). */
  points?: { xy: ArrayLike<number>[]; labels: ArrayLike<number>; classNames?: string[] };
}

/** Heatmap of z[row][col] (row ↔ y, col ↔ x), with an optional overlay of labelled points. */
export function heatmap(z: ArrayLike<number>[], opts: HeatmapOptions = {}): FigureSpec {
  const trace: PlotlyTrace = {
    type: "heatmap",
    z: Array.from(z, (row) => toNumbers(row)),
    colorscale: opts.colorscale ?? "Viridis",
    showscale: opts.showScale ?? true,
    opacity: opts.opacity ?? 1,
    hoverinfo: "x+y+z",
  };
  if (opts.x) trace.x = toNumbers(opts.x);
  if (opts.y) trace.y = toNumbers(opts.y);
  if (opts.smooth) trace.zsmooth = "best";
  if (opts.zmin !== undefined) trace.zmin = opts.zmin;
  if (opts.zmax !== undefined) trace.zmax = opts.zmax;
  const data: PlotlyTrace[] = [trace];
  if (opts.points) data.push(...classTraces(opts.points.xy, opts.points.labels, opts.points.classNames));
  const layout = baseLayout(opts, { xaxis: axisTitle(opts.xTitle), yaxis: axisTitle(opts.yTitle) });
  // A colorbar and a legend both sit on the right: move the legend above the plot.
  if (opts.points && trace.showscale) layout.legend = { orientation: "h", x: 0, y: 1, yanchor: "bottom" };
  return finish({ data, layout }, opts);
}

/** `predict` maps grid points [x, y] to a class index, or to the probability of class 1. */
export type GridPredictor = (grid: [number, number][]) => ArrayLike<number>;

export interface DecisionBoundaryOptions extends PlotOptions {
  classNames?: string[];
  /** Grid points per axis (default 80). */
  resolution?: number;
  /** Margin around the points, as a fraction of their extent (default 0.1); unused on a fixed range. */
  padding?: number;
  /** Fixed extent [min, max] of the grid along x (default: the points' extent plus padding). */
  xRange?: [number, number];
  /** Fixed extent [min, max] of the grid along y, e.g. the square [-1, 1]² the data is drawn from. */
  yRange?: [number, number];
}

/**
 * Decision regions of a 2-D classifier with its data on top. Integer predictions give one
 * pale color per class; fractional ones (probability of class 1) a blue–red scale.
 */
export function decisionBoundary(predict: GridPredictor, points: ArrayLike<number>[], labels: ArrayLike<number>, opts: DecisionBoundaryOptions = {}): FigureSpec {
  const n = Math.max(2, Math.floor(opts.resolution ?? 80));
  const pad = opts.padding ?? 0.1;
  const ext = (d: 0 | 1): [number, number] => {
    const fixed = d === 0 ? opts.xRange : opts.yRange;
    if (fixed) {
      if (!(fixed[0] < fixed[1]) || !fixed.every(Number.isFinite))
        throw new Error(`decisionBoundary(): ${d === 0 ? "xRange" : "yRange"} = [${fixed}]; give [min, max] with min < max.`);
      return [fixed[0], fixed[1]];
    }
    let lo = Infinity, hi = -Infinity;
    for (const p of points) { lo = Math.min(lo, p[d]); hi = Math.max(hi, p[d]); }
    if (!Number.isFinite(lo)) return [-1, 1];
    const m = (hi - lo || 1) * pad;
    return [lo - m, hi + m];
  };
  const axis = ([lo, hi]: [number, number]): number[] => Array.from({ length: n }, (_, i) => Number((lo + ((hi - lo) * i) / (n - 1)).toPrecision(6)));
  const xs = axis(ext(0));
  const ys = axis(ext(1));
  const grid: [number, number][] = [];
  for (const y of ys) for (const x of xs) grid.push([x, y]);
  const pred = predict(grid);
  if (pred.length !== grid.length) throw new Error(`decisionBoundary(): predict returned ${pred.length} values for ${grid.length} grid points; return one per point.`);
  const z = ys.map((_, r) => Array.from({ length: n }, (_, c) => pred[r * n + c]));
  const discrete = Array.from(pred).every((v) => Number.isInteger(v));
  let k = 2;
  if (discrete) for (const v of [...Array.from(pred), ...Array.from(labels)]) k = Math.max(k, v + 1);
  // Discrete classes: a stepped colorscale, class c ↔ PALETTE[c] (same colors as the points).
  const steps: [number, string][] = [];
  for (let c = 0; c < k; c++) steps.push([c / k, color(c)], [(c + 1) / k, color(c)]);
  return heatmap(z, {
    ...opts,
    x: xs,
    y: ys,
    colorscale: discrete ? steps : [[0, color(0)], [0.5, "#ffffff"], [1, color(1)]],
    zmin: discrete ? -0.5 : 0,
    zmax: discrete ? k - 0.5 : 1,
    showScale: !discrete,
    smooth: !discrete,
    opacity: 0.35,
    points: { xy: points, labels, classNames: opts.classNames },
  });
}
