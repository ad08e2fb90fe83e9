// Pooling gradients on wasm (wasm 4.22's are scalar loops). MaxPoolGrad, and AvgPoolGrad of windows that
// do not overlap: tsdl's own wasm SIMD kernels (./simd, one pass, every thread) whenever they compiled
// (AvgPoolGrad [256,28,28,6] 2×2: 0.6 ms vs 1.2 for a JavaScript heap loop and 2.1 for the composition;
// ResNet's 1×1/2 subsampling 0.7 vs 1.5); otherwise vectorised element-wise kernels:
//
// Non-overlapping windows (k ≤ s, the usual 2×2 / stride 2) are handled at the input's resolution, as
// broadcasts over [sh, sw] blocks. Overlapping ones go window offset by window offset: for offset (i, j),
// the pixels under it for every output position form a strided slice of the padded input; each offset's
// contribution is scattered back the same way. Only vectorised wasm kernels are used: wasm's Slice,
// StridedSlice, Equal/Greater and rank-5/6 Transposes are JavaScript or scalar loops, 10–300× slower.
import { tf } from "../tf";
import { avgPoolGradOwn, maxPool22Fits, maxPoolGradOwn, maxPoolOwn, simdKernels } from "./simd";
import { type KernelArgs, type Ops, type Replacement, type TensorInfo, withOps } from "./util";

type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;
interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: "floor" | "round" | "ceil";
}
type Shape4 = [number, number, number, number];

interface Geometry {
  n: number;
  H: number;
  W: number;
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
  /** rows / cols of a padded frame that covers every window and the whole input */
  ph: number;
  pw: number;
}

function geometry(x: TensorInfo, a: PoolAttrs): Geometry | null {
  const info = tf.backend_util.computePool2DInfo(
    x.shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const [n, H, W, c] = x.shape;
  const { top, left } = info.padInfo;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const oh = info.outHeight;
  const ow = info.outWidth;
  // one window along an axis (a global pool: ResNet's 8×8 average, stride 1) overlaps nothing: any stride
  // ≥ the window is the same pooling, and takes the disjoint-window paths (wasm's scalar AvgPoolGrad
  // took 13.4 ms for [128,8,8,64])
  const sh = oh === 1 ? Math.max(info.strideHeight, kh) : info.strideHeight;
  const sw = ow === 1 ? Math.max(info.strideWidth, kw) : info.strideWidth;
  if (top < 0 || left < 0 || oh < 1 || ow < 1) return null;
  const ph = Math.max(top + H, (oh - 1) * sh + kh);
  const pw = Math.max(left + W, (ow - 1) * sw + kw);
  return { n, H, W, c, kh, kw, sh, sw, oh, ow, top, left, ph, pw };
}

/**
 * The padded input under window offset (i, j) for every output position: [n, oh, ow, c]. A depthwise
 * convolution (XNNPACK) with a one-hot kh×kw filter and the pool's stride: exact (x·1 + 0s), and 100×
 * faster than wasm's StridedSlice. The padding must then be finite (−∞·0 would be NaN).
 */
function under(o: Ops, xp: TensorInfo, g: Geometry, i: number, j: number): TensorInfo {
  const { kh, kw, c } = g;
  const f = new Float32Array(kh * kw * c);
  f.fill(1, (i * kw + j) * c, (i * kw + j + 1) * c);
  const filter = o.fromValues([kh, kw, c, 1], f);
  const r = o.run("DepthwiseConv2dNative", { x: xp, filter }, {
    strides: [g.sh, g.sw], pad: "valid", dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap);
  if (r.shape[1] === g.oh && r.shape[2] === g.ow) return r;
  return o.crop(r, 0, 0, g.oh, g.ow);
}

/**
 * dx[n,H,W,c] from per-offset contributions parts[i·kw + j] ([n,oh,ow,c]) of overlapping windows:
 * dx[o·s + i − top, o'·s + j − left] += parts[i,j][o, o']. Each is zero-padded into place in the
 * [n, R, sh, R', sw, c] view of the padded frame (XNNPACK pad), and added.
 */
function scatter(o: Ops, parts: TensorInfo[], g: Geometry): TensorInfo {
  const { n, c, kh, kw, sh, sw, oh, ow } = g;
  const rh = Math.ceil(g.ph / sh);
  const rw = Math.ceil(g.pw / sw);
  let acc: TensorInfo | null = null;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const [qi, ai, qj, aj] = [Math.floor(i / sh), i % sh, Math.floor(j / sw), j % sw];
      const part = parts[i * kw + j];
      // stride 1: a plain 4-D pad (XNNPACK is several times slower on the 6-D form)
      const placed =
        sh === 1 && sw === 1
          ? o.pad(part, [[0, 0], [i, rh - oh - i], [j, rw - ow - j], [0, 0]])
          : o.pad(o.reshape(part, [n, oh, 1, ow, 1, c]), [
              [0, 0], [qi, rh - oh - qi], [ai, sh - 1 - ai], [qj, rw - ow - qj], [aj, sw - 1 - aj], [0, 0]]);
      acc = acc ? o.add(acc, placed) : placed;
    }
  }
  return fromFrame(o, o.reshape(acc as TensorInfo, [n, rh * sh, rw * sw, c]), g);
}

/** Lowest float32: stands for −∞ in padding that goes through multiplications by 0. */
const LOWEST = -3.4028234663852886e38;

/**
 * MaxPoolGrad, exact, with the tfjs cpu / PyTorch rule for ties: the whole gradient of a window goes to
 * its FIRST maximum in row-major order (wasm's own kernel gives it to the last one, and is scalar).
 * Padding never wins unless a window is all padding; inputs with ±∞ or NaN: unspecified.
 */
export const maxPoolGrad: Replacement = ({ inputs, attrs, backend }: KernelArgs, original) => {
  const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output?: TensorInfo };
  const g = input.dtype === "float32" && output ? geometry(input, attrs as unknown as PoolAttrs) : null;
  if (!g || !output) {
    if (!original) throw new Error("tsdl: no wasm MaxPoolGrad");
    return original({ inputs, attrs, backend });
  }
  const own = poolTuning.own && dy.dtype === "float32" ? simdKernels(backend) : null;
  return withOps(backend, (o) => {
    if (own && !(own instanceof Error)) return o.out(maxPoolGradOwn(o, own, input, dy, g));
    return o.out(g.kh <= g.sh && g.kw <= g.sw ? maxGradTiled(o, dy, input, output, g) : maxGradOverlapping(o, dy, input, output, g));
  });
};

/**
 * MaxPool: the own unrolled kernel for 2×2 windows of stride 2 inside x (the course's nets: MNIST net 1.2
 * ms on XNNPACK's one-thread pool), XNNPACK's for the rest.
 */
export const maxPool: Replacement = ({ inputs, attrs, backend }: KernelArgs, original) => {
  const { x } = inputs as { x: TensorInfo };
  const g = poolTuning.own && x.dtype === "float32" ? geometry(x, attrs as unknown as PoolAttrs) : null;
  const own = g && maxPool22Fits(x, g) ? simdKernels(backend) : null;
  if (!g || !own || own instanceof Error) {
    if (!original) throw new Error("tsdl: no wasm MaxPool");
    return original({ inputs, attrs, backend });
  }
  return withOps(backend, (o) => o.out(maxPoolOwn(o, own, x, g)));
};

/** Knob for tests and scripts/bench: `own` false forces the compositions below (the fallback), for
 * MaxPoolGrad and the non-overlapping AvgPoolGrad alike, and XNNPACK's MaxPool. */
export const poolTuning = { own: true };

/**
 * Windows that do not overlap (k ≤ s: the usual 2×2 / stride 2), all in the input's resolution with
 * vectorised kernels. Viewing the padded input as [n, oh, sh, ow, sw, c], each window is a [sh, sw] block:
 *   notMax = step(y↑ − x)           1 where the pixel is below its window's max
 *   key    = P · (1 − notMax)       P = kh·kw − (row-major index in the window), 0 outside the window
 *   winner = maxPool(key)           the first maximum has the largest key
 *   dx     = dy↑ · (1 − step(winner↑ − key))
 * (↑: broadcast over the block). Every quantity is a small integer or a copy: exact.
 */
function maxGradTiled(o: Ops, dy: TensorInfo, x: TensorInfo, y: TensorInfo, g: Geometry): TensorInfo {
  const { n, c, kh, kw, sh, sw, oh, ow } = g;
  const fh = oh * sh;
  const fw = ow * sw;
  const frame = toFrame(o, x, g, fh, fw, -Infinity); // [n, fh, fw, c]
  const x6 = o.reshape(frame, [n, oh, sh, ow, sw, c]);
  // Broadcasting [n,oh,1,ow,1,c] against [n,oh,sh,ow,sw,c] directly is ~5× slower in XNNPACK than
  // upsampling once (× ones[1,1,sh,1,sw,1]) and then working on equal shapes.
  const ones = o.filled([1, 1, sh, 1, sw, 1], 1);
  const up = (t: TensorInfo) => o.mul(o.reshape(t, [n, oh, 1, ow, 1, c]), ones);
  const notMax = o.run("Step", { x: o.sub(up(y), x6) }, { alpha: 0 });
  const k = kh * kw;
  const pv = new Float32Array(sh * sw);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) pv[a * sw + b] = k - (a * kw + b);
  const p = o.fromValues([1, 1, sh, 1, sw, 1], pv);
  const key = o.sub(p, o.mul(notMax, p)); // [n, oh, sh, ow, sw, c]
  let notSel: TensorInfo;
  if (k === 1) {
    notSel = o.sub(o.filled([], 1), p); // 0 at the window's only pixel
  } else {
    const winner = o.run("MaxPool", { x: o.reshape(key, [n, fh, fw, c]) }, {
      filterSize: [kh, kw], strides: [sh, sw], pad: "valid", dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap);
    notSel = o.run("Step", { x: o.sub(up(winner), key) }, { alpha: 0 });
  }
  const dyUp = up(dy);
  const dx6 = o.sub(dyUp, o.mul(dyUp, notSel));
  return fromFrame(o, o.reshape(dx6, [n, fh, fw, c]), g);
}

/**
 * Overlapping windows (k > s): offset by offset in row-major order; `rest` holds the gradient not yet
 * given: where the pixel under offset (i, j) equals its window's max (step(max − x) = 0) it takes `rest`,
 * and `rest` becomes 0 there. The contributions are scattered back by scatter().
 */
function maxGradOverlapping(o: Ops, dy: TensorInfo, x: TensorInfo, y: TensorInfo, g: Geometry): TensorInfo {
  const xp = toFrame(o, x, g, g.ph, g.pw, LOWEST);
  let rest: TensorInfo = dy;
  const parts: TensorInfo[] = [];
  for (let k = 0; k < g.kh * g.kw; k++) {
    const xs = under(o, xp, g, Math.floor(k / g.kw), k % g.kw);
    const notMax = o.run("Step", { x: o.sub(y, xs) }, { alpha: 0 });
    const kept = o.mul(rest, notMax);
    parts.push(o.sub(rest, kept));
    rest = kept;
  }
  return scatter(o, parts, g);
}

/** The input in padded coordinates, rows [0, fh) × cols [0, fw): padded with `value`, or cropped. */
function toFrame(o: Ops, x: TensorInfo, g: Geometry, fh: number, fw: number, value: number): TensorInfo {
  const bottom = fh - g.top - g.H;
  const right = fw - g.left - g.W;
  let f = x;
  if (g.top || g.left || bottom > 0 || right > 0) {
    f = o.pad(f, [[0, 0], [g.top, Math.max(0, bottom)], [g.left, Math.max(0, right)], [0, 0]], value);
  }
  return bottom < 0 || right < 0 ? o.crop(f, 0, 0, fh, fw) : f;
}

/** Back from padded coordinates (frame [n, fh, fw, c]) to the input's [n, H, W, c]: crop, zero-fill. */
function fromFrame(o: Ops, f: TensorInfo, g: Geometry): TensorInfo {
  const [fh, fw] = [f.shape[1], f.shape[2]];
  if (fh < g.top + g.H || fw < g.left + g.W) {
    f = o.pad(f, [[0, 0], [0, Math.max(0, g.top + g.H - fh)], [0, Math.max(0, g.left + g.W - fw)], [0, 0]]);
  }
  return o.crop(f, g.top, g.left, g.H, g.W);
}

/**
 * AvgPoolGrad with tfjs' own rule (cpu and wasm kernels alike): every window spreads dy / (kh·kw), also
 * windows that overlap the 'same' padding (whose forward average divides by the valid count only).
 */
export const avgPoolGrad: Replacement = ({ inputs, attrs, backend }: KernelArgs, original) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const g = input.dtype === "float32" ? geometry(input, attrs as unknown as PoolAttrs) : null;
  if (!g) {
    if (!original) throw new Error("tsdl: no wasm AvgPoolGrad");
    return original({ inputs, attrs, backend });
  }
  // windows that do not overlap: the own kernel (./simd avgPoolGradOwn), on every thread
  const own = g.kh <= g.sh && g.kw <= g.sw && dy.dtype === "float32" && poolTuning.own ? simdKernels(backend) : null;
  if (own && !(own instanceof Error)) return withOps(backend, (o) => o.out(avgPoolGradOwn(o, own, input, dy, g)));
  return withOps(backend, (o) => {
    const { n, c, kh, kw, sh, sw, oh, ow } = g;
    const q = 1 / (kh * kw);
    if (kh <= sh && kw <= sw) {
      // non-overlapping: one broadcasting multiply by a [sh, sw] mask holding q in the window
      const mask = new Float32Array(sh * sw);
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) mask[a * sw + b] = q;
      const m = o.fromValues([1, 1, sh, 1, sw, 1], mask);
      const up = o.mul(o.reshape(dy, [n, oh, 1, ow, 1, c]), m);
      return o.out(fromFrame(o, o.reshape(up, [n, oh * sh, ow * sw, c]), g));
    }
    // overlapping windows: wasm's own kernel is exact, and faster than scattering offset by offset
    if (!original) throw new Error("tsdl: no wasm AvgPoolGrad");
    return original({ inputs, attrs, backend }) as TensorInfo;
  });
};

