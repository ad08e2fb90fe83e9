// Hooks of the training loop, called in this order:
//   onTrainBegin → (per epoch) onEpochBegin → (per batch) onBatchBegin → onBatchEnd → onEpochEnd → onTrainEnd.
// Within one hook, fit's built-ins run first (scheduler, early stopping, progress), then `callbacks` in
// the order given, then the `onEpochEnd` option. Any hook may be async; set `ctx.stopTraining` to stop
// after the current epoch.
import type { Module } from "../nn";
import type { Optimizer } from "../optim";
import type { Batch, History } from "./types";

export interface TrainContext {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  /** Batches per epoch (the loader's length). */
  readonly stepsPerEpoch: number;
  /** Current epoch, 1-based. */
  epoch: number;
  /** Batch index within the epoch, 1-based. */
  step: number;
  /** Optimizer steps since the start of fit. */
  globalStep: number;
  readonly history: History;
  /** Set to true to stop after the current epoch. */
  stopTraining: boolean;
}

export interface BatchLogs {
  /** Samples in the batch. */
  size: number;
  /**
   * Mean loss of this batch, only on steps where fit read the losses back from the device (every
   * `logEvery` steps and the epoch's last): reading every step would stall GPU backends.
   */
  loss?: number;
  /**
   * Mean of the epoch's last 20 batch losses (`RUNNING_LOSS_WINDOW`, the window of Lightning's progress
   * bar; fewer at the start of an epoch), on the same steps as `loss`. Steadier than one batch's loss:
   * the progress line shows it.
   */
  runningLoss?: number;
}

export interface EpochLogs {
  epoch: number;
  /**
   * Running means over the epoch's batches, in training mode (or eval-mode figures with trainEval).
   * Trainer: trainAcc is the epoch mean of a `trainAcc` logged with `{ onEpoch: true }`, else NaN.
   */
  trainLoss: number;
  trainAcc: number;
  /**
   * Present on evaluation epochs: fit's with a valLoader; the Trainer's when validationStep logs `valLoss`
   * / `valAcc` (or `val_loss` / `val_acc`). The progress line shows them.
   */
  valLoss?: number;
  valAcc?: number;
  /** Whether this epoch was an evaluation epoch (recorded in the history). */
  evaluated: boolean;
  /** Learning rate used during the epoch. */
  lr: number;
  /** Training samples per second over the epoch. */
  samplesPerSecond: number;
  seconds: number;
}

type Awaitable = void | Promise<void>;

export interface Callback {
  onTrainBegin?(ctx: TrainContext): Awaitable;
  onEpochBegin?(ctx: TrainContext): Awaitable;
  onBatchBegin?(ctx: TrainContext, batch: Batch): Awaitable;
  onBatchEnd?(ctx: TrainContext, logs: BatchLogs): Awaitable;
  onEpochEnd?(ctx: TrainContext, logs: EpochLogs): Awaitable;
  onTrainEnd?(ctx: TrainContext): Awaitable;
}

