// Convolution gradients on wasm as XNNPACK Conv2D calls.
import { tf } from "../tf";
import { denseFilterGrad, denseInputGrad, isDenseConv } from "./conv-dense";
import { conv2dOwn, filterGrad, simdKernels } from "./simd";
import { type KernelArgs, type Ops, type Replacement, type TensorInfo, size, withOps } from "./util";

type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];

const toNHWC = [0, 2, 3, 1];
const toNCHW = [0, 3, 1, 2];

/** Explicit paddings follow the data format: NCHW's [[0,0],[0,0],[t,b],[l,r]] becomes NHWC's order. */
function padNHWC(pad: Pad, nchw: boolean): Pad {
  if (!nchw || typeof pad !== "object") return pad;
  return [pad[0], pad[2], pad[3], pad[1]] as tf.backend_util.ExplicitPadding;
}

interface FilterAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: Shape4;
}

/**
 * Conv2DBackpropFilter (absent from wasm 4.22): dW[kh,kw,ci,co] = Σ over n, oh, ow of x · dy.
 * 1. tsdl's own wasm SIMD kernel (./simd: an implicit-im2col GEMM reading x and dy in place), 2–7× faster
 *    on one thread than the composition below on two (README); float32, used whenever it compiled.
 * 2. Fallback, composed of XNNPACK kernels: a Conv2D where batch and channels swap roles: x as
 *    [ci,H,W,n] (batch ci, channels n) convolved with dy as a filter [oh,ow,n,co], dilated by the stride
 *    → [ci,kh,kw,co] (extra rows sliced off when the padding leaves some) → [kh,kw,ci,co]. Its GEMM
 *    (M = ci·kh·kw, N = co, K = n·oh·ow) has a K far past the caches, hence the batch chunks (K-blocking).
 *    Tried and dropped: im2col (patches from one depthwise conv with one-hot filters, then patchesᵀ·dy):
 *    2–7× slower, transposing the patch matrix alone costs more.
 */
export const conv2DBackpropFilter: Replacement = ({ inputs, attrs, backend }: KernelArgs) => {
  const a = attrs as unknown as FilterAttrs;
  return withOps(backend, (o) => {
    let x = inputs.x as TensorInfo;
    let dy = inputs.dy as TensorInfo;
    const pad = padNHWC(a.pad, a.dataFormat === "NCHW");
    if (a.dataFormat === "NCHW") {
      x = o.transpose(x, toNHWC);
      dy = o.transpose(dy, toNHWC);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4, a.filterShape, a.strides, 1, pad, a.dimRoundingMode, false, "channelsLast");
    if (x.dtype === "float32" && dy.dtype === "float32" && isDenseConv(x.shape, a.filterShape, info)) {
      return o.out(denseFilterGrad(o, x, dy, a.filterShape));
    }
    const own = filterGradTuning.own && x.dtype === "float32" && dy.dtype === "float32" ? simdKernels(backend) : null;
    if (own && !(own instanceof Error)) {
      const [kh, kw] = a.filterShape;
      const g = { kh, kw, strideH: info.strideHeight, strideW: info.strideWidth, top: info.padInfo.top, left: info.padInfo.left };
      return o.out(filterGrad(o, own, x, dy, g));
    }
    return o.out(filterSwapped(o, x, dy, info, a.filterShape));
  });
};

/**
 * Knobs for tests and scripts/bench: `own` false forces the composition; `chunk` its batch samples per
 * swapped Conv2D (0: the rule of filterChunk()).
 */
export const filterGradTuning = { own: true, chunk: 0 };

/**
 * Samples per chunk: the chunk's x and dy together about CHUNK_BYTES (1.5 MB, the size of this machine's
 * L2 and then some), so that XNNPACK's packed dy and the x rows it re-reads stay in cache. Measured sweep
 * (scripts/bench/conv-filter.js, README): within ~15 % of each bench layer's best chunk, 1.1–1.5× the
 * unblocked composition on one thread.
 */
export function filterChunk(n: number, xSample: number, dySample: number): number {
  if (filterGradTuning.chunk > 0) return Math.min(n, filterGradTuning.chunk);
  return Math.max(1, Math.min(n, Math.round(CHUNK_BYTES / (4 * (xSample + dySample)))));
}
const CHUNK_BYTES = 1.5 * 2 ** 20;

function filterSwapped(o: Ops, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo, filterShape: Shape4): TensorInfo {
  const [kh, kw] = filterShape;
  const { top, left } = info.padInfo;
  const [n, H, W, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  // bottom/right padding so that the output is exactly kh × kw when the input allows it
  const bottom = Math.max(0, kh - H - top + (oh - 1) * sh);
  const right = Math.max(0, kw - W - left + (ow - 1) * sw);
  const conv = (xT: TensorInfo, dyT: TensorInfo) =>
    o.orig("Conv2D", { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: "NHWC",
      dilations: [sh, sw],
      dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap); // [ci, >=kh, >=kw, co]
  // K-blocking: XNNPACK streams the packed dy (K × co) once per output tile without blocking K, so K
  // is cut into batch chunks whose partial gradients are summed. Chunk b of the [u, ci, H·W, c] (x) and
  // [u, oh·ow, c, co] (dy) layouts is contiguous: each Conv2D reads a view, no copy. The samples left
  // over (n mod c) join the last chunk, transposed on their own (a tiny extra Conv2D is slow on 2 threads).
  const c = filterChunk(n, H * W * ci, oh * ow * co);
  const u = n % c === 0 ? n / c : Math.floor(n / c) - 1; // uniform chunks
  const last = n - u * c; // 0, or between c and 2c − 1 samples
  const parts: TensorInfo[] = [];
  if (u > 0) {
    const prefix = (t: TensorInfo) => (last === 0 ? t : o.view(t, 0, [u * c, ...t.shape.slice(1)]));
    const xs = o.transpose(o.reshape(prefix(x), [u, c, H * W, ci]), [0, 3, 2, 1]);
    const dys = o.transpose(o.reshape(prefix(dy), [u, c, oh * ow, co]), [0, 2, 1, 3]);
    const one = (t: TensorInfo, b: number, shape: number[]) => (u === 1 ? o.reshape(t, shape) : o.view(t, b * size(shape), shape));
    for (let b = 0; b < u; b++) parts.push(conv(one(xs, b, [ci, H, W, c]), one(dys, b, [oh, ow, c, co])));
  }
  if (last > 0) {
    const xr = u === 0 ? x : o.view(x, u * c * H * W * ci, [last, H, W, ci]);
    const dyr = u === 0 ? dy : o.view(dy, u * c * oh * ow * co, [last, oh, ow, co]);
    parts.push(conv(o.transpose(xr, [3, 1, 2, 0]), o.transpose(dyr, [1, 2, 0, 3])));
  }
  let r = parts.length === 1 ? parts[0] : o.run("AddN", parts as unknown as tf.NamedTensorInfoMap);
  if (r.shape[1] !== kh || r.shape[2] !== kw) {
    r = o.run("Slice", { x: r }, { begin: [0, 0, 0, 0], size: [r.shape[0], kh, kw, r.shape[3]] });
  }
  return o.transpose(r, [1, 2, 0, 3]);
}

/**
 * Conv2DBackpropInput for every stride (wasm's is a scalar loop), exact, without multiplying zeros:
 * with stride s, input row i receives dy[q - m] · w[m·s + c] where i + top = q·s + c. So each of the s×s
 * phases c is a stride-1 convolution of dy with a sub-filter of ceil(k/s) taps; the s×s sub-filters are
 * stacked on the output channels of ONE Conv2D, whose output [n, Q, Q', s·s·ci] is interleaved back to
 * rows q·s + c by a transpose, then cropped to the input (offset top, left). Stride 1 is the classic
 * "convolve the padded dy with the flipped, transposed filter". That convolution runs on tsdl's own
 * kernel (./simd conv2dOwn, every thread) when it compiled, else on XNNPACK.
 */
/**
 * The stacked phase filters F[t, t', co, (c, c', ci)] = w[(mh−1−t)·sh + c, (mw−1−t')·sw + c', ci, co]
 * (0 past the filter), built in JavaScript on the wasm heap: filters are small, and wasm's rank-6
 * Reverse + Transpose cost more than the convolution for small layers.
 */
function phaseFilter(o: Ops, filter: TensorInfo, sh: number, sw: number, mh: number, mw: number): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = o.filled([mh, mw, co, sh * sw * ci], 0);
  // views taken after the allocation: growing the wasm memory detaches earlier views (1-thread build)
  const w = o.backend.typedArrayFromHeap(filter) as Float32Array;
  const f = o.backend.typedArrayFromHeap(out) as Float32Array;
  let idx = 0;
  for (let t = 0; t < mh; t++)
    for (let u = 0; u < mw; u++)
      for (let oc = 0; oc < co; oc++)
        for (let c = 0; c < sh; c++)
          for (let d = 0; d < sw; d++) {
            const r = (mh - 1 - t) * sh + c;
            const q = (mw - 1 - u) * sw + d;
            if (r >= kh || q >= kw) {
              idx += ci;
              continue;
            }
            let src = ((r * kw + q) * ci) * co + oc;
            for (let i = 0; i < ci; i++, src += co) f[idx++] = w[src];
          }
  return out;
}

/**
 * Knob for tests and scripts/bench: `own` false runs the phase-stacked convolution on XNNPACK instead of
 * tsdl's own kernel (1.15–1.3× faster on the bench nets' layers, README).
 */
export const inputGradTuning = { own: true };

export const conv2DBackpropInput: Replacement = ({ inputs, attrs, backend }: KernelArgs, original) => {
  const a = attrs as unknown as {
    strides: number | [number, number];
    pad: Pad;
    dataFormat: "NHWC" | "NCHW";
    dimRoundingMode?: "floor" | "round" | "ceil";
    inputShape: Shape4;
  };
  const dy0 = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  if (dy0.dtype !== "float32" || filter.dtype !== "float32") {
    if (!original) throw new Error("tsdl: Conv2DBackpropInput: float32 only");
    return original({ inputs, attrs, backend });
  }
  return withOps(backend, (o) => {
    const nchw = a.dataFormat === "NCHW";
    const dy = nchw ? o.transpose(dy0, toNHWC) : dy0;
    const inShape = (nchw ? toNHWC.map((i) => a.inputShape[i]) : a.inputShape) as Shape4;
    const [n, H, W, ci] = inShape;
    const [kh, kw, , co] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(
      inShape, filter.shape as Shape4, a.strides, 1, padNHWC(a.pad, nchw), a.dimRoundingMode, false, "channelsLast");
    if (isDenseConv(inShape, filter.shape, info)) {
      const dx = denseInputGrad(o, dy, filter, inShape);
      return o.out(nchw ? o.transpose(dx, toNCHW) : dx);
    }
    const { top, left } = info.padInfo;
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [oh, ow] = [dy.shape[1], dy.shape[2]];
    const mh = Math.ceil(kh / sh);
    const mw = Math.ceil(kw / sw);
    // Phase rows q0h.. are computed (rows before q0h·sh would be cropped away), enough to cover top + H.
    const q0h = Math.min(Math.floor(top / sh), mh - 1);
    const q0w = Math.min(Math.floor(left / sw), mw - 1);
    const qh = Math.max(oh, Math.ceil((top + H) / sh)) - q0h;
    const qw = Math.max(ow, Math.ceil((left + W) / sw)) - q0w;
    const f = phaseFilter(o, filter, sh, sw, mh, mw);
    const pads: [number, number, number, number] = [mh - 1 - q0h, qh - oh + q0h, mw - 1 - q0w, qw - ow + q0w];
    const own = inputGradTuning.own ? simdKernels(backend) : null;
    let y = own && !(own instanceof Error)
      ? conv2dOwn(o, own, dy, f, 1, 1, pads)
      : o.orig("Conv2D", { x: dy, filter: f }, {
        strides: [1, 1],
        pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]],
        dataFormat: "NHWC",
        dilations: [1, 1],
        dimRoundingMode: undefined,
      } as unknown as tf.NamedAttrMap); // [n, qh, qw, sh·sw·ci]
    if (sh !== 1 || sw !== 1) {
      y = o.reshape(y, [n * qh, qw, sh, sw * ci]);
      y = o.transpose(y, [0, 2, 1, 3]); // [n·qh, sh, qw, sw·ci]
      y = o.reshape(y, [n, qh * sh, qw * sw, ci]);
    }
    y = o.crop(y, top - q0h * sh, left - q0w * sw, H, W);
    if (nchw) y = o.transpose(y, toNCHW);
    return o.out(y);
  });
};
