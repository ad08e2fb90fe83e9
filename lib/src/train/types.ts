// Shapes shared by the training loop and the data loaders (lib/src/data fits them structurally).
import type * as tf from "@tensorflow/tfjs-core";

/** One mini-batch. The consumer (fit, evaluate) disposes both tensors after use. */
export interface Batch {
  /** Inputs: NHWC images [N, H, W, C] or vectors [N, D], float32. */
  x: tf.Tensor;
  /** Class labels [N], int32. */
  y: tf.Tensor1D;
}

/** What fit/evaluate iterate: a fresh pass over the data each iteration; `length` = batches per pass. */
export type BatchSource = (Iterable<Batch> | AsyncIterable<Batch>) & { readonly length: number };

/** Loss on model outputs and labels, averaged over the batch (a scalar), like torch's criteria. */
export type LossFn = (outputs: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar;

/** Returned by fit: one entry per evaluation (every `evalEvery` epochs). */
export interface History {
  /** Epochs (1-based) at which the other arrays were recorded. */
  epoch: number[];
  trainLoss: number[];
  /** Empty when fit had no valLoader. */
  valLoss: number[];
  trainAcc: number[];
  valAcc: number[];
  /** The epoch whose weights were restored by early stopping. */
  bestEpoch?: number;
  /** Wall-clock duration of fit. */
  seconds: number;
}
