// The loader's batches on wasm, built in the wasm heap: the uint8 rows of the sampled images are copied
// into a reused heap buffer (native memcpy), then affineU8 (./affine-wat.ts), on every thread, writes the
// float32 tensor in place — no JavaScript pass over the values, no float32 staging array copied in.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "../../tf";
import { MEMORY_PASS_OPS, lcm, loaded, pickThreads, runJob, simdKernels } from "./runtime";
import { chunkOf } from "./channels";
import { Slot } from "./workers";

interface Heap {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}

/** The reused uint8 staging buffer of a backend (grown as needed). */
const staging = new WeakMap<object, { ptr: number; bytes: number }>();

function stagingFor(mod: Heap, bytes: number): number {
  const s = staging.get(mod);
  if (s && s.bytes >= bytes) return s.ptr;
  if (s) mod._free(s.ptr);
  const ptr = mod._malloc(bytes);
  staging.set(mod, { ptr, bytes });
  return ptr;
}

/**
 * The float32 tensor [n, ...sampleShape] of rows `indices` of `src` (uint8, `size` values per sample),
 * each value raw·scale[ch] + shift[ch] (ch = index mod channels) — or null when the backend is not wasm or
 * the own kernels are unavailable (the caller then builds it in JavaScript; same values).
 */
export function u8BatchOnWasm(src: Uint8Array, size: number, indices: ArrayLike<number>, sampleShape: number[],
  scale: ArrayLike<number>, shift: ArrayLike<number>, length: number): tf.Tensor | null {
  if (!loaderTuning.own || tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as unknown as BackendWasm;
  const k = simdKernels(backend);
  if (k instanceof Error) return null;
  const mod = backend.wasm as unknown as Heap;
  const { threads } = loaded(backend);
  const n = indices.length;
  const c = scale.length;
  const p = lcm(c, 4);
  const out = backend.makeOutput([n, ...sampleShape], "float32");
  const t = tf.engine().makeTensorFromTensorInfo(out);
  if (n * size === 0) return t;
  try {
    const u8 = stagingFor(mod, n * size);
    const pattern = mod._malloc(16 * p);
    try {
      // views after the mallocs (a growing memory detaches earlier views)
      let heap = mod.HEAPU8;
      for (let i = 0; i < n; i++) {
        const j = indices[i];
        if (!(j >= 0 && j < length)) throw new Error(`gather: index ${j} out of range [0, ${length}).`);
        heap.set(src.subarray(j * size, j * size + size), u8 + i * size);
      }
      heap = mod.HEAPU8;
      const f = new Float64Array(heap.buffer, pattern, 2 * p);
      for (let q = 0; q < p; q++) {
        f[q] = scale[q % c];
        f[p + q] = shift[q % c];
      }
      const dst = backend.dataIdMap.get(out.dataId).memoryOffset;
      // on every thread (the workers idle between steps): chunks start on the pattern's period. Twice a
      // memory pass's work declared: the float64 math costs as much as the traffic (a second thread from
      // 125 K values: the MLP's batch of 300 × 784, 0.11 ms on one)
      const m = n * size;
      const chunk = chunkOf(p);
      const chunks = Math.ceil(m / chunk);
      runJob(k, threads, pickThreads(threads, chunks, 2 * MEMORY_PASS_OPS * m), [[Slot.KIND, 13], [Slot.N, chunks], [Slot.OW, chunk],
        [Slot.M, m], [Slot.X, u8], [Slot.DY, dst], [Slot.P, pattern], [Slot.P + 1, pattern + 8 * p], [Slot.P + 2, p]], () => []);
    } finally {
      mod._free(pattern);
    }
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t;
}

/** Knob for tests and scripts/bench: `own` false builds every batch in JavaScript. */
export const loaderTuning = { own: true };
