// Drivers of the own pooling gradients (./pool-wat.ts, ./avgpool-wat.ts): one pass, samples shared by the
// threads.
import { type Ops, type TensorInfo, size } from "../util";
import { loaded, offsetOf, pickThreads, runJob } from "./runtime";
import { type WorkerExports, Slot } from "./workers";

export interface PoolGeometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  oh: number;
  ow: number;
}

/**
 * MaxPoolGrad, NHWC float32, in one pass by the own kernel (./pool-wat.ts): dx [n, H, W, c] gets each
 * window's dy at its FIRST maximum (row-major), as tfjs cpu and PyTorch; `x` the pool's input.
 */
export function maxPoolGradOwn(o: Ops, k: WorkerExports, x: TensorInfo, dy: TensorInfo, g: PoolGeometry): TensorInfo {
  const [n, H, W, c] = x.shape;
  const out = o.track(o.backend.makeOutput(x.shape, "float32"));
  if (size(out.shape) === 0) return out;
  const heap = loaded(o.backend).memory.buffer;
  // disjoint windows write every pixel they cover: zero-fill first only where some pixel is in none
  const write = g.kh <= g.sh && g.kw <= g.sw;
  const covers = g.kh === g.sh && g.kw === g.sw && g.oh * g.sh - g.top >= H && g.ow * g.sw - g.left >= W;
  if (!(write && covers) || size(dy.shape) === 0) new Float32Array(heap, offsetOf(o, out), size(out.shape)).fill(0);
  if (size(dy.shape) === 0) return out;
  // samples shared by the threads (each writes its own dx samples); memory-bound, ~1 ns per input element
  const { threads } = loaded(o.backend);
  const geometry = [H, W, c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.top, g.left, write ? 1 : 0];
  runJob(k, threads, pickThreads(threads, n, 4 * size(x.shape)), [[Slot.KIND, 4], [Slot.N, n], [Slot.X, offsetOf(o, x)],
    [Slot.DY, offsetOf(o, dy)], [Slot.OFFS, offsetOf(o, out)], ...geometry.map((v, i): [number, number] => [Slot.P + i, v])], () => []);
  return out;
}

/**
 * AvgPoolGrad of windows that do not overlap (k ≤ s), NHWC float32, tfjs' rule (every window spreads
 * dy / (kh·kw)): each window's first row written, its other rows copied (./avgpool-wat.ts); pixels in no
 * window zero-filled first.
 */
export function avgPoolGradOwn(o: Ops, k: WorkerExports, x: TensorInfo, dy: TensorInfo, g: PoolGeometry): TensorInfo {
  const [n, H, W, c] = x.shape;
  const covers = g.kh === g.sh && g.kw === g.sw && g.oh * g.sh - g.top >= H && g.ow * g.sw - g.left >= W;
  const out = o.track(o.backend.makeOutput(x.shape, "float32"));
  if (size(out.shape) === 0) return out;
  const heap = loaded(o.backend).memory.buffer;
  if (!covers || size(dy.shape) === 0) new Float32Array(heap, offsetOf(o, out), size(out.shape)).fill(0);
  if (size(dy.shape) === 0) return out;
  const { threads } = loaded(o.backend);
  const q = new Int32Array(new Float32Array([1 / (g.kh * g.kw)]).buffer)[0];
  const geometry = [H, W, c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.top, g.left, q];
  runJob(k, threads, pickThreads(threads, n, 2 * size(x.shape)), [[Slot.KIND, 8], [Slot.N, n], [Slot.X, offsetOf(o, out)],
    [Slot.DY, offsetOf(o, dy)], ...geometry.map((v, i): [number, number] => [Slot.P + i, v])], () => []);
  return out;
}
