// tsdl/backend — choose and start the TensorFlow.js backend, with tsdl's wasm kernels and threads.
//   import { tf, init } from "tsdl";
//   await init();   // tsdl: backend wasm (threads: 2, SIMD) — TSDL_BACKEND to change
export { tf } from "./tf";
export { init, backendInfo, type BackendName, type BackendInfo, type InitOptions } from "./select";
export { registerWasmKernels, replacedWasmKernels } from "./kernels";
export { kernelProfiler, type KernelProfiler, type KernelTiming } from "./profiler";
