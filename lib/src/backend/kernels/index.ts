// The wasm kernels tsdl replaces (or adds), each composed of fast wasm kernels and falling back to the
// original kernel for the cases it does not handle. Registered once, before the wasm backend is used.
import { conv2DBackpropFilter, conv2DBackpropInput } from "./conv";
import { conv2D, fusedConv2D } from "./conv-forward";
import { tanh, identity, cast, sum, mean } from "./elementwise";
import { batchMatMul, fusedMatMul } from "./matmul";
import { padV2 } from "./pad";
import { SGD_STEP, sgdStep } from "./optim";
import { ACT_GRAD, actGrad, reluGrad, tanhGrad } from "./act";
import { BN_GRAD, BN_TRAIN, batchNormGrad, batchNormTrain, batchNormTrainGrad } from "./batchnorm";
import { tf } from "../tf";
import { avgPoolGrad, maxPool, maxPoolGrad } from "./pool";
import * as loss from "./loss";
import { type Replacement, replaceWasmKernel, replacedWasmKernels, originalKernel } from "./util";

export const WASM_REPLACEMENTS: Readonly<Record<string, Replacement>> = {
  Conv2D: conv2D,
  FusedConv2D: fusedConv2D,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  AvgPoolGrad: avgPoolGrad,
  Tanh: tanh,
  Identity: identity,
  Cast: cast,
  Sum: sum,
  Mean: mean,
  PadV2: padV2,
  [SGD_STEP]: sgdStep,
  [ACT_GRAD]: actGrad,
  [BN_TRAIN]: batchNormTrain,
  [BN_GRAD]: batchNormGrad,
  [loss.SOFTMAX_CE]: loss.softmaxCrossEntropy,
  [loss.SOFTMAX_CE_GRAD]: loss.softmaxCrossEntropyGrad,
  [loss.NLL]: loss.nllLoss,
  [loss.NLL_GRAD]: loss.nllLossGrad,
};

/** Registers every replacement on the wasm backend, and the gradients that use them (idempotent). */
export function registerWasmKernels(): void {
  for (const [name, impl] of Object.entries(WASM_REPLACEMENTS)) replaceWasmKernel(name, impl);
  tf.registerGradient(tanhGrad);
  tf.registerGradient(reluGrad);
  tf.registerGradient(batchNormTrainGrad);
  tf.registerGradient(loss.softmaxCrossEntropyGradConfig);
  tf.registerGradient(loss.nllLossGradConfig);
}

export { replacedWasmKernels, originalKernel };
export { SGD_STEP, ACT_GRAD };
