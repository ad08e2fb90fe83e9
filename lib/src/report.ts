// Key figures of a notebook (final accuracies, timings…): shown as a table and emitted as
// `application/vnd.tsdl.report+json` in the same output, read back from the executed notebook
// by the notebook runner. Calls merge: each output carries every figure reported so far.
import { state } from "./display/state";
import { displayBundle, htmlTable, textTable } from "./display/output";

export const REPORT_MIME = "application/vnd.tsdl.report+json";

export type ReportFigures = Record<string, number | string>;

/** The JSON payload: `figures` = all figures reported so far, `added` = the keys of this call. */
export interface ReportPayload {
  version: 1;
  title?: string;
  figures: ReportFigures;
  added: string[];
}

/** Report key figures: a table in the notebook plus machine-readable JSON (merged across calls).
 *  Returns nothing, so a cell ending with it prints no payload; `reportedFigures()` reads them back. */
export function report(figures: ReportFigures, opts: { title?: string } = {}): void {
  for (const [k, v] of Object.entries(figures)) {
    if (typeof v !== "string" && typeof v !== "number") {
      throw new Error(`report(): "${k}" is a ${typeof v}; report numbers or strings (e.g. acc.dataSync()[0]).`);
    }
  }
  const s = state();
  s.report = { ...s.report, ...figures };
  const payload: ReportPayload = { version: 1, figures: { ...s.report }, added: Object.keys(figures) };
  if (opts.title !== undefined) payload.title = opts.title;
  const rows = Object.entries(figures).map(([k, v]) => [k, v]);
  const columns = ["Grandeur", "Valeur"];
  const text = (opts.title ? `${opts.title}\n` : "") + textTable(columns, rows);
  const sent = displayBundle({
    [REPORT_MIME]: payload,
    "text/html": htmlTable(columns, rows, opts.title),
    "text/plain": text,
  });
  if (!sent) process.stdout.write(`${text}\n`);
}

/** Every figure reported so far in this process. */
export function reportedFigures(): ReportFigures {
  return { ...state().report };
}

/** Forget reported figures (tests). */
export function resetReport(): void {
  state().report = {};
}
