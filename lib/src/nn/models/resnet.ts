// The CIFAR ResNets of He et al. (2016, "Deep Residual Learning", §4.2), NHWC input 32×32×3:
//   conv 3×3 (w) + BN + ReLU → 3 stages of n BasicBlocks with w, 2w, 4w channels (feature maps 32, 16,
//   8; the first block of stages 2 and 3 has stride 2) → global average pooling → Linear(4w → classes).
// Depth = 6n + 2: ResNet-8 (n = 1), ResNet-20 (n = 3), ResNet-32 (n = 5)...
// BasicBlock: conv 3×3 → BN → ReLU → conv 3×3 → BN, + shortcut, → ReLU. Convolutions have no bias
// (BatchNorm's shift plays that role). The shortcut is the paper's option A (parameter-free): identity,
// or, when the block halves the map and doubles the channels, a subsampling x[:, ::2, ::2, :] (a 1×1
// average pool with stride 2, a fast kernel on every backend) with the new channels padded with zeros.
// Parameter counts (10 classes; BN weight and bias included, running stats are buffers):
//   width 16: ResNet-8 75,290 · ResNet-20 269,722 · ResNet-32 464,154   (the paper: 0.27M for ResNet-20)
//   width 8:  ResNet-8 19,218 · ResNet-14 43,634
// Initialisation: PyTorch's layer defaults (tsdl's Conv2d / Linear / BatchNorm2d), not Kaiming normal.
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../module";
import { BatchNorm2d, Conv2d, Linear } from "../layers";
import * as F from "../functional";

/** Two 3×3 convolutions with BatchNorm and a parameter-free shortcut (option A). */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;

  constructor(readonly inPlanes: number, readonly planes: number, readonly stride = 1) {
    super();
    if (planes < inPlanes || (planes - inPlanes) % 2 !== 0)
      throw new Error(`BasicBlock(${inPlanes} → ${planes}): option-A shortcuts pad channels with zeros, so planes must be ≥ inPlanes with an even difference.`);
    this.conv1 = new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(planes);
  }

  private shortcut(x: tf.Tensor): tf.Tensor {
    let s = x;
    if (this.stride !== 1) s = tf.avgPool(s as tf.Tensor4D, 1, this.stride, "valid");
    const extra = this.planes - this.inPlanes;
    if (extra > 0) s = tf.pad(s, [[0, 0], [0, 0], [0, 0], [extra / 2, extra / 2]]);
    return s;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const y = F.relu(this.bn1.forward(this.conv1.forward(x)));
    const z = this.bn2.forward(this.conv2.forward(y));
    return F.relu(tf.add(z, this.shortcut(x)));
  }

  override extraRepr(): string {
    return `${this.inPlanes} → ${this.planes}, stride=${this.stride}`;
  }
}

export interface ResNetOptions {
  /** 6n + 2: 8, 14, 20 (default), 32, 44, 56, 110. */
  depth?: number;
  /** Channels of the first stage (the paper: 16); stages have width, 2·width, 4·width. */
  width?: number;
  nClasses?: number;
  /** Input channels (3 for colour images). */
  inChannels?: number;
}

/** A CIFAR-style ResNet (He et al. 2016): `new ResNet({ depth: 20 })` is ResNet-20 (269,722 parameters). */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layer1: BasicBlock[];
  readonly layer2: BasicBlock[];
  readonly layer3: BasicBlock[];
  readonly fc: Linear;
  readonly depth: number;
  readonly width: number;

  constructor({ depth = 20, width = 16, nClasses = 10, inChannels = 3 }: ResNetOptions = {}) {
    super();
    if (!(Number.isInteger(depth) && depth >= 8 && (depth - 2) % 6 === 0))
      throw new Error(`ResNet: depth must be 6n + 2 with n ≥ 1 (8, 14, 20, 32...), got ${depth}.`);
    if (!(Number.isInteger(width) && width > 0 && width % 2 === 0))
      throw new Error(`ResNet: width must be a positive even integer (option-A shortcuts pad half the new channels on each side), got ${width}.`);
    this.depth = depth;
    this.width = width;
    const n = (depth - 2) / 6;
    this.conv1 = new Conv2d(inChannels, width, 3, { padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(width);
    const stage = (inPlanes: number, planes: number, stride: number): BasicBlock[] =>
      Array.from({ length: n }, (_, i) => new BasicBlock(i === 0 ? inPlanes : planes, planes, i === 0 ? stride : 1));
    this.layer1 = stage(width, width, 1);
    this.layer2 = stage(width, 2 * width, 2);
    this.layer3 = stage(2 * width, 4 * width, 2);
    this.fc = new Linear(4 * width, nClasses);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    let y = F.relu(this.bn1.forward(this.conv1.forward(x)));
    for (const block of [...this.layer1, ...this.layer2, ...this.layer3]) y = block.forward(y);
    // Global average pooling as one pooling window over the whole map (a fast kernel), then [N, C].
    const [, h, w] = y.shape;
    y = tf.avgPool(y as tf.Tensor4D, [h, w], 1, "valid");
    return this.fc.forward(F.flatten(y));
  }

  override extraRepr(): string {
    return `depth=${this.depth}, width=${this.width}`;
  }
}
