// Driver of the own activation gradient (./act-wat.ts): chunks shared by the threads, each chunk summing
// its part of the bias gradient apart (added here in float64).
import { type Ops, type TensorInfo, size } from "../util";
import { ELEMENT_CHUNK, MEMORY_PASS_OPS, type OwnExports, type WasmModule, loaded, offsetOf, pickThreads, runJob } from "./runtime";
import { Slot } from "./workers";
import { channelPeriod } from "./channels";

export type GradActivation = "relu" | "tanh";

/**
 * d = dy · act'(from y), float32 (see ./act-wat.ts), and with `bias` the bias gradient db [c] = Σ d over
 * every axis but the last (c channels): [d] or [d, db].
 */
export function actGradOwn(o: Ops, k: OwnExports, dy: TensorInfo, y: TensorInfo, act: GradActivation, bias: boolean): TensorInfo[] {
  const d = o.track(o.backend.makeOutput(dy.shape, "float32"));
  const c = dy.shape.length ? dy.shape[dy.shape.length - 1] : 1;
  const db = bias ? o.track(o.backend.makeOutput([c], "float32")) : null;
  const n = size(dy.shape);
  const outs = db ? [d, db] : [d];
  const mod = o.backend.wasm as unknown as WasmModule;
  const { memory, threads } = loaded(o.backend);
  const P = bias ? channelPeriod(c) : 4;
  if (n === 0 || c === 0) {
    if (db) new Float32Array(memory.buffer, offsetOf(o, db), c).fill(0);
    return outs;
  }
  const chunk = Math.ceil(ELEMENT_CHUNK / P) * P; // chunks start at a multiple of P: acc index = element mod P
  const chunks = Math.ceil(n / chunk);
  const picked = pickThreads(threads, chunks, MEMORY_PASS_OPS * n);
  const accs = bias ? mod._malloc(4 * P * chunks) : 0;
  try {
    runJob(k, threads, picked, [[Slot.KIND, 10], [Slot.N, chunks], [Slot.OW, chunk], [Slot.M, n], [Slot.DY, offsetOf(o, dy)],
      [Slot.X, offsetOf(o, y)], [Slot.OFFS, offsetOf(o, d)], [Slot.P, act === "tanh" ? 1 : 0], [Slot.P + 1, bias ? 4 * P : 0],
      [Slot.P + 2, accs]], () => []);
    if (db && accs) {
      // every chunk's sums, added in float64: the same result for any thread count
      const acc = new Float32Array(memory.buffer, accs, P * chunks);
      const sums = new Float64Array(c);
      for (let j = 0; j < acc.length; j++) sums[j % c] += acc[j];
      new Float32Array(memory.buffer, offsetOf(o, db), c).set(sums);
    }
  } finally {
    if (accs) mod._free(accs);
  }
  return outs;
}
