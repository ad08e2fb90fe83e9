// Trainer callbacks (Lightning hooks). Order, per fit:
//   setup → onFitStart → per epoch: onTrainEpochStart → per batch: onTrainBatchStart → onTrainBatchEnd;
//   then, on validation epochs: onValidationStart → onValidationEpochStart → onValidationEpochEnd →
//   onValidationEnd; then onTrainEpochEnd → (after the last epoch) onFitEnd → teardown.
// test: setup("test") → onTestStart → onTestEpochEnd → onTestEnd → teardown.
// Callbacks run in the order given. (Lightning's onTrainStart/End are left out: fit's Callback already
// names its own onTrainEnd(ctx), and EarlyStopping serves both.)
import type { LightningModule } from "./lightning";
import type { Trainer } from "./trainer";
import type { Batch } from "./types";

type Awaitable = void | Promise<void>;
type Hook = (trainer: Trainer, module: LightningModule) => Awaitable;

export interface TrainerCallback {
  setup?(trainer: Trainer, module: LightningModule, stage: "fit" | "test"): Awaitable;
  teardown?(trainer: Trainer, module: LightningModule, stage: "fit" | "test"): Awaitable;
  onFitStart?: Hook;
  onFitEnd?: Hook;
  onTrainEpochStart?: Hook;
  onTrainEpochEnd?: Hook;
  onTrainBatchStart?(trainer: Trainer, module: LightningModule, batch: Batch, batchIdx: number): Awaitable;
  /** `loss` is present on the steps where the loop read the losses back (every logEvery steps). */
  onTrainBatchEnd?(trainer: Trainer, module: LightningModule, loss: number | undefined, batchIdx: number): Awaitable;
  onValidationStart?: Hook;
  onValidationEpochStart?: Hook;
  onValidationEpochEnd?: Hook;
  onValidationEnd?: Hook;
  onTestStart?: Hook;
  onTestEpochEnd?: Hook;
  onTestEnd?: Hook;
}

export type TrainerHook = Exclude<keyof TrainerCallback, "setup" | "teardown">;
