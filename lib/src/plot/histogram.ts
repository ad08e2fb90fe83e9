import type { FigureSpec } from "../display/types";
import { PlotOptions, axisTitle, baseLayout, color, finish } from "./common";

export interface HistogramSeries {
  name: string;
  values: ArrayLike<number>;
}

export interface HistogramOptions extends PlotOptions {
  bins?: number;
  xTitle?: string;
  /** Divide counts by the series size (compare series of different sizes). */
  normalize?: boolean;
}

/**
 * Histogram of one or several named series on shared bins. Binned here, not by Plotly, so that a
 * million weights travel as `bins` bars instead of a million numbers.
 */
export function histogram(values: ArrayLike<number> | HistogramSeries[], opts: HistogramOptions = {}): FigureSpec {
  const series: HistogramSeries[] = isSeriesList(values) ? values : [{ name: "valeurs", values }];
  const bins = Math.max(1, Math.floor(opts.bins ?? 30));
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i];
    if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  if (lo === Infinity) { lo = 0; hi = 1; }
  if (hi === lo) { lo -= 0.5; hi += 0.5; }
  const width = (hi - lo) / bins;
  const centers = Array.from({ length: bins }, (_, b) => Number((lo + (b + 0.5) * width).toPrecision(7)));
  const data = series.map((s, k) => {
    const counts = new Array<number>(bins).fill(0);
    let n = 0;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) continue;
      counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
      n++;
    }
    const y = opts.normalize && n > 0 ? counts.map((c) => Number((c / n).toPrecision(6))) : counts;
    return { type: "bar", name: s.name, x: centers, y, width: Number(width.toPrecision(7)), marker: { color: color(k) }, opacity: series.length > 1 ? 0.6 : 1 };
  });
  const layout = baseLayout(opts, {
    barmode: "overlay",
    bargap: 0,
    showlegend: series.length > 1,
    xaxis: axisTitle(opts.xTitle),
    yaxis: axisTitle(opts.normalize ? "fréquence" : "effectif"),
  });
  return finish({ data, layout }, opts);
}

function isSeriesList(v: ArrayLike<number> | HistogramSeries[]): v is HistogramSeries[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] === "object";
}
