// Early stopping (seed 000 part II): keep a copy of the weights at the best validation score, stop
// after `patience` evaluations without improvement, and restore the best weights at the end.
import * as tf from "@tensorflow/tfjs-core";
import type { StateDict } from "../nn";
import type { Callback, EpochLogs, TrainContext } from "./callbacks";

export interface EarlyStoppingOptions {
  monitor: "valAcc" | "valLoss";
  /** Evaluations without improvement before stopping (default: never stop, only restore the best). */
  patience?: number;
  /** Load the best weights back at the end of training (default true). */
  restoreBest?: boolean;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
}

export class EarlyStopping implements Callback {
  readonly monitor: "valAcc" | "valLoss";
  readonly patience: number;
  readonly restoreBest: boolean;
  readonly minDelta: number;
  best = NaN;
  bestEpoch?: number;
  private wait = 0;
  private snapshot: StateDict | null = null;

  constructor({ monitor, patience = Infinity, restoreBest = true, minDelta = 0 }: EarlyStoppingOptions) {
    this.monitor = monitor;
    this.patience = patience;
    this.restoreBest = restoreBest;
    this.minDelta = minDelta;
  }

  private improves(value: number): boolean {
    if (Number.isNaN(this.best)) return !Number.isNaN(value);
    return this.monitor === "valAcc" ? value > this.best + this.minDelta : value < this.best - this.minDelta;
  }

  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    const value = logs[this.monitor];
    if (!logs.evaluated || value === undefined) return;
    if (this.improves(value)) {
      this.best = value;
      this.bestEpoch = logs.epoch;
      this.wait = 0;
      if (this.restoreBest) {
        if (this.snapshot) tf.dispose(Object.values(this.snapshot));
        this.snapshot = ctx.model.stateDict();
      }
    } else if (++this.wait >= this.patience) ctx.stopTraining = true;
  }

  onTrainEnd(ctx: TrainContext): void {
    ctx.history.bestEpoch = this.bestEpoch;
    if (this.snapshot) {
      ctx.model.loadStateDict(this.snapshot);
      tf.dispose(Object.values(this.snapshot));
      this.snapshot = null;
    }
  }
}
