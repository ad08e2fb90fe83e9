// Evaluation in eval mode (Dropout off, BatchNorm on running stats), restoring the previous mode.
// Everything accumulates on the device (loss sum, confusion matrix) and is read once at the end.
import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "../nn";
import { crossEntropy } from "./losses";
import type { BatchSource, LossFn } from "./types";

export interface EvalResult {
  /** Mean loss per sample. */
  loss: number;
  /** Fraction of correct predictions (argmax of the outputs), in [0, 1]. */
  accuracy: number;
  /** Recall of each class; NaN for a class absent from the data. */
  perClassAccuracy: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

export async function evaluate(model: Module, loader: BatchSource, { lossFn = crossEntropy }: { lossFn?: LossFn } = {}): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  // Running sums on the device (a holder object: TS does not track assignments made inside closures).
  const acc: { loss?: tf.Scalar; confusion?: tf.Tensor2D } = {};
  let n = 0;
  try {
    for await (const { x, y } of loader) {
      try {
        const [l, c] = tf.tidy(() => {
          const out = model.forward(x);
          const k = out.shape[1] ?? 1;
          const lossB = tf.mul(lossFn(out, y), y.shape[0]);
          const yi = tf.cast(y, "int32") as tf.Tensor1D;
          // float32 one-hots: wasm's BatchMatMul takes float32 only (cpu accepts int32).
          const oneHot = (t: tf.Tensor1D) => tf.cast(tf.oneHot(t, k), "float32");
          const conf = tf.matMul(oneHot(yi), oneHot(tf.argMax(out, 1) as tf.Tensor1D), true, false);
          return [acc.loss ? tf.add(acc.loss, lossB) : lossB, acc.confusion ? tf.add(acc.confusion, conf) : conf] as [tf.Scalar, tf.Tensor2D];
        });
        acc.loss?.dispose();
        acc.confusion?.dispose();
        acc.loss = l;
        acc.confusion = c;
        n += y.shape[0];
      } finally {
        tf.dispose([x, y]);
      }
    }
    if (!acc.loss || !acc.confusion) throw new Error("evaluate: the loader yielded no batch.");
    const totalLoss = (await acc.loss.data())[0];
    const conf = (await acc.confusion.array()) as number[][];
    const correct = conf.reduce((s, row, i) => s + row[i], 0);
    return {
      loss: totalLoss / n,
      accuracy: correct / n,
      perClassAccuracy: conf.map((row, i) => row[i] / row.reduce((a, b) => a + b, 0)),
      confusion: conf,
    };
  } finally {
    acc.loss?.dispose();
    acc.confusion?.dispose();
    model.train(wasTraining);
  }
}

/**
 * The model's outputs in eval mode (PyTorch: `model.eval(); with torch.no_grad(): model(x)`), computed by
 * chunks of `batchSize`. For classes: `tf.argMax(predict(model, x), 1)`. The caller disposes the result.
 */
export function predict(model: Module, x: tf.Tensor, { batchSize = 256 }: { batchSize?: number } = {}): tf.Tensor {
  const wasTraining = model.training;
  model.eval();
  try {
    return tf.tidy(() => {
      const n = x.shape[0];
      if (n <= batchSize) return model.forward(x);
      const parts: tf.Tensor[] = [];
      for (let i = 0; i < n; i += batchSize) parts.push(model.forward(tf.slice(x, i, Math.min(batchSize, n - i))));
      return tf.concat(parts, 0);
    });
  } finally {
    model.train(wasTraining);
  }
}
