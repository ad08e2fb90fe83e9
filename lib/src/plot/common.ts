// What every plot helper shares: options, colors, number cleaning, showing.
import type { FigureSpec, PlotlyLayout } from "../display/types";
import { inspect } from "util";
import { figureText, showFigure } from "../display/figure";

export interface PlotOptions {
  title?: string;
  /** Show the figure (default true); `false` only returns its spec (e.g. for smallMultiples). */
  show?: boolean;
  width?: number;
  height?: number;
}

/** Plotly's default colorway (D3 category10), so traces and class colors match across figures. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export const color = (i: number): string => PALETTE[i % PALETTE.length];

/** Light → dark blues (matplotlib's and Optuna's "Blues"): plotly.js's named "Blues" runs dark → light. */
export const BLUES: [number, string][] = [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]];

/** Plain numbers for JSON: typed arrays would serialise as objects, float32 noise as 17 digits. */
export function toNumbers(values: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) ? (Number.isInteger(v) ? v : Number(v.toPrecision(7))) : null;
  }
  return out;
}

export const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => i + start);

/** The common layout: title object (plotly ≥ 3 rejects bare strings), size, white template. */
export function baseLayout(opts: PlotOptions, extra: PlotlyLayout = {}): PlotlyLayout {
  const layout: PlotlyLayout = { margin: { l: 60, r: 20, t: opts.title ? 50 : 20, b: 50 }, ...extra };
  if (opts.title) layout.title = { text: opts.title };
  if (opts.width !== undefined) layout.width = opts.width;
  if (opts.height !== undefined) layout.height = opts.height;
  return layout;
}

export const axisTitle = (text: string | undefined): { title?: { text: string } } => (text ? { title: { text } } : {});

/**
 * Show unless `show: false`, and return the spec. tslab prints a cell's last value with
 * util.inspect: a non-enumerable inspect hook keeps that to one line instead of the whole JSON.
 */
export function finish(fig: FigureSpec, opts: PlotOptions): FigureSpec {
  Object.defineProperty(fig, inspect.custom, { value: () => figureText(fig), enumerable: false });
  if (opts.show !== false) showFigure(fig);
  return fig;
}
