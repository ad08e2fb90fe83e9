// Reading event files back (ours or TensorBoard-compatible ones with scalars/histograms), for plots in
// the notebook without TensorBoard and for tests. CRCs are checked; a torn or corrupt record ends the
// read of that file with a warning, keeping everything before it. Restarts are honoured as TensorBoard's
// event accumulator does for files of version ≥ 2: a SessionLog START at step s drops every point read
// so far at a step ≥ s (files are read in name order, i.e. creation order, as TensorBoard reads them).
import * as fs from "fs";
import * as path from "path";
import { decodeEvent } from "./proto";
import { scanRecords } from "./record";
import { isEventFile } from "./event-file";

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

export interface ReadOptions {
  /** TensorBoard's `--purge_orphaned_data` (default true): honour SessionLog START restarts. */
  purgeOrphanedData?: boolean;
}

/** Drops the points at steps ≥ `step`, all tags (TensorBoard's purge on a restart). */
function purge(run: RunData, step: number): void {
  for (const m of [run.scalars, run.histograms] as Map<string, { step: number }[]>[])
    for (const [tag, list] of m) {
      const kept = list.filter((p) => p.step < step);
      if (kept.length) m.set(tag, kept);
      else m.delete(tag);
    }
}

const push = <T>(m: Map<string, T[]>, k: string, v: T): void => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

/**
 * Scalars and histograms of one event file, added to `into` (the run read so far: a restart recorded in
 * this file purges its later points).
 */
export function readEvents(file: string, into?: RunData, { purgeOrphanedData = true }: ReadOptions = {}): RunData {
  const out: RunData = into ?? { scalars: new Map(), histograms: new Map(), warnings: [] };
  const { records, error } = scanRecords(fs.readFileSync(file));
  let version = 0;
  for (const rec of records) {
    const e = decodeEvent(rec);
    if (e.fileVersion) version = Number(/^brain\.Event:(\d+)/.exec(e.fileVersion)?.[1] ?? 0);
    if (purgeOrphanedData && version >= 2 && e.sessionLog?.status === "START") purge(out, e.step);
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

/**
 * Every event file directly in `dir` (one run; sub-runs are separate), in creation order, restarts
 * honoured (see ReadOptions), merged and sorted by step.
 */
export function readRun(dir: string, opts: ReadOptions = {}): RunData {
  if (!fs.existsSync(dir)) throw new Error(`readRun: no folder "${dir}". Give a run folder, e.g. "runs/<run name>" (listRuns(logDir) lists them).`);
  const out: RunData = { scalars: new Map(), histograms: new Map(), warnings: [] };
  // `numeric`: the names' trailing counter (…<pid>.9, …<pid>.10) in number order, not text order
  const files = fs.readdirSync(dir).filter(isEventFile).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const f of files) readEvents(path.join(dir, f), out, opts);
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
