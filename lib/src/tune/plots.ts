// Optuna's visualization module (plotly flavour), drawn with tsdl's plot layer.
import type { FigureSpec, PlotlyTrace } from "../display/types";
import { BLUES, PlotOptions, baseLayout, color, finish } from "../plot/common";
import type { Distribution, ParamValue } from "./distributions";
import type { Study } from "./study";
import type { FrozenTrial } from "./types";

export interface TunePlotOptions extends PlotOptions {
  /** Axis label of the objective (Optuna's `target_name`), default "Objective Value". */
  targetName?: string;
  /** Parameters to draw (default: all). */
  params?: string[];
}

const completed = (study: Study): FrozenTrial[] => study.getTrials(["COMPLETE"]).filter((t) => t.value !== null && Number.isFinite(t.value));

function paramNames(trials: FrozenTrial[], wanted?: string[]): string[] {
  const all = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  if (!wanted) return all;
  for (const p of wanted) if (!all.includes(p)) throw new Error(`Parameter "${p}" is not in the study's completed trials (${all.join(", ") || "none"}).`);
  return wanted;
}

function distOf(trials: FrozenTrial[], name: string): Distribution {
  const t = trials.find((x) => x.distributions[name]);
  if (!t) throw new Error(`No completed trial has parameter "${name}".`);
  return t.distributions[name];
}

const isLog = (d: Distribution): boolean => d.kind !== "categorical" && d.log;
const axisFor = (d: Distribution, title: string): Record<string, unknown> => ({
  title: { text: title },
  ...(isLog(d) ? { type: "log" } : {}),
  ...(d.kind === "categorical" ? { type: "category" } : {}),
});
const asPlot = (v: ParamValue): number | string => (typeof v === "number" ? v : String(v));

/** Objective value of each completed trial and the best value so far. */
export function plotOptimizationHistory(study: Study, opts: TunePlotOptions = {}): FigureSpec {
  const trials = completed(study);
  const target = opts.targetName ?? "Objective Value";
  const better = study.direction === "minimize" ? Math.min : Math.max;
  let best = study.direction === "minimize" ? Infinity : -Infinity;
  const bestSoFar = trials.map((t) => (best = better(best, t.value as number)));
  const data: PlotlyTrace[] = [
    { type: "scatter", mode: "markers", name: target, x: trials.map((t) => t.number), y: trials.map((t) => t.value), marker: { color: color(0) } },
    { type: "scatter", mode: "lines", name: "Best Value", x: trials.map((t) => t.number), y: bestSoFar, line: { color: color(3) } },
  ];
  const layout = baseLayout({ title: "Optimization History Plot", ...opts }, { xaxis: { title: { text: "Trial" } }, yaxis: { title: { text: target } } });
  return finish({ data, layout }, opts);
}

/**
 * Objective over two parameters: a contour interpolated by Plotly between the trials (gaps
 * connected, as Optuna does) with the trials on top; log axes for log distributions.
 */
export function plotContour(study: Study, params: [string, string], opts: TunePlotOptions = {}): FigureSpec {
  const trials = completed(study).filter((t) => params[0] in t.params && params[1] in t.params);
  const [px, py] = params;
  if (px === py) throw new Error("plotContour(): pass two different parameters.");
  paramNames(completed(study), [px, py]);
  const dx = distOf(trials, px), dy = distOf(trials, py);
  const xs = [...new Set(trials.map((t) => asPlot(t.params[px])))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ys = [...new Set(trials.map((t) => asPlot(t.params[py])))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const z: (number | null)[][] = ys.map(() => xs.map(() => null));
  for (const t of trials) z[ys.indexOf(asPlot(t.params[py]))][xs.indexOf(asPlot(t.params[px]))] = t.value;
  const target = opts.targetName ?? "Objective Value";
  const data: PlotlyTrace[] = [
    {
      type: "contour",
      x: xs,
      y: ys,
      z,
      connectgaps: true,
      colorscale: BLUES, // Optuna's contour: the better the objective, the darker
      reversescale: study.direction === "minimize",
      contours: { coloring: "heatmap" },
      colorbar: { title: { text: target } },
      hoverinfo: "none",
    },
    {
      type: "scatter",
      mode: "markers",
      name: "Trials",
      x: trials.map((t) => asPlot(t.params[px])),
      y: trials.map((t) => asPlot(t.params[py])),
      text: trials.map((t) => `Trial ${t.number}: ${t.value}`),
      marker: { color: "black", size: 6, line: { color: "grey", width: 1 } },
      showlegend: false,
    },
  ];
  const layout = baseLayout({ title: "Contour Plot", ...opts }, { xaxis: axisFor(dx, px), yaxis: axisFor(dy, py) });
  return finish({ data, layout }, opts);
}

/** One panel per parameter: objective against its value, colored by trial number. */
export function plotSlice(study: Study, opts: TunePlotOptions = {}): FigureSpec {
  const all = completed(study);
  const names = paramNames(all, opts.params);
  const target = opts.targetName ?? "Objective Value";
  const data: PlotlyTrace[] = [];
  const layout = baseLayout({ title: "Slice Plot", ...opts }, { yaxis: { title: { text: target } }, showlegend: false });
  const gap = 0.04;
  const w = (1 - gap * (names.length - 1)) / Math.max(1, names.length);
  names.forEach((name, i) => {
    const trials = all.filter((t) => name in t.params);
    const ax = i === 0 ? "" : String(i + 1);
    data.push({
      type: "scatter",
      mode: "markers",
      name,
      x: trials.map((t) => asPlot(t.params[name])),
      y: trials.map((t) => t.value),
      xaxis: `x${ax}`,
      yaxis: "y",
      marker: { color: trials.map((t) => t.number), colorscale: BLUES, showscale: i === names.length - 1, colorbar: { title: { text: "Trial" } }, line: { color: "grey", width: 0.5 } },
    });
    layout[`xaxis${ax}`] = { ...axisFor(distOf(trials, name), name), domain: [i * (w + gap), i * (w + gap) + w], anchor: "y" };
  });
  return finish({ data, layout }, opts);
}

/** Each completed trial as a line through the objective and every parameter axis. */
export function plotParallelCoordinate(study: Study, opts: TunePlotOptions = {}): FigureSpec {
  const all = completed(study);
  const names = paramNames(all, opts.params);
  const trials = all.filter((t) => names.every((n) => n in t.params));
  const values = trials.map((t) => t.value as number);
  const target = opts.targetName ?? "Objective Value";
  const dims: Record<string, unknown>[] = [{ label: target, values, range: [Math.min(...values), Math.max(...values)] }];
  for (const name of names) {
    const d = distOf(trials, name);
    if (d.kind === "categorical") {
      const labels = d.choices.map(String);
      dims.push({ label: name, values: trials.map((t) => labels.indexOf(String(t.params[name]))), tickvals: labels.map((_, i) => i), ticktext: labels });
    } else if (d.log) {
      // parcoords has no log axis: plot log10 and label the ticks with the real values.
      const v = trials.map((t) => Math.log10(t.params[name] as number));
      const lo = Math.floor(Math.log10(d.low)), hi = Math.ceil(Math.log10(d.high));
      const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
      dims.push({ label: name, values: v, range: [Math.log10(d.low), Math.log10(d.high)], tickvals: ticks, ticktext: ticks.map((k) => `1e${k}`) });
    } else {
      dims.push({ label: name, values: trials.map((t) => t.params[name]), range: [d.low, d.high] });
    }
  }
  const data: PlotlyTrace[] = [
    {
      type: "parcoords",
      dimensions: dims,
      line: { color: values, colorscale: BLUES, reversescale: study.direction === "minimize", showscale: true, colorbar: { title: { text: target } } },
    },
  ];
  return finish({ data, layout: baseLayout({ title: "Parallel Coordinate Plot", ...opts }) }, opts);
}
