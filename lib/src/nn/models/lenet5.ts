// LeNet-5 as specified in seed 002, on 28×28×1 MNIST (61,706 parameters):
//   C1 conv 6@5×5 padding 2 + tanh → 28×28×6;  S2 avg-pool 2 stride 2 → 14×14×6;
//   C3 conv 16@5×5 + tanh → 10×10×16;          S4 avg-pool 2 → 5×5×16;
//   C5 conv 120@5×5 + tanh → 1×1×120, flatten; F6 Linear 120→84 + tanh; output Linear 84→10.
// The seed also says "padding 2" for S2: that would give 16×16 after S2, 12 after C3, 6 after S4 and
// 2×2×120 = 480 values after C5, not the 120 the classifier takes. So S2 has no padding (the padding of
// 2 belongs to C1, which is what makes 28×28 inputs behave like LeNet's original 32×32).
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { AvgPool2d, Conv2d, Flatten, Linear, Sequential, Tanh } from "../layers";

export class LeNet5 extends Module {
  readonly featureExtractor: Sequential;
  readonly classifier: Sequential;

  constructor(readonly nClasses = 10) {
    super();
    this.featureExtractor = new Sequential(
      new Conv2d(1, 6, 5, { padding: 2 }),
      new Tanh(),
      new AvgPool2d(2, { stride: 2 }),
      new Conv2d(6, 16, 5),
      new Tanh(),
      new AvgPool2d(2, { stride: 2 }),
      new Conv2d(16, 120, 5),
      new Tanh(),
      new Flatten(),
    );
    this.classifier = new Sequential(new Linear(120, 84), new Tanh(), new Linear(84, nClasses));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.classifier.forward(this.featureExtractor.forward(x));
  }
}
