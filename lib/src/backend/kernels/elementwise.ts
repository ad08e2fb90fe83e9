// Element-wise and reduction kernels that wasm 4.22 runs slowly.
import { tf } from "../tf";
import { simdKernels, tanhOwn } from "./simd";
import { type KernelArgs, type Replacement, type TensorInfo, withOps, size } from "./util";

/** Knob for tests and scripts/bench: `own` false computes Tanh through XNNPACK's sigmoid. */
export const tanhTuning = { own: true };

/**
 * Tanh (wasm's is scalar libm, ~20 ns/elem): tsdl's own SIMD kernel (./simd/tanh-wat.ts, one pass, on every
 * thread; exact to a few ulps also near 0, where 2·sigmoid(2x) − 1 cancels), else
 * 2·sigmoid(2x) − 1 through XNNPACK's vectorised sigmoid (four passes).
 */
export const tanh: Replacement = ({ inputs, backend }: KernelArgs, original) => {
  const x = inputs.x as TensorInfo;
  if (x.dtype !== "float32") {
    if (!original) throw new Error("tsdl: no wasm Tanh");
    return original({ inputs, backend });
  }
  const own = tanhTuning.own ? simdKernels(backend) : null;
  if (own && !(own instanceof Error)) return withOps(backend, (o) => o.out(tanhOwn(o, own, x)));
  return withOps(backend, (o) => {
    const two = o.filled([], 2);
    const one = o.filled([], 1);
    const s = o.run("Sigmoid", { x: o.mul(x, two) });
    return o.out(o.sub(o.mul(s, two), one));
  });
};

/**
 * Identity without a copy, as the cpu backend does: the engine clones every tensor it saves for backprop,
 * and wasm's Identity copies the buffer each time. Tensors are immutable, so sharing the data is safe.
 */
export const identity: Replacement = ({ inputs, backend }: KernelArgs, original) => {
  const x = inputs.x as TensorInfo;
  if (x.dtype === "string") {
    if (!original) throw new Error("tsdl: no wasm Identity");
    return original({ inputs, backend });
  }
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Cast to the dtype a tensor already has shares its data, as Identity (wasm's copies the buffer: tfjs'
 * gradients cast float32 to float32 often — ResNet-20: 141 casts, 25 ms per step). To bool: x ≠ 0, as
 * tfjs cpu (wasm 4.22 stores the number truncated into a byte: 2 → 2, 0.5 → 0). Other casts: wasm's.
 */
export const cast: Replacement = (args: KernelArgs, original) => {
  const x = args.inputs.x as TensorInfo;
  const dtype = (args.attrs as unknown as { dtype: string }).dtype;
  if (dtype === x.dtype && x.dtype !== "string") return identity(args, original);
  if (dtype === "bool" && (x.dtype === "float32" || x.dtype === "int32")) {
    const out = args.backend.makeOutput(x.shape, "bool");
    const src = args.backend.typedArrayFromHeap(x);
    const dst = args.backend.typedArrayFromHeap(out);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
    return out;
  }
  if (!original) throw new Error("tsdl: no wasm Cast");
  return original(args);
};

/**
 * Sum / Mean over leading axes (bias gradients [N, ..., C] → [C], batch-norm statistics) as ONE average
 * pooling over a [1, R, 1, C] view with an R×1 window: XNNPACK, vectorised over C, reading x once. wasm's
 * own kernels transpose x first (slow for large power-of-two strides) then reduce with a scalar loop.
 */
function leadingReduce(kind: "Sum" | "Mean"): Replacement {
  return ({ inputs, attrs, backend }: KernelArgs, original) => {
    const x = inputs.x as TensorInfo;
    const at = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (!original) throw new Error(`tsdl: no wasm ${kind}`);
    const r = x.shape.length;
    if (x.dtype !== "float32" || r < 2) return original({ inputs, attrs, backend });
    const axes = tf.util.parseAxisParam(at.axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < r && axes.every((v, i) => v === i);
    const rows = size(x.shape.slice(0, axes.length));
    if (!leading || rows < 64) return original({ inputs, attrs, backend });
    const cols = size(x.shape.slice(axes.length));
    return withOps(backend, (o) => {
      let m = o.run("AvgPool", { x: o.reshape(x, [1, rows, 1, cols]) }, {
        filterSize: [rows, 1], strides: [rows, 1], pad: "valid", dimRoundingMode: undefined,
      } as unknown as tf.NamedAttrMap);
      if (kind === "Sum") m = o.mul(m, o.filled([], rows));
      const outShape = at.keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
      return o.out(o.reshape(m, outShape));
    });
  };
}

export const sum = leadingReduce("Sum");
export const mean = leadingReduce("Mean");
