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

/** A vertical dotted line at one epoch, e.g. where the validation loss is lowest. */
export interface EpochMarker {
  epoch: number;
  /** The subplot to mark (default: every subplot). */
  metric?: HistoryMetric;
  /** Text written above the line. */
  label?: string;
  /** CSS color of the line and its label (default grey). */
  color?: string;
}

export interface HistoryOptions extends PlotOptions {
  /** Subplots to draw (default: loss, and accuracy when recorded). */
  metrics?: HistoryMetric[];
  logLoss?: boolean;
  /** Vertical lines at given epochs (best epoch, learning-rate change, end of warm-up…). */
  markers?: EpochMarker[];
}

/**
 * Loss and accuracy side by side, train vs validation (same colors in both subplots), with optional
 * vertical markers: `{ markers: [{ epoch: 12, metric: "loss", label: "perte min." }] }`.
 */
export function plotHistory(history: TrainingHistory, opts: HistoryOptions = {}): FigureSpec {
  const metrics = opts.metrics ?? (history.trainAcc || history.valAcc ? ["loss", "accuracy"] : ["loss"]);
  const data: PlotlyTrace[] = [];
  const layout = baseLayout(opts, { legend: { orientation: "h", y: -0.2 } });
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  for (const m of opts.markers ?? []) {
    if (!Number.isFinite(m.epoch)) throw new Error(`plotHistory(): a marker's epoch is ${m.epoch}; give a number.`);
    if (m.metric && !metrics.includes(m.metric))
      throw new Error(`plotHistory(): a marker is on "${m.metric}", which is not drawn (metrics: ${metrics.join(", ")}).`);
  }
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
    for (const m of (opts.markers ?? []).filter((m) => !m.metric || m.metric === metric)) {
      const c = m.color ?? "#555555";
      shapes.push({ type: "line", xref: `x${s}`, yref: "paper", x0: m.epoch, x1: m.epoch, y0: 0, y1: 1, line: { color: c, dash: "dot", width: 2 } });
      if (m.label) annotations.push({ xref: `x${s}`, yref: "paper", x: m.epoch, y: 1, yanchor: "bottom", text: m.label, showarrow: false, font: { color: c, size: 12 } });
    }
  });
  if (shapes.length) layout.shapes = shapes;
  if (annotations.length) {
    layout.annotations = annotations;
    layout.margin = { ...(layout.margin as Record<string, number>), t: opts.title ? 75 : 35 }; // labels below the title
  }
  return finish({ data, layout }, opts);
}
