// Shapes shared by the display layer and the plot helpers.

/** One Plotly trace. Loose on purpose: Plotly has hundreds of attributes, checked by the browser. */
export interface PlotlyTrace {
  type?: string;
  name?: string;
  [attribute: string]: unknown;
}

/** Plotly layout. Since plotly.js v3 titles are objects (`{ text }`), never bare strings. */
export interface PlotlyLayout {
  title?: { text: string; [attribute: string]: unknown };
  width?: number;
  height?: number;
  [attribute: string]: unknown;
}

/** A figure: what `application/vnd.plotly.v1+json` carries and `Plotly.newPlot` draws. */
export interface FigureSpec {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
  config?: Record<string, unknown>;
}

/** The content of a Jupyter `display_data` / `update_display_data` message. */
export interface DisplayMessage {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

/** Where display messages go: tslab's `lastWriteDisplayData` in a kernel, a fake in tests. */
export type DisplaySink = (message: DisplayMessage, update: boolean) => void;
