// Driver of the own SGD step (./optim-wat.ts): one pass over a parameter, chunks shared by the threads.
import { type Ops, type TensorInfo, size } from "../util";
import { ELEMENT_CHUNK as CHUNK, MEMORY_PASS_OPS, type OwnExports, floatBits, loaded, offsetOf, pickThreads, runJob } from "./runtime";
import { Slot } from "./workers";

export interface SGDStepOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/**
 * [p − lr·g'] and, with momentum, the new momentum buffer, float32, PyTorch's SGD (see ./optim-wat.ts);
 * `buf` null on the first step. Values equal tsdl's composed update (same float32 operations, in order).
 */
export function sgdStepOwn(o: Ops, k: OwnExports, p: TensorInfo, g: TensorInfo, buf: TensorInfo | null, s: SGDStepOptions): TensorInfo[] {
  const outP = o.track(o.backend.makeOutput(p.shape, "float32"));
  const outB = s.momentum ? o.track(o.backend.makeOutput(p.shape, "float32")) : null;
  const n = size(p.shape);
  if (n === 0) return outB ? [outP, outB] : [outP];
  const flags = (s.weightDecay ? 1 : 0) | (s.momentum ? 2 : 0) | (s.momentum && buf ? 4 : 0) | (s.nesterov ? 8 : 0);
  const { threads } = loaded(o.backend);
  const chunks = Math.ceil(n / CHUNK);
  const picked = pickThreads(threads, chunks, MEMORY_PASS_OPS * n);
  const bits = [s.lr, s.momentum, 1 - s.dampening, s.weightDecay].map(floatBits);
  const ptrs = [offsetOf(o, p), offsetOf(o, g), buf ? offsetOf(o, buf) : 0, offsetOf(o, outP), outB ? offsetOf(o, outB) : 0, n, flags];
  runJob(k, threads, picked, [[Slot.KIND, 7], [Slot.N, chunks], [Slot.OW, CHUNK],
    ...[...ptrs, ...bits].map((v, i): [number, number] => [Slot.P + i, v])], () => []);
  return outB ? [outP, outB] : [outP];
}
