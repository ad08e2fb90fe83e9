// Matrix products on wasm.
//  - First choice for float32 products of batch 1 (ownProduct below): the native BLAS when init() loaded one
//    (./blas-gemm.ts: OpenBLAS or Accelerate, 4–5× wasm's rate per core), else tsdl's own GEMM.
//  - Only the untransposed BatchMatMul / _FusedMatMul take XNNPACK's GEMM path; with transposeA/transposeB
//    wasm 4.22 runs a naive triple loop. Transposing first is exact and much faster. Two ways, the cheaper
//    one is taken (XNNPACK packs `b` on each new tensor, and big transposes are not free either):
//      direct:   op(A) · op(B)                 transposes A if tA, B if tB; packs op(B)  (K·N)
//      swapped: (op(B)ᵀ · op(A)ᵀ)ᵀ             transposes B if !tB, A if !tA, the output; packs op(A)ᵀ (K·M)
//    e.g. dx = dy · Wᵀ with a big W: swapped transposes dy and the output instead of W.
//  - tfjs-backend-wasm 4.22 bug: the XNNPACK operator is cached by the id of `b`'s data, and a reshape
//    shares the data id. The same data used as `b` with another shape (w and reshape(w, ...)) then runs
//    with the first shape's packed weights: wrong results, no error. Every call goes through weightsFor(),
//    which copies `b` when its data was already used with another shape.
import { simdKernels } from "./simd";
import { matMulOwn } from "./simd/gemm";
import { activeBlas, matMulBlas } from "./blas-gemm";
import { type KernelArgs, type Ops, type Replacement, type TensorInfo, size, withOps } from "./util";

/** Knob for tests and scripts/bench: `own` false leaves every product to XNNPACK (as below). */
export const matMulTuning = { own: true };

/**
 * One float32 product (batch 1) with bias [N] and linear/relu on the native BLAS (matMulBlas), or on the
 * own GEMM (./simd matMulOwn): it
 * reads transposed operands in place and packs the weights itself, where XNNPACK's path transposes
 * them and repacks a new weight tensor on every step (W [9216, 128]: 7.5 ms forward vs 2 ms cached).
 */
function ownProduct(o: Ops, kernel: Kernel, args: KernelArgs, tA: boolean, tB: boolean, m: number, n: number): TensorInfo | null {
  const { inputs } = args;
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const bias = inputs.bias as TensorInfo | undefined;
  const act = kernel === "_FusedMatMul" ? (args.attrs as { activation?: string }).activation ?? "linear" : "linear";
  if (!matMulTuning.own || inputs.preluActivationWeights || (act !== "linear" && act !== "relu")) return null;
  if (size(a.shape.slice(0, -2)) !== 1 || size(b.shape.slice(0, -2)) !== 1) return null;
  if (bias && (bias.dtype !== "float32" || size(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n)) return null;
  const blas = activeBlas();
  const batch = (a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2);
  if (blas) return o.reshape(matMulBlas(o, blas, a, b, tA, tB, bias, act === "relu"), [...batch, m, n]);
  // (A read transposed with a row stride that is a multiple of 2 KB puts a tile's rows in a few L1 sets:
  // fc1's dW, M = 9216, 3.1 ms — still ahead of XNNPACK's 4.2 ms on its one-thread pool, see select.ts)
  const k = simdKernels(o.backend);
  if (k instanceof Error) return null;
  const c = matMulOwn(o, k, a, b, tA, tB, bias, act === "relu");
  return o.reshape(c, [...batch, m, n]);
}

function swapLast2(o: Ops, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return o.transpose(x, perm);
}

type Kernel = "BatchMatMul" | "_FusedMatMul";
/** data id → the [K, N] it was first used with as `b` (weak: forgotten with the tensor). */
const seen: Record<Kernel, WeakMap<object, string>> = { BatchMatMul: new WeakMap(), _FusedMatMul: new WeakMap() };

/** `b` itself, or a copy when its data id was already used by `kernel` with another inner shape. */
export function weightsFor(o: Ops, kernel: Kernel, b: TensorInfo): TensorInfo {
  const key = b.shape.slice(-2).join("x");
  const prev = seen[kernel].get(b.dataId);
  if (prev === undefined) {
    seen[kernel].set(b.dataId, key);
    return b;
  }
  if (prev === key) return b;
  const copy = o.orig("Identity", { x: b });
  seen[kernel].set(copy.dataId, key);
  return copy;
}

function untransposed(kernel: Kernel): Replacement {
  return (args: KernelArgs, original) => {
    const { inputs, attrs, backend } = args;
    const at = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    if (!original) throw new Error(`tsdl: no wasm ${kernel}`);
    if (a.dtype !== "float32" || b.dtype !== "float32") return original({ inputs, attrs, backend });
    const tA = !!at.transposeA;
    const tB = !!at.transposeB;
    const plain = { ...attrs, transposeA: false, transposeB: false };
    const ra = a.shape.length;
    const rb = b.shape.length;
    const [m, k] = tA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
    const n = tB ? b.shape[rb - 2] : b.shape[rb - 1];
    const own = withOps(backend, (o) => {
      const c = ownProduct(o, kernel, args, tA, tB, m, n);
      return c && o.out(c);
    });
    if (own) return own;
    const direct = (tA ? m * k : 0) + (tB ? k * n : 0) + k * n;
    const swapped = (tB ? 0 : k * n) + (tA ? 0 : m * k) + m * k + m * n;
    // _FusedMatMul's bias / activation apply to the output as it is: the swapped form is for BatchMatMul
    const swap = kernel === "BatchMatMul" && (tA || tB) && swapped < direct;
    return withOps(backend, (o) => {
      if (swap) {
        const x = tB ? b : swapLast2(o, b); // op(B)ᵀ  [.., N, K]
        const w = weightsFor(o, kernel, tA ? a : swapLast2(o, a)); // op(A)ᵀ  [.., K, M]
        return o.out(swapLast2(o, o.orig(kernel, { a: x, b: w }, plain)));
      }
      // (wasm's _FusedMatMul reads rank-3 shapes; tsdl's Linear gives it rank 2 on this backend)
      const flat = kernel === "_FusedMatMul" && ra === 2 && rb === 2;
      const a2 = tA ? swapLast2(o, a) : a;
      const b2 = weightsFor(o, kernel, tB ? swapLast2(o, b) : b);
      const r3 = (t: TensorInfo) => (flat ? o.reshape(t, [1, ...t.shape]) : t);
      const c = o.orig(kernel, { ...inputs, a: r3(a2), b: r3(b2) }, plain);
      return o.out(flat ? o.reshape(c, [m, n]) : c);
    });
  };
}

export const batchMatMul = untransposed("BatchMatMul");
export const fusedMatMul = untransposed("_FusedMatMul");
