// Backend selection: `await init()` once per process (notebook kernel), before any tensor work.
import * as os from "os";
import { tf } from "./tf";
import { installThreadsPatch, unrefPthreadWorkers, type PThreadLike } from "./threads";
import { registerWasmKernels } from "./kernels";
import { startKernelThreads } from "./kernels/simd";
import { blasTuning } from "./kernels/blas-gemm";
import { type BlasRequest, loadBlas, parseBlasEnv } from "./blas";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

export type BackendName = "node-gpu" | "node" | "wasm" | "cpu";
export interface BackendInfo {
  name: BackendName;
  /** The tfjs backend name (`tf.getBackend()`): tensorflow, wasm or cpu. */
  tfBackend: string;
  threads: number;
  /** Whether wasm runs its SIMD build; null for backends where it does not apply. */
  simd: boolean | null;
  /**
   * wasm: the threads of XNNPACK's pool (the kernels tsdl does not replace), 1 by default when tsdl's own
   * kernels run on `threads` threads (TSDL_XNN_THREADS to change); absent for other backends.
   */
  xnnThreads?: number;
  /**
   * wasm: the native BLAS its matrix products run on ("OpenBLAS 0.3.21 …", "Accelerate"), or null for
   * wasm's own (none found, or TSDL_BLAS=off); absent for other backends.
   */
  blas?: string | null;
}
export interface InitOptions {
  /** Overrides TSDL_BACKEND and the automatic order node-gpu > node > wasm > cpu. */
  backend?: BackendName;
  /** wasm threads (1 to 8); overrides TSDL_THREADS; default os.cpus().length (at most 8). */
  threads?: number;
  /**
   * wasm: the native BLAS for its matrix products — "auto" (default: OpenBLAS or Accelerate when found),
   * "off", or a library path; overrides TSDL_BLAS.
   */
  blas?: string;
  /** Print nothing. */
  quiet?: boolean;
}

export const BACKEND_NAMES: readonly BackendName[] = ["node-gpu", "node", "wasm", "cpu"];
const NATIVE_PACKAGES: Record<"node-gpu" | "node", string> = {
  "node-gpu": "@tensorflow/tfjs-node-gpu",
  node: "@tensorflow/tfjs-node",
};

/** Parses TSDL_BACKEND (undefined/empty: automatic). Throws an Error naming the valid values. */
export function parseBackendEnv(raw: string | undefined): BackendName | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const v = raw.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(
    `TSDL_BACKEND="${raw}" is not a backend: use one of ${BACKEND_NAMES.join(", ")} ` +
      "(or leave it unset for the fastest available).",
  );
}

/**
 * The most threads the wasm backend runs: its Emscripten module preloads 8 pthread workers and XNNPACK's
 * pool is capped there (a 9th would need a worker loaded while the main thread blocks).
 */
export const WASM_MAX_THREADS = 8;

/** Parses a thread count (TSDL_THREADS or init({threads})); undefined: default. */
export function parseThreads(raw: string | number | undefined, source = "TSDL_THREADS"): number | undefined {
  if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) return undefined;
  const n = typeof raw === "number" ? raw : Number(raw.trim());
  if (!Number.isInteger(n) || n < 1 || n > WASM_MAX_THREADS) {
    throw new Error(
      `${source}=${String(raw)} is not a wasm thread count: use an integer from 1 to ${WASM_MAX_THREADS} ` +
        "(the wasm backend's limit).",
    );
  }
  return n;
}

/**
 * XNNPACK's pool size when tsdl's own kernels run on `threads` threads: TSDL_XNN_THREADS (1..threads), else
 * 1. Why 1: after each parallel operator XNNPACK's pool threads spin (pthreadpool busy-waits before
 * sleeping), and they take the cores from the own kernels' threads that run next: on 2 cores, LeNet-5
 * 24–32 → 20–22 ms per step and the CIFAR net 25–34 → 24–25 ms with a pool of 1, the MNIST net and the
 * MLP within noise, ResNet-20 b128 944–970 → 851–861 ms (README).
 */
export function xnnPoolThreads(threads: number): number {
  const raw = process.env.TSDL_XNN_THREADS;
  if (raw === undefined || raw.trim() === "") return 1;
  const n = parseThreads(raw, "TSDL_XNN_THREADS") as number;
  return Math.min(n, threads);
}

/** Default wasm threads: one per core, at most WASM_MAX_THREADS. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(os.cpus().length, WASM_MAX_THREADS));
}

function installHint(name: "node-gpu" | "node"): string {
  const pkg = NATIVE_PACKAGES[name];
  const needs =
    name === "node-gpu"
      ? "it needs internet (its install script downloads libtensorflow) and CUDA 11.2 + cuDNN 8.1"
      : "it needs internet (its install script downloads libtensorflow)";
  return `npm install ${pkg}@4.22.0 (${needs}); or choose another backend with TSDL_BACKEND=wasm or TSDL_BACKEND=cpu.`;
}

/** Guarded require of an optional native package: null if it is not installed, throws if it is but fails. */
function tryRequireNative(name: "node-gpu" | "node"): { ok: true } | { ok: false; why: string; missing: boolean } {
  const pkg = NATIVE_PACKAGES[name];
  try {
    require(pkg);
    return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const missing = err.code === "MODULE_NOT_FOUND" && String(err.message).includes(pkg);
    return { ok: false, why: err.message, missing };
  }
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** The backend chosen by init(), or null before init. */
export function backendInfo(): BackendInfo | null {
  return current;
}

/**
 * Chooses and starts the tfjs backend: `opts.backend`, else TSDL_BACKEND, else the first that loads of
 * node-gpu > node > wasm > cpu. Idempotent: later calls return the same info and print nothing.
 * Prints one line (unless quiet), e.g. `tsdl: backend wasm (threads: 2, SIMD) — TSDL_BACKEND to change`.
 */
export async function init(opts: InitOptions = {}): Promise<BackendInfo> {
  if (current) {
    checkSame(current, opts);
    return current;
  }
  if (!pending) {
    pending = start(opts).then(
      (info) => {
        current = info;
        return info;
      },
      (e: unknown) => {
        pending = null;
        throw e;
      },
    );
  }
  const info = await pending;
  checkSame(info, opts);
  return info;
}

function checkSame(info: BackendInfo, opts: InitOptions): void {
  if (opts.backend !== undefined && opts.backend !== info.name) {
    throw new Error(
      `tsdl: init() already chose backend ${info.name}; it cannot switch to ${opts.backend} in the same ` +
        "process: restart the kernel (or the script) and call init with the backend you want first.",
    );
  }
  if (opts.threads !== undefined && info.name === "wasm" && opts.threads !== info.threads) {
    throw new Error(
      `tsdl: wasm already runs ${info.threads} thread(s); the count cannot change in the same process: ` +
        `restart the kernel (or the script) and call init({threads: ${opts.threads}}) first.`,
    );
  }
}

async function start(opts: InitOptions): Promise<BackendInfo> {
  if (opts.backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(opts.backend)) {
    throw new Error(`init({backend: "${String(opts.backend)}"}): use one of ${BACKEND_NAMES.join(", ")}.`);
  }
  const requested = opts.backend ?? parseBackendEnv(process.env.TSDL_BACKEND);
  const threads = parseThreads(opts.threads, "init({threads})") ?? parseThreads(process.env.TSDL_THREADS);
  const blas: BlasChoice = {
    request: parseBlasEnv(opts.blas ?? process.env.TSDL_BLAS),
    threads: parseThreads(process.env.TSDL_BLAS_THREADS, "TSDL_BLAS_THREADS"),
  };
  let info: BackendInfo | null = null;
  const notes: string[] = [];
  if (requested) {
    info = await startBackend(requested, threads, blas, true, notes);
  } else {
    for (const name of BACKEND_NAMES) {
      info = await startBackend(name, threads, blas, false, notes);
      if (info) break;
    }
  }
  if (!info) throw new Error("tsdl: no tfjs backend could start (not even cpu).");
  silenceCpuBanner();
  if (!opts.quiet) {
    const detail =
      info.name === "wasm"
        ? ` (threads: ${info.threads}${info.simd ? ", SIMD" : ""}${blasTuning.blas ? `, products on ${blasTuning.blas.label}` : ""})`
        : info.name === "cpu"
          ? " (plain JavaScript, slow)"
          : "";
    const extra = notes.length ? ` [${notes.join("; ")}]` : "";
    console.log(`tsdl: backend ${info.name}${detail} — TSDL_BACKEND to change${extra}`);
  }
  return info;
}

/** Starts one backend. explicit: failure throws; automatic: returns null (with a note if it was installed). */
async function startBackend(
  name: BackendName,
  threads: number | undefined,
  blas: BlasChoice,
  explicit: boolean,
  notes: string[],
): Promise<BackendInfo | null> {
  if (name === "node-gpu" || name === "node") {
    const r = tryRequireNative(name);
    if (!r.ok) {
      if (explicit) {
        throw new Error(
          `tsdl: backend ${name} requested but ${NATIVE_PACKAGES[name]} ${r.missing ? "is not installed" : `failed to load (${r.why})`}. ` +
            installHint(name),
        );
      }
      if (!r.missing) notes.push(`${name} failed to load: ${r.why.split("\n")[0]}`);
      return null;
    }
    const ok = await tf.setBackend("tensorflow");
    if (!ok) {
      if (explicit) throw new Error(`tsdl: ${NATIVE_PACKAGES[name]} loaded but its backend did not start. ${installHint(name)}`);
      notes.push(`${name} loaded but did not start`);
      return null;
    }
    await tf.ready();
    return { name, tfBackend: tf.getBackend(), threads: os.cpus().length, simd: null };
  }
  if (name === "wasm") return startWasm(threads ?? defaultThreads(), blas, notes);
  const ok = await tf.setBackend("cpu");
  if (!ok) throw new Error("tsdl: the tfjs cpu backend did not start.");
  return { name: "cpu", tfBackend: tf.getBackend(), threads: 1, simd: null };
}

/** The tfjs cpu backend prints a banner recommending tfjs-node on first use; tsdl's init line replaces it. */
function silenceCpuBanner(): void {
  // findBackend creates the (synchronous) cpu backend if needed: tests and tools compare against it.
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpu && typeof cpu.firstUse === "boolean") cpu.firstUse = false;
}

/** TSDL_BLAS / init({blas}), and TSDL_BLAS_THREADS (undefined: tsdl's thread count). */
interface BlasChoice {
  request: BlasRequest;
  threads: number | undefined;
}

async function startWasm(threads: number, blas: BlasChoice, notes: string[]): Promise<BackendInfo> {
  // tfjs-backend-wasm is a dependency (static import in ./tf); only its internals are reached here.
  const wasmPkg = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  registerWasmKernels();
  // Started before init (tf.setBackend("wasm") by hand): use it as it is, the thread count cannot change.
  const already = tf.engine().registry["wasm"] !== undefined;
  const xnnThreads = threads > 1 ? xnnPoolThreads(threads) : 1;
  const patch =
    threads > 1 && !already
      ? installThreadsPatch((f, v) => tf.env().set(f, v), () => wasmPkg.setThreadsCount(xnnThreads), threads)
      : null;
  if (!patch && !already) wasmPkg.setThreadsCount(1);
  let ok: boolean;
  try {
    ok = await tf.setBackend("wasm");
  } finally {
    patch?.restore();
  }
  if (!ok) {
    throw new Error(
      "tsdl: the wasm backend did not start (see the error above). Try TSDL_THREADS=1, or TSDL_BACKEND=cpu.",
    );
  }
  await tf.ready();
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
  const actual = wasmPkg.getThreadsCount();
  const mod = (tf.backend() as unknown as { wasm: { PThread?: PThreadLike } }).wasm;
  if (already && mod.PThread) unrefPthreadWorkers(mod.PThread); // threaded build started by hand
  if (patch) {
    if (!patch.captured() || !mod.PThread) {
      throw new Error(
        `tsdl: the wasm backend started without its threaded build (asked for ${threads} threads): the ` +
          "threads shim no longer applies to this tfjs-backend-wasm. Set TSDL_THREADS=1 to run on one " +
          "thread, or fix lib/src/backend/threads.ts.",
      );
    }
    unrefPthreadWorkers(mod.PThread);
    if (actual !== xnnThreads) {
      throw new Error(
        `tsdl: asked for ${xnnThreads} XNNPACK threads but it started ${actual}: the core-count patch no ` +
          "longer applies. Set TSDL_THREADS=1, or fix lib/src/backend/threads.ts.",
      );
    }
  }
  // tsdl's own kernels on every thread too (worker_threads on the shared memory; ready before step 1)
  // (a backend started by hand keeps XNNPACK's count for both)
  const own = already ? actual : threads;
  if (own > 1) await startKernelThreads(tf.backend() as unknown as BackendWasm, own);
  // the products on a native BLAS when one is found (the rest stays on wasm)
  const why: string[] = [];
  blasTuning.blas = loadBlas(blas.request, blas.threads ?? own, why);
  if (!blasTuning.blas && blas.request.kind === "auto" && why.length) notes.push(`products on wasm: ${why[why.length - 1]}`);
  return { name: "wasm", tfBackend: tf.getBackend(), threads: own, simd, xnnThreads: actual, blas: blasTuning.blas?.name ?? null };
}
