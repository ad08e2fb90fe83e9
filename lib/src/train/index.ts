// train — the training loop (loop.ts, driven by fit and by the Trainer), evaluation, losses, model files.
// `Batch` is exported by data (the same shape); train uses it structurally through BatchSource.
export type { BatchSource, LossFn, History } from "./types";
export { crossEntropy, nllLoss, mseLoss } from "./losses";
export { fit, type FitOptions } from "./fit";
export { evaluate, predict, type EvalResult } from "./evaluate";
export type { Callback, TrainContext, BatchLogs, EpochLogs } from "./callbacks";
export { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping";
export { penalty } from "./penalties";
export { setProgressOutput, stderrProgress, type ProgressOutput } from "./progress";
export { saveModel, loadModel } from "./io";
export { runLoop, optimStep, RUNNING_LOSS_WINDOW, type LoopOptions, type StepOutput } from "./loop";
export { LightningModule, LightningDataModule, type LogOptions, type OptimizerConfig, type LogSink } from "./lightning";
export { Trainer, type TrainerOptions, type FitData, type Logger, type TrainerState } from "./trainer";
export type { TrainerCallback } from "./trainer-callbacks";
export { ModelCheckpoint, LearningRateMonitor, TensorBoardLogger, type ModelCheckpointOptions } from "./checkpoint";
