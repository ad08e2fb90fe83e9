// tsdl's own wasm SIMD kernels: the WebAssembly text (./wat.ts and the *-wat.ts files it assembles),
// the runtime that instantiates it on tfjs' memory and runs jobs on every thread (./runtime.ts,
// ./workers.ts), and one driver per kernel family.
export { type OwnExports, simdKernels, startKernelThreads, kernelThreads, ownKernelTuning } from "./runtime";
export { type FilterGeometry, filterGrad, conv2dOwn, windowParts } from "./conv";
export { type PoolGeometry, avgPoolGradOwn, maxPoolGradOwn, maxPool22Fits, maxPoolOwn } from "./pool";
export { tanhOwn } from "./tanh";
export { GEMM_KC, matMulOwn } from "./gemm";
export { winogradTuning } from "./winograd";
export { type SGDStepOptions, sgdStepOwn } from "./optim";
export { type GradActivation, actGradOwn } from "./act";
export { type SumMode, channelAffine, channelPeriod, channelSums } from "./channels";
