// Optional native BLAS for the wasm backend's matrix products: OpenBLAS (Debian's libopenblas0-pthread, the
// BLAS PyTorch CPU runs on; libopenblas.dll on PATH on Windows) or Apple's Accelerate, called through koffi
// (an FFI shipped prebuilt on npm for every platform: no compiler, no download) on pointers into the wasm
// heap, in place. Why: 128-bit wasm SIMD reaches a fifth to a quarter of an AVX2/AVX-512 sgemm per core
// (backend README, "Sixth round"); everything else stays on wasm. Without koffi or a BLAS: wasm alone.
//   TSDL_BLAS=off        wasm only            TSDL_BLAS=/path/to/libopenblas.so   that library
import * as fs from "fs";

/** What `TSDL_BLAS` asks for: the automatic search, nothing, or one library file. */
export type BlasRequest = { kind: "auto" } | { kind: "off" } | { kind: "path"; path: string };

/** Parses TSDL_BLAS (unset/empty/auto: search; off/0/none/false: no BLAS; else a library path). */
export function parseBlasEnv(raw: string | undefined): BlasRequest {
  const v = (raw ?? "").trim();
  if (v === "" || v.toLowerCase() === "auto") return { kind: "auto" };
  if (["off", "0", "none", "false", "no"].includes(v.toLowerCase())) return { kind: "off" };
  if (!fs.existsSync(v)) {
    throw new Error(
      `TSDL_BLAS="${raw}" is neither "off", "auto" nor an existing library file: give the path of an ` +
        "OpenBLAS library (e.g. /usr/lib/x86_64-linux-gnu/libopenblas.so.0), or unset it.",
    );
  }
  return { kind: "path", path: v };
}

/** A loaded BLAS: cblas_sgemm on row-major float32 arrays (views of the wasm heap, used in place). */
export interface Blas {
  /** e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64" or "Accelerate". */
  readonly name: string;
  /** Its first two words, for one-line reports: "OpenBLAS 0.3.21", "Accelerate". */
  readonly label: string;
  /** The file loaded. */
  readonly library: string;
  /** Threads it runs a product on (OpenBLAS: set to tsdl's thread count; Accelerate decides itself). */
  readonly threads: number;
  /** C ← alpha·op(A)·op(B) + beta·C, row-major; op(X) = Xᵀ when the flag is set. */
  sgemm(tA: boolean, tB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
    b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): void;
}

// The parts of koffi tsdl uses (it is an optional dependency: typed here, required at run time).
type NativeFn = (...args: unknown[]) => unknown;
interface KoffiLib {
  func(decl: string): NativeFn;
}
interface Koffi {
  load(path: string): KoffiLib;
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Debian's multiarch library folder on this machine's architecture. */
const DEBIAN_LIB = `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`;
/** The file Debian's libopenblas0-pthread registers (through alternatives): tsdl must find it when present. */
export const DEBIAN_OPENBLAS = `${DEBIAN_LIB}/libopenblas.so.0`;

/** Where each platform keeps an optimised CBLAS (never the reference BLAS: slower than wasm). */
function candidates(): string[] {
  if (process.platform === "darwin") return ["/System/Library/Frameworks/Accelerate.framework/Accelerate"];
  if (process.platform === "win32") return ["libopenblas.dll", "openblas.dll"];
  // the dynamic loader's search (DEBIAN_OPENBLAS among them), then the files of Debian's and Fedora's
  // packages by name
  return ["libopenblas.so.0", "libopenblas.so", `${DEBIAN_LIB}/openblas-pthread/libopenblas.so.0`, "/usr/lib64/libopenblasp.so.0"];
}

/**
 * Loads the BLAS (`request`), set to `threads` threads; null when none is requested or none is found
 * (`why` then says what was tried). Throws when an explicit path cannot serve (names the fix).
 */
export function loadBlas(request: BlasRequest, threads: number, why: string[] = []): Blas | null {
  if (request.kind === "off") return null;
  let koffi: Koffi;
  try {
    koffi = require("koffi") as Koffi;
  } catch (e) {
    const msg = `koffi does not load here (${(e as Error).message.split("\n")[0]})`;
    if (request.kind === "path") throw new Error(`tsdl: TSDL_BLAS=${request.path} needs the npm package koffi: ${msg}. Run npm install, or unset TSDL_BLAS.`);
    why.push(msg);
    return null;
  }
  // OpenBLAS' idle threads poll (sched_yield) up to 2^28 TSC cycles (~0.1 s) after a product: in a conv net,
  // whose few products come between long wasm kernels, that is the whole step on a core the wasm threads
  // need. 2^20 (~0.4 ms) still spans the gaps between an MLP's products (2^16, ~25 µs, did not: each
  // product then woke its threads from a futex). Read when the library loads; unset again after, so that
  // the processes this one starts (a PyTorch reference) keep their own default.
  const ownTimeout = process.env.OPENBLAS_THREAD_TIMEOUT === undefined;
  if (ownTimeout) process.env.OPENBLAS_THREAD_TIMEOUT = "20";
  try {
    return loadFirst(koffi, request, threads, why);
  } finally {
    if (ownTimeout) delete process.env.OPENBLAS_THREAD_TIMEOUT;
  }
}

function loadFirst(koffi: Koffi, request: BlasRequest, threads: number, why: string[]): Blas | null {
  const paths = request.kind === "path" ? [request.path] : candidates();
  for (const p of paths) {
    let lib: KoffiLib;
    try {
      lib = koffi.load(p);
    } catch (e) {
      if (request.kind === "path") throw new Error(`tsdl: TSDL_BLAS=${p} does not load (${(e as Error).message}). Give an OpenBLAS library file, or unset TSDL_BLAS.`);
      continue;
    }
    const fn = (decl: string): NativeFn | null => {
      try {
        return lib.func(decl);
      } catch {
        return null;
      }
    };
    const sgemm = fn("void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)");
    if (!sgemm) {
      if (request.kind === "path") throw new Error(`tsdl: TSDL_BLAS=${p} has no cblas_sgemm: give an OpenBLAS library file, or unset TSDL_BLAS.`);
      why.push(`${p}: no cblas_sgemm`);
      continue;
    }
    const config = fn("const char *openblas_get_config()");
    const setThreads = fn("void openblas_set_num_threads(int n)");
    const getThreads = fn("int openblas_get_num_threads()");
    const accelerate = p.includes("Accelerate.framework");
    if (!config && !accelerate && request.kind !== "path") {
      why.push(`${p}: not OpenBLAS`); // (a reference BLAS would be slower than wasm)
      continue;
    }
    setThreads?.(threads);
    const name = config ? String(config()).trim() : accelerate ? "Accelerate" : "CBLAS";
    return {
      name,
      label: name.split(" ").slice(0, 2).join(" "),
      library: p,
      threads: getThreads ? Number(getThreads()) : threads,
      sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
        sgemm(ROW_MAJOR, tA ? TRANS : NO_TRANS, tB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      },
    };
  }
  if (request.kind === "auto") {
    why.push(
      process.platform === "linux"
        ? "no OpenBLAS found (Debian/Ubuntu: sudo apt-get install libopenblas0-pthread)"
        : process.platform === "win32"
          ? "no libopenblas.dll on PATH"
          : "Accelerate did not load",
    );
  }
  return null;
}
