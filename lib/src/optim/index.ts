// optim — optimizers and schedulers with PyTorch semantics, over nn parameters (tf.Variables).
export { Optimizer, type ParamState, type ParamGroup, type GroupOption, type OptimizerStateDict } from "./optimizer";
export { SGD, type SGDOptions } from "./sgd";
export { Adadelta, type AdadeltaOptions } from "./adadelta";
export { Adam, type AdamOptions } from "./adam";
export { StepLR, type LRScheduler } from "./lr-scheduler";
