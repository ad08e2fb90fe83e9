// Drivers of the own pooling gradients (./pool-wat.ts, ./avgpool-wat.ts): one pass, samples shared by the
// threads.
import { type Ops, type TensorInfo, size } from "../util";
import { MEMORY_PASS_OPS, floatBits, loaded, offsetOf, pickThreads, runJob } from "./runtime";
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
 * dx [n, H, W, c] of pooling gradient job `kind` on `x`'s samples (shared by the threads, each writing its
 * own dx samples; memory-bound): zero-filled first unless disjoint windows cover every pixel (they write
 * each one). `slots(dx)`: the job's tensor slots; P holds the geometry, then `last`.
 */
function poolGrad(o: Ops, k: WorkerExports, x: TensorInfo, dy: TensorInfo, g: PoolGeometry, kind: number, last: number,
  slots: (dx: number) => Array<[number, number]>): TensorInfo {
  const [n, H, W, c] = x.shape;
  const out = o.track(o.backend.makeOutput(x.shape, "float32"));
  if (size(out.shape) === 0) return out;
  const { memory, threads } = loaded(o.backend);
  const covers = g.kh === g.sh && g.kw === g.sw && g.oh * g.sh - g.top >= H && g.ow * g.sw - g.left >= W;
  if (!covers || size(dy.shape) === 0) new Float32Array(memory.buffer, offsetOf(o, out), size(out.shape)).fill(0);
  if (size(dy.shape) === 0) return out;
  const geometry = [H, W, c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.top, g.left, last];
  runJob(k, threads, pickThreads(threads, n, MEMORY_PASS_OPS * size(x.shape)), [[Slot.KIND, kind], [Slot.N, n],
    ...slots(offsetOf(o, out)), ...geometry.map((v, i): [number, number] => [Slot.P + i, v])], () => []);
  return out;
}

/**
 * MaxPoolGrad, NHWC float32, in one pass by the own kernel (./pool-wat.ts): dx [n, H, W, c] gets each
 * window's dy at its FIRST maximum (row-major), as tfjs cpu and PyTorch; `x` the pool's input. Disjoint
 * windows store dy or 0 at each of their pixels ("write"), overlapping ones add.
 */
export function maxPoolGradOwn(o: Ops, k: WorkerExports, x: TensorInfo, dy: TensorInfo, g: PoolGeometry): TensorInfo {
  const write = g.kh <= g.sh && g.kw <= g.sw ? 1 : 0;
  return poolGrad(o, k, x, dy, g, 4, write, (dx) => [[Slot.X, offsetOf(o, x)], [Slot.DY, offsetOf(o, dy)], [Slot.OFFS, dx]]);
}

/**
 * AvgPoolGrad of windows that do not overlap (k ≤ s), NHWC float32, tfjs' rule (every window spreads
 * dy / (kh·kw)): each window's first row written, its other rows copied (./avgpool-wat.ts).
 */
export function avgPoolGradOwn(o: Ops, k: WorkerExports, x: TensorInfo, dy: TensorInfo, g: PoolGeometry): TensorInfo {
  return poolGrad(o, k, x, dy, g, 8, floatBits(1 / (g.kh * g.kw)), (dx) => [[Slot.X, dx], [Slot.DY, offsetOf(o, dy)]]);
}

/** Whether maxPoolOwn handles `g` on `x` [n, H, W, c]: 2×2 windows, stride 2, inside x, c a multiple of 4. */
export function maxPool22Fits(x: TensorInfo, g: PoolGeometry): boolean {
  const [, H, W, c] = x.shape;
  return g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.top === 0 && g.left === 0 &&
    2 * g.oh <= H && 2 * g.ow <= W && c % 4 === 0;
}

/**
 * MaxPool of 2×2 windows, stride 2 (maxPool22Fits), NHWC float32, samples shared by the threads: y [n, oh,
 * ow, c]. XNNPACK's runs on its one-thread pool (select.ts) and walks general windows.
 */
export function maxPoolOwn(o: Ops, k: WorkerExports, x: TensorInfo, g: PoolGeometry): TensorInfo {
  const [n, H, W, c] = x.shape;
  const out = o.track(o.backend.makeOutput([n, g.oh, g.ow, c], "float32"));
  if (size(out.shape) === 0) return out;
  const { threads } = loaded(o.backend);
  runJob(k, threads, pickThreads(threads, n, MEMORY_PASS_OPS * size(x.shape)), [[Slot.KIND, 9], [Slot.N, n], [Slot.X, offsetOf(o, x)],
    [Slot.DY, offsetOf(o, out)], ...[H, W, c, g.oh, g.ow].map((v, i): [number, number] => [Slot.P + i, v])], () => []);
  return out;
}
