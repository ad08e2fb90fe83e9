// Reading event files back (ours or TensorBoard-compatible ones with scalars/histograms), for plots in
// the notebook without TensorBoard and for tests. CRCs are checked; a torn or corrupt record ends the
// read of that file with a warning, keeping everything before it.
import * as fs from "fs";
import * as path from "path";
import { decodeEvent } from "./proto";
import { scanRecords } from "./record";

export interface ScalarPoint {
  step: number;
  wallTime: number;
  value: number;
}

export interface HistogramPoint {
  step: number;
  wallTime: number;
  min: number;
  max: number;
  num: number;
  /** Right edges; bucket[i] counts values in [bucketLimit[i-1], bucketLimit[i]) (the first: from min). */
  bucketLimit: number[];
  bucket: number[];
}

export interface RunData {
  scalars: Map<string, ScalarPoint[]>;
  histograms: Map<string, HistogramPoint[]>;
  /** One line per file whose reading stopped early (also sent to console.warn). */
  warnings: string[];
}

const isEventFile = (name: string): boolean => name.includes("tfevents");

const push = <T>(m: Map<string, T[]>, k: string, v: T): void => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

/** Scalars and histograms of one event file. */
export function readEvents(file: string, into?: RunData): RunData {
  const out: RunData = into ?? { scalars: new Map(), histograms: new Map(), warnings: [] };
  const { records, error } = scanRecords(fs.readFileSync(file));
  for (const rec of records) {
    const e = decodeEvent(rec);
    for (const v of e.summary?.value ?? []) {
      if (v.simpleValue !== undefined) push(out.scalars, v.tag, { step: e.step, wallTime: e.wallTime, value: v.simpleValue });
      else if (v.histo) {
        const h = v.histo;
        push(out.histograms, v.tag, { step: e.step, wallTime: e.wallTime, min: h.min, max: h.max, num: h.num, bucketLimit: h.bucketLimit, bucket: h.bucket });
      }
    }
  }
  if (error) {
    const msg = `readEvents: "${file}" stops at byte ${error.offset} (${error.reason}); kept the ${records.length} records before it.`;
    console.warn(msg);
    out.warnings.push(msg);
  }
  return out;
}

/** Every event file directly in `dir` (one run; sub-runs are separate), merged and sorted by step. */
export function readRun(dir: string): RunData {
  if (!fs.existsSync(dir)) throw new Error(`readRun: no folder "${dir}". Give a run folder, e.g. "runs/<run name>" (listRuns(logDir) lists them).`);
  const out: RunData = { scalars: new Map(), histograms: new Map(), warnings: [] };
  const files = fs.readdirSync(dir).filter(isEventFile).sort();
  for (const f of files) readEvents(path.join(dir, f), out);
  for (const list of [...out.scalars.values(), ...out.histograms.values()]) list.sort((a, b) => a.step - b.step);
  return out;
}

/** Run names (paths relative to logDir, "/"-separated) of every folder under logDir holding event files. */
export function listRuns(logDir: string): string[] {
  if (!fs.existsSync(logDir)) throw new Error(`listRuns: no folder "${logDir}". Is it the logDir given to SummaryWriter (default "runs", next to the notebook)?`);
  const runs: string[] = [];
  const walk = (rel: string): void => {
    const entries = fs.readdirSync(path.join(logDir, rel), { withFileTypes: true });
    if (entries.some((e) => e.isFile() && isEventFile(e.name))) runs.push(rel === "" ? "." : rel.split(path.sep).join("/"));
    for (const e of entries) if (e.isDirectory()) walk(path.join(rel, e.name));
  };
  walk("");
  return runs.sort();
}
