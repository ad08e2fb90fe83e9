// A convolution whose window covers its whole unpadded input (output 1×1, e.g. LeNet-5's C5: 5×5 over
// 5×5) is a dense layer over the flattened sample: forward x·W, input gradient dy·Wᵀ, filter gradient
// xᵀ·dy, with x [n, K = H·W·ci] and W [K, co] as they lie in memory (NHWC, HWIO: reshapes, no copy). As a
// convolution, the input gradient pads dy 1×1 → (2k−1)² and multiplies 25× more zeros than numbers, and
// the own kernels' 4-row tiles run one row in four: the GEMMs are 5–15× faster (scripts/bench, README).
import type { tf } from "../tf";
import type { Ops, TensorInfo } from "./util";

type Shape4 = readonly number[];

/** Whether a conv of this geometry is a dense layer: window = input, no padding, no dilation. */
export function isDenseConv(xShape: Shape4, filterShape: Shape4, info: tf.backend_util.Conv2DInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  return info.outHeight === 1 && info.outWidth === 1 && top === 0 && bottom === 0 && left === 0 && right === 0 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 &&
    filterShape[0] === xShape[1] && filterShape[1] === xShape[2] && filterShape[2] === xShape[3];
}

const flat = (o: Ops, t: TensorInfo, rows: number): TensorInfo => o.reshape(t, [1, rows, t.shape.reduce((a, b) => a * b, 1) / rows]);

/** y [n, 1, 1, co] = x·W (+ bias, then relu when asked: _FusedMatMul's own epilogue). */
export function denseForward(o: Ops, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, relu: boolean): TensorInfo {
  const n = x.shape[0];
  const co = filter.shape[3];
  const inputs: tf.NamedTensorInfoMap = { a: flat(o, x, n), b: flat(o, filter, filter.shape[0] * filter.shape[1] * filter.shape[2]) };
  if (bias) inputs.bias = bias;
  const y = o.run("_FusedMatMul", inputs, { transposeA: false, transposeB: false, activation: relu ? "relu" : "linear" });
  return o.reshape(y, [n, 1, 1, co]);
}

/** dx [n, H, W, ci] = dy·Wᵀ. */
export function denseInputGrad(o: Ops, dy: TensorInfo, filter: TensorInfo, inShape: Shape4): TensorInfo {
  const [kh, kw, ci] = filter.shape;
  const dx = o.run("BatchMatMul", { a: flat(o, dy, dy.shape[0]), b: flat(o, filter, kh * kw * ci) }, { transposeA: false, transposeB: true });
  return o.reshape(dx, [...inShape]);
}

/** dW [kh, kw, ci, co] = xᵀ·dy. */
export function denseFilterGrad(o: Ops, x: TensorInfo, dy: TensorInfo, filterShape: Shape4): TensorInfo {
  const n = x.shape[0];
  const dw = o.run("BatchMatMul", { a: flat(o, x, n), b: flat(o, dy, n) }, { transposeA: true, transposeB: false });
  return o.reshape(dw, [...filterShape]);
}
