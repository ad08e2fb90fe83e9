// Display layer: figures, tables, HTML and live outputs in tslab notebooks (and safe outside).
export type { FigureSpec, PlotlyTrace, PlotlyLayout, DisplayMessage, DisplaySink } from "./types";
export { setDisplaySink, resetDisplaySession, inKernel } from "./kernel";
export { showFigure, figureBundle, figureHtml, figureText, PLOTLY_MIME } from "./figure";
export { displayBundle, showHtml, showMarkdown, showTable, escapeHtml, textTable, htmlTable } from "./output";
export type { TableRows } from "./output";
export { liveOutput } from "./live";
export type { LiveOutput, LiveContent, LiveOutputOptions } from "./live";
