// SummaryWriter: PyTorch's torch.utils.tensorboard.SummaryWriter for scalars and histograms, writing
// TensorBoard event files in pure TypeScript (no tfjs-node, no Python).
import * as tf from "@tensorflow/tfjs-core";
import * as os from "os";
import * as path from "path";
import { EventFile, closeAtExit, forgetAtExit, removeEventFiles } from "./event-file";
import { makeHistogram, type HistogramBins } from "./histogram";
import type { TfEvent } from "./proto";
import { HistogramSampler } from "./sampler";

export interface SummaryWriterOptions {
  /** The run's folder name under logDir (default `<Mon><DD>_<HH>-<MM>-<SS>_<hostname>`, like PyTorch). */
  runName?: string;
  /** Buffered records reach the disk at most this many seconds later (default 10; PyTorch: 120). */
  flushSecs?: number;
  /** Histogram records kept per tag (default 20; Infinity keeps all). See sampler.ts for the rule. */
  maxHistograms?: number;
  /** The last step you will log (e.g. the number of epochs): histograms are then written as they come. */
  totalSteps?: number;
  /** Histogram buckets: "tensorflow" (default, like PyTorch) or a number of equal-width bins. */
  bins?: HistogramBins;
  /**
   * PyTorch's `purge_step`: the run restarts at this step. The new event file opens with a SessionLog
   * START there, so TensorBoard (and readRun) drop the run's earlier points at steps ≥ purgeStep:
   * resuming at step 500 after a crash at 640 leaves no duplicates from 500 to 640. The old files stay
   * on disk. (TensorBoard's fast loader, the default, drops them per tag as soon as a step goes back.)
   */
  purgeStep?: number;
  /**
   * Start the run afresh: delete its earlier event files (those directly in `<logDir>/<runName>`, and in
   * each addScalars sub-run when first written; nothing else), and purge from step `purgeStep ?? 0`.
   * Re-running a notebook cell then replaces its curves. A TensorBoard started with
   * `--load_fast=false` that was reading a deleted file stops following that run until it restarts:
   * use purgeStep alone to watch re-runs live there.
   */
  overwrite?: boolean;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** PyTorch's default run name: `datetime.now().strftime("%b%d_%H-%M-%S") + "_" + hostname`. */
export function defaultRunName(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${MONTHS[d.getMonth()]}${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}_${os.hostname()}`;
}

type Values = tf.Tensor | Float32Array | Float64Array | number[];

export class SummaryWriter {
  /** The parent folder to give TensorBoard (`tensorboard --logdir <logDir>`). */
  readonly logDir: string;
  /** `<logDir>/<runName>`: this run's folder. */
  readonly runDir: string;
  private readonly file: EventFile;
  private readonly children = new Map<string, EventFile>(); // addScalars' sub-runs
  private readonly sampler: HistogramSampler<TfEvent>;
  private readonly flushSecs: number;
  private readonly bins: HistogramBins;
  private readonly warned = new Set<string>();
  private readonly overwrite: boolean;
  private readonly purgeStep: number | undefined;

  /** Creates `<logDir>/<runName>/` and its event file (logDir default "runs", relative to the cwd). */
  constructor(logDir = "runs", opts: SummaryWriterOptions = {}) {
    this.logDir = path.resolve(logDir);
    this.runDir = path.join(this.logDir, opts.runName ?? defaultRunName());
    this.flushSecs = opts.flushSecs ?? 10;
    this.bins = opts.bins ?? "tensorflow";
    this.sampler = new HistogramSampler(opts.maxHistograms ?? 20, opts.totalSteps);
    if (opts.purgeStep !== undefined && !(Number.isSafeInteger(opts.purgeStep) && opts.purgeStep >= 0))
      throw new Error(`SummaryWriter: purgeStep must be an integer ≥ 0 (got ${opts.purgeStep}): the step the run restarts from.`);
    this.overwrite = opts.overwrite ?? false;
    this.purgeStep = opts.purgeStep ?? (this.overwrite ? 0 : undefined);
    this.file = this.openFile(this.runDir);
    closeAtExit(this);
  }

  private openFile(dir: string): EventFile {
    if (this.overwrite) removeEventFiles(dir);
    return new EventFile(dir, this.flushSecs, { purgeStep: this.purgeStep });
  }

  /** Path of this run's event file. */
  get filePath(): string {
    return this.file.path;
  }

  /** One point of the curve `tag` (e.g. "loss/train"); `value` may be a one-element tensor. */
  addScalar(tag: string, value: number | tf.Tensor, step: number): void {
    this.file.write(scalarEvent(tag, value, step));
  }

  /**
   * Several curves on one chart, as PyTorch: each `name` becomes the sub-run `<runDir>/<mainTag>_<name>`
   * logging tag `mainTag`, so TensorBoard overlays them (e.g. addScalars("loss", {train, test}, epoch)).
   */
  addScalars(mainTag: string, values: Record<string, number | tf.Tensor>, step: number): void {
    for (const [name, v] of Object.entries(values)) {
      const dir = path.join(this.runDir, `${mainTag.replace(/\//g, "_")}_${name}`);
      let f = this.children.get(dir);
      if (!f) this.children.set(dir, (f = this.openFile(dir)));
      f.write(scalarEvent(mainTag, v, step));
    }
  }

  /** Whether addHistogram(tag, …, step) would record: test it to skip computing unneeded values. */
  histogramDue(tag: string, step: number): boolean {
    return this.sampler.due(tag, step);
  }

  /**
   * Histogram of `values` (weights, gradients, entropies…), kept only on the steps the sampler picks
   * (at most maxHistograms per tag). Returns whether it was recorded. NaN/±∞ values are left out.
   */
  addHistogram(tag: string, values: Values, step: number, bins: HistogramBins = this.bins): boolean {
    checkStep(tag, step);
    if (!this.sampler.due(tag, step)) return false;
    const histo = makeHistogram(values instanceof tf.Tensor ? values.dataSync() : values, bins);
    if (!histo) {
      if (!this.warned.has(tag)) console.warn(`SummaryWriter.addHistogram("${tag}"): no finite value at step ${step} (training diverged?); not recorded.`);
      this.warned.add(tag);
      return false;
    }
    const event: TfEvent = { wallTime: Date.now() / 1000, step, summary: { value: [{ tag, histo }] } };
    if (this.sampler.add(tag, step, event) === "write") this.file.write(event);
    return true;
  }

  /** Writes buffered records now (held histograms wait for close(): see sampler.ts). */
  flush(): void {
    this.file.flush();
    for (const f of this.children.values()) f.flush();
  }

  /** Writes everything, held histograms included, and closes the files. Called at exit if you forget. */
  close(): void {
    forgetAtExit(this);
    for (const e of this.sampler.drain()) this.file.write(e);
    this.file.close();
    for (const f of this.children.values()) f.close();
  }
}

function scalarEvent(tag: string, value: number | tf.Tensor, step: number): TfEvent {
  let v: number;
  if (value instanceof tf.Tensor) {
    if (value.size !== 1) throw new Error(`SummaryWriter.addScalar("${tag}"): got a tensor of shape [${value.shape}]; pass a single value (e.g. loss.mean()).`);
    v = value.dataSync()[0];
  } else v = value;
  checkStep(tag, step);
  return { wallTime: Date.now() / 1000, step, summary: { value: [{ tag, simpleValue: v }] } };
}

function checkStep(tag: string, step: number): void {
  if (!Number.isSafeInteger(step)) throw new Error(`SummaryWriter: step must be an integer (got ${step} for "${tag}"), e.g. the epoch or batch number.`);
}
