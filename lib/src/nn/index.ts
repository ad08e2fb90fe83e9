// nn — a small PyTorch-like module system on raw tfjs ops.
// Layout vs PyTorch: images are NHWC (PyTorch: NCHW); Linear weights are [in, out] (PyTorch [out, in]);
// Conv2d filters are [kH, kW, in, out] (PyTorch [out, in, kH, kW]); Flatten after a conv orders values
// (h, w, c) instead of (c, h, w). Architectures, parameter counts and initial distributions are PyTorch's.
export { Module, type StateDict } from "./module";
export { manualSeed } from "./random";
export { defaultBound } from "./init";
export { createFeatureExtractor, type FeatureExtractor } from "./feature-extraction";
export * from "./layers";
export * from "./models";
export * as F from "./functional";
