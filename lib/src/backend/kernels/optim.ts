// Kernels that tsdl's optimizers use when the backend has them: one pass per parameter instead of the
// five element-wise kernels of the composed update (MNIST net fc1: 1.2 M weights × 5 passes per step).
import { sgdStepOwn, type SGDStepOptions } from "./simd";
import { ownKernelAvailable, ownKernelsFor } from "./own";
import { type KernelArgs, type Replacement, type TensorInfo, withOps } from "./util";

/** The kernel's name: inputs {param, grad, buf?}, attrs SGDStepOptions; outputs [param, buf (momentum)]. */
export const SGD_STEP = "TsdlSGDStep";

export const sgdStep: Replacement = ({ inputs, attrs, backend }: KernelArgs) => {
  const { param, grad, buf } = inputs as { param: TensorInfo; grad: TensorInfo; buf?: TensorInfo };
  const k = ownKernelsFor(SGD_STEP, backend, [param, grad]); // (tsdl's SGD asks first: sgdStepAvailable)
  return withOps(backend, (o) => sgdStepOwn(o, k, param, grad, buf ?? null, attrs as unknown as SGDStepOptions).map((t) => o.out(t)));
};

/** Knob for tests and scripts/bench: `own` false makes tsdl's SGD compose its update of tf ops. */
export const sgdStepTuning = { own: true };

/** Whether tsdl's SGD can run `SGD_STEP` on the current backend for a float32 parameter. */
export function sgdStepAvailable(dtype: string): boolean {
  return ownKernelAvailable(SGD_STEP, sgdStepTuning.own, [dtype]);
}
