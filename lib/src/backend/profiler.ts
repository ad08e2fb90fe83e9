// A per-kernel profiler (a developer helper): wraps every kernel of a backend once, then times the calls
// made while it is on. Top-level kernels (what the engine runs) and inner kernels (called from inside
// tsdl's composed wasm kernels) are reported apart, so that the top-level total is the step's kernel time.
//
//   const prof = kernelProfiler();          // after init()
//   prof.start(); for (...) step(); prof.stop();
//   console.table(prof.report(steps));      // ms per step, by kernel
import { performance } from "perf_hooks";
import { tf } from "./tf";

export interface KernelTiming {
  kernel: string;
  /** milliseconds per step (total / steps) */
  ms: number;
  /** calls per step */
  calls: number;
  /** share of the top-level kernel time, in % (inner kernels: of the same total) */
  pct: number;
  /** true for a kernel called from inside another kernel (a composed wasm kernel) */
  inner: boolean;
}

export interface KernelProfiler {
  readonly backend: string;
  /** Key the timings by kernel and input shapes (e.g. `Conv2D [64,28,28,1]x[3,3,1,32]`). */
  withShapes: boolean;
  start(): void;
  stop(): void;
  reset(): void;
  /** Kernel times, biggest first; `steps` divides the totals (default 1). */
  report(steps?: number): KernelTiming[];
  /** Total top-level kernel time per step, in ms. */
  totalMs(steps?: number): number;
}

interface Acc {
  ms: number;
  n: number;
}

class Profiler implements KernelProfiler {
  on = false;
  withShapes = false;
  depth = 0;
  top = new Map<string, Acc>();
  inner = new Map<string, Acc>();
  constructor(readonly backend: string) {}
  start(): void {
    this.on = true;
  }
  stop(): void {
    this.on = false;
  }
  reset(): void {
    this.top = new Map();
    this.inner = new Map();
  }
  totalMs(steps = 1): number {
    let t = 0;
    for (const v of this.top.values()) t += v.ms;
    return t / steps;
  }
  report(steps = 1): KernelTiming[] {
    const total = this.totalMs(steps) || 1;
    const rows = (m: Map<string, Acc>, inner: boolean): KernelTiming[] =>
      [...m.entries()].map(([kernel, v]) => ({
        kernel,
        ms: v.ms / steps,
        calls: v.n / steps,
        pct: (100 * v.ms) / steps / total,
        inner,
      }));
    return [...rows(this.top, false), ...rows(this.inner, true)].sort((a, b) => b.ms - a.ms);
  }
  record(name: string, depth: number, ms: number): void {
    const m = depth === 0 ? this.top : this.inner;
    const e = m.get(name);
    if (e) {
      e.ms += ms;
      e.n++;
    } else m.set(name, { ms, n: 1 });
  }
}

const profilers = new Map<string, Profiler>();

function shapeKey(args: Parameters<tf.KernelFunc>[0]): string {
  const ins = Object.values(args.inputs ?? {}) as Array<tf.TensorInfo | undefined>;
  const shapes = ins.filter((t) => t && Array.isArray(t.shape)).map((t) => `[${(t as tf.TensorInfo).shape.join(",")}]`);
  const a = (args.attrs ?? {}) as Record<string, unknown>;
  const extra = "transposeA" in a ? ` tA=${String(a.transposeA)} tB=${String(a.transposeB)}` : "";
  return ` ${shapes.join("x")}${extra}`;
}

/**
 * The profiler of a backend (default: the current one), wrapping its kernels on first use. The wrappers
 * cost one boolean test per kernel call while the profiler is off. Kernels registered later (after this
 * call) are not wrapped: create the profiler after init().
 */
export function kernelProfiler(backendName: string = tf.getBackend()): KernelProfiler {
  const existing = profilers.get(backendName);
  if (existing) return existing;
  const p = new Profiler(backendName);
  for (const cfg of tf.getKernelsForBackend(backendName)) {
    const orig = cfg.kernelFunc;
    const name = cfg.kernelName;
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      ...cfg,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        if (!p.on) return orig(args);
        const d = p.depth++;
        const t0 = performance.now();
        try {
          return orig(args);
        } finally {
          p.depth--;
          p.record(p.withShapes ? name + shapeKey(args) : name, d, performance.now() - t0);
        }
      }) as tf.KernelFunc,
    });
  }
  profilers.set(backendName, p);
  return p;
}
