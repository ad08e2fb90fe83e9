// Threaded-SIMD build of @tensorflow/tfjs-backend-wasm under Node's worker_threads.
//
// tfjs 4.22 never starts it in Node, for four reasons this module works around:
//   1. flags_wasm.js hard-codes WASM_HAS_MULTITHREAD_SUPPORT = false when IS_NODE (tfjs issue #3830);
//   2. the backend hands Emscripten the pthread worker script and the main script as Blob URLs
//      (URL.createObjectURL); Node's Worker cannot start from a blob: URL and the worker's importScripts()
//      shim reads files with fs.readFileSync. We capture both Blobs' text and write real files;
//   3. the bundled factory refers to rollup's renamed requires (require$$0 = fs, ...): the main script file
//      gets a prelude defining them;
//   4. backend.cc caps the XNNPACK pool at emscripten_num_logical_cores() / 2 (it assumes SMT) and that is
//      os.cpus().length in Node: we report 2 × threads cores while the module initialises.
// And one for a clean exit: Emscripten keeps a ref'd worker per running pthread, so a script (or a jest
// worker) would never exit; after start-up every pthread worker is unref'd (see unrefPthreadWorkers).
//
// All of this reads tfjs-backend-wasm 4.22.0 internals: the version is checked, and each patch checks the
// text it replaces, throwing loudly (never silently falling back) if the layout changed.
import * as fs from "fs";
import * as path from "path";
// The real module object (a namespace import is a frozen copy): os.cpus is patched during start-up.
const os = require("os") as typeof import("os");

export const WASM_VERSION = "4.22.0";
const MAIN_MARKER = "var WasmBackendModuleThreadedSimd = ";
const WORKER_MARKER =
  "var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)";
const MAIN_PRELUDE =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$2 = require('worker_threads'), " +
  "require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";
const MAIN_FILE = "tfjs-backend-wasm-threaded-simd.main.js";
const WORKER_FILE = "tfjs-backend-wasm-threaded-simd.worker.js";

/** Where the two generated scripts live: os.tmpdir()/tsdl-wasm-mt-4.22.0/. */
export function wasmThreadsCacheDir(): string {
  return path.join(os.tmpdir(), `tsdl-wasm-mt-${WASM_VERSION}`);
}

function fixHint(): string {
  return "Set TSDL_THREADS=1 to run wasm on one thread (slower), or TSDL_BACKEND=cpu.";
}

/** Throws unless the installed @tensorflow/tfjs-backend-wasm is the version the shim was written for. */
export function checkWasmVersion(
  version: string = (require("@tensorflow/tfjs-backend-wasm/package.json") as { version: string }).version,
): void {
  if (version !== WASM_VERSION) {
    throw new Error(
      `tsdl: the wasm threads shim targets @tensorflow/tfjs-backend-wasm ${WASM_VERSION} internals, but ` +
        `${version} is installed. Pin it (npm install @tensorflow/tfjs-backend-wasm@${WASM_VERSION}) or ` +
        `update lib/src/backend/threads.ts. ${fixHint()}`,
    );
  }
}

/** Patches the pthread worker script so it loads the main script from a file. Throws if the layout changed. */
export function patchWorkerScript(worker: string, mainPath: string): string {
  if (!worker.includes(WORKER_MARKER)) {
    throw new Error(
      "tsdl: the wasm pthread worker script no longer contains the blob-URL loader the threads shim " +
        `replaces (tfjs-backend-wasm layout changed). ${fixHint()}`,
    );
  }
  return worker.replace(WORKER_MARKER, `importScripts(${JSON.stringify(mainPath)})`);
}

/** Writes `text` to `file` unless it already holds it; temp name + rename, so concurrent writers are safe. */
export function writeFileAtomic(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, "utf8") === text) return;
  } catch {
    // absent: write it
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export interface ThreadsPatch {
  /** Undo the global patches (Blob, URL.createObjectURL, os.cpus); call once the backend is created. */
  restore(): void;
  /** Whether both scripts were captured and written (false: the backend did not take the threaded path). */
  captured(): boolean;
}

/**
 * Installs the global patches that make the next `tf.setBackend("wasm")` start the threaded-SIMD build with
 * `threads` threads. Must be called before the wasm backend is first created; `restore()` right after.
 */
export function installThreadsPatch(tfEnvSet: (flag: string, v: boolean) => void, setThreadsCount: (n: number) => void, threads: number, dir = wasmThreadsCacheDir()): ThreadsPatch {
  checkWasmVersion();
  const mainPath = path.join(dir, MAIN_FILE);
  const workerPath = path.join(dir, WORKER_FILE);
  const g = globalThis as unknown as { Blob: typeof Blob };
  const OrigBlob = g.Blob;
  const blobFiles = new WeakMap<Blob, string>();
  let gotMain = false;
  let gotWorker = false;
  class FileBackedBlob extends OrigBlob {
    constructor(parts?: BlobPart[], opts?: BlobPropertyBag) {
      super(parts, opts);
      const s = parts && parts.length === 1 && typeof parts[0] === "string" ? parts[0] : null;
      if (s === null) return;
      if (s.startsWith(MAIN_MARKER)) {
        writeFileAtomic(mainPath, MAIN_PRELUDE + s);
        blobFiles.set(this, mainPath);
        gotMain = true;
      } else if (s.includes("WasmBackendModuleThreadedSimd(Module)") && s.includes("importScripts")) {
        writeFileAtomic(workerPath, patchWorkerScript(s, mainPath));
        blobFiles.set(this, workerPath);
        gotWorker = true;
      }
    }
  }
  g.Blob = FileBackedBlob;
  const origCreate = URL.createObjectURL;
  URL.createObjectURL = (b: Blob) => blobFiles.get(b) ?? origCreate.call(URL, b);
  const origCpus = os.cpus;
  const cores = origCpus().length;
  if (cores < 2 * threads) {
    // os is a core module: the very object the wasm bundle holds as require$$4.
    os.cpus = () => {
      const c = origCpus();
      while (c.length < 2 * threads) c.push(c[0]);
      return c;
    };
  }
  tfEnvSet("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      g.Blob = OrigBlob;
      URL.createObjectURL = origCreate;
      os.cpus = origCpus;
    },
    captured: () => gotMain && gotWorker,
  };
}

/** The bits of a Node worker_threads.Worker that we touch. */
interface RefWorker {
  ref(): void;
  unref(): void;
  __tsdlUnref?: boolean;
}
/** The bits of Emscripten's PThread object (Module.PThread) that we touch. */
export interface PThreadLike {
  unusedWorkers: RefWorker[];
  runningWorkers: RefWorker[];
  getNewWorker: () => RefWorker | undefined;
  __tsdlPatched?: boolean;
}

function unrefWorker(w: RefWorker | undefined): void {
  if (!w || w.__tsdlUnref) return;
  w.__tsdlUnref = true;
  w.unref();
  // Emscripten calls worker.ref() each time it starts a pthread on the worker: XNNPACK's pool threads
  // then live (and would keep Node alive) forever. Kernels block the main thread until the pool is done,
  // so a ref is never needed to wait for work.
  w.ref = () => {};
}

/**
 * Unrefs every pthread worker of the threaded module (present and future), so that the process exits when
 * the main thread has nothing left to do. Returns the number of workers handled.
 */
export function unrefPthreadWorkers(pthread: PThreadLike | undefined): number {
  if (!pthread || !Array.isArray(pthread.unusedWorkers) || !Array.isArray(pthread.runningWorkers)) {
    throw new Error(
      "tsdl: the threaded wasm module has no Emscripten PThread object (tfjs-backend-wasm layout changed): " +
        `its worker threads would keep Node alive. ${fixHint()}`,
    );
  }
  const all = [...pthread.unusedWorkers, ...pthread.runningWorkers];
  all.forEach(unrefWorker);
  if (!pthread.__tsdlPatched) {
    pthread.__tsdlPatched = true;
    const orig = pthread.getNewWorker.bind(pthread);
    pthread.getNewWorker = () => {
      const w = orig();
      unrefWorker(w);
      return w;
    };
  }
  return all.length;
}
