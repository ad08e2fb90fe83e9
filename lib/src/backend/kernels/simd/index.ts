// tsdl's own wasm SIMD kernels (./wat.ts, assembled into ./binary.ts), instantiated on the tfjs wasm
// module's own memory: they read tensors in place (their heap offsets) and write into tensors the backend
// made. On tfjs' threaded build they run on every thread (./workers.ts), else on the caller's.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type Ops, type TensorInfo, size } from "../util";
import { KERNELS_WASM } from "./binary";
import { TILE_ROWS } from "./wat";
import { type WorkerExports, KernelThreads, Slot, ThreadSlot, takeSamples } from "./workers";

/** Emscripten's module, as far as used here (its typings declare neither wasmMemory nor asm). */
interface WasmModule {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}

export interface OwnExports extends WorkerExports {
  packBT(b: number, ldb: number, kc: number, nc: number, dst: number): void;
  affineU8(src: number, dst: number, n: number, scale: number, shift: number, p: number): void;
}

interface Kernels {
  exports: OwnExports;
  bytes: Uint8Array;
  memory: WebAssembly.Memory;
  shared: boolean;
  threads: KernelThreads | null;
}
const instances = new WeakMap<object, Kernels | Error>();

function decode(b64: string): Uint8Array {
  if (typeof Buffer !== "undefined") return new Uint8Array(Buffer.from(b64, "base64"));
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
}

function kernels(backend: BackendWasm): Kernels | Error {
  const cached = instances.get(backend);
  if (cached) return cached;
  let r: Kernels | Error;
  try {
    const mod = backend.wasm as unknown as WasmModule;
    const memory = mod.wasmMemory ?? mod.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error("tfjs-backend-wasm's memory not found");
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const bytes = decode(shared ? KERNELS_WASM.shared : KERNELS_WASM.plain);
    // small (~1.3 KB): synchronous compilation is allowed everywhere
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as OwnExports;
    r = { exports, bytes, memory, shared, threads: null };
  } catch (e) {
    r = new Error(`tsdl: own wasm kernels unavailable (${(e as Error).message})`);
  }
  instances.set(backend, r);
  return r;
}

/**
 * The kernel module on `backend`'s memory (the threaded build's shared memory, or the plain build's
 * exported one), compiled once per backend; an Error if it cannot be (a tfjs other than 4.22).
 */
export function simdKernels(backend: BackendWasm): OwnExports | Error {
  const k = kernels(backend);
  return k instanceof Error ? k : k.exports;
}

/**
 * Starts `threads` − 1 worker threads for the own kernels on `backend` (threaded build only) and resolves
 * with the threads ready, the caller included: 1 where workers cannot run (plain build, no worker_threads).
 * Idempotent; init() awaits it, so the first training step already runs on every thread.
 */
export async function startKernelThreads(backend: BackendWasm, threads: number): Promise<number> {
  const k = kernels(backend);
  if (k instanceof Error || !k.shared || threads < 2 || typeof Atomics.wait !== "function") return 1;
  if (!k.threads) {
    try {
      k.threads = new KernelThreads(k.bytes, k.memory, threads);
    } catch {
      return 1; // no worker_threads (a browser bundle): the caller's thread only
    }
  }
  return k.threads.whenReady();
}

/** The worker threads of `backend`'s kernels, if started (tests, bench). */
export function kernelThreads(backend: BackendWasm): KernelThreads | null {
  const k = kernels(backend);
  return k instanceof Error ? null : k.threads;
}

/**
 * Knobs for tests and scripts/bench: the most threads a filter gradient uses (0: all ready), and the work
 * (FLOPs) that makes an extra thread worth its wake-up: measured on 2 cores (own GEMM, 6–47 MFLOP
 * products), a second thread pays from ~16 MFLOP, so 8 MFLOP per thread.
 */
export const ownKernelTuning = { threads: 0, flopsPerThread: 8e6 };

/** The module `k` came from: the caller holds its exports, so it compiled and is cached. */
function loaded(backend: BackendWasm): Kernels {
  const own = kernels(backend);
  if (own instanceof Error) throw own;
  return own;
}

/** The threads of a job of `n` samples and `flops` FLOPs (ownKernelTuning), the caller first. */
function pickThreads(threads: KernelThreads | null, n: number, flops: number): number[] {
  const use = Math.max(1, Math.min(n, ownKernelTuning.threads || Infinity, Math.floor(flops / ownKernelTuning.flopsPerThread)));
  return threads && use > 1 ? threads.pick(use) : [0];
}

/**
 * Writes a job (its slots, then `slots(i)` for the i-th picked thread) and runs it: on the picked threads
 * when workers take part (their sample counts), else on the caller alone (null).
 */
function runJob(k: WorkerExports, threads: KernelThreads | null, picked: number[], job: Array<[number, number]>,
  slots: (i: number) => Array<[number, number]>): number[] | null {
  const c = threads ? threads.control : new Int32Array(Slot.THREAD + ThreadSlot.SIZE);
  for (const [slot, v] of job) c[slot] = v;
  picked.forEach((t, i) => {
    for (const [slot, v] of slots(i)) c[Slot.THREAD + t * ThreadSlot.SIZE + slot] = v;
  });
  if (threads && picked.length > 1) return threads.run(k, picked);
  c[Slot.NEXT] = 0;
  takeSamples(k, c, 0);
  return null;
}

const offsetOf = (o: Ops, t: TensorInfo): number => o.backend.dataIdMap.get(t.dataId).memoryOffset;

export interface FilterGeometry {
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  top: number;
  left: number;
}

/**
 * Conv2DBackpropFilter, NHWC float32: dW [kh, kw, ci, co] from x [n, H, W, ci] and dy [n, oh, ow, co],
 * by the own kernel (see ./wat.ts). x is zero-padded first (one PadV2) when the geometry needs it.
 */
export function filterGrad(o: Ops, k: OwnExports, x: TensorInfo, dy: TensorInfo, g: FilterGeometry): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, H, W, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const { kh, kw, strideH: sh, strideW: sw, top, left } = g;
  if (n * oh * ow === 0) return o.filled([kh, kw, ci, co], 0);
  if (useWinogradGrad(g, ci, co, Math.ceil(oh / 2) * Math.ceil(ow / 2))) return winogradFilterGrad(o, k, x, dy, top, left);
  const Hp = Math.max(H + top, (oh - 1) * sh + kh);
  const Wp = Math.max(W + left, (ow - 1) * sw + kw);
  const xp = top || left || Hp > H + top || Wp > W + left
    ? o.pad(x, [[0, 0], [top, Hp - H - top], [left, Wp - W - left], [0, 0]])
    : x;
  const M = kh * kw * ci;
  const rowsPadded = Math.ceil(M / TILE_ROWS) * TILE_ROWS;
  const out = o.track(o.backend.makeOutput([kh, kw, ci, co], "float32"));
  if (size(out.shape) === 0) return out;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * M * co * oh * ow * n);
  const perThread = 32 * TILE_ROWS + oh * ow * Math.ceil(co / 8) * 32;
  const partBytes = M * co * 4;
  const T = picked.length;
  const block = mod._malloc(4 * rowsPadded + T * perThread + (T - 1) * partBytes);
  try {
    const offs = block;
    const table = new Int32Array(memory.buffer, offs, rowsPadded); // after the malloc (growth detaches)
    for (let m = 0; m < rowsPadded; m++) {
      const r = Math.min(m, M - 1);
      const c = r % ci;
      const j = Math.floor(r / ci) % kw;
      const i = Math.floor(r / (kw * ci));
      table[m] = ((i * Wp + j) * ci + c) * 4;
    }
    const [px, pdy, pc] = [offsetOf(o, xp), offsetOf(o, dy), offsetOf(o, out)];
    const job: [number, number][] = [[Slot.KIND, 0], [Slot.N, n], [Slot.X, px], [Slot.XSTEP, Hp * Wp * ci * 4], [Slot.DY, pdy],
      [Slot.DYSTEP, oh * ow * co * 4], [Slot.OFFS, offs], [Slot.M, M], [Slot.OH, oh], [Slot.OW, ow],
      [Slot.CS, sw * ci * 4], [Slot.RS, sh * Wp * ci * 4], [Slot.CO, co]];
    const parts = picked.map((_, i) => (i === 0 ? pc : offs + 4 * rowsPadded + T * perThread + (i - 1) * partBytes));
    const counts = runJob(k, threads, picked, job, (i) => {
      const scratch = offs + 4 * rowsPadded + i * perThread;
      return [[ThreadSlot.PART, parts[i]], [ThreadSlot.SCRATCH, scratch], [ThreadSlot.PANELS, scratch + 32 * TILE_ROWS]];
    });
    if (counts) sumParts(memory.buffer, parts, counts, M * co);
  } finally {
    mod._free(block);
  }
  return out;
}

/** out (parts[0]) = Σ of the parts of the threads that took samples (the others hold garbage). */
function sumParts(heap: ArrayBufferLike, parts: number[], counts: number[], len: number): void {
  const out = new Float32Array(heap, parts[0], len);
  let first = counts[0] > 0;
  for (let t = 1; t < parts.length; t++) {
    if (!counts[t]) continue;
    const p = new Float32Array(heap, parts[t], len);
    if (first) for (let i = 0; i < len; i++) out[i] += p[i];
    else out.set(p);
    first = true;
  }
}

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
 * Conv2D, NHWC float32, stride 1..s, by the filter-gradient kernel with the roles swapped: rows = output
 * positions (offset table), K = kh rows of kw·ci contiguous floats of x (cs 4 bytes, rs one padded x row),
 * B = the filter packed once. `pads` [top, bottom, left, right]; x is zero-padded first when needed.
 * `bias` [co] and `relu` are applied as the tiles are stored (no pass over the output).
 * Samples shared by every thread like the filter gradient's (each writes its own output samples).
 */
export function conv2dOwn(o: Ops, k: OwnExports, x: TensorInfo, filter: TensorInfo, sh: number, sw: number,
  pads: [number, number, number, number], bias?: TensorInfo, relu = false): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, H, W, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  if (useWinograd(kh, kw, sh, sw, ci, co)) return winogradConv(o, k, x, filter, pads, bias, relu);
  const [top, bottom, left, right] = pads;
  const Hp = H + top + bottom;
  const Wp = W + left + right;
  const oh = Math.floor((Hp - kh) / sh) + 1;
  const ow = Math.floor((Wp - kw) / sw) + 1;
  const xp = top || bottom || left || right ? o.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
  const out = o.track(o.backend.makeOutput([n, oh, ow, co], "float32"));
  if (size(out.shape) === 0) return out;
  const M = oh * ow;
  const K = kh * kw * ci;
  const rowsPadded = Math.ceil(M / TILE_ROWS) * TILE_ROWS;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * M * K * co * n);
  const panelBytes = K * Math.ceil(co / 8) * 32;
  const tileBytes = 4 * rowsPadded; // 16 bytes per tile of 4 rows
  const block = mod._malloc(4 * rowsPadded + tileBytes + panelBytes + picked.length * 32 * TILE_ROWS);
  try {
    const table = new Int32Array(memory.buffer, block, rowsPadded);
    for (let m = 0; m < rowsPadded; m++) {
      const r = Math.min(m, M - 1);
      table[m] = ((Math.floor(r / ow) * sh * Wp + (r % ow) * sw) * ci) * 4;
    }
    const tiles = block + 4 * rowsPadded;
    windowParts(new Int32Array(memory.buffer, tiles, rowsPadded), M, ow, { H, W, top, left, sh, sw, kh, kw, ci });
    const panels = tiles + tileBytes;
    const [px, pf, pc] = [offsetOf(o, xp), offsetOf(o, filter), offsetOf(o, out)];
    k.packB(pf, co * 4, K, co, panels);
    const job: [number, number][] = [[Slot.KIND, 1], [Slot.N, n], [Slot.X, px], [Slot.XSTEP, Hp * Wp * ci * 4],
      [Slot.DY, pc], [Slot.DYSTEP, M * co * 4], [Slot.OFFS, block], [Slot.M, M], [Slot.OH, kh], [Slot.OW, kw * ci],
      [Slot.CS, 4], [Slot.RS, Wp * ci * 4], [Slot.CO, co], [Slot.BIAS, bias ? offsetOf(o, bias) : 0], [Slot.RELU, relu ? 1 : 0],
      [Slot.TILES, tiles]];
    runJob(k, threads, picked, job, (i) => [[ThreadSlot.PANELS, panels], [ThreadSlot.SCRATCH, panels + panelBytes + i * 32 * TILE_ROWS]]);
  } finally {
    mod._free(block);
  }
  return out;
}

/**
 * Per tile of 4 output positions (rows m, the last tile's extra rows = row M − 1): the window rows
 * [t0, t1) and columns [j0, j1) that hold input pixels for at least one of them — the rest multiplies the
 * zero padding for all four. Written as [t0, t1 − t0, j0·ci, (j1 − j0)·ci]; never empty (a window wholly
 * in the padding keeps one row and column of zeros, so the tile still stores bias/0).
 */
export function windowParts(out: Int32Array, M: number, ow: number,
  g: { H: number; W: number; top: number; left: number; sh: number; sw: number; kh: number; kw: number; ci: number }): void {
  const { H, W, top, left, sh, sw, kh, kw, ci } = g;
  for (let tile = 0; 4 * tile < M; tile++) {
    let [t0, t1, j0, j1] = [kh, 0, kw, 0];
    for (let m = 4 * tile; m < Math.min(4 * tile + 4, M); m++) {
      const p = Math.floor(m / ow) * sh - top;
      const q = (m % ow) * sw - left;
      t0 = Math.min(t0, Math.max(0, -p));
      t1 = Math.max(t1, Math.min(kh, H - p));
      j0 = Math.min(j0, Math.max(0, -q));
      j1 = Math.max(j1, Math.min(kw, W - q));
    }
    if (t1 <= t0) [t0, t1] = [0, 1];
    if (j1 <= j0) [j0, j1] = [0, 1];
    out.set([t0, t1 - t0, j0 * ci, (j1 - j0) * ci], 4 * tile);
  }
}

/** Elements per chunk of a threaded element-wise job (~64 KB: small enough to share, big enough to pay). */
const CHUNK = 16384;

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

/** K per chunk of the own GEMM: 4 rows × 512 floats of A (8 KB) and a 16 KB panel chunk stay in L1. */
export const GEMM_KC = 512;
/** Bytes of A per row block and K chunk (see matMulOwn). */
const GEMM_A_BLOCK = 64 * 1024;

/**
 * C [M, N] = op(A)·op(B) (+ bias [N], then relu), float32, on the own kernel. `a` is [M, K] (or stored
 * [K, M] when tA: read in place, rows 4 bytes apart, K steps one stored row apart); `b` is [K, N] (or
 * [N, K] when tB), packed once into 8-column panels (packB / packBT) — weights change every step, so
 * there is nothing to cache, unlike XNNPACK's operator cache, which repacks (and, for W [9216, 128],
 * transposes) on each new weight tensor. Rows go in blocks to the threads; K in chunks of GEMM_KC.
 * (relu with several chunks: a Relu pass after, the tiles' epilogue sees one chunk only.)
 */
export function matMulOwn(o: Ops, k: OwnExports, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean,
  bias?: TensorInfo, relu = false): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [M, K] = tA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const N = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  const out = o.track(o.backend.makeOutput([M, N], "float32"));
  const chunks = Math.max(1, Math.ceil(K / GEMM_KC));
  if (M * N === 0) return out;
  if (K === 0) {
    // (empty sum: bias, or 0)
    const c = o.backend.typedArrayFromHeap(out) as Float32Array;
    const bv = bias ? (o.backend.typedArrayFromHeap(bias) as Float32Array) : null;
    for (let i = 0; i < M * N; i++) c[i] = Math.max(bv ? bv[i % N] : 0, relu ? 0 : -Infinity);
    return out;
  }
  const { memory, threads } = loaded(o.backend);
  // row blocks (multiples of the 4-row tile): at most ~64 KB of A per K chunk, so that the block stays
  // in L1/L2 while every panel passes over it, and at most M / T rows, so that every thread gets one
  const T = pickThreads(threads, Math.ceil(M / TILE_ROWS), 2 * M * N * K).length;
  const up4 = (v: number) => Math.ceil(v / TILE_ROWS) * TILE_ROWS;
  const R = Math.max(TILE_ROWS, Math.min(up4(Math.ceil(M / T)), Math.floor(GEMM_A_BLOCK / (4 * Math.min(K, GEMM_KC)) / TILE_ROWS) * TILE_ROWS));
  const full = Math.floor(M / R);
  const rest = M - full * R;
  const tilesPerBlock = R / TILE_ROWS;
  const panelBytes = K * Math.ceil(N / 8) * 32;
  const tstride = 16 * tilesPerBlock;
  const block = mod._malloc(8 * R + chunks * tstride + panelBytes + T * 32 * TILE_ROWS);
  try {
    const heap = memory.buffer;
    // row offsets of a full block, then of the last partial one (rows past its end: its last row's)
    const offs = new Int32Array(heap, block, 2 * R);
    for (let m = 0; m < R; m++) offs[m] = (tA ? m : m * K) * 4;
    for (let m = 0; m < R; m++) offs[R + m] = offs[Math.min(m, Math.max(rest, 1) - 1)];
    const tiles = block + 8 * R;
    const tt = new Int32Array(heap, tiles, chunks * 4 * tilesPerBlock);
    for (let q = 0; q < chunks; q++) {
      const k0 = q * GEMM_KC;
      for (let t = 0; t < tilesPerBlock; t++) tt.set([0, 1, k0, Math.min(GEMM_KC, K - k0)], 4 * (q * tilesPerBlock + t));
    }
    const panels = tiles + chunks * tstride;
    const [pa, pb, pc] = [offsetOf(o, a), offsetOf(o, b), offsetOf(o, out)];
    if (tB) k.packBT(pb, K * 4, K, N, panels);
    else k.packB(pb, N * 4, K, N, panels);
    const rowStep = (tA ? 1 : K) * 4;
    const job = (rows: number, blocks: number, first: number): [number, number][] => [[Slot.KIND, 3], [Slot.N, blocks],
      [Slot.X, pa + first * rowStep], [Slot.XSTEP, R * rowStep], [Slot.DY, pc + first * N * 4], [Slot.DYSTEP, R * N * 4],
      [Slot.OFFS, rows === R ? block : block + 4 * R], [Slot.M, rows], [Slot.OW, K], [Slot.CS, tA ? M * 4 : 4], [Slot.RS, 0], [Slot.CO, N],
      [Slot.BIAS, bias ? offsetOf(o, bias) : 0], [Slot.RELU, relu ? 1 : 0], [Slot.TILES, tiles], [Slot.CHUNKS, chunks],
      [Slot.TSTRIDE, tstride]];
    const scratch = (i: number): Array<[number, number]> => [[ThreadSlot.PANELS, panels], [ThreadSlot.SCRATCH, panels + panelBytes + i * 32 * TILE_ROWS]];
    if (full > 0) runJob(k, threads, pickThreads(threads, full, 2 * full * R * N * K), job(R, full, 0), scratch);
    if (rest > 0) runJob(k, threads, [0], job(rest, 1, full * R), scratch);
  } finally {
    mod._free(block);
  }
  return relu && chunks > 1 ? o.run("Relu", { x: out }) : out;
}

/**
 * Knob for tests and scripts/bench: `on` false runs every 3×3 convolution directly. minChannels: below it
 * the products' K (ci) is too short for the transforms to pay (2 cores, ms fwd/dx Winograd vs direct:
 * [128,32,32,16]→16 8.7/8.4 vs 7.3/7.3; →32 at 16×16 5.6/5.7 vs 6.6/6.2; 64 at 8×8 4.6/4.8 vs 5.7/5.7;
 * the MNIST net's conv2 32→64 8.6/10.5 vs 13.5/15.8).
 */
export const winogradTuning = { on: true, minChannels: 24, gradMinTiles: 128, gradMinChannels: 64 };

/** Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions with channel counts a multiple of 4 (≥ minChannels). */
function useWinograd(kh: number, kw: number, sh: number, sw: number, ci: number, co: number): boolean {
  return winogradTuning.on && kh === 3 && kw === 3 && sh === 1 && sw === 1 && ci % 4 === 0 && co % 4 === 0 &&
    ci >= winogradTuning.minChannels && co >= winogradTuning.minChannels;
}

/** G g Gᵀ for every (ci, co) of a [3, 3, ci, co] filter: U [16][ci][co] (ξ = 4·row + column). */
function winogradFilter(w: Float32Array, ci: number, co: number): Float32Array {
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
  const cc = ci * co;
  const u = new Float32Array(16 * cc);
  const t = new Float64Array(12); // G g: 4 × 3
  for (let e = 0; e < cc; e++) {
    for (let a = 0; a < 4; a++)
      for (let j = 0; j < 3; j++) t[a * 3 + j] = G[a][0] * w[j * cc + e] + G[a][1] * w[(3 + j) * cc + e] + G[a][2] * w[(6 + j) * cc + e];
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) u[(a * 4 + b) * cc + e] = t[a * 3] * G[b][0] + t[a * 3 + 1] * G[b][1] + t[a * 3 + 2] * G[b][2];
  }
  return u;
}

/**
 * A 3×3 stride-1 convolution as Winograd F(2×2, 3×3) (./winograd-wat.ts): per sample, the 4×4 input
 * patches of the 2×2 output tiles transformed (V [16][tiles][ci]), 16 products V[ξ]·U[ξ] on the GEMM
 * micro-kernel (M [16][tiles][co]), the output transform with bias and relu. 604 instead of 1,359 MFLOP of
 * products for the MNIST net's conv2. Samples shared by the threads; V and M in each thread's scratch.
 */
function winogradConv(o: Ops, k: OwnExports, x: TensorInfo, filter: TensorInfo, pads: [number, number, number, number],
  bias?: TensorInfo, relu = false): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, H, W, ci] = x.shape;
  const co = filter.shape[3];
  const [top, bottom, left, right] = pads;
  const oh = H + top + bottom - 2;
  const ow = W + left + right - 2;
  const out = o.track(o.backend.makeOutput([n, Math.max(oh, 0), Math.max(ow, 0), co], "float32"));
  if (size(out.shape) === 0) return out;
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  // the last tile row/column reads one row/column past an odd output: padded with zeros too
  const xp = o.pad(x, [[0, 0], [top, bottom + 2 * th - oh], [left, right + 2 * tw - ow], [0, 0]]);
  const [Hp, Wp] = [xp.shape[1], xp.shape[2]];
  const tiles = th * tw;
  const rowsPadded = Math.ceil(tiles / TILE_ROWS) * TILE_ROWS;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * n * tiles * 16 * ci * co);
  const T = picked.length;
  const xiPanels = ci * Math.ceil(co / 8) * 32;
  const perThread = 16 * tiles * (ci + co) * 4;
  const uBytes = 16 * ci * co * 4;
  const block = mod._malloc(4 * rowsPadded + 16 * xiPanels + uBytes + T * (perThread + 32 * TILE_ROWS));
  try {
    const table = new Int32Array(memory.buffer, block, rowsPadded);
    for (let m = 0; m < rowsPadded; m++) table[m] = Math.min(m, tiles - 1) * ci * 4;
    const panels = block + 4 * rowsPadded;
    // U [16][ci][co], then packed per ξ into 8-column panels
    const uAt = panels + 16 * xiPanels;
    const u = winogradFilter(o.backend.typedArrayFromHeap(filter) as Float32Array, ci, co);
    new Float32Array(memory.buffer, uAt, u.length).set(u);
    for (let xi = 0; xi < 16; xi++) k.packB(uAt + xi * ci * co * 4, co * 4, ci, co, panels + xi * xiPanels);
    const scratch0 = uAt + uBytes;
    const geometry = [Wp, ci, th, tw, co, oh, ow, xiPanels];
    const job: [number, number][] = [[Slot.KIND, 5], [Slot.N, n], [Slot.X, offsetOf(o, xp)], [Slot.XSTEP, Hp * Wp * ci * 4],
      [Slot.DY, offsetOf(o, out)], [Slot.DYSTEP, oh * ow * co * 4], [Slot.OFFS, block], [Slot.BIAS, bias ? offsetOf(o, bias) : 0],
      [Slot.RELU, relu ? 1 : 0], ...geometry.map((v, i): [number, number] => [Slot.P + i, v])];
    runJob(k, threads, picked, job, (i) => {
      const base = scratch0 + i * (perThread + 32 * TILE_ROWS);
      return [[ThreadSlot.PART, base], [ThreadSlot.PANELS, panels], [ThreadSlot.SCRATCH, base + perThread]];
    });
  } finally {
    mod._free(block);
  }
  return out;
}

/**
 * Whether a filter gradient runs as Winograd: a 3×3 stride-1 conv, ci a multiple of 4, co of 8, and
 * enough work per sample to pay for re-reading dU (16·ci·co) once per sample: ≥ 128 tiles or ≥ 64
 * channels. Measured (2 cores, ms Winograd / direct): MNIST conv2 (144 tiles, 32 → 64) 11.3 / 13.4;
 * [128,8,8,64] → 64 5.9 / 7.1; [128,16,16,32] → 32 (64 tiles) 8.5 / 6.9, left direct.
 */
function useWinogradGrad(g: FilterGeometry, ci: number, co: number, tiles: number): boolean {
  return useWinograd(g.kh, g.kw, g.strideH, g.strideW, ci, co) && co % 8 === 0 &&
    (tiles >= winogradTuning.gradMinTiles || Math.min(ci, co) >= winogradTuning.gradMinChannels);
}

/**
 * Conv2DBackpropFilter of a 3×3 stride-1 convolution by back-propagating through Winograd F(2×2, 3×3):
 * per sample V = Bᵀ x B (as the forward), dM = A dY Aᵀ (./winograd-wat.ts, in panel layout), dU[ξ] +=
 * V[ξ]ᵀ·dM[ξ] on the GEMM micro-kernel; then the threads' dU summed and dW = Gᵀ dU G. Exact in exact
 * arithmetic (the gradient of an exact algorithm), the same 2.25× fewer multiplications.
 */
function winogradFilterGrad(o: Ops, k: OwnExports, x: TensorInfo, dy: TensorInfo, top: number, left: number): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, H, W, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const out = o.track(o.backend.makeOutput([3, 3, ci, co], "float32"));
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const xp = o.pad(x, [[0, 0], [top, Math.max(0, 2 * th + 2 - H - top)], [left, Math.max(0, 2 * tw + 2 - W - left)], [0, 0]]);
  const [Hp, Wp] = [xp.shape[1], xp.shape[2]];
  const tiles = th * tw;
  const rowsPadded = Math.ceil(ci / TILE_ROWS) * TILE_ROWS;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * n * tiles * 16 * ci * co);
  const T = picked.length;
  const vBytes = 16 * tiles * ci * 4;
  const perThread = vBytes + 16 * tiles * co * 4 + 16 * ci * co * 4 + 32 * TILE_ROWS;
  const block = mod._malloc(4 * rowsPadded + T * perThread);
  try {
    const table = new Int32Array(memory.buffer, block, rowsPadded);
    for (let m = 0; m < rowsPadded; m++) table[m] = Math.min(m, ci - 1) * 4;
    const base = (i: number) => block + 4 * rowsPadded + i * perThread;
    const partAt = (i: number) => base(i) + vBytes + 16 * tiles * co * 4;
    const job: [number, number][] = [[Slot.KIND, 6], [Slot.N, n], [Slot.X, offsetOf(o, xp)], [Slot.XSTEP, Hp * Wp * ci * 4],
      [Slot.DY, offsetOf(o, dy)], [Slot.DYSTEP, oh * ow * co * 4], [Slot.OFFS, block],
      ...[Wp, ci, th, tw, co, oh, ow, vBytes].map((v, i): [number, number] => [Slot.P + i, v])];
    const counts = runJob(k, threads, picked, job, (i) => [[ThreadSlot.PANELS, base(i)], [ThreadSlot.PART, partAt(i)],
      [ThreadSlot.SCRATCH, partAt(i) + 16 * ci * co * 4]]);
    const cc = ci * co;
    if (counts) sumParts(memory.buffer, picked.map((_, i) => partAt(i)), counts, 16 * cc);
    // dW[r][s] = Σ_ij G[i][r] G[j][s] dU[i][j]
    const dU = new Float32Array(memory.buffer, partAt(0), 16 * cc);
    const dW = o.backend.typedArrayFromHeap(out) as Float32Array;
    const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
    const t = new Float64Array(12); // Gᵀ dU: 3 × 4
    for (let e = 0; e < cc; e++) {
      for (let r = 0; r < 3; r++)
        for (let j = 0; j < 4; j++) t[r * 4 + j] = G[0][r] * dU[j * cc + e] + G[1][r] * dU[(4 + j) * cc + e] + G[2][r] * dU[(8 + j) * cc + e] + G[3][r] * dU[(12 + j) * cc + e];
      for (let r = 0; r < 3; r++)
        for (let s = 0; s < 3; s++) dW[(r * 3 + s) * cc + e] = t[r * 4] * G[0][s] + t[r * 4 + 1] * G[1][s] + t[r * 4 + 2] * G[2][s] + t[r * 4 + 3] * G[3][s];
    }
  } finally {
    mod._free(block);
  }
  return out;
}
