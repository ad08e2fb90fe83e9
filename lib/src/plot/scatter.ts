import type { FigureSpec, PlotlyTrace } from "../display/types";
import { PlotOptions, axisTitle, baseLayout, color, finish } from "./common";

export interface ScatterOptions extends PlotOptions {
  classNames?: string[];
  xTitle?: string;
  yTitle?: string;
  markerSize?: number;
}

/** One marker trace per class (colors = PALETTE[class]). */
export function classTraces(points: ArrayLike<number>[], labels: ArrayLike<number>, classNames?: string[], markerSize = 6): PlotlyTrace[] {
  if (points.length !== labels.length) throw new Error(`scatterByClass(): ${points.length} points for ${labels.length} labels; pass one label per point.`);
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  return classes.map((c) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < points.length; i++) {
      if (labels[i] !== c) continue;
      x.push(Number(points[i][0].toPrecision(6)));
      y.push(Number(points[i][1].toPrecision(6)));
    }
    return {
      type: "scatter",
      mode: "markers",
      name: classNames?.[c] ?? `classe ${c}`,
      x,
      y,
      marker: { color: color(c), size: markerSize, line: { width: 0.5, color: "white" } },
    };
  });
}

/** 2-D points colored by class. */
export function scatterByClass(points: ArrayLike<number>[], labels: ArrayLike<number>, opts: ScatterOptions = {}): FigureSpec {
  const data = classTraces(points, labels, opts.classNames, opts.markerSize);
  const layout = baseLayout(opts, { xaxis: axisTitle(opts.xTitle), yaxis: axisTitle(opts.yTitle) });
  return finish({ data, layout }, opts);
}
