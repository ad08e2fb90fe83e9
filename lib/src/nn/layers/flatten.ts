// Flatten [N, ...] → [N, rest]. On NHWC input the order is (h, w, c); PyTorch flattens NCHW as (c, h, w),
// so the first Linear after a Flatten has its input rows permuted relative to PyTorch: mind it when
// copying weights (reorder the rows) — the architectures and parameter counts are the same.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";

export class Flatten extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return x.rank === 2 ? x : tf.reshape(x, [x.shape[0], -1]);
  }
}
