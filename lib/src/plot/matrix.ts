import type { FigureSpec } from "../display/types";
import { BLUES, PlotOptions, baseLayout, finish } from "./common";

export interface ConfusionOptions extends PlotOptions {
  /** Color by row-normalised rate instead of count (the text still shows counts). */
  normalize?: boolean;
}

/** Confusion matrix heatmap: rows = true class (top to bottom), columns = predicted, counts written in cells. */
export function confusionMatrix(matrix: ArrayLike<number>[], classNames?: string[], opts: ConfusionOptions = {}): FigureSpec {
  const k = matrix.length;
  for (const row of matrix) {
    if (row.length !== k) throw new Error(`confusionMatrix(): expected a ${k}×${k} matrix (one row and one column per class), got a row of ${row.length}.`);
  }
  const names = classNames ?? Array.from({ length: k }, (_, i) => String(i));
  if (names.length !== k) throw new Error(`confusionMatrix(): ${names.length} class names for a ${k}×${k} matrix.`);
  const counts = Array.from(matrix, (row) => Array.from(row, (v) => Math.round(v)));
  const z = opts.normalize
    ? counts.map((row) => { const s = row.reduce((a, b) => a + b, 0) || 1; return row.map((v) => Number((v / s).toFixed(4))); })
    : counts;
  const trace = {
    type: "heatmap",
    x: names,
    y: names,
    z,
    text: counts,
    texttemplate: "%{text}",
    hovertemplate: "réel %{y}<br>prédit %{x}<br>%{text}<extra></extra>",
    colorscale: BLUES, // not plotly's named "Blues" (dark → light): the diagonal would be pale
    showscale: false,
  };
  const side = Math.min(700, 160 + 45 * k);
  const layout = baseLayout(
    { height: side, ...opts, title: opts.title ?? "Matrice de confusion" },
    {
      // Square cells: the y axis follows the x scale, the plot shrinks to fit.
      xaxis: { title: { text: "prédit" }, type: "category", side: "bottom", constrain: "domain" },
      yaxis: { title: { text: "réel" }, type: "category", autorange: "reversed", scaleanchor: "x", constrain: "domain" },
    },
  );
  return finish({ data: [trace], layout }, opts);
}

/** Count matrix from true and predicted class indices. */
export function confusionCounts(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}
