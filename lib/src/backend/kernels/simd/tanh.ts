// Driver of the own Tanh (./tanh-wat.ts): chunks shared by the threads.
import { type Ops, type TensorInfo, size } from "../util";
import { ELEMENT_CHUNK as CHUNK, type OwnExports, loaded, offsetOf, pickThreads, runJob } from "./runtime";
import { Slot } from "./workers";

/** y = tanh(x), float32, by the own kernel (./tanh-wat.ts), chunks shared by the threads. */
export function tanhOwn(o: Ops, k: OwnExports, x: TensorInfo): TensorInfo {
  const out = o.track(o.backend.makeOutput(x.shape, "float32"));
  const n = size(x.shape);
  if (n === 0) return out;
  const { threads } = loaded(o.backend);
  const chunks = Math.ceil(n / CHUNK);
  const picked = pickThreads(threads, chunks, 25 * n); // ~25 vector operations per 4 lanes: ~6 "FLOPs" each
  runJob(k, threads, picked, [[Slot.KIND, 2], [Slot.N, chunks], [Slot.X, offsetOf(o, x)], [Slot.DY, offsetOf(o, out)],
    [Slot.M, n], [Slot.OW, CHUNK]], () => []);
  return out;
}
