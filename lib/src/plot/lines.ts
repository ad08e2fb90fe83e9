import type { FigureSpec } from "../display/types";
import { PlotOptions, axisTitle, baseLayout, color, finish, range, toNumbers } from "./common";

export interface LineSeries {
  name: string;
  x?: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LineOptions extends PlotOptions {
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
}

/** One line per series (x defaults to 0, 1, 2…). */
export function plotLines(series: LineSeries[], opts: LineOptions = {}): FigureSpec {
  const data = series.map((s, i) => ({
    type: "scatter",
    mode: s.y.length > 1 ? "lines" : "markers",
    name: s.name,
    x: s.x ? toNumbers(s.x) : range(s.y.length),
    y: toNumbers(s.y),
    line: { color: color(i) },
  }));
  const layout = baseLayout(opts, {
    xaxis: axisTitle(opts.xTitle),
    yaxis: { ...axisTitle(opts.yTitle), ...(opts.logY ? { type: "log" } : {}) },
  });
  return finish({ data, layout }, opts);
}
