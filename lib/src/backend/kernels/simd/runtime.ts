// The own kernels' runtime: the module (./wat.ts, assembled into ./binary.ts) instantiated on the tfjs
// wasm module's own memory (kernels read tensors in place, at their heap offsets, and write into tensors
// the backend made), its worker threads (./workers.ts), and the job helpers the drivers share.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Ops, TensorInfo } from "../util";
import { KERNELS_WASM } from "./binary";
import { type WorkerExports, KernelThreads, Slot, ThreadSlot, takeSamples } from "./workers";

/** Emscripten's module, as far as used here (its typings declare neither wasmMemory nor asm). */
export interface WasmModule {
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
 * (FLOPs) that makes an extra thread worth its wake-up: 2 MFLOP per thread since the caller polls briefly
 * for the workers before it sleeps (KernelThreads.callerSpinMs): interleaved whole steps, 8 → 2 MFLOP with
 * the poll, MLP 2.52 → 2.29 ms (its 6-MFLOP products on 2 threads), CIFAR net 22.9–24.1 → 21.6–22.5,
 * LeNet-5 and MNIST net within noise. (Without the poll a second thread paid from ~16 MFLOP only.)
 */
export const ownKernelTuning = { threads: 0, flopsPerThread: 2e6 };

/**
 * Work per element that a memory-bound pass (pooling, its gradients, the SGD step, TsdlActGrad, the
 * per-channel passes) declares to pickThreads: with flopsPerThread a second thread from 250 K elements
 * (2 cores; MNIST net's MaxPool 1.1 → 0.65 ms, MaxPoolGrad 1.3 → 0.8 ms for 2.4 M elements): its share of
 * the memory bandwidth is worth more than its wake-up.
 */
export const MEMORY_PASS_OPS = 16;

/** The module `k` came from: the caller holds its exports, so it compiled and is cached. */
export function loaded(backend: BackendWasm): Kernels {
  const own = kernels(backend);
  if (own instanceof Error) throw own;
  return own;
}

/** The threads of a job of `n` samples and `flops` FLOPs (ownKernelTuning), the caller first. */
export function pickThreads(threads: KernelThreads | null, n: number, flops: number): number[] {
  const use = Math.max(1, Math.min(n, ownKernelTuning.threads || Infinity, Math.floor(flops / ownKernelTuning.flopsPerThread)));
  return threads && use > 1 ? threads.pick(use) : [0];
}

/**
 * Writes a job (its slots, then `slots(i)` for the i-th picked thread) and runs it: on the picked threads
 * when workers take part (their sample counts), else on the caller alone (null).
 */
export function runJob(k: WorkerExports, threads: KernelThreads | null, picked: number[], job: Array<[number, number]>,
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

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
/** Least common multiple: the period, in elements, of per-channel values laid over whole vectors. */
export const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** Elements per chunk of a threaded element-wise job (~64 KB: small enough to share, big enough to pay). */
export const ELEMENT_CHUNK = 16384;

/** A float32 value's bits as an int32: how a job passes a float through the control block. */
const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);
export const floatBits = (v: number): number => {
  bitsF32[0] = v;
  return bitsI32[0];
};

export const offsetOf = (o: Ops, t: TensorInfo): number => o.backend.dataIdMap.get(t.dataId).memoryOffset;

/** out (parts[0]) = Σ of the parts of the threads that took samples (the others hold garbage). */
export function sumParts(heap: ArrayBufferLike, parts: number[], counts: number[], len: number): void {
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
