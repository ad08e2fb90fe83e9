import type { FigureSpec, PlotlyTrace } from "../display/types";
import { PlotOptions, baseLayout, color, finish, toNumbers } from "./common";

/** A training history, as recorded by the training loop (one entry per epoch). */
export interface TrainingHistory {
  epoch: number[];
  trainLoss: number[];
  valLoss?: number[];
  trainAcc?: number[];
  valAcc?: number[];
}

export type HistoryMetric = "loss" | "accuracy";

export interface HistoryOptions extends PlotOptions {
  /** Subplots to draw (default: loss, and accuracy when recorded). */
  metrics?: HistoryMetric[];
  logLoss?: boolean;
}

/** Loss and accuracy side by side, train vs validation (same colors in both subplots). */
export function plotHistory(history: TrainingHistory, opts: HistoryOptions = {}): FigureSpec {
  const metrics = opts.metrics ?? (history.trainAcc || history.valAcc ? ["loss", "accuracy"] : ["loss"]);
  const data: PlotlyTrace[] = [];
  const layout = baseLayout(opts, { legend: { orientation: "h", y: -0.2 } });
  const gap = 0.08;
  const w = (1 - gap * (metrics.length - 1)) / metrics.length;
  metrics.forEach((metric, k) => {
    const s = k === 0 ? "" : String(k + 1);
    const [train, val] = metric === "loss" ? [history.trainLoss, history.valLoss] : [history.trainAcc, history.valAcc];
    const label = metric === "loss" ? "Perte" : "Exactitude";
    const add = (y: number[] | undefined, name: string, i: number): void => {
      if (!y || y.length === 0) return;
      data.push({
        type: "scatter",
        mode: y.length > 1 ? "lines+markers" : "markers",
        name,
        legendgroup: name,
        showlegend: k === 0,
        x: toNumbers(history.epoch.slice(0, y.length)),
        y: toNumbers(y),
        line: { color: color(i) },
        xaxis: `x${s}`,
        yaxis: `y${s}`,
      });
    };
    add(train, "entraînement", 0);
    add(val, "validation", 1);
    layout[`xaxis${s}`] = { domain: [k * (w + gap), k * (w + gap) + w], anchor: `y${s}`, title: { text: "époque" } };
    layout[`yaxis${s}`] = {
      anchor: `x${s}`,
      title: { text: label },
      ...(metric === "loss" && opts.logLoss ? { type: "log" } : {}),
      ...(metric === "accuracy" ? { rangemode: "tozero" } : {}),
    };
  });
  return finish({ data, layout }, opts);
}
