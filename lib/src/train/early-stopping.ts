// Early stopping (seed 000 part II): keep a copy of the weights at the best validation score, stop
// after `patience` evaluations without improvement, and restore the best weights at the end.
import * as tf from "@tensorflow/tfjs-core";
import type { StateDict } from "../nn";
import type { Callback, EpochLogs, TrainContext } from "./callbacks";
import type { Module } from "../nn";
import type { Trainer } from "./trainer";

// With fit, `monitor` names an EpochLogs field; with the Trainer, any metric logged with module.log.
export interface EarlyStoppingOptions {
  monitor: string;
  /** "min": lower is better; default "max" when the name contains "acc", else "min". */
  mode?: "min" | "max";
  /** Evaluations without improvement before stopping (default: never stop, only restore the best). */
  patience?: number;
  /** Load the best weights back at the end of training (default true). */
  restoreBest?: boolean;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
}

export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly mode: "min" | "max";
  readonly patience: number;
  readonly restoreBest: boolean;
  readonly minDelta: number;
  best = NaN;
  bestEpoch?: number;
  private wait = 0;
  private snapshot: StateDict | null = null;

  constructor({ monitor, mode, patience = Infinity, restoreBest = true, minDelta = 0 }: EarlyStoppingOptions) {
    this.monitor = monitor;
    this.mode = mode ?? (/acc/i.test(monitor) ? "max" : "min");
    this.patience = patience;
    this.restoreBest = restoreBest;
    this.minDelta = minDelta;
  }

  private improves(value: number): boolean {
    if (Number.isNaN(this.best)) return !Number.isNaN(value);
    return this.mode === "max" ? value > this.best + this.minDelta : value < this.best - this.minDelta;
  }

  /** Records `value` for `epoch`; returns true when training should stop. */
  private check(value: number, epoch: number, model: Module): boolean {
    if (this.improves(value)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBest) {
        if (this.snapshot) tf.dispose(Object.values(this.snapshot));
        this.snapshot = model.stateDict();
      }
      return false;
    }
    return ++this.wait >= this.patience;
  }

  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    const value = (logs as unknown as Record<string, number | undefined>)[this.monitor];
    if (!logs.evaluated || value === undefined) return;
    if (this.check(value, logs.epoch, ctx.model)) ctx.stopTraining = true;
  }

  onTrainEnd(ctx: TrainContext): void {
    ctx.history.bestEpoch = this.bestEpoch;
    this.restore(ctx.model);
  }

  // Trainer hooks: after each validation, and restoring at the end of fit.
  onValidationEnd(trainer: Trainer, module: Module): void {
    const value = trainer.callbackMetrics[this.monitor];
    if (value === undefined)
      throw new Error(`EarlyStopping: "${this.monitor}" was never logged; log it in validationStep or fix monitor.`);
    if (this.check(value, trainer.currentEpoch + 1, module)) trainer.shouldStop = true;
  }

  onFitEnd(trainer: Trainer, module: Module): void {
    if (trainer.history) trainer.history.bestEpoch = this.bestEpoch;
    this.restore(module);
  }

  private restore(model: Module): void {
    if (this.snapshot) {
      model.loadStateDict(this.snapshot);
      tf.dispose(Object.values(this.snapshot));
      this.snapshot = null;
    }
  }
}
