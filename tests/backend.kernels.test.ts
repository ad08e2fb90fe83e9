// tsdl's replacement wasm kernels against the tfjs cpu backend: values and gradients.
import { tf, init, backendInfo, kernelProfiler, replacedWasmKernels } from "tsdl/backend";
import { Ops, canonicalPermutation } from "tsdl/backend/kernels/util";
import { filterChunk, filterGradTuning, inputGradTuning } from "tsdl/backend/kernels/conv";
import { poolTuning } from "tsdl/backend/kernels/pool";
import { padTuning } from "tsdl/backend/kernels/pad";
import { tanhTuning } from "tsdl/backend/kernels/elementwise";
import { forwardConvTuning } from "tsdl/backend/kernels/conv-forward";
import { kernelThreads, ownKernelTuning, simdKernels, windowParts, winogradTuning } from "tsdl/backend/kernels/simd";
import * as gemmModule from "tsdl/backend/kernels/simd/gemm";
import { matMulTuning } from "tsdl/backend/kernels/matmul";
import { blasTuning } from "tsdl/backend/kernels/blas-gemm";
import * as blasGemmModule from "tsdl/backend/kernels/blas-gemm";
import { DEBIAN_OPENBLAS } from "tsdl/backend/blas";
import { loaderTuning } from "tsdl/backend/kernels/simd/loader";
import { TensorDataset } from "tsdl/data";
import { SGD } from "tsdl/optim";
import { sgdStepTuning } from "tsdl/backend/kernels/optim";
import { ACT_GRAD, actGradTuning, activationGrad } from "tsdl/backend/kernels/act";
import { BN_GRAD, BN_TRAIN, batchNormTuning } from "tsdl/backend/kernels/batchnorm";
import { BatchNorm1d, BatchNorm2d } from "tsdl/nn";
import { NLL, SOFTMAX_CE, lossTuning } from "tsdl/backend/kernels/loss";
import { crossEntropy, nllLoss } from "tsdl/train";
import { KernelThreads, Slot } from "tsdl/backend/kernels/simd/workers";
import { kernelsWat } from "tsdl/backend/kernels/simd/wat";
import * as fs from "fs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

jest.setTimeout(120000);

const TOL = 1e-4;
const DEFAULT_FLOPS_PER_THREAD = ownKernelTuning.flopsPerThread;

/** Deterministic pseudo-random values in [-1, 1) (or small integers, to make ties). */
function values(n: number, seed: number, ints = false): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const u = s / 4294967296;
    out[i] = ints ? Math.floor(u * 4) : 2 * u - 1;
  }
  return out;
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  let ref = 0;
  for (let i = 0; i < want.length; i++) {
    m = Math.max(m, Math.abs(got[i] - want[i]));
    ref = Math.max(ref, Math.abs(want[i]));
  }
  return m / (ref || 1);
}

/** Runs `f` on wasm then on cpu with the same host inputs; returns the worst relative error over outputs. */
async function compare(
  inputs: Array<{ shape: number[]; data: Float32Array }>,
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<number> {
  const run = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
      return f(...xs).map((t) => t.dataSync() as Float32Array);
    });
  };
  const got = await run("wasm");
  const want = await run("cpu");
  await tf.setBackend("wasm");
  expect(got.length).toBe(want.length);
  return Math.max(...got.map((g, i) => relErr(g, want[i])));
}

/** A fixed, non-uniform cotangent so that every output element matters. */
function weightedSum(y: tf.Tensor): tf.Scalar {
  const w = tf.sin(tf.reshape(tf.range(0, y.size), y.shape));
  return tf.sum(tf.mul(y, w));
}

/**
 * A convolution on wasm vs cpu: plain, fused (bias + relu), the fused one's gradients (x, filter, bias)
 * and the plain one's (x, filter); worst relative error. `seed` picks the inputs.
 */
function compareConv(c: { n: number; h: number; w: number; ci: number; co: number; kh: number; kw: number; s: number; pad: "same" | "valid" }, seed: number): Promise<number> {
  return compare(
    [
      { shape: [c.n, c.h, c.w, c.ci], data: values(c.n * c.h * c.w * c.ci, seed) },
      { shape: [c.kh, c.kw, c.ci, c.co], data: values(c.kh * c.kw * c.ci * c.co, seed + 1) },
      { shape: [c.co], data: values(c.co, seed + 2) },
    ],
    (x, f, b) => {
      const conv = (v: tf.Tensor, w: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
      const fused = (v: tf.Tensor, w: tf.Tensor, bb: tf.Tensor) =>
        tf.fused.conv2d({ x: v as tf.Tensor4D, filter: w as tf.Tensor4D, strides: c.s, pad: c.pad, bias: bb, activation: "relu" });
      return [
        conv(x, f),
        fused(x, f, b),
        ...tf.grads((v: tf.Tensor, w: tf.Tensor, bb: tf.Tensor) => weightedSum(fused(v, w, bb)))([x, f, b]),
        ...tf.grads((v: tf.Tensor, w: tf.Tensor) => weightedSum(conv(v, w)))([x, f]),
      ];
    },
  );
}

/**
 * A batch-1 product on wasm vs cpu: fused (bias + relu), plain, and the fused one's gradients (a, b, bias);
 * worst relative error. `seed` picks the inputs.
 */
function compareProduct(c: { m: number; k: number; n: number; tA: boolean; tB: boolean }, seed: number): Promise<number> {
  return compare(
    [
      { shape: c.tA ? [c.k, c.m] : [c.m, c.k], data: values(c.m * c.k, seed) },
      { shape: c.tB ? [c.n, c.k] : [c.k, c.n], data: values(c.k * c.n, seed + 1) },
      { shape: [c.n], data: values(c.n, seed + 2) },
    ],
    (a, b, bias) => {
      const fused = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: c.tA, transposeB: c.tB, bias: z, activation: "relu" });
      return [fused(a, b, bias), tf.matMul(a, b, c.tA, c.tB), ...tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => weightedSum(fused(x, y, z)))([a, b, bias])];
    },
  );
}

const worst: Record<string, number> = {};
function record(kernel: string, e: number): void {
  worst[kernel] = Math.max(worst[kernel] ?? 0, e);
  expect(e).toBeLessThan(TOL);
}

beforeAll(async () => {
  await init({ backend: "wasm", quiet: true });
});

afterAll(() => {
  // the figures the report quotes
  console.log("worst relative error per kernel vs cpu:", JSON.stringify(worst));
});

test("the replacements are registered on wasm", () => {
  expect(replacedWasmKernels().sort()).toEqual(
    ["AvgPoolGrad", "BatchMatMul", "Conv2D", "FusedConv2D", "Conv2DBackpropFilter", "Conv2DBackpropInput", "Identity", "MaxPool", "MaxPoolGrad",
      "PadV2", "Sum", "Mean", "Tanh", "_FusedMatMul", "TsdlSGDStep", "TsdlActGrad", "TsdlBatchNormTrain", "TsdlBatchNormGrad", "Cast",
      "TsdlSoftmaxCrossEntropy", "TsdlSoftmaxCrossEntropyGrad", "TsdlNllLoss", "TsdlNllLossGrad"].sort(),
  );
  expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
  expect(tf.getBackend()).toBe("wasm");
});

describe("Conv2D gradients (Conv2DBackpropInput, Conv2DBackpropFilter)", () => {
  const channels: Array<[number, number]> = [[1, 6], [3, 16], [6, 3], [16, 1]];
  const sizes: Array<[number, number]> = [[9, 11], [8, 8], [7, 13]];
  const cases: Array<{ n: number; h: number; w: number; ci: number; co: number; k: number; s: number; pad: "same" | "valid" }> = [];
  let i = 0;
  for (const k of [3, 5])
    for (const s of [1, 2])
      for (const pad of ["same", "valid"] as const)
        for (const [ci, co] of channels) {
          const [h, w] = sizes[i % sizes.length];
          cases.push({ n: i % 2 === 0 ? 1 : 3, h, w, ci, co, k, s, pad });
          i++;
        }
  // odd strides / kernels: stride 3, kernel 2 and 4, stride > kernel
  cases.push({ n: 2, h: 15, w: 14, ci: 3, co: 4, k: 4, s: 3, pad: "same" });
  cases.push({ n: 2, h: 10, w: 9, ci: 2, co: 5, k: 2, s: 3, pad: "valid" });
  cases.push({ n: 1, h: 12, w: 12, ci: 4, co: 4, k: 1, s: 2, pad: "same" });

  test.each(cases)("n$n $h×$w ci$ci co$co k$k s$s $pad", async (c) => {
    const e = await compare(
      [
        { shape: [c.n, c.h, c.w, c.ci], data: values(c.n * c.h * c.w * c.ci, 1 + c.k + c.s) },
        { shape: [c.k, c.k, c.ci, c.co], data: values(c.k * c.k * c.ci * c.co, 7 + c.ci) },
      ],
      (x, w) => {
        const f = (a: tf.Tensor, b: tf.Tensor) => weightedSum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad));
        const [gx, gw] = tf.grads(f)([x, w]);
        return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), gx, gw];
      },
    );
    record("Conv2D grads", e);
  });

  test.each([
    [1, true], [2, true], [1, false], [2, false],
  ])("kernel level, explicit padding and NCHW, stride %i, own dW and dx kernels %s", async (s, own) => {
    filterGradTuning.own = own;
    inputGradTuning.own = own;
    const [n, h, w, ci, co, k] = [2, 9, 8, 3, 5, 3];
    const pad = [[0, 0], [1, 2], [2, 0], [0, 0]] as tf.backend_util.ExplicitPadding;
    const padNCHW = [[0, 0], [0, 0], [1, 2], [2, 0]] as tf.backend_util.ExplicitPadding;
    const run = (x: tf.Tensor4D, f: tf.Tensor4D, nchw: boolean) => {
      const xin = nchw ? tf.transpose(x, [0, 3, 1, 2]) : x;
      const y = tf.conv2d(x, f, s, pad);
      const dy = tf.sin(y);
      const dyin = nchw ? tf.transpose(dy, [0, 3, 1, 2]) : dy;
      // explicit paddings follow the data format
      const attrs = { strides: [s, s], pad: nchw ? padNCHW : pad, dataFormat: nchw ? "NCHW" : "NHWC", dimRoundingMode: undefined };
      const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy: dyin, filter: f },
        { ...attrs, inputShape: xin.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x: xin, dy: dyin },
        { ...attrs, filterShape: f.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return [dx, dw];
    };
    for (const nchw of [false, true]) {
      const e = await compare(
        [
          { shape: [n, h, w, ci], data: values(n * h * w * ci, 3) },
          { shape: [k, k, ci, co], data: values(k * k * ci * co, 4) },
        ],
        // cpu's Conv2D takes NHWC here; the NCHW kernels get transposed copies
        (x, f) => run(x as tf.Tensor4D, f as tf.Tensor4D, nchw),
      );
      record("Conv2D grads", e);
    }
    filterGradTuning.own = true;
    inputGradTuning.own = true;
  });

  test("conv2dTranspose (Conv2DBackpropInput as a forward op), stride 2", async () => {
    const e = await compare(
      [
        { shape: [2, 5, 6, 4], data: values(240, 11) },
        { shape: [3, 3, 3, 4], data: values(108, 12) },
      ],
      (x, f) => [tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, 10, 12, 3], 2, "same")],
    );
    record("Conv2D grads", e);
  });
});

describe("forward Conv2D / FusedConv2D on the own kernel", () => {
  afterEach(() => (forwardConvTuning.own = true));
  const cases = [
    { n: 3, h: 11, w: 9, ci: 5, co: 13, k: 3, s: 2, pad: "same" as const, own: true },
    { n: 2, h: 12, w: 12, ci: 1, co: 8, k: 5, s: 1, pad: "valid" as const, own: true },
    { n: 1, h: 7, w: 10, ci: 9, co: 3, k: 2, s: 3, pad: "same" as const, own: true },
    { n: 3, h: 11, w: 9, ci: 5, co: 13, k: 3, s: 2, pad: "same" as const, own: false },
  ];
  test.each(cases)("n$n $h×$w ci$ci co$co k$k s$s $pad, own $own: conv, fused bias + relu and their gradients", async (c) => {
    forwardConvTuning.own = c.own;
    record("Conv2D", await compareConv({ ...c, kh: c.k, kw: c.k }, 100 + c.k));
  });
});

describe("the own conv skips the window rows and columns that lie in the padding", () => {
  test("windowParts: 3×3 input, 5×5 window, padding 2 (LeNet's dx shape, small)", () => {
    const M = 9; // 3×3 outputs, tiles of 4 rows: [0..3], [4..7], [8, 8, 8, 8]
    const out = new Int32Array(12);
    windowParts(out, M, 3, { H: 3, W: 3, top: 2, left: 2, sh: 1, sw: 1, kh: 5, kw: 5, ci: 2 });
    // tile 0: outputs (0,0) (0,1) (0,2) (1,0): rows t ∈ [1, 5) ∪ [2, 5), cols j ∈ [0, 5) → [1, 4, 0, 10]
    // tile 1: (1,1) (1,2) (2,0) (2,1): rows [0, 4) ∪ [1, 4) → [0, 4); cols [0, 4) ∪ [0, 3) ∪ [2, 5) ∪ [1, 5) → [0, 5)
    // tile 2: (2,2) alone: rows [0, 3), cols [0, 3)
    expect(Array.from(out)).toEqual([1, 4, 0, 10, 0, 4, 0, 10, 0, 3, 0, 6]);
  });

  test("windows wholly in the padding (pad > kernel) still get bias and relu; stride 2; vs cpu", async () => {
    const pad = [[0, 0], [5, 4], [4, 6], [0, 0]] as tf.backend_util.ExplicitPadding;
    const e = await compare(
      [{ shape: [2, 4, 5, 3], data: values(120, 220) }, { shape: [3, 3, 3, 9], data: values(243, 221) }, { shape: [9], data: values(9, 222) }],
      (x, f, b) => {
        const fused = (v: tf.Tensor, w: tf.Tensor) =>
          tf.fused.conv2d({ x: v as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad, bias: b, activation: "relu" });
        return [fused(x, f), tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, pad), ...tf.grads((v: tf.Tensor, w: tf.Tensor) => weightedSum(fused(v, w)))([x, f])];
      },
    );
    record("Conv2D", e);
  });
});

describe("3×3 stride-1 convolutions as Winograd F(2×2, 3×3)", () => {
  const defaults = { ...winogradTuning };
  afterEach(() => {
    Object.assign(winogradTuning, defaults);
    ownKernelTuning.flopsPerThread = DEFAULT_FLOPS_PER_THREAD;
  });
  const cases = [
    { n: 3, h: 9, w: 7, ci: 8, co: 12, pad: "same" as const }, // odd outputs: partial tiles
    { n: 2, h: 8, w: 11, ci: 4, co: 4, pad: "valid" as const },
    { n: 1, h: 3, w: 3, ci: 12, co: 8, pad: "valid" as const }, // one output pixel
    { n: 5, h: 6, w: 6, ci: 24, co: 32, pad: "same" as const }, // the default threshold
  ];
  test.each(cases)("n$n $h×$w ci$ci co$co $pad: conv, fused bias + relu, dx and dW (Winograd when co % 8 = 0) vs cpu; samples on every thread", async (c) => {
    Object.assign(winogradTuning, { minChannels: 4, gradMinTiles: 0 });
    ownKernelTuning.flopsPerThread = 0;
    await tf.setBackend("wasm");
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    const kinds: number[] = [];
    const run = threads?.run;
    if (threads && run) threads.run = (k, picked) => (kinds.push(threads.control[Slot.KIND]), run.call(threads, k, picked));
    try {
      record("Conv2D Winograd", await compareConv({ ...c, kh: 3, kw: 3, s: 1 }, 230 + c.ci));
    } finally {
      if (threads && run) threads.run = run;
    }
    if (threads && c.n > 1) expect(kinds).toContain(5);
    if (threads && c.n > 1 && c.co % 8 === 0) expect(kinds).toContain(6);
  });

  test("below minChannels, and for 5×5 or stride 2, the direct kernel runs", () => {
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    ownKernelTuning.flopsPerThread = 0;
    const kinds: number[] = [];
    const run = threads?.run;
    if (threads && run) threads.run = (k, picked) => (kinds.push(threads.control[Slot.KIND]), run.call(threads, k, picked));
    try {
      tf.tidy(() => {
        const ones = (s: [number, number, number, number]) => tf.ones(s) as tf.Tensor4D;
        tf.conv2d(ones([2, 8, 8, 16]), ones([3, 3, 16, 16]), 1, "same"); // 16 < 24
        tf.conv2d(ones([2, 8, 8, 32]), ones([5, 5, 32, 32]), 1, "same");
        tf.conv2d(ones([2, 8, 8, 32]), ones([3, 3, 32, 32]), 2, "same");
      });
    } finally {
      if (threads && run) threads.run = run;
    }
    expect(kinds).toContain(1);
    expect(kinds).not.toContain(5);
  });
});

describe("convolutions that are dense layers (window = unpadded input, LeNet-5's C5) as matrix products", () => {
  const cases = [
    { n: 3, h: 5, w: 5, ci: 16, co: 12, s: 1 },
    { n: 1, h: 4, w: 6, ci: 3, co: 7, s: 2 },
    { n: 5, h: 1, w: 1, ci: 9, co: 4, s: 1 },
  ];
  test.each(cases)("n$n $h×$w ci$ci co$co stride $s: conv, fused bias + relu, gradients", async (c) => {
    record("Conv2D dense", await compareConv({ ...c, kh: c.h, kw: c.w, pad: "valid" }, 200 + c.ci));
  });

  test("the dense path is taken: matrix products inside, no padding", () => {
    const prof = kernelProfiler("wasm");
    prof.reset();
    prof.start();
    tf.tidy(() => {
      const x = tf.ones([4, 5, 5, 16]);
      const f = tf.ones([5, 5, 16, 8]);
      tf.grads((a: tf.Tensor, b: tf.Tensor) => weightedSum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "valid")))([x, f]);
    });
    prof.stop();
    const inner = prof.report().filter((t) => t.inner).map((t) => t.kernel);
    expect(inner).toEqual(expect.arrayContaining(["BatchMatMul"]));
    expect(inner).not.toContain("PadV2");
  });

  test("NCHW gradients at kernel level, and a padded 1×1 output is not taken for dense", async () => {
    const [n, h, w, ci, co] = [2, 3, 4, 5, 6];
    for (const [nchw, pad] of [[true, "valid"], [false, [[0, 0], [1, 1], [1, 1], [0, 0]]]] as const) {
      const fh = pad === "valid" ? h : h + 2;
      const fw = pad === "valid" ? w : w + 2;
      const e = await compare(
        [
          { shape: [n, h, w, ci], data: values(n * h * w * ci, 210) },
          { shape: [fh, fw, ci, co], data: values(fh * fw * ci * co, 211) },
        ],
        (x, f) => {
          const dy = tf.sin(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, pad as "valid"));
          const toNCHW = (t: tf.Tensor) => (nchw ? tf.transpose(t, [0, 3, 1, 2]) : t);
          const attrs = { strides: [1, 1], pad, dataFormat: nchw ? "NCHW" : "NHWC", dimRoundingMode: undefined };
          const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy: toNCHW(dy), filter: f },
            { ...attrs, inputShape: toNCHW(x).shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
          const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x: toNCHW(x), dy: toNCHW(dy) },
            { ...attrs, filterShape: f.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
          return [dy, dx, dw];
        },
      );
      record("Conv2D dense", e);
    }
  });
});

describe("Conv2DBackpropFilter: tsdl's own wasm SIMD kernel", () => {
  test("it compiled on this backend's memory and is the default", async () => {
    await tf.setBackend("wasm");
    const k = simdKernels(tf.backend() as unknown as BackendWasm);
    expect(k).not.toBeInstanceOf(Error);
    expect(filterGradTuning.own).toBe(true);
  });

  test("binary.ts is what wat.ts assembles to (else: node scripts/build-wasm.js)", async () => {
    // the script's own assembler, given the source's wat.ts (not lib/dist's, which may be stale)
    const { assemble, TARGET } = require("../scripts/build-wasm.js") as {
      assemble(wat: { kernelsWat(shared: boolean): string }): Promise<string>;
      TARGET: string;
    };
    const text = await assemble({ kernelsWat });
    if (text !== fs.readFileSync(TARGET, "utf8")) {
      throw new Error("lib/src/backend/kernels/simd/binary.ts is stale: run npm run build && node scripts/build-wasm.js");
    }
  });

  // bigger than the shapes above: several 4-row tiles and 8-column panels, partial ones, stride 2
  test.each([
    { n: 3, h: 14, w: 13, ci: 7, co: 19, k: 3, s: 1, pad: "same" as const },
    { n: 2, h: 16, w: 15, ci: 8, co: 16, k: 5, s: 2, pad: "valid" as const },
    { n: 2, h: 12, w: 12, ci: 1, co: 8, k: 5, s: 1, pad: "same" as const },
  ])("n$n $h×$w ci$ci co$co k$k s$s $pad against cpu", async (c) => {
    const e = await compare(
      [
        { shape: [c.n, c.h, c.w, c.ci], data: values(c.n * c.h * c.w * c.ci, 60 + c.ci) },
        { shape: [c.k, c.k, c.ci, c.co], data: values(c.k * c.k * c.ci * c.co, 61) },
      ],
      (x, f) => [tf.grad((v: tf.Tensor) => weightedSum(tf.conv2d(x as tf.Tensor4D, v as tf.Tensor4D, c.s, c.pad)))(f)],
    );
    record("Conv2D grads", e);
  });
});

describe("Conv2DBackpropFilter: the own kernel on every wasm thread (worker_threads)", () => {
  // init() (beforeAll) started wasm with one thread per core: 2 on the course machine
  afterEach(() => Object.assign(ownKernelTuning, { threads: 0, flopsPerThread: DEFAULT_FLOPS_PER_THREAD }));

  test.each([
    { n: 5, h: 9, w: 11, ci: 3, co: 13, k: 3, s: 1, pad: "same" as const },
    { n: 4, h: 16, w: 15, ci: 8, co: 16, k: 5, s: 2, pad: "valid" as const },
    { n: 1, h: 8, w: 8, ci: 2, co: 9, k: 3, s: 1, pad: "valid" as const },
  ])("n$n $h×$w ci$ci co$co k$k s$s $pad: threads share the samples, dW equals cpu's", async (c) => {
    await tf.setBackend("wasm");
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    if (!threads) {
      // one core: nothing to share (the plain build never starts workers)
      expect(require("os").cpus().length).toBe(1);
      return;
    }
    expect(threads.ready()).toBe(threads.threads);
    ownKernelTuning.flopsPerThread = 0; // small shapes: still split
    // the filter-gradient jobs (KIND 0; the forward convolution's jobs are KIND 1) and their sample counts
    const counts: number[][] = [];
    const run = threads.run;
    threads.run = (k, picked) => {
      const kind = threads.control[Slot.KIND];
      const r = run.call(threads, k, picked);
      if (kind === 0) counts.push(r);
      return r;
    };
    let e: number;
    try {
      e = await compare(
        [
          { shape: [c.n, c.h, c.w, c.ci], data: values(c.n * c.h * c.w * c.ci, 70 + c.n) },
          { shape: [c.k, c.k, c.ci, c.co], data: values(c.k * c.k * c.ci * c.co, 71) },
        ],
        (x, f) => [tf.grad((v: tf.Tensor) => weightedSum(tf.conv2d(x as tf.Tensor4D, v as tf.Tensor4D, c.s, c.pad)))(f)],
      );
    } finally {
      threads.run = run;
    }
    expect(e).toBeLessThan(TOL);
    if (c.n === 1) {
      expect(counts).toEqual([]); // one sample: the caller alone
    } else {
      expect(counts.length).toBe(1);
      expect(counts[0].length).toBe(Math.min(c.n, threads.threads));
      expect(counts[0].reduce((a, b) => a + b, 0)).toBe(c.n);
    }
  });

  test.each([
    {
      what: "Conv2DBackpropInput's own convolution (dx)",
      inputs: [{ shape: [5, 11, 10, 6], data: values(3300, 84) }, { shape: [3, 3, 6, 7], data: values(378, 85) }],
      f: (x: tf.Tensor, f: tf.Tensor) => [tf.grad((v: tf.Tensor) => weightedSum(tf.conv2d(v as tf.Tensor4D, f as tf.Tensor4D, 2, "same")))(x)],
    },
    {
      what: "the forward conv with bias and relu in the tiles' epilogue",
      inputs: [{ shape: [5, 9, 10, 3], data: values(1350, 86) }, { shape: [3, 3, 3, 13], data: values(351, 87) }, { shape: [13], data: values(13, 88) }],
      f: (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
        [tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: "same", bias: b, activation: "relu" })],
    },
  ])("$what: samples shared by the threads, values equal cpu's", async ({ inputs, f }) => {
    await tf.setBackend("wasm");
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    ownKernelTuning.flopsPerThread = 0;
    const spy = threads ? jest.spyOn(threads, "run") : null;
    const e = await compare(inputs, f as (...xs: tf.Tensor[]) => tf.Tensor[]);
    expect(e).toBeLessThan(TOL);
    if (spy) {
      const counts = spy.mock.results.map((r) => r.value as number[]);
      spy.mockRestore();
      expect(counts.some((c) => c.length === 2 && c[0] + c[1] === 5)).toBe(true);
    }
  });

  test("1 thread and all threads give the same dW (mnist-like layer)", () => {
    tf.setBackend("wasm");
    const [x, dy] = [tf.tensor(values(8 * 26 * 26 * 32, 80), [8, 26, 26, 32]), tf.tensor(values(8 * 24 * 24 * 64, 81), [8, 24, 24, 64])];
    const dw = (threads: number) => {
      ownKernelTuning.threads = threads;
      return tf.engine().runKernel("Conv2DBackpropFilter", { x, dy },
        { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dimRoundingMode: undefined, filterShape: [3, 3, 32, 64] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    };
    const before = tf.memory().numTensors;
    const [one, all] = [dw(1), dw(0)];
    expect(relErr(all.dataSync(), one.dataSync())).toBeLessThan(TOL);
    tf.dispose([one, all]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });
});

describe("Conv2DBackpropFilter fallback composition: K-blocking (batch chunks summed)", () => {
  // n samples in chunks of `chunk`: uniform chunks read views of one transposed layout; the n mod chunk
  // samples left over join the last chunk (its own transposes); chunk ≥ n is the unblocked composition.
  beforeEach(() => {
    filterGradTuning.own = false;
  });
  const cases = [
    { n: 7, chunk: 3, k: 3, s: 1, pad: "same" as const }, // 1 uniform chunk + a last one of 4
    { n: 8, chunk: 2, k: 3, s: 2, pad: "valid" as const }, // 4 uniform chunks
    { n: 9, chunk: 2, k: 5, s: 2, pad: "same" as const }, // 3 uniform + a last of 3
    { n: 5, chunk: 1, k: 2, s: 1, pad: "valid" as const }, // one sample per chunk
    { n: 1, chunk: 4, k: 3, s: 1, pad: "same" as const }, // batch 1
    { n: 3, chunk: 2, k: 3, s: 3, pad: "same" as const }, // no uniform chunk: one of 3
  ];
  afterEach(() => {
    filterGradTuning.chunk = 0;
    filterGradTuning.own = true;
  });
  test.each(cases)("n$n chunk $chunk k$k s$s $pad", async (c) => {
    const [h, w, ci, co] = [9, 10, 5, 6];
    filterGradTuning.chunk = c.chunk;
    const e = await compare(
      [
        { shape: [c.n, h, w, ci], data: values(c.n * h * w * ci, 50 + c.n) },
        { shape: [c.k, c.k, ci, co], data: values(c.k * c.k * ci * co, 51) },
      ],
      (x, f) => [tf.grad((v: tf.Tensor) => weightedSum(tf.conv2d(x as tf.Tensor4D, v as tf.Tensor4D, c.s, c.pad)))(f)],
    );
    record("Conv2D grads", e);
  });

  test("the chunk rule: about 1.5 MB of x and dy per chunk, at least 1 sample, at most n", () => {
    filterGradTuning.chunk = 0;
    const mb = 2 ** 20 / 4; // floats in 1 MB
    expect(filterChunk(64, mb / 4, mb / 4)).toBe(3); // 0.5 MB per sample
    expect(filterChunk(64, 2 * mb, mb)).toBe(1);
    expect(filterChunk(10, 16, 16)).toBe(10);
    filterGradTuning.chunk = 4;
    expect(filterChunk(64, 16, 16)).toBe(4);
    expect(filterChunk(3, 16, 16)).toBe(3);
  });

  test("views free nothing of their parent, and nothing leaks", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as BackendWasm;
    const x = tf.tensor4d(values(6 * 8 * 8 * 3, 3), [6, 8, 8, 3]);
    const dy = tf.tensor4d(values(6 * 6 * 6 * 4, 4), [6, 6, 6, 4]);
    filterGradTuning.chunk = 2;
    const before = backend.numDataIds();
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy },
        { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dimRoundingMode: undefined, filterShape: [3, 3, 3, 4] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const g1 = run();
    const g2 = run();
    expect(Array.from(g2.dataSync())).toEqual(Array.from(g1.dataSync()));
    expect(backend.numDataIds()).toBe(before + 2);
    expect(Array.from(x.dataSync().slice(0, 3))).toEqual(Array.from(values(6 * 8 * 8 * 3, 3).slice(0, 3)));
    const o = new Ops(backend);
    expect(() => o.out(o.view(x, 0, [2, 8, 8, 3]))).toThrow(/view/);
    expect(() => o.view(x, 6 * 8 * 8 * 3 - 1, [2])).toThrow(/outside/);
    o.dispose();
    expect(backend.numDataIds()).toBe(before + 2);
    tf.dispose([x, dy, g1, g2]);
  });
});

describe("BatchMatMul / _FusedMatMul with transposes", () => {
  const shapes: Array<[number[], number[]]> = [
    [[5, 7], [7, 6]],
    [[1, 9], [9, 4]],
    [[3, 5, 7], [3, 7, 6]],
    [[2, 3, 5, 7], [2, 3, 7, 6]],
    [[2, 3, 5, 7], [7, 6]], // broadcast batch
  ];
  const t = (s: number[], tr: boolean) => (tr ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
  const cases: Array<{ sa: number[]; sb: number[]; tA: boolean; tB: boolean }> = [];
  for (const [sa, sb] of shapes)
    for (const tA of [false, true]) for (const tB of [false, true]) cases.push({ sa: t(sa, tA), sb: t(sb, tB), tA, tB });

  test.each(cases)("$sa × $sb tA=$tA tB=$tB: value and gradients", async ({ sa, sb, tA, tB }) => {
    const e = await compare(
      [
        { shape: sa, data: values(sa.reduce((p, q) => p * q), 21) },
        { shape: sb, data: values(sb.reduce((p, q) => p * q), 22) },
      ],
      (a, b) => {
        const f = (x: tf.Tensor, y: tf.Tensor) => weightedSum(tf.matMul(x, y, tA, tB));
        // tfjs' own BatchMatMul gradient does not reduce broadcast batch dims (fails on cpu too): value only
        if (sa.length !== sb.length) return [tf.matMul(a, b, tA, tB)];
        return [tf.matMul(a, b, tA, tB), ...tf.grads(f)([a, b])];
      },
    );
    record("BatchMatMul", e);
  });

  test("wasm 4.22 bug worked around: the same data as matMul weights with two shapes", async () => {
    // tfjs-backend-wasm caches XNNPACK's packed weights by data id, and a reshape shares the data id
    await tf.setBackend("wasm");
    const w = tf.tensor2d([1, 10, 100, 1000], [1, 4]);
    const r1 = tf.matMul(tf.ones([3, 4]), tf.reshape(w, [4, 1]));
    const r2 = tf.matMul(tf.tensor2d([1, 2, 3], [3, 1]), w);
    expect(Array.from(r1.dataSync())).toEqual([1111, 1111, 1111]);
    expect(Array.from(r2.dataSync()).slice(0, 8)).toEqual([1, 10, 100, 1000, 2, 20, 200, 2000]);
    tf.dispose([w, r1, r2]);
  });
});

describe("the own GEMM (batch-1 products: Linear layers, dense convolutions)", () => {
  // (the native BLAS, when init() loaded one, takes these products first: off here)
  beforeEach(() => {
    blasTuning.use = false;
  });
  afterEach(() => {
    blasTuning.use = true;
    matMulTuning.own = true;
    ownKernelTuning.flopsPerThread = DEFAULT_FLOPS_PER_THREAD;
  });
  // K 1100: three K chunks (512); M 37: row blocks plus a partial one; N 13: a narrow last panel; K odd:
  // packBT's element-by-element tail; M 512 with tA: a 2 KB row stride. From 3 panels (N ≥ 17) A is packed
  // first (packA4): N 29 with K 1100 (chunks, a partial last tile), K 514 (a last chunk of 2 k's), N 21
  const cases = [
    { m: 37, k: 1100, n: 13 }, { m: 9, k: 7, n: 8 }, { m: 64, k: 130, n: 21 }, { m: 1, k: 3, n: 1 }, { m: 512, k: 6, n: 5 },
    { m: 37, k: 1100, n: 29 }, { m: 30, k: 514, n: 24 },
  ].flatMap((c) => [false, true].flatMap((tA) => [false, true].map((tB) => ({ ...c, tA, tB }))));
  test.each(cases)("$m×$k × $k×$n tA=$tA tB=$tB: fused bias + relu, plain product, gradients (threads share the rows)", async (c) => {
    ownKernelTuning.flopsPerThread = 0;
    const spy = jest.spyOn(gemmModule, "matMulOwn");
    try {
      const e = await compareProduct(c, 40);
      record("own GEMM", e);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  test.each([[false, false], [false, true], [true, false], [true, true]])(
    "matMulTuning.own = false leaves products to XNNPACK (transposes done first): fused bias + relu and gradients, tA=%s tB=%s",
    async (tA, tB) => {
      matMulTuning.own = false;
      const spy = jest.spyOn(gemmModule, "matMulOwn");
      const e = await compare(
        [
          { shape: tA ? [7, 5] : [5, 7], data: values(35, 31) },
          { shape: tB ? [6, 7] : [7, 6], data: values(42, 32) },
          { shape: [6], data: values(6, 33) },
        ],
        (a, b, bias) => {
          const fused = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
            tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: tA, transposeB: tB, bias: z, activation: "relu" });
          return [fused(a, b, bias), ...tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => weightedSum(fused(x, y, z)))([a, b, bias])];
        },
      );
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
      record("_FusedMatMul", e);
    },
  );
});

describe("products on the native BLAS (OpenBLAS or Accelerate through koffi, when init() found one)", () => {
  const none = () => {
    if (blasTuning.blas) return false;
    console.log("no native BLAS on this machine (sudo apt-get install libopenblas0-pthread): products stay on wasm");
    return true;
  };
  afterEach(() => {
    blasTuning.use = true;
  });

  test("Debian's OpenBLAS, when installed, is what init() loaded, at the kernels' thread count", () => {
    if (!fs.existsSync(DEBIAN_OPENBLAS)) return console.log(`${DEBIAN_OPENBLAS} absent: nothing to find`);
    expect(backendInfo()?.blas).toMatch(/^OpenBLAS /);
    expect(blasTuning.blas?.threads).toBe(backendInfo()?.threads);
  });

  // the own GEMM's cases (K chunks, partial tiles, a 2 KB row stride with tA), and 1×1 products
  const cases = [
    { m: 37, k: 1100, n: 13 }, { m: 9, k: 7, n: 8 }, { m: 64, k: 130, n: 21 }, { m: 1, k: 3, n: 1 }, { m: 512, k: 6, n: 5 },
    { m: 120, k: 300, n: 40 },
  ].flatMap((c) => [false, true].flatMap((tA) => [false, true].map((tB) => ({ ...c, tA, tB }))));
  test.each(cases)("$m×$k × $k×$n tA=$tA tB=$tB: fused bias + relu, plain product, gradients, in place on the heap", async (c) => {
    if (none()) return;
    const spy = jest.spyOn(blasGemmModule, "matMulBlas");
    const own = jest.spyOn(gemmModule, "matMulOwn");
    try {
      const e = await compareProduct(c, 70);
      record("BLAS GEMM", e);
      // forward (fused and plain) and both gradients' products
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(4);
      expect(own).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      own.mockRestore();
    }
  });

  test("K = 0: the bias, then relu; M·N = 0: an empty output", async () => {
    if (none()) return;
    const spy = jest.spyOn(blasGemmModule, "matMulBlas");
    await tf.setBackend("wasm");
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const bias = tf.tensor1d([1, -2, 3]);
      const y = tf.fused.matMul({ a: tf.zeros([2, 0]) as tf.Tensor2D, b: tf.zeros([0, 3]) as tf.Tensor2D, bias, activation: "relu" });
      expect(Array.from(y.dataSync())).toEqual([1, 0, 3, 1, 0, 3]);
      const z = tf.matMul(tf.zeros([2, 0]) as tf.Tensor2D, tf.zeros([0, 3]) as tf.Tensor2D);
      expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
      const e = tf.matMul(tf.ones([0, 4]) as tf.Tensor2D, tf.ones([4, 3]) as tf.Tensor2D);
      expect(e.shape).toEqual([0, 3]);
    });
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(tf.memory().numTensors).toBe(before);
  });

  test("batched products stay on wasm; blasTuning.use = false gives the own GEMM", async () => {
    if (none()) return;
    await tf.setBackend("wasm");
    const spy = jest.spyOn(blasGemmModule, "matMulBlas");
    const a = tf.tensor(values(2 * 5 * 7, 73), [2, 5, 7]);
    const b = tf.tensor(values(2 * 7 * 3, 74), [2, 7, 3]);
    tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D).dispose();
    expect(spy).not.toHaveBeenCalled();
    blasTuning.use = false;
    const own = jest.spyOn(gemmModule, "matMulOwn");
    tf.matMul(tf.ones([4, 5]) as tf.Tensor2D, tf.ones([5, 6]) as tf.Tensor2D).dispose();
    expect(own).toHaveBeenCalled();
    expect(spy).not.toHaveBeenCalled();
    [spy, own].forEach((s) => s.mockRestore());
    tf.dispose([a, b]);
  });

  test("MLP training steps on the BLAS: the same losses as on wasm's own GEMM (to rounding), tensors and heap flat", async () => {
    if (none()) return;
    await tf.setBackend("wasm");
    const train = (blas: boolean): number[] => {
      blasTuning.use = blas;
      const w1 = tf.variable(tf.tensor(values(64 * 32, 75), [64, 32]).mul(0.2));
      const w2 = tf.variable(tf.tensor(values(32 * 10, 76), [32, 10]).mul(0.2));
      const x = tf.tensor(values(50 * 64, 77), [50, 64]);
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: 50 }, (_, i) => i % 10), "int32"), 10);
      const opt = tf.train.sgd(0.3);
      const losses: number[] = [];
      const step = () => {
        const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.relu(tf.matMul(x, w1)), w2)), true) as tf.Scalar;
        losses.push(l.dataSync()[0]);
        l.dispose();
      };
      step();
      const tensors = tf.memory().numTensors;
      const bytes = (tf.memory() as { numBytesInWASMHeap?: number }).numBytesInWASMHeap;
      for (let i = 0; i < 20; i++) step();
      expect(tf.memory().numTensors).toBe(tensors);
      expect((tf.memory() as { numBytesInWASMHeap?: number }).numBytesInWASMHeap).toBe(bytes);
      opt.dispose();
      tf.dispose([w1, w2, x, y]);
      return losses;
    };
    const spy = jest.spyOn(blasGemmModule, "matMulBlas");
    const park = jest.spyOn(KernelThreads.prototype, "park");
    const onBlas = train(true);
    expect(spy).toHaveBeenCalled();
    // the kernel threads stop polling before a product on several BLAS threads (they would share its cores)
    const parks = kernelThreads(tf.backend() as unknown as BackendWasm) && (blasTuning.blas?.threads ?? 1) > 1;
    expect(park.mock.calls.length).toBe(parks ? spy.mock.calls.length : 0);
    [spy, park].forEach((s) => s.mockRestore());
    const onWasm = train(false);
    expect(onBlas[20]).toBeLessThan(onBlas[0] * 0.95);
    onBlas.forEach((l, i) => expect(Math.abs(l - onWasm[i])).toBeLessThan(1e-4 * Math.abs(onWasm[i])));
  });
});

describe("activation gradient with the bias gradient in one kernel (TsdlActGrad)", () => {
  afterEach(() => {
    actGradTuning.own = true;
    ownKernelTuning.flopsPerThread = DEFAULT_FLOPS_PER_THREAD;
  });
  // channels 1, 3 (a period of 12 floats), 6, 16, 100; totals with a scalar tail; y with exact zeros,
  // negative dy (relu: −0, as dy·0), NaN in y and dy
  const cases = [[7, 1], [5, 3], [4, 7, 7, 6], [3, 5, 5, 16], [300, 100], [2, 3, 2, 3]].flatMap((shape) =>
    (["relu", "tanh"] as const).flatMap((act) => [true, false].map((bias) => ({ shape, act, bias }))));
  test.each(cases)("$shape $act bias $bias: d bit for bit, the bias gradient within rounding, vs the composition on cpu", async (c) => {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const y = values(n, 61).map((v, i) => (i % 7 === 0 ? 0 : c.act === "relu" ? Math.max(v, 0) : Math.tanh(v)));
    const dy = values(n, 62);
    if (n > 20) [y[5], dy[9]] = [NaN, NaN];
    const run = async (backend: string): Promise<[Float32Array, Float32Array | null]> => {
      await tf.setBackend(backend);
      const ts = tf.tidy(() => {
        const [d, db] = activationGrad(tf.tensor(dy, c.shape), tf.tensor(y, c.shape), c.act, c.bias);
        return db ? [d, db] : [d];
      });
      const out: [Float32Array, Float32Array | null] = [ts[0].dataSync() as Float32Array, ts[1] ? (ts[1].dataSync() as Float32Array) : null];
      tf.dispose(ts);
      return out;
    };
    const spy = jest.spyOn(tf.engine(), "runKernel");
    const got = await run("wasm");
    expect(spy.mock.calls.some((call) => call[0] === ACT_GRAD)).toBe(true);
    spy.mockRestore();
    const want = await run("cpu");
    await tf.setBackend("wasm");
    // d: the same float32 operations (Object.is: −0 and NaN too)
    const d = got[0] as Float32Array;
    const mismatch = Array.from(want[0] as Float32Array).findIndex((v, i) => !Object.is(v, d[i]));
    expect(mismatch).toBe(-1);
    if (c.bias) {
      // (NaN channels compare as NaN on both sides)
      const [g, w] = [got[1] as Float32Array, want[1] as Float32Array];
      expect(Array.from(g).map(Number.isNaN)).toEqual(Array.from(w).map(Number.isNaN));
      const finite = (a: Float32Array) => a.map((v) => (Number.isNaN(v) ? 0 : v));
      const e = relErr(finite(g), finite(w));
      expect(e).toBeLessThan(1e-5);
      record("TsdlActGrad bias", e);
    } else expect(got[1]).toBeNull();
  });

  test("tf.tanh's gradient goes through it on wasm, tfjs' composition on cpu: the same values from the same y", async () => {
    const x = values(3000, 65).map((v) => v * 3);
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      // y from the cpu's tanh on both sides (the own Tanh rounds differently): the gradient alone compared
      const y = tf.tidy(() => tf.tensor(x, [30, 100]));
      const spy = jest.spyOn(tf.engine(), "runKernel");
      const g = tf.tidy(() => tf.grad((v: tf.Tensor) => weightedSum(tf.tanh(v)))(y));
      const used = spy.mock.calls.some((call) => call[0] === ACT_GRAD);
      spy.mockRestore();
      const out = { g: g.dataSync().slice(), used };
      tf.dispose([y, g]);
      return out;
    };
    const [wasm, cpu] = [await grad("wasm"), await grad("cpu")];
    await tf.setBackend("wasm");
    expect([wasm.used, cpu.used]).toEqual([true, false]);
    const e = relErr(wasm.g, cpu.g);
    expect(e).toBeLessThan(2e-6); // (y itself differs by a few ulps: the own Tanh vs cpu's)
    record("Tanh", e);
  });

  test("tf.relu's gradient goes through it on wasm: bit for bit tfjs' dy·step(x) on cpu (zeros, NaN included)", async () => {
    const x = values(3000, 66).map((v, i) => (i % 9 === 0 ? 0 : i === 17 ? NaN : v));
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      // (the same dy on both sides: weightedSum's sin differs by an ulp between backends)
      const [xs, dy] = [tf.tensor(x, [30, 100]), tf.tensor(values(3000, 67), [30, 100])];
      const spy = jest.spyOn(tf.engine(), "runKernel");
      const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.relu(v))(xs, dy));
      const used = spy.mock.calls.some((call) => call[0] === ACT_GRAD);
      spy.mockRestore();
      const out = { g: Array.from(g.dataSync()), used };
      tf.dispose([xs, dy, g]);
      return out;
    };
    const [wasm, cpu] = [await grad("wasm"), await grad("cpu")];
    await tf.setBackend("wasm");
    expect([wasm.used, cpu.used]).toEqual([true, false]);
    expect(wasm.g.findIndex((v, i) => !Object.is(v, cpu.g[i]))).toBe(-1);
  });

  test("chunks shared by the threads, each summing its own part (the same sums on 1 thread); flat tensors; the composition when off", async () => {
    await tf.setBackend("wasm");
    ownKernelTuning.flopsPerThread = 0;
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    const spy = threads ? jest.spyOn(threads, "run") : null;
    // 2,359,296 elements, 144 chunks: ~1 ms of work, so that a worker woken late still finds chunks left
    const shape = [64, 48, 48, 16];
    const dy = tf.tensor(values(2359296, 63), shape);
    const y = tf.relu(tf.tensor(values(2359296, 64), shape));
    const before = tf.memory().numTensors;
    const grads = (): Float32Array[] => {
      const ts = tf.tidy(() => activationGrad(dy, y, "relu", true) as tf.Tensor[]);
      const out = ts.map((t) => t.dataSync() as Float32Array);
      tf.dispose(ts);
      return out;
    };
    // a worker woken late takes no chunk (the caller does them all): repeated until both threads took some
    const runs: Float32Array[][] = [];
    const both = () => !!spy?.mock.results.some((r) => (r.value as number[]).length === 2 && (r.value as number[]).every((c) => c > 0));
    do runs.push(grads());
    while (spy && !both() && runs.length < 50);
    expect(tf.memory().numTensors).toBe(before);
    if (spy) expect(both()).toBe(true);
    // each chunk sums apart: the same bias gradient however the chunks were shared, and on one thread
    ownKernelTuning.flopsPerThread = 1e12;
    const single = grads();
    actGradTuning.own = false;
    const composed = grads();
    for (const own of runs) {
      expect(Array.from(own[0])).toEqual(Array.from(composed[0]));
      expect(Array.from(own[1])).toEqual(Array.from(single[1]));
      expect(relErr(own[1], composed[1])).toBeLessThan(1e-5);
    }
    spy?.mockRestore();
    tf.dispose([dy, y]);
  });
});

describe("BatchNorm's training forward and gradient in two kernels (TsdlBatchNormTrain / Grad)", () => {
  afterEach(() => {
    batchNormTuning.own = true;
    ownKernelTuning.flopsPerThread = DEFAULT_FLOPS_PER_THREAD;
  });
  /** y, dx, dweight, dbias and the running stats after the layer's forward passes (weight ≠ 1, bias ≠ 0). */
  const bnOutputs = (shape: number[], affine: boolean) => (x: tf.Tensor): tf.Tensor[] => {
    const c = shape[shape.length - 1];
    const bn = shape.length === 2 ? new BatchNorm1d(c, { affine }) : new BatchNorm2d(c, { affine });
    if (bn.weight && bn.bias) {
      bn.weight.assign(tf.tensor1d(Array.from({ length: c }, (_, j) => 0.5 + j / c)));
      bn.bias.assign(tf.tensor1d(Array.from({ length: c }, (_, j) => j / c - 0.3)));
    }
    const y = bn.forward(x);
    const dx = tf.grad((v: tf.Tensor) => weightedSum(bn.forward(v)))(x);
    const out = [y, dx];
    if (bn.weight && bn.bias) {
      const { value, grads } = tf.variableGrads(() => weightedSum(bn.forward(x)), [bn.weight, bn.bias]);
      value.dispose();
      out.push(grads[bn.weight.name], grads[bn.bias.name]);
    }
    out.push(bn.runningMean.clone(), bn.runningVar.clone());
    bn.dispose();
    return out;
  };
  // channels 1, 3, 6, 16, 100; a mean far from 0 (cancellation); [N, C] (BatchNorm1d)
  const cases = [
    { shape: [4, 5, 5, 3], affine: true }, { shape: [3, 6, 7, 16], affine: true }, { shape: [2, 3, 3, 6], affine: false },
    { shape: [8, 4, 4, 1], affine: true }, { shape: [50, 100], affine: true }, { shape: [7, 6], affine: true },
  ];
  test.each(cases)("$shape affine $affine: output, gradients and running stats vs the composition on cpu", async (c) => {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const data = values(n, 71).map((v, i) => 3 * v + (i % 5) + 20);
    const spy = jest.spyOn(tf.engine(), "runKernel");
    const e = await compare([{ shape: c.shape, data }], bnOutputs(c.shape, c.affine));
    const names = new Set(spy.mock.calls.map((call) => call[0]));
    spy.mockRestore();
    expect([names.has(BN_TRAIN), names.has(BN_GRAD)]).toEqual([true, true]);
    expect(e).toBeLessThan(2e-5);
    record("TsdlBatchNorm", e);
  });

  test("the same numbers on 1 or 2 threads (each chunk its own partial sums), flat tensors, and the composition when off", async () => {
    await tf.setBackend("wasm");
    const shape = [16, 24, 24, 16]; // 147,456 elements: 9 chunks
    const x = tf.tensor(values(147456, 72).map((v) => v + 1), shape);
    const run = (): Float32Array[] => {
      const before = tf.memory().numTensors;
      const ts = tf.tidy(() => bnOutputs(shape, true)(x));
      const out = ts.map((t) => t.dataSync() as Float32Array);
      tf.dispose(ts);
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const one = run();
    ownKernelTuning.flopsPerThread = 0;
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    const spy = threads ? jest.spyOn(threads, "run") : null;
    const two = run();
    if (spy) expect(spy.mock.results.some((r) => (r.value as number[]).length === 2)).toBe(true);
    spy?.mockRestore();
    two.forEach((t, i) => expect(Array.from(t)).toEqual(Array.from(one[i])));
    batchNormTuning.own = false;
    const composed = run();
    composed.forEach((t, i) => expect(relErr(one[i], t)).toBeLessThan(2e-5));
    x.dispose();
  });
});

describe("SGD's update in one kernel (TsdlSGDStep)", () => {
  afterEach(() => {
    sgdStepTuning.own = true;
    ownKernelTuning.flopsPerThread = DEFAULT_FLOPS_PER_THREAD;
  });
  const configs = [
    { lr: 0.1 },
    { lr: 0.01, momentum: 0.9 },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 },
    { lr: 0.02, momentum: 0.8, nesterov: true, weightDecay: 5e-4 },
  ];
  test.each(configs)("%j: bit-identical to the composed update over 3 steps (odd sizes, chunks on every thread)", async (cfg) => {
    await tf.setBackend("wasm");
    ownKernelTuning.flopsPerThread = 0;
    const shapes = [[37], [5, 7], [16400 * 2 + 3]]; // the last: 3 chunks of 16,384, the last partial
    const run = (own: boolean): number[][] => {
      sgdStepTuning.own = own;
      const ps = shapes.map((sh, i) => tf.tidy(() => tf.variable(tf.tensor(values(sh.reduce((a, b) => a * b, 1), 300 + i), sh), true, `p${i}`)));
      const opt = new SGD(ps, cfg);
      for (let step = 0; step < 3; step++) {
        const grads = Object.fromEntries(ps.map((p, i) => [p.name, tf.tensor(values(p.size, 400 + 10 * step + i), p.shape)]));
        opt.step(grads);
        tf.dispose(Object.values(grads));
      }
      const out = ps.map((p) => Array.from(p.dataSync()));
      tf.dispose(ps);
      opt.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    const spy = jest.spyOn(tf.engine(), "runKernel");
    const fused = run(true);
    expect(spy.mock.calls.filter((c) => c[0] === "TsdlSGDStep").length).toBe(9); // 3 parameters × 3 steps
    spy.mockRestore();
    const composed = run(false);
    expect(fused).toEqual(composed);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("the loader's uint8 batches built in the wasm heap (affineU8)", () => {
  afterEach(() => (loaderTuning.own = true));
  test.each([
    { shape: [28, 28, 1], n: 33, mean: [0.1307], std: [0.3081] },
    { shape: [32, 32, 3], n: 5, mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] },
    { shape: [3, 1, 5], n: 7, mean: [0.1, 0.2, 0.3, 0.4, 0.5], std: [1, 2, 3, 4, 5] }, // pattern of 20, odd total
    { shape: [1, 1, 1], n: 3, mean: [0.5], std: [2] },
    // on every thread from 125 K values: chunks of a multiple of the pattern (12 floats for 3 channels)
    { shape: [32, 32, 3], n: 61, mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261], threaded: true },
    { shape: [28, 28, 1], n: 300, mean: [0.1307], std: [0.3081], threaded: true },
  ])("$shape × $n: bit-identical to the JavaScript path, no tensor left behind", async (c) => {
    await tf.setBackend("wasm");
    const size = c.shape.reduce((a, b) => a * b, 1);
    const N = 50;
    const x = new Uint8Array(N * size).map((_, i) => (i * 37 + 11) % 256);
    const ds = new TensorDataset(x, new Int32Array(N).map((_, i) => i % 10), c.shape).toFloat().normalize(c.mean, c.std);
    const idx = Array.from({ length: c.n }, (_, i) => (i * 7 + 3) % N);
    const get = (own: boolean) => {
      loaderTuning.own = own;
      const b = ds.batch(idx);
      const r = { x: Array.from(b.x.dataSync()), y: Array.from(b.y.dataSync()), shape: b.x.shape };
      tf.dispose([b.x, b.y]);
      return r;
    };
    const before = tf.memory().numTensors;
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    const spy = threads ? jest.spyOn(threads, "run") : null;
    const own = get(true);
    if (spy && "threaded" in c) expect(spy).toHaveBeenCalled();
    spy?.mockRestore();
    expect(own).toEqual(get(false));
    expect(tf.memory().numTensors).toBe(before);
  });

  test("an index out of range: a clear error, no tensor left behind", async () => {
    await tf.setBackend("wasm");
    const ds = new TensorDataset(new Uint8Array(40), new Int32Array(10), [2, 2, 1]).toFloat();
    const before = tf.memory().numTensors;
    expect(() => ds.batch([1, 12])).toThrow(/index 12 out of range \[0, 10\)/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("pooling gradients (MaxPoolGrad exact with ties, AvgPoolGrad)", () => {
  const cases: Array<{ k: number; s: number; pad: "same" | "valid"; n: number; h: number; w: number; c: number }> = [];
  for (const k of [2, 3])
    for (const s of [1, 2])
      for (const pad of ["same", "valid"] as const) cases.push({ k, s, pad, n: 2, h: k === 2 ? 8 : 9, w: 7, c: 3 });
  cases.push({ k: 2, s: 2, pad: "valid", n: 4, h: 28, w: 28, c: 16 });
  cases.push({ k: 3, s: 3, pad: "same", n: 1, h: 10, w: 11, c: 2 });
  cases.push({ k: 2, s: 3, pad: "valid", n: 2, h: 10, w: 11, c: 3 }); // gaps between windows
  cases.push({ k: 1, s: 2, pad: "same", n: 2, h: 7, w: 6, c: 2 });
  cases.push({ k: 5, s: 1, pad: "valid", n: 3, h: 5, w: 5, c: 8 }); // a global pool (ResNet's head): one window
  // groups of 4 channels and a remainder (the own kernel's vector and scalar paths)
  cases.push({ k: 3, s: 2, pad: "same", n: 2, h: 9, w: 7, c: 6 });
  cases.push({ k: 2, s: 2, pad: "valid", n: 3, h: 6, w: 6, c: 9 });
  // the unrolled 2×2/2 MaxPoolGrad (channels a multiple of 4): odd sizes leave the last row/column in no
  // window; with "same" the last windows reach the padding (the general loops then)
  cases.push({ k: 2, s: 2, pad: "valid", n: 2, h: 9, w: 7, c: 8 });
  cases.push({ k: 2, s: 2, pad: "same", n: 2, h: 9, w: 7, c: 8 });
  cases.push({ k: 2, s: 2, pad: "same", n: 2, h: 6, w: 4, c: 12 });
  const maxCases = cases.flatMap((c) => [{ ...c, own: true }, { ...c, own: false }]);
  afterEach(() => (poolTuning.own = true));

  test.each(maxCases)("max k$k s$s $pad n$n $h×$w c$c own kernel: $own (integer inputs: ties)", async (c) => {
    poolTuning.own = c.own;
    const sz = c.n * c.h * c.w * c.c;
    const e = await compare([{ shape: [c.n, c.h, c.w, c.c], data: values(sz, c.k * 10 + c.s, true) }], (x) => {
      const f = (v: tf.Tensor) => weightedSum(tf.maxPool(v as tf.Tensor4D, c.k, c.s, c.pad));
      return [tf.maxPool(x as tf.Tensor4D, c.k, c.s, c.pad), tf.grad(f)(x)];
    });
    record("MaxPoolGrad", e);
  });

  test.each([
    { k: 2, s: 2, pad: "valid" as const, n: 5, h: 12, w: 10, c: 9 },
    { k: 3, s: 2, pad: "same" as const, n: 3, h: 9, w: 7, c: 6 },
    { k: 2, s: 2, pad: "valid" as const, n: 4, h: 8, w: 6, c: 8 }, // the unrolled MaxPool and MaxPoolGrad
  ].flatMap((c) => [{ ...c, pool: "max" as const }, { ...c, pool: "avg" as const }]))("$pool k$k s$s $pad n$n: the own kernel's samples shared by the threads (ties)", async (c) => {
    await tf.setBackend("wasm");
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    ownKernelTuning.flopsPerThread = 0;
    const spy = threads ? jest.spyOn(threads, "run") : null;
    try {
      const e = await compare([{ shape: [c.n, c.h, c.w, c.c], data: values(c.n * c.h * c.w * c.c, 77, true) }], (x) => [
        (c.pool === "max" ? tf.maxPool : tf.avgPool)(x as tf.Tensor4D, c.k, c.s, c.pad), tf.grad((v: tf.Tensor) => weightedSum((c.pool === "max" ? tf.maxPool : tf.avgPool)(v as tf.Tensor4D, c.k, c.s, c.pad)))(x)]);
      record(c.pool === "max" ? "MaxPoolGrad" : "AvgPoolGrad", e);
      // (overlapping average windows go to wasm's own kernel: no job)
      const shared = spy?.mock.results.some((r) => (r.value as number[]).length === 2 && (r.value as number[])[0] + (r.value as number[])[1] === c.n);
      if (spy) expect(shared).toBe(c.pool === "max" || c.k <= c.s);
    } finally {
      spy?.mockRestore();
      ownKernelTuning.flopsPerThread = DEFAULT_FLOPS_PER_THREAD;
    }
  });

  test("max, own kernel: a window wholly in the padding drops its gradient, like cpu", async () => {
    // 4×4 input padded to 8×8 (bottom/right), k 2 s 3: windows at rows/cols 6–7 lie wholly in the padding
    const attrs = { filterSize: [2, 2], strides: [3, 3], pad: [[0, 0], [0, 4], [0, 4], [0, 0]], dimRoundingMode: undefined };
    const e = await compare([{ shape: [1, 4, 4, 5], data: values(80, 90, true) }, { shape: [1, 3, 3, 5], data: values(45, 91) }], (x, dy) => {
      const y = tf.engine().runKernel("MaxPool", { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      return [tf.engine().runKernel("MaxPoolGrad", { dy, input: x, output: y }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor];
    });
    record("MaxPoolGrad", e);
  });

  test("max after relu: all-zero windows give their gradient to the first position", async () => {
    const e = await compare([{ shape: [2, 8, 8, 4], data: values(512, 5) }], (x) => {
      const f = (v: tf.Tensor) => weightedSum(tf.maxPool(tf.relu(v) as tf.Tensor4D, 2, 2, "valid"));
      return [tf.grad(f)(x)];
    });
    record("MaxPoolGrad", e);
  });

  test("a hand-checked tie: the whole gradient goes to the first maximum (row-major)", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor4d([1, 3, 3, 0, 3, 2, 0, 3], [1, 2, 4, 1]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, "valid")))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
    tf.dispose([x, g]);
  });

  test.each(maxCases)("avg k$k s$s $pad n$n $h×$w c$c, heap path for windows that do not overlap: $own", async (c) => {
    poolTuning.own = c.own;
    const sz = c.n * c.h * c.w * c.c;
    const e = await compare([{ shape: [c.n, c.h, c.w, c.c], data: values(sz, 40 + c.k) }], (x) => {
      const f = (v: tf.Tensor) => weightedSum(tf.avgPool(v as tf.Tensor4D, c.k, c.s, c.pad));
      return [tf.avgPool(x as tf.Tensor4D, c.k, c.s, c.pad), tf.grad(f)(x)];
    });
    record("AvgPoolGrad", e);
  });
});

describe("element-wise and reductions", () => {
  test("Tanh: values (incl. saturation) and gradient", async () => {
    const data = values(1000, 9).map((v, i) => (i % 10 === 0 ? v * 40 : v * 4));
    data[1] = 0;
    const e = await compare([{ shape: [10, 100], data }], (x) => [tf.tanh(x), tf.grad((v: tf.Tensor) => weightedSum(tf.tanh(v)))(x)]);
    // relative to max |value| (1 for tanh): an absolute error bound near saturation
    record("Tanh", e);
  });

  test.each([[true, false], [true, true], [false, false]])("Tanh, own SIMD kernel %s (chunks on every thread: %s): error vs Math.tanh over a dense sweep, specials, odd lengths", async (own, threaded) => {
    tanhTuning.own = own;
    if (threaded) ownKernelTuning.flopsPerThread = 0; // 48,010 elements: 3 chunks, the last one partial
    await tf.setBackend("wasm");
    const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
    const spy = threaded && threads ? jest.spyOn(threads, "run") : null;
    try {
      // a dense sweep of [-12, 12] (clamp at 7.9, tiny-x branch below 4e-4) plus ±0, ±∞, NaN, denormals
      const xs = Array.from({ length: 48001 }, (_, i) => -12 + i * 0.0005);
      xs.push(0, -0, Infinity, -Infinity, NaN, 1e-40, -3e-4, 3.9e-4, 4.1e-4);
      for (const len of [xs.length, 1, 2, 3, 5, 7]) {
        const x = tf.tensor1d(xs.slice(0, len));
        const got = tf.tanh(x).dataSync();
        x.dispose();
        let [rel, abs] = [0, 0];
        for (let i = 0; i < len; i++) {
          const want = Math.fround(Math.tanh(Math.fround(xs[i])));
          if (Number.isNaN(want)) {
            expect(got[i]).toBeNaN();
            continue;
          }
          abs = Math.max(abs, Math.abs(got[i] - want));
          rel = Math.max(rel, Math.abs(got[i] - want) / Math.max(Math.abs(want), 1e-30));
        }
        // the own kernel: a few ulps everywhere; 2·sigmoid(2x) − 1 cancels near 0 (absolute error only)
        if (own) expect(rel).toBeLessThan(1e-6);
        expect(abs).toBeLessThan(1e-6);
        if (len === xs.length && own) record("Tanh", rel);
      }
      // the full sweep's 3 chunks went to both threads
      if (spy) expect(spy.mock.results.some((r) => (r.value as number[]).length === 2 && (r.value as number[])[0] + (r.value as number[])[1] === 3)).toBe(true);
    } finally {
      spy?.mockRestore();
      tanhTuning.own = true;
      ownKernelTuning.flopsPerThread = DEFAULT_FLOPS_PER_THREAD;
    }
  });

  test("Cast to the same dtype shares the data (and survives its source); to bool x ≠ 0 (as cpu); to int32 as wasm's", async () => {
    await tf.setBackend("wasm");
    const a = tf.tensor1d([1.5, -2, 3]);
    const same = tf.cast(a, "float32");
    const toInt = tf.cast(a, "int32");
    const toBool = tf.cast(tf.tensor1d([0, 2, 0.5, -1, NaN]), "bool");
    const ints = tf.cast(tf.tensor1d([1, 2], "int32"), "int32");
    const be = tf.backend() as unknown as BackendWasm;
    expect(be.dataIdMap.get(same.dataId).memoryOffset).toBe(be.dataIdMap.get(a.dataId).memoryOffset);
    a.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2, 3]);
    expect(Array.from(toInt.dataSync())).toEqual([1, -2, 3]);
    expect(Array.from(toBool.dataSync())).toEqual([0, 1, 1, 1, 1]);
    expect(Array.from(ints.dataSync())).toEqual([1, 2]);
    tf.dispose([same, toInt, toBool, ints]);
  });

  test("Identity shares the data and survives disposing its source", async () => {
    await tf.setBackend("wasm");
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    const c = tf.engine().runKernel("Identity", { x: a }) as tf.Tensor;
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    const e = await compare([{ shape: [4, 5], data: values(20, 2) }], (x) => [tf.clone(x), tf.grad((v: tf.Tensor) => weightedSum(tf.clone(tf.mul(v, v))))(x)]);
    record("Identity", e);
  });

  test.each([
    { shape: [128, 10], axis: [0], keepDims: false },
    { shape: [70, 3, 4], axis: [0, 1], keepDims: true },
    { shape: [70, 3, 4], axis: [1], keepDims: false }, // not leading: original kernel
    { shape: [10, 5], axis: [0], keepDims: false }, // few rows: original kernel
    { shape: [32, 12, 12, 64], axis: [0, 1, 2], keepDims: false }, // a conv bias gradient
  ])("Sum and Mean $shape axis $axis keepDims $keepDims, and their gradients", async ({ shape, axis, keepDims }) => {
    const e = await compare([{ shape, data: values(shape.reduce((p, q) => p * q), 17) }], (x) => [
      tf.sum(x, axis, keepDims),
      tf.mean(x, axis, keepDims),
      tf.grad((v: tf.Tensor) => weightedSum(tf.mean(v, axis, keepDims)))(x),
    ]);
    record("Sum/Mean", e);
  });

  test("batch-norm statistics (tf.moments over N, H, W)", async () => {
    const e = await compare([{ shape: [32, 10, 10, 8], data: values(25600, 18) }], (x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return [mean, variance];
    });
    record("Sum/Mean", e);
  });
});

describe("PadV2 (heap copy) vs cpu", () => {
  test.each([
    { shape: [256, 28, 28, 1], paddings: [[0, 0], [2, 2], [2, 2], [0, 0]], value: 0 }, // LeNet C1
    { shape: [4, 10, 10, 16], paddings: [[0, 0], [4, 4], [4, 4], [0, 0]], value: 0 }, // a dx's padded dy
    { shape: [2, 3, 5, 4], paddings: [[1, 0], [0, 2], [3, 1], [0, 1]], value: -1.5 }, // every axis, asymmetric
    { shape: [3, 4, 5], paddings: [[0, 0], [0, 0], [2, 3]], value: 7 },
    { shape: [6, 5], paddings: [[2, 1], [0, 0]], value: 0.25 }, // outer axis only: x is one run
    { shape: [7], paddings: [[3, 0]], value: 2 },
    { shape: [2, 3, 4], paddings: [[0, 0], [0, 0], [0, 0]], value: 5 }, // no padding: a copy
    { shape: [2, 0, 3], paddings: [[1, 0], [1, 1], [0, 2]], value: 3 }, // empty x: all constant
  ])("$shape paddings $paddings value $value", async ({ shape, paddings, value }) => {
    const data = values(Math.max(1, shape.reduce((p, q) => p * q, 1)), 23).subarray(0, shape.reduce((p, q) => p * q, 1));
    const pads = paddings as Array<[number, number]>;
    expect(await compare([{ shape, data }], (x) => [tf.pad(x, pads, value)])).toBe(0); // a copy: exact
    // the gradient (a slice of the cotangent, whose sin() differs by an ulp between backends)
    record("PadV2", await compare([{ shape, data }], (x) => [tf.grad((v: tf.Tensor) => weightedSum(tf.pad(v, pads, value)))(x)]));
    // int32 too (through the same kernel)
    await tf.setBackend("wasm");
    const xi = tf.tensor(Array.from(data, (v) => Math.round(v * 100)), shape, "int32");
    const got = tf.tidy(() => tf.pad(xi, pads, value).arraySync());
    await tf.setBackend("cpu");
    const xc = tf.tensor(Array.from(data, (v) => Math.round(v * 100)), shape, "int32");
    expect(got).toEqual(tf.tidy(() => tf.pad(xc, pads, value).arraySync()));
    xc.dispose();
    await tf.setBackend("wasm");
    xi.dispose();
  });

  test("same values as wasm's original PadV2, no tensor left behind", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor(values(2 * 9 * 9 * 3, 5), [2, 9, 9, 3]);
    const pads: Array<[number, number]> = [[0, 0], [1, 2], [3, 0], [0, 0]];
    const run = (own: boolean) => {
      padTuning.own = own;
      return tf.tidy(() => Array.from(tf.pad(x, pads, 0.5).dataSync()));
    };
    const before = tf.memory().numTensors;
    try {
      expect(run(true)).toEqual(run(false));
    } finally {
      padTuning.own = true;
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe("transposes as the composed kernels do them", () => {
  test("canonicalPermutation drops size-1 axes and merges axes that stay adjacent", () => {
    expect(canonicalPermutation([64, 26, 26, 32], [3, 1, 2, 0])).toEqual([[64, 676, 32], [2, 1, 0]]);
    expect(canonicalPermutation([2, 3, 4, 5, 6, 7], [2, 3, 0, 4, 1, 5])).toEqual([[2, 3, 20, 6, 7], [2, 0, 3, 1, 4]]);
    expect(canonicalPermutation([5, 1, 3], [2, 1, 0])).toEqual([[5, 3], [1, 0]]);
    expect(canonicalPermutation([4, 5, 6], [0, 1, 2])).toEqual([[120], [0]]);
  });

  test.each([
    { shape: [4096, 64], perm: [1, 0] }, // 4 KiB output stride: padded against cache aliasing
    { shape: [2, 9216, 32], perm: [0, 2, 1] },
    { shape: [1024, 3, 64], perm: [2, 1, 0] },
    { shape: [8, 1024, 32], perm: [1, 0, 2] },
    { shape: [64, 9, 9, 8], perm: [3, 1, 2, 0] },
    { shape: [9, 1], perm: [1, 0] }, // a free reshape
  ])("Ops.transpose $shape $perm equals wasm's Transpose", async ({ shape, perm }) => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as BackendWasm;
    const x = tf.tensor(values(shape.reduce((p, q) => p * q), 3), shape);
    const want = tf.transpose(x, perm);
    const o = new Ops(backend);
    const got = o.out(o.transpose(x, perm));
    o.dispose();
    expect(got.shape).toEqual(want.shape);
    const g = backend.readSync(got.dataId) as Float32Array;
    const w = want.dataSync();
    let mismatches = g.length === w.length ? 0 : -1;
    for (let i = 0; i < w.length; i++) if (g[i] !== w[i]) mismatches++;
    expect(mismatches).toBe(0);
    backend.disposeData(got.dataId);
    tf.dispose([x, want]);
  });
});

describe("classification losses in one kernel forward and one backward (TsdlSoftmaxCrossEntropy, TsdlNllLoss)", () => {
  afterEach(() => {
    lossTuning.own = true;
  });
  // labels out of range (−1, C) give a row 0 loss and 0 gradient, as the composition's all-zero one-hot row;
  // logits far apart (±80: exp overflows without the max subtracted), a NaN row, one sample, 1000 classes
  const cases = [
    { n: 7, c: 5, labels: [0, 4, 2, 5, -1, 3, 1] },
    { n: 300, c: 10 },
    { n: 1, c: 2, labels: [1] },
    { n: 16, c: 1000 },
    { n: 4, c: 3, labels: [2, 0, 1, 1], big: true },
    { n: 5, c: 4, labels: [3, 1, 0, 2, 1], nan: true },
  ];
  test.each(cases)("[$n, $c]: value and gradient (dy = 3) vs the composition on cpu, one kernel each way on wasm", async (c) => {
    const x = values(c.n * c.c, 71).map((v, i) => (c.big ? (i % 2 ? 80 : -80) + v : 4 * v));
    if (c.nan) x[6] = NaN; // row 1
    const labels = Int32Array.from(c.labels ?? Array.from({ length: c.n }, (_, i) => (i * 7) % c.c));
    for (const [name, loss, kernel] of [["crossEntropy", crossEntropy, SOFTMAX_CE], ["nllLoss", nllLoss, NLL]] as const) {
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const spy = jest.spyOn(tf.engine(), "runKernel");
        const n0 = tf.memory().numTensors;
        const [v, g] = tf.tidy(() => {
          const y = tf.tensor1d(labels, "int32");
          const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.mul(loss(t, y as tf.Tensor1D), 3))(tf.tensor(x, [c.n, c.c]));
          return [value, grad];
        });
        const kernels = spy.mock.calls.map((call) => call[0]);
        spy.mockRestore();
        const out = { v: v.dataSync()[0], g: g.dataSync() as Float32Array, kernels };
        tf.dispose([v, g]);
        expect(tf.memory().numTensors).toBe(n0);
        return out;
      };
      const got = await run("wasm");
      expect(got.kernels).toContain(kernel);
      expect(got.kernels).toContain(`${kernel}Grad`);
      expect(got.kernels).not.toContain("OneHot");
      const want = await run("cpu");
      await tf.setBackend("wasm");
      expect(want.kernels).not.toContain(kernel);
      if (c.nan) {
        // cross-entropy: NaN on both sides. nllLoss picks x[row, label] as torch's gather does, so a NaN
        // elsewhere in a row leaves it finite (the composition's one-hot product, 0·NaN, made it NaN)
        if (name === "nllLoss") {
          const picked = Array.from(labels, (l, i) => x[i * c.c + l]);
          expect(got.v).toBeCloseTo((-3 * picked.reduce((a, b) => a + b, 0)) / c.n, 5);
        } else expect([got.v, want.v].map(Number.isNaN)).toEqual([true, true]);
        // the NaN row's gradient is NaN on both sides (cross-entropy), the others agree
        expect(Array.from(got.g).map(Number.isNaN)).toEqual(Array.from(want.g).map(Number.isNaN));
        const finite = (a: Float32Array) => a.map((v) => (Number.isNaN(v) ? 0 : v));
        expect(relErr(finite(got.g), finite(want.g))).toBeLessThan(1e-5);
        continue;
      }
      expect(Math.abs(got.v - want.v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.v)));
      const e = relErr(got.g, want.g);
      expect(e).toBeLessThan(1e-5);
      record(`${kernel} (gradient)`, e);
    }
  });

  test("the knob off composes the loss of tf ops on wasm too (same values)", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor(values(40, 72), [8, 5]);
    const y = tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 9], "int32");
    const a = crossEntropy(x, y);
    lossTuning.own = false;
    const spy = jest.spyOn(tf.engine(), "runKernel");
    const b = crossEntropy(x, y);
    expect(spy.mock.calls.map((call) => call[0])).not.toContain(SOFTMAX_CE);
    spy.mockRestore();
    expect(Math.abs(a.dataSync()[0] - b.dataSync()[0])).toBeLessThan(1e-6);
    tf.dispose([x, y, a, b]);
  });
});

test("no wasm buffer leaks inside the composed kernels", async () => {
  await tf.setBackend("wasm");
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const x = tf.tensor4d(values(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]);
  const w = tf.tensor4d(values(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
  const step = () =>
    tf.tidy(() => {
      const f = (a: tf.Tensor, b: tf.Tensor) => {
        const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same");
        const p = tf.add(tf.maxPool(y, 3, 2, "same"), tf.avgPool(y, 2, 2, "same"));
        return weightedSum(tf.tanh(tf.matMul(tf.reshape(p, [2, -1]), tf.reshape(p, [2, -1]), false, true)));
      };
      return tf.grads(f)([x, w]);
    });
  tf.dispose(step());
  const before = [tf.memory().numTensors, backend.numDataIds()];
  for (let i = 0; i < 3; i++) tf.dispose(step());
  expect([tf.memory().numTensors, backend.numDataIds()]).toEqual(before);
  tf.dispose([x, w]);
});
