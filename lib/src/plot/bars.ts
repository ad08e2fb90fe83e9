import type { FigureSpec } from "../display/types";
import { PlotOptions, axisTitle, baseLayout, color, finish, toNumbers } from "./common";

export interface BarOptions extends PlotOptions {
  xTitle?: string;
  yTitle?: string;
  /** One color per bar (default: one color for all). */
  colors?: string[];
  horizontal?: boolean;
}

/** A bar per label. */
export function barChart(labels: (string | number)[], values: ArrayLike<number>, opts: BarOptions = {}): FigureSpec {
  if (labels.length !== values.length) throw new Error(`barChart(): ${labels.length} labels for ${values.length} values; pass one label per value.`);
  const cats = labels.map(String);
  const v = toNumbers(values);
  const trace = {
    type: "bar",
    x: opts.horizontal ? v : cats,
    y: opts.horizontal ? cats : v,
    orientation: opts.horizontal ? "h" : "v",
    marker: { color: opts.colors ?? color(0) },
    text: v.map((x) => (x === null ? "" : String(Number(x.toPrecision(3))))),
    textposition: "auto",
  };
  const layout = baseLayout(opts, { xaxis: { ...axisTitle(opts.xTitle), type: opts.horizontal ? "linear" : "category" }, yaxis: axisTitle(opts.yTitle) });
  return finish({ data: [trace], layout }, opts);
}
