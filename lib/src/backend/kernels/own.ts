// The kernels tsdl adds under its own names (TsdlSGDStep, TsdlActGrad, TsdlBatchNorm*): its layers and
// optimizers call them when the current backend has them, and compose tf ops otherwise.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "../tf";
import { type OwnExports, simdKernels } from "./simd";
import type { TensorInfo } from "./util";

/** Whether own kernel `name` runs here: its knob `on`, float32 `dtypes`, registered on this backend, compiled. */
export function ownKernelAvailable(name: string, on: boolean, dtypes: string[]): boolean {
  if (!on || dtypes.some((d) => d !== "float32") || !tf.getKernel(name, tf.getBackend())) return false;
  return !(simdKernels(tf.backend() as unknown as BackendWasm) instanceof Error);
}

/** The kernel module that runs own kernel `name` on `inputs` (float32; callers asked ownKernelAvailable). */
export function ownKernelsFor(name: string, backend: BackendWasm, inputs: TensorInfo[]): OwnExports {
  const k = simdKernels(backend);
  if (k instanceof Error) throw k;
  if (inputs.some((t) => t.dtype !== "float32")) throw new Error(`tsdl: ${name}: float32 only`);
  return k;
}
