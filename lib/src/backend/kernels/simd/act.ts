// Driver of the own activation gradient (./act-wat.ts): chunks shared by the threads, each chunk summing
// its part of the bias gradient apart (added here in float64).
import { type Ops, type TensorInfo, size } from "../util";
import { MEMORY_PASS_OPS, type OwnExports, type WasmModule, loaded, offsetOf, pickThreads, runJob } from "./runtime";
import { Slot } from "./workers";
import { channelPeriod, chunkOf, foldChunkSums } from "./channels";

export type GradActivation = "relu" | "tanh";

/**
 * d = dy · act'(from y), float32 (see ./act-wat.ts), and with `bias` the bias gradient db [c] = Σ d over
 * every axis but the last (c channels): [d] or [d, db].
 */
export function actGradOwn(o: Ops, k: OwnExports, dy: TensorInfo, y: TensorInfo, act: GradActivation, bias: boolean): TensorInfo[] {
  const d = o.track(o.backend.makeOutput(dy.shape, "float32"));
  const c = dy.shape.length ? dy.shape[dy.shape.length - 1] : 1;
  const n = size(dy.shape);
  if (n === 0 || c === 0) return bias ? [d, o.filled([c], 0)] : [d];
  const P = bias ? channelPeriod(c) : 4;
  const chunk = chunkOf(P); // chunks start at a multiple of P: a sum's lane is the element's index mod P
  const chunks = Math.ceil(n / chunk);
  const mod = o.backend.wasm as unknown as WasmModule;
  const { memory, threads } = loaded(o.backend);
  const accs = bias ? mod._malloc(4 * P * chunks) : 0;
  try {
    runJob(k, threads, pickThreads(threads, chunks, MEMORY_PASS_OPS * n), [[Slot.KIND, 10], [Slot.N, chunks], [Slot.OW, chunk],
      [Slot.M, n], [Slot.DY, offsetOf(o, dy)], [Slot.X, offsetOf(o, y)], [Slot.OFFS, offsetOf(o, d)],
      [Slot.P, act === "tanh" ? 1 : 0], [Slot.P + 1, bias ? 4 * P : 0], [Slot.P + 2, accs]], () => []);
    return bias ? [d, o.fromValues([c], foldChunkSums(memory.buffer, accs, P, chunks, 1, c))] : [d];
  } finally {
    if (accs) mod._free(accs);
  }
}
