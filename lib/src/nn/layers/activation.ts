// Element-wise activations as modules (PyTorch nn.ReLU, nn.Tanh, ...).
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";

export class ReLU extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

export class Tanh extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x);
  }
}

export class Sigmoid extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x);
  }
}

/** log-softmax over the last axis (PyTorch `nn.LogSoftmax(dim=1)` on [N, C]); pairs with nllLoss. */
export class LogSoftmax extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.logSoftmax(x);
  }
}

/** softmax over the last axis. */
export class Softmax extends Module {
  override forward(x: tf.Tensor): tf.Tensor {
    return tf.softmax(x);
  }
}
