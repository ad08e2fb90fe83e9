// ModelCheckpoint (keeps the best `saveTopK` checkpoints by a monitored metric, and `last` for resuming),
// LearningRateMonitor and TensorBoardLogger, for the Trainer. A checkpoint is a saveModel folder plus
// trainer-state.json (epoch, global step, lr) and optimizer.json (momentum buffers, moments), so a run
// resumed from it continues the same trajectory.
import * as fs from "fs";
import * as path from "path";
import { SummaryWriter, type SummaryWriterOptions } from "../log";
import type { LightningModule } from "./lightning";
import { saveModel, writeAtomic } from "./io";
import { saveOptimizerState } from "./optim-state";
import { STATE_FILE, type CheckpointCallback, type Logger, type Trainer, type TrainerState } from "./trainer";

export interface ModelCheckpointOptions {
  dirpath: string;
  /** Logged metric to rank checkpoints by; without it, only the latest epoch is kept. */
  monitor?: string;
  mode?: "min" | "max";
  /** Best checkpoints kept (default 1; −1 keeps all). */
  saveTopK?: number;
  /** Also save `dirpath/last` every epoch (default false). */
  saveLast?: boolean;
}

async function save(module: LightningModule, trainer: Trainer, dir: string): Promise<void> {
  await saveModel(module, dir);
  if (trainer.optimizer) await saveOptimizerState(trainer.optimizer, dir);
  const state: TrainerState = { epoch: trainer.currentEpoch + 1, globalStep: trainer.globalStep, lr: trainer.optimizer?.lr ?? NaN };
  await writeAtomic(path.join(dir, STATE_FILE), JSON.stringify(state));
}

export class ModelCheckpoint implements CheckpointCallback {
  readonly isCheckpoint = true;
  readonly dirpath: string;
  readonly monitor?: string;
  readonly mode: "min" | "max";
  readonly saveTopK: number;
  readonly saveLast: boolean;
  /** Kept checkpoints, best first. */
  best: { path: string; score: number }[] = [];

  constructor({ dirpath, monitor, mode = "min", saveTopK = 1, saveLast = false }: ModelCheckpointOptions) {
    this.dirpath = path.resolve(dirpath);
    this.monitor = monitor;
    this.mode = mode;
    this.saveTopK = saveTopK;
    this.saveLast = saveLast;
  }

  get bestModelPath(): string | undefined {
    return this.best[0]?.path;
  }

  // After validation (Lightning saves at the end of the training epoch, once validation has run).
  async onTrainEpochEnd(trainer: Trainer, module: LightningModule): Promise<void> {
    const epoch = trainer.currentEpoch;
    if (this.saveTopK !== 0) {
      const score = this.monitor ? trainer.callbackMetrics[this.monitor] : epoch;
      if (this.monitor && score === undefined)
        throw new Error(`ModelCheckpoint: "${this.monitor}" was never logged; log it with this.log("${this.monitor}", ...) or fix monitor.`);
      if (!this.monitor || !Number.isNaN(score)) {
        const sign = this.monitor && this.mode === "min" ? 1 : -1; // no monitor: the newest ranks first
        const name = `epoch=${epoch}-step=${trainer.globalStep}`;
        const candidate = { path: path.join(this.dirpath, name), score };
        const ranked = [...this.best, candidate].sort((a, b) => sign * (a.score - b.score));
        const keep = this.saveTopK < 0 ? ranked : ranked.slice(0, this.saveTopK);
        if (keep.includes(candidate)) await save(module, trainer, candidate.path);
        for (const old of ranked.filter((c) => !keep.includes(c) && c !== candidate))
          await fs.promises.rm(old.path, { recursive: true, force: true });
        this.best = keep;
      }
    }
    if (this.saveLast) await save(module, trainer, path.join(this.dirpath, "last"));
  }
}

/** Logs the optimizer's learning rate at the start of each epoch as `lr-<Optimizer>`. */
export class LearningRateMonitor {
  onTrainEpochStart(trainer: Trainer): void {
    const opt = trainer.optimizer;
    if (!opt) return;
    const name = `lr-${opt.constructor.name}`;
    trainer.callbackMetrics[name] = opt.lr;
    trainer.logger?.logMetrics({ [name]: opt.lr }, trainer.globalStep);
  }
}

/** Writes every logged metric as a TensorBoard scalar under `saveDir/name` (readRun reads it back). */
export class TensorBoardLogger implements Logger {
  readonly writer: SummaryWriter;

  /** Like Lightning's, whose extra keyword arguments go to the writer: `{ overwrite: true }`, `purgeStep`… */
  constructor(saveDir: string, name = "lightning_logs", options: Omit<SummaryWriterOptions, "runName"> = {}) {
    this.writer = new SummaryWriter(saveDir, { ...options, runName: name });
  }

  get logDir(): string {
    return this.writer.runDir;
  }

  logMetrics(metrics: Record<string, number>, step: number): void {
    for (const [k, v] of Object.entries(metrics)) this.writer.addScalar(k, v, step);
  }

  finalize(): void {
    this.writer.flush();
  }
}
