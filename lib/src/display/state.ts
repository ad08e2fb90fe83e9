// Per-process state, kept on globalThis so that two copies of tsdl loaded in one kernel
// (e.g. lib/dist and a linked copy) still embed plotly.js once and merge one report.
import type { DisplaySink } from "./types";

export interface DisplayState {
  /** Plotly.js has been sent to the front-end in this kernel session. */
  plotlyEmbedded: boolean;
  /** `undefined`: detect the kernel; `null`: behave as outside a kernel; else this sink. */
  sinkOverride: DisplaySink | null | undefined;
  /** The one-line notice about figures outside a kernel has been printed. */
  noticePrinted: boolean;
  figureCount: number;
  /** Key figures reported so far by `report()`. */
  report: Record<string, number | string>;
}

const KEY = Symbol.for("tsdl.display.state");

export function state(): DisplayState {
  const g = globalThis as unknown as Record<symbol, DisplayState | undefined>;
  let s = g[KEY];
  if (s === undefined) {
    s = { plotlyEmbedded: false, sinkOverride: undefined, noticePrinted: false, figureCount: 0, report: {} };
    g[KEY] = s;
  }
  return s;
}
