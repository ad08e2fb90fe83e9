// Sequential fuses "Linear/Conv2d followed by ReLU" into one fused kernel (bias + relu inside the kernel:
// fewer passes over memory, notably on wasm). summary() turns it off so every layer reports its own shape.
// `tapeGradients` (default true): Linear and Conv2d run their fused kernel as a plain tape node whose
// gradient is computed per input (./fused-ops.ts), so no dx is computed for the data batch; false gives
// tfjs' tf.fused.* ops (their customGrad always computes dx), kept for A/B tests and benchmarks.
export const fusion = { enabled: true, tapeGradients: true };
