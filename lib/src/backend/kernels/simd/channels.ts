// Drivers of the per-channel passes (./channels-wat.ts) over NHWC float32 tensors, chunks shared by the
// threads: per-channel sums (each chunk its own partial sums, added here in float64: the same result for
// any thread count) and the per-channel affine pass.
import { type Ops, type TensorInfo, size } from "../util";
import { ELEMENT_CHUNK, MEMORY_PASS_OPS, type OwnExports, type WasmModule, lcm, loaded, offsetOf, pickThreads, runJob } from "./runtime";
import { Slot } from "./workers";

/**
 * Floats per period of `c` channels: a multiple of lcm(c, 4) (whole vectors) of at least 64, so that a
 * per-channel sum is read back 16 vectors after its last store (a period of 16 floats, read back every 4
 * vectors, held a pass over CIFAR's 16 channels at 0.9 instead of 0.7 ms).
 */
export function channelPeriod(c: number): number {
  const whole = lcm(c, 4);
  return whole * Math.ceil(64 / whole);
}

/** Elements per chunk: a multiple of the period (a chunk's lane j is channel j mod c). */
export const chunkOf = (P: number) => Math.ceil(ELEMENT_CHUNK / P) * P;

/**
 * Per-channel sums from the chunks' partial sums at `at` (chunk b, part p: P floats at (b·parts + p)·P),
 * added in float64 in chunk order: the same result whichever thread took which chunk. [parts·c].
 */
export function foldChunkSums(heap: ArrayBufferLike, at: number, P: number, chunks: number, parts: number, c: number): Float64Array {
  const out = new Float64Array(parts * c);
  const sums = new Float32Array(heap, at, parts * P * chunks);
  for (let b = 0; b < chunks; b++)
    for (let p = 0; p < parts; p++)
      for (let j = 0; j < P; j++) out[p * c + (j % c)] += sums[(b * parts + p) * P + j];
  return out;
}

/** Per-channel values expanded to a period of P floats, in a malloc'd block at `at`. */
function expand(heap: ArrayBufferLike, at: number, values: ArrayLike<number>, P: number): void {
  const c = values.length;
  const dst = new Float32Array(heap, at, P);
  for (let j = 0; j < P; j++) dst[j] = values[j % c];
}

export type SumMode = "sum" | "squaredDeviation" | "sumAndProduct";

/**
 * Per-channel sums over every axis but the last of `u` (c channels), in float64 from float32 chunk sums:
 *   "sum": Σ u;  "squaredDeviation": Σ (u − m)²;  "sumAndProduct": [Σ u, Σ u·(v − m)] (2c values).
 */
export function channelSums(o: Ops, k: OwnExports, u: TensorInfo, mode: SumMode, m: ArrayLike<number> | null = null,
  v: TensorInfo | null = null): Float64Array {
  const c = u.shape[u.shape.length - 1];
  const n = size(u.shape);
  const parts = mode === "sumAndProduct" ? 2 : 1;
  if (n === 0) return new Float64Array(parts * c);
  const P = channelPeriod(c);
  const chunk = chunkOf(P);
  const chunks = Math.ceil(n / chunk);
  const mod = o.backend.wasm as unknown as WasmModule;
  const { memory, threads } = loaded(o.backend);
  const block = mod._malloc(4 * P * (1 + parts * chunks));
  try {
    if (m) expand(memory.buffer, block, m, P);
    const acc = block + 4 * P;
    const modeId = { sum: 0, squaredDeviation: 1, sumAndProduct: 2 }[mode];
    runJob(k, threads, pickThreads(threads, chunks, MEMORY_PASS_OPS * n), [[Slot.KIND, 11], [Slot.N, chunks], [Slot.OW, chunk],
      [Slot.M, n], [Slot.DY, offsetOf(o, u)], [Slot.X, v ? offsetOf(o, v) : offsetOf(o, u)],
      ...[4 * P, modeId, block, acc].map((x, i): [number, number] => [Slot.P + i, x])], () => []);
    return foldChunkSums(memory.buffer, acc, P, chunks, parts, c);
  } finally {
    mod._free(block);
  }
}

/**
 * out = a·u + b·(v − m) + c per channel (u null: b·(v − m) + c), float32, the shape of `v`; a, b, c, m
 * per-channel values (rounded to float32).
 */
export function channelAffine(o: Ops, k: OwnExports, u: TensorInfo | null, v: TensorInfo, a: ArrayLike<number> | null,
  b: ArrayLike<number>, c: ArrayLike<number>, m: ArrayLike<number>): TensorInfo {
  const out = o.track(o.backend.makeOutput(v.shape, "float32"));
  const n = size(v.shape);
  if (n === 0) return out;
  const P = channelPeriod(v.shape[v.shape.length - 1]);
  const chunk = chunkOf(P);
  const chunks = Math.ceil(n / chunk);
  const mod = o.backend.wasm as unknown as WasmModule;
  const { memory, threads } = loaded(o.backend);
  const block = mod._malloc(16 * P);
  try {
    [a ?? b, b, c, m].forEach((vals, i) => expand(memory.buffer, block + 4 * P * i, vals, P));
    runJob(k, threads, pickThreads(threads, chunks, MEMORY_PASS_OPS * n), [[Slot.KIND, 12], [Slot.N, chunks], [Slot.OW, chunk],
      [Slot.M, n], [Slot.DY, offsetOf(o, u ?? v)], [Slot.X, offsetOf(o, v)],
      ...[4 * P, block, block + 4 * P, block + 8 * P, block + 12 * P, offsetOf(o, out), u ? 1 : 0]
        .map((x, i): [number, number] => [Slot.P + i, x])], () => []);
  } finally {
    mod._free(block);
  }
  return out;
}
