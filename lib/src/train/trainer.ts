// Trainer: Lightning's loop driver. It adapts a LightningModule to runLoop (loop.ts), the same loop that
// `fit` drives, so both give identical updates; it adds logging (module.log), validation/test epochs,
// Lightning callbacks, checkpoint resume, seeding and gradient clipping.
//
// Logged names with a meaning (the same fields as fit's history and EpochLogs; Lightning's snake_case
// names are read too): the epoch means of `valLoss` / `val_loss` and `valAcc` / `val_acc` logged in
// validationStep, and of `trainAcc` / `train_acc` logged in trainingStep with `{ onEpoch: true }`, go to
// the history, to the EpochLogs of the callbacks and to the progress line ("val loss", "val acc", "acc").
// `trainLoss` is the loop's own running mean of what trainingStep returns. Everything logged is in
// `callbackMetrics` and goes to the logger under its own name.
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import { ensureGradients } from "../backend/tf";
import { manualSeed } from "../nn";
import { Optimizer, type LRScheduler } from "../optim";
import type { Callback, TrainContext } from "./callbacks";
import { loadModel } from "./io";
import { LightningDataModule, type LightningModule, type LogOptions, type LogSink } from "./lightning";
import { runLoop } from "./loop";
import { loadOptimizerState } from "./optim-state";
import { ProgressCallback } from "./progress-callback";
import type { TrainerCallback, TrainerHook } from "./trainer-callbacks";
import type { BatchSource, History } from "./types";

/** Where logged metrics go (TensorBoardLogger). */
export interface Logger {
  logMetrics(metrics: Record<string, number>, step: number): void;
  finalize?(): void;
}

export interface TrainerOptions {
  maxEpochs?: number;
  callbacks?: TrainerCallback[];
  logger?: Logger;
  /** Validate every n epochs (default 1). */
  checkValEveryNEpoch?: number;
  /** Training batches per epoch at most. */
  limitTrainBatches?: number;
  /** One epoch of one training and one validation batch; no logger, no checkpoints (Lightning's smoke run). */
  fastDevRun?: boolean;
  /** Clip each gradient element to [−v, v]. */
  gradientClipVal?: number;
  /** manualSeed(seed) at the start of fit and test. */
  seed?: number;
  enableProgressBar?: boolean;
  /** Read the losses back every `logEvery` steps (default 20). */
  logEvery?: number;
}

export type FitData = LightningDataModule | { train: BatchSource; val?: BatchSource };

/** Marks callbacks that save checkpoints (skipped by fastDevRun; found by ckptPath "last"). */
export interface CheckpointCallback extends TrainerCallback {
  readonly dirpath: string;
  readonly isCheckpoint: true;
}

/** History/EpochLogs fields read from logged metrics, with the names that feed them. */
const CONVENTIONAL = { trainAcc: ["trainAcc", "train_acc"], valLoss: ["valLoss", "val_loss"], valAcc: ["valAcc", "val_acc"] } as const;

/** Written next to a checkpoint's weights: where to resume. */
export interface TrainerState {
  epoch: number;
  globalStep: number;
  lr: number;
}
export const STATE_FILE = "trainer-state.json";

interface Acc {
  opts: Required<LogOptions>;
  sum: tf.Scalar | number;
  count: number;
  last: tf.Scalar | number;
}

export class Trainer {
  readonly maxEpochs: number;
  readonly callbacks: TrainerCallback[];
  readonly logger?: Logger;
  readonly options: TrainerOptions;
  /** Current epoch, 0-based (Lightning's current_epoch). */
  currentEpoch = 0;
  globalStep = 0;
  /** Last values of everything logged: epoch means, and `name` for step-only metrics when read. */
  callbackMetrics: Record<string, number> = {};
  shouldStop = false;
  optimizer: Optimizer | null = null;
  scheduler: LRScheduler | null = null;
  history: History | null = null;
  private accs = new Map<string, Acc>();
  private stage: "train" | "val" | "test" = "train";
  /** Metrics logged with progBar: shown on the progress line. */
  private progBar = new Set<string>();
  /**
   * Logged names shown through EpochLogs (CONVENTIONAL) in this fit: not repeated among the progBar ones,
   * nor shown stale on the epochs without validation.
   */
  private inLogs = new Set<string>();

  constructor(options: TrainerOptions = {}) {
    this.options = options;
    this.maxEpochs = options.fastDevRun ? 1 : options.maxEpochs ?? 1000;
    if (!(Number.isInteger(this.maxEpochs) && this.maxEpochs > 0))
      throw new Error(`Trainer: maxEpochs must be a positive integer, got ${options.maxEpochs}.`);
    const cbs = options.callbacks ?? [];
    this.callbacks = options.fastDevRun ? cbs.filter((c) => !isCheckpoint(c)) : cbs;
    this.logger = options.fastDevRun ? undefined : options.logger;
  }

  private async hook(name: TrainerHook, module: LightningModule): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[name] as ((t: Trainer, m: LightningModule) => void | Promise<void>) | undefined;
      if (fn) await fn.call(cb, this, module);
    }
  }

  /** Trains `module`; `ckptPath` ("last" or a checkpoint folder) resumes weights, optimizer state and epoch. */
  async fit(module: LightningModule, data: FitData, { ckptPath }: { ckptPath?: string } = {}): Promise<History> {
    ensureGradients();
    if (this.options.seed !== undefined) manualSeed(this.options.seed);
    const dm = data instanceof LightningDataModule ? data : null;
    if (dm) {
      await dm.prepareData();
      await dm.setup("fit");
    }
    for (const cb of this.callbacks) await cb.setup?.(this, module, "fit");
    const train = dm ? dm.trainDataloader() : (data as { train: BatchSource }).train;
    const val = dm ? dm.valDataloader?.() : (data as { val?: BatchSource }).val;
    const config = module.configureOptimizers();
    const optimizer = config instanceof Optimizer ? config : config.optimizer;
    this.optimizer = optimizer;
    this.scheduler = config instanceof Optimizer ? null : config.scheduler ?? null;
    this.shouldStop = false;
    this.inLogs.clear();

    let startEpoch = 1;
    let globalStep = 0;
    if (ckptPath) {
      const dir = ckptPath === "last" ? this.lastCheckpoint() : ckptPath;
      await loadModel(module, dir);
      const state = JSON.parse(await fs.promises.readFile(path.join(dir, STATE_FILE), "utf8")) as TrainerState;
      startEpoch = state.epoch + 1;
      globalStep = state.globalStep;
      optimizer.lr = state.lr;
      await loadOptimizerState(optimizer, dir); // absent in older checkpoints: moments restart from zero
    }
    const history: History = { epoch: [], trainLoss: [], valLoss: [], trainAcc: [], valAcc: [], seconds: 0 };
    this.history = history;
    const fast = this.options.fastDevRun === true;
    const ctx: TrainContext = {
      model: module,
      optimizer,
      epochs: this.maxEpochs,
      stepsPerEpoch: Math.min(train.length, fast ? 1 : this.options.limitTrainBatches ?? Infinity),
      epoch: 0,
      step: 0,
      globalStep,
      history,
      stopTraining: false,
    };
    // The Lightning hooks, mapped onto the loop's.
    const bridge: Callback = {
      onTrainBegin: () => this.hook("onFitStart", module),
      onEpochBegin: (c) => {
        this.currentEpoch = c.epoch - 1;
        this.stage = "train";
        return this.hook("onTrainEpochStart", module);
      },
      onBatchBegin: async (c, batch) => {
        for (const cb of this.callbacks) await cb.onTrainBatchStart?.(this, module, batch, c.step - 1);
      },
      onBatchEnd: async (c, logs) => {
        this.globalStep = c.globalStep;
        if (logs.loss !== undefined) await this.flushStep();
        for (const cb of this.callbacks) await cb.onTrainBatchEnd?.(this, module, logs.loss, c.step - 1);
      },
      onEpochEnd: async (c) => {
        await this.hook("onTrainEpochEnd", module);
        this.scheduler?.step();
        if (this.shouldStop) c.stopTraining = true;
      },
    };
    const callbacks: Callback[] = [bridge];
    const shown = (): Record<string, number> =>
      Object.fromEntries(
        Object.entries(this.callbackMetrics).filter(([k]) => this.progBar.has(k.replace(/_(step|epoch)$/, "")) && !this.inLogs.has(k)),
      );
    if (this.options.enableProgressBar ?? true) callbacks.unshift(new ProgressCallback(shown));
    const sink: LogSink = { log: (n, v, o) => this.record(n, v, o) };
    module.logSink = sink;
    const every = this.options.checkValEveryNEpoch ?? 1;
    const t0 = performance.now();
    try {
      await runLoop({
        name: "Trainer.fit",
        ctx,
        trainLoader: train,
        callbacks,
        logEvery: this.options.logEvery,
        gradientClipVal: this.options.gradientClipVal,
        limitBatches: ctx.stepsPerEpoch,
        startEpoch,
        step: (batch, i) => ({ objective: module.trainingStep(batch, i) }),
        endEpoch: async (logs) => {
          const trainAcc = this.conventional(await this.endStage("train"), "trainAcc");
          if (trainAcc !== undefined) logs.trainAcc = trainAcc;
          this.callbackMetrics.trainLoss = logs.trainLoss;
          const validates = val !== undefined && module.validationStep !== undefined;
          // As fit's evalEvery: one history entry per validation epoch (every epoch without validation).
          logs.evaluated = !validates || logs.epoch % every === 0;
          if (validates && logs.evaluated) {
            const m = await this.validate(module, val, fast ? 1 : Infinity);
            logs.valLoss = this.conventional(m, "valLoss");
            logs.valAcc = this.conventional(m, "valAcc");
          }
          if (logs.evaluated) {
            history.epoch.push(logs.epoch);
            history.trainLoss.push(logs.trainLoss);
            history.trainAcc.push(logs.trainAcc);
            if (logs.valLoss !== undefined) history.valLoss.push(logs.valLoss);
            if (logs.valAcc !== undefined) history.valAcc.push(logs.valAcc);
          }
          this.logger?.logMetrics({ trainLoss: logs.trainLoss, epoch: logs.epoch - 1 }, this.globalStep);
        },
      });
      await this.hook("onFitEnd", module);
    } finally {
      history.seconds = (performance.now() - t0) / 1000;
      module.logSink = null;
      this.disposeAccs();
      for (const cb of this.callbacks) await cb.teardown?.(this, module, "fit");
      this.logger?.finalize?.();
    }
    return history;
  }

  /** Runs testStep over the test data in eval mode; returns the epoch means of what it logged. */
  async test(module: LightningModule, data: LightningDataModule | BatchSource): Promise<Record<string, number>> {
    if (!module.testStep) throw new Error("Trainer.test: the module has no testStep; define testStep(batch, batchIdx).");
    if (this.options.seed !== undefined) manualSeed(this.options.seed);
    let loader: BatchSource;
    if (data instanceof LightningDataModule) {
      await data.prepareData();
      await data.setup("test");
      if (!data.testDataloader) throw new Error("Trainer.test: the data module has no testDataloader().");
      loader = data.testDataloader();
    } else loader = data;
    for (const cb of this.callbacks) await cb.setup?.(this, module, "test");
    module.logSink = { log: (n, v, o) => this.record(n, v, o) };
    try {
      await this.hook("onTestStart", module);
      const m = await this.evalPass(module, loader, "test", Infinity);
      await this.hook("onTestEpochEnd", module);
      await this.hook("onTestEnd", module);
      return m;
    } finally {
      module.logSink = null;
      this.disposeAccs();
      for (const cb of this.callbacks) await cb.teardown?.(this, module, "test");
    }
  }

  private async validate(module: LightningModule, loader: BatchSource, limit: number): Promise<Record<string, number>> {
    await this.hook("onValidationStart", module);
    await this.hook("onValidationEpochStart", module);
    const m = await this.evalPass(module, loader, "val", limit);
    await this.hook("onValidationEpochEnd", module);
    await this.hook("onValidationEnd", module);
    module.train();
    return m;
  }

  /** The epoch mean of a CONVENTIONAL field among a stage's metrics (`name` or `name_epoch`), if logged. */
  private conventional(metrics: Record<string, number>, field: keyof typeof CONVENTIONAL): number | undefined {
    for (const name of CONVENTIONAL[field])
      for (const key of [name, `${name}_epoch`])
        if (metrics[key] !== undefined) {
          this.inLogs.add(key);
          return metrics[key];
        }
    return undefined;
  }

  private async evalPass(module: LightningModule, loader: BatchSource, stage: "val" | "test", limit: number): Promise<Record<string, number>> {
    this.stage = stage;
    module.eval();
    const fn = stage === "val" ? module.validationStep : module.testStep;
    let i = 0;
    for await (const batch of loader) {
      try {
        if (i < limit) tf.tidy(() => fn?.call(module, batch, i));
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
      i++;
    }
    return this.endStage(stage);
  }

  // module.log: tensors are kept (the step's tidy would free them) and summed on the device.
  private record(name: string, value: number | tf.Scalar, o: LogOptions): void {
    const train = this.stage === "train";
    const opts = { onStep: o.onStep ?? train, onEpoch: o.onEpoch ?? !train, progBar: o.progBar ?? false };
    if (opts.progBar) this.progBar.add(name);
    const v = typeof value === "number" ? value : tf.keep(tf.clone(value));
    const acc = this.accs.get(name);
    if (!acc) {
      this.accs.set(name, { opts, sum: typeof v === "number" ? v : tf.keep(tf.clone(v)), count: 1, last: v });
      return;
    }
    const sum = acc.sum;
    acc.sum = typeof sum === "number" && typeof v === "number" ? sum + v : tf.keep(tf.add(sum, v) as tf.Scalar);
    if (typeof sum !== "number") sum.dispose();
    if (typeof acc.last !== "number") acc.last.dispose();
    acc.last = v;
    acc.count++;
  }

  // Step metrics are read only when the loop reads its losses (every logEvery steps): no per-step sync.
  private async flushStep(): Promise<void> {
    const step: Record<string, number> = {};
    for (const [name, a] of this.accs) {
      if (!a.opts.onStep) continue;
      const value = typeof a.last === "number" ? a.last : (await a.last.data())[0];
      step[a.opts.onEpoch ? `${name}_step` : name] = value;
    }
    if (Object.keys(step).length) {
      Object.assign(this.callbackMetrics, step);
      this.logger?.logMetrics(step, this.globalStep);
    }
  }

  // Reads the epoch means of the stage's logged metrics, logs them, clears the accumulators. (Step
  // metrics were read at the epoch's last step: the loop always reads its losses there.)
  private async endStage(stage: "train" | "val" | "test"): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, a] of this.accs) {
      if (!a.opts.onEpoch) continue;
      const sum = typeof a.sum === "number" ? a.sum : (await a.sum.data())[0];
      out[a.opts.onStep ? `${name}_epoch` : name] = sum / a.count;
    }
    this.disposeAccs();
    Object.assign(this.callbackMetrics, out);
    if (Object.keys(out).length && stage !== "test") this.logger?.logMetrics(out, this.globalStep);
    return out;
  }

  private disposeAccs(): void {
    for (const a of this.accs.values()) {
      if (typeof a.sum !== "number") a.sum.dispose();
      if (typeof a.last !== "number") a.last.dispose();
    }
    this.accs.clear();
  }

  private lastCheckpoint(): string {
    const ck = this.callbacks.find(isCheckpoint);
    if (!ck) throw new Error('Trainer.fit: ckptPath "last" needs a ModelCheckpoint callback (its dirpath holds "last").');
    return path.join(ck.dirpath, "last");
  }
}

function isCheckpoint(c: TrainerCallback): c is CheckpointCallback {
  return (c as Partial<CheckpointCallback>).isCheckpoint === true;
}

