// LightningModule / LightningDataModule: Lightning's split of a model (steps, optimizers, logging) from
// its data (prepareData, setup, loaders). Trainer (trainer.ts) drives them through runLoop.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../nn";
import type { LRScheduler, Optimizer } from "../optim";
import type { Batch, BatchSource } from "./types";

export interface LogOptions {
  /** Log this step's value (default: true in trainingStep, false elsewhere). */
  onStep?: boolean;
  /** Log the epoch's mean (default: false in trainingStep, true elsewhere). */
  onEpoch?: boolean;
  /** Show on the progress bar (default false). */
  progBar?: boolean;
}

export type OptimizerConfig = Optimizer | { optimizer: Optimizer; scheduler?: LRScheduler };

/** Receives `log` calls; the Trainer installs one while it runs a step. */
export interface LogSink {
  log(name: string, value: number | tf.Scalar, opts: LogOptions): void;
}

export abstract class LightningModule extends Module {
  /** Set by the Trainer while it runs this module. */
  logSink: LogSink | null = null;

  /** Forward + loss of one training batch; the loss is minimised. Runs inside tf.variableGrads. */
  abstract trainingStep(batch: Batch, batchIdx: number): tf.Scalar;
  /** Runs in eval mode inside a tidy; log figures with `this.log`. */
  validationStep?(batch: Batch, batchIdx: number): void;
  testStep?(batch: Batch, batchIdx: number): void;
  abstract configureOptimizers(): OptimizerConfig;

  /** Records a metric (Lightning's self.log): tensors stay on the device until the Trainer reads them. */
  log(name: string, value: number | tf.Scalar, opts: LogOptions = {}): void {
    if (!this.logSink) throw new Error(`log("${name}"): no Trainer is running this module; call it from a step.`);
    this.logSink.log(name, value, opts);
  }
}

export abstract class LightningDataModule {
  /** Download / prepare once (default: nothing). */
  prepareData(): void | Promise<void> {}
  /** Build the datasets for a stage (default: nothing). */
  setup(_stage: "fit" | "test"): void | Promise<void> {}
  abstract trainDataloader(): BatchSource;
  valDataloader?(): BatchSource;
  testDataloader?(): BatchSource;
}
