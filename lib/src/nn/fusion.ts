// Sequential fuses "Linear/Conv2d followed by ReLU" into one tf.fused op (bias + relu inside the kernel:
// fewer passes over memory, notably on wasm). summary() turns it off so every layer reports its own shape.
export const fusion = { enabled: true };
