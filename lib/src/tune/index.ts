// Hyper-parameter search in Optuna 3.1's model (and its journal file format), for the notebooks:
//   const study = createStudy({ direction: "maximize", storage: "mnist.log", studyName: "MNIST", loadIfExists: true });
//   await study.optimize((trial) => train(trial.suggestFloat("lr", 1e-4, 1e-1, { log: true })), { nTrials: 50 });
//   plotContour(study, ["mean", "std"]);
// The journal file is Optuna's (JournalStorage(JournalFileStorage(path))): Python opens it as is.
// Optuna's n_jobs has no equivalent (one JS thread): run several processes on the same journal.
export { createStudy, loadStudy, getAllStudyNames, Study } from "./study";
export type { CreateStudyOptions, LoadStudyOptions, OptimizeOptions, Objective, StudyCallback, StudyCallbackObject } from "./study";
export { MaxTrialsCallback } from "./callbacks";
export type { MaxTrialsCallbackOptions } from "./callbacks";
export { Trial, TrialPruned } from "./trial";
export type { FloatOptions, IntOptions } from "./trial";
export { TPESampler, defaultGamma, multivariateGamma, hyperoptDefaultGamma, defaultWeights, intersectionSearchSpace } from "./samplers/tpe";
export type { TPESamplerOptions } from "./samplers/tpe";
export { RandomSampler } from "./samplers/random";
export type { RandomSamplerOptions } from "./samplers/random";
export { GridSampler } from "./samplers/grid";
export type { GridSearchSpace } from "./samplers/grid";
export { MedianPruner, PercentilePruner, NopPruner } from "./pruners";
export type { PercentilePrunerOptions } from "./pruners";
export { distributionToJson, jsonToDistribution, floatDistribution, intDistribution, categoricalDistribution } from "./distributions";
export type { Distribution, FloatDistribution, IntDistribution, CategoricalDistribution, CategoricalChoice, ParamValue } from "./distributions";
export type { FrozenTrial, TrialState, StudyDirection, Sampler, Pruner, StudyView } from "./types";
export { JournalStorage } from "./storage/storage";
export { plotOptimizationHistory, plotContour, plotSlice, plotParallelCoordinate } from "./plots";
export type { TunePlotOptions } from "./plots";
