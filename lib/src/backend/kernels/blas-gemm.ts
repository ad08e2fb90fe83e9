// Matrix products on the native BLAS (../blas.ts), reading and writing the wasm heap in place.
import type { Blas } from "../blas";
import { kernelThreads } from "./simd/runtime";
import { type Ops, type TensorInfo } from "./util";

/** The BLAS the wasm products use (set by init when one loads); `use` false (tests, scripts/bench) skips it. */
export const blasTuning: { blas: Blas | null; use: boolean } = { blas: null, use: true };

/** The BLAS to run a product on, or null (none loaded, or switched off). */
export function activeBlas(): Blas | null {
  return blasTuning.use ? blasTuning.blas : null;
}

/**
 * C [M, N] = op(A)·op(B) (+ bias [N], then relu), float32, batch 1, with `a` [M, K] (or [K, M] when tA) and
 * `b` [K, N] (or [N, K] when tB) read in place: the BLAS takes the transposes itself. The bias is written
 * into C first, then added by the product (beta = 1).
 */
export function matMulBlas(o: Ops, blas: Blas, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean,
  bias?: TensorInfo, relu = false): TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [M, K] = tA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const N = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  const out = o.track(o.backend.makeOutput([M, N], "float32"));
  if (M * N === 0) return out;
  // views taken after makeOutput (a growing heap replaces the buffer of the single-threaded build)
  const c = o.backend.typedArrayFromHeap(out) as Float32Array;
  let beta = 0;
  if (bias) {
    c.set((o.backend.typedArrayFromHeap(bias) as Float32Array).subarray(0, N));
    for (let rows = 1; rows < M; rows *= 2) c.copyWithin(rows * N, 0, Math.min(rows, M - rows) * N);
    beta = 1;
  } else if (K === 0) c.fill(0);
  if (K > 0) {
    const av = o.backend.typedArrayFromHeap(a) as Float32Array;
    const bv = o.backend.typedArrayFromHeap(b) as Float32Array;
    if (blas.threads > 1) kernelThreads(o.backend)?.park();
    blas.sgemm(tA, tB, M, N, K, 1, av, tA ? M : K, bv, tB ? K : N, beta, c, N);
  }
  return relu ? o.run("Relu", { x: out }) : out;
}
