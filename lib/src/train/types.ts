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

/**
 * Returned by fit and Trainer.fit: one entry per evaluation epoch — every `evalEvery` epochs (fit), every
 * `checkValEveryNEpoch` epochs (Trainer with validation; every epoch without) — so the arrays line up
 * with `epoch`.
 */
export interface History {
  /** Epochs (1-based) at which the other arrays were recorded. */
  epoch: number[];
  /** Running mean of the epoch's batch losses (fit: the data loss, without penalties; Trainer: what trainingStep returns). */
  trainLoss: number[];
  /** fit: from its valLoader (empty without). Trainer: the epoch mean of `valLoss` (or `val_loss`) logged in validationStep. */
  valLoss: number[];
  /** fit: running accuracy of the epoch. Trainer: the epoch mean of `trainAcc` logged in trainingStep with `{ onEpoch: true }`, else NaN. */
  trainAcc: number[];
  /** fit: from its valLoader. Trainer: the epoch mean of `valAcc` (or `val_acc`) logged in validationStep; empty when not logged. */
  valAcc: number[];
  /** The epoch whose weights were restored by early stopping. */
  bestEpoch?: number;
  /** Wall-clock duration of fit. */
  seconds: number;
}
