// train — the training loop, evaluation, losses and model files.
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
