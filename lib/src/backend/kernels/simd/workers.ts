// The own kernels on every wasm thread: Node worker_threads that instantiate the same module on tfjs'
// SHARED memory and take samples of a job in turn. The kernel call stays synchronous: the caller posts the
// job in a SharedArrayBuffer control block (Atomics.notify), takes samples too, and waits (Atomics.wait:
// allowed on Node's main thread) until every participating worker is done. Workers are unref'd (they never
// keep a script alive) and only those that reported ready take part, so a job never waits on a start-up.
// Unavailable (one thread): tfjs' plain build (unshared memory), no worker_threads (browsers).

/** Control block layout (Int32 slots); plain objects, since the worker's copy of takeSamples reads them. */
const Slot = {
  GEN: 0, // job generation: bumped (and notified) to start a job
  NEXT: 1, // next sample to take (Atomics.add)
  DONE: 2, // workers done with the job
  MASK: 3, // bit t: worker t takes part
  N: 4, // samples
  X: 5, // x of sample 0 (byte offset), then bytes per sample
  XSTEP: 6,
  DY: 7,
  DYSTEP: 8,
  OFFS: 9, // row offsets table
  M: 10,
  OH: 11,
  OW: 12,
  CS: 13,
  RS: 14,
  CO: 15,
  FAILED: 16, // a worker threw during a job (it leaves the pool)
  KIND: 17, // 0: filter gradient (DY: dy, each thread its PART); 1: Conv2D (DY: the output, PANELS: the packed filter);
  // 2: Tanh (X → DY, M elements in N chunks of OW elements); 3: GEMM (N blocks of M rows of A at X + b·XSTEP
  // into DY + b·DYSTEP, the last one OH rows if OH > 0; K = OW in CHUNKS chunks, each with its tile table
  // at TILES + chunk·TSTRIDE);
  // (P0: with A packed, the packed tiles' row offsets, P1 the bytes per packed tile, P2 k's per chunk);
  // 4: MaxPoolGrad (N samples, x at X, dy at DY, dx at OFFS, the geometry in P);
  // 5: Winograd F(2×2, 3×3) conv (N samples of the padded x at X + b·XSTEP → DY + b·DYSTEP; P: Wp, ci, th,
  //    tw, co, oh, ow, bytes of one ξ's panels; OFFS the tile rows' offsets; each thread V at PART, M after);
  // 6: its filter gradient (x as in 5, dy at DY + b·DYSTEP; P as in 5 but P7 = bytes of V; each thread V at
  //    PANELS, dM after, dU summed into its PART; OFFS the channel rows' offsets);
  // 7: SGD step (N chunks of OW elements; P: p, g, buf, out p, out buf, elements, flags, then lr, mom,
  //    1 − damp, wd as float32 bits); 8: AvgPoolGrad of disjoint windows (N samples, dy at DY, dx at X;
  //    P: H, W, C, oh, ow, kh, kw, sh, sw, top, left, q as float32 bits); 9: MaxPool of 2×2 windows, stride
  //    2, inside x (N samples, x at X, y at DY; P: H, W, C, oh, ow); 10: activation gradient (N chunks of
  //    OW elements of M, dy at DY, y at X, d at OFFS; P: activation, bytes of a chunk's bias sums (0:
  //    none), where they start); 11, 12: per-channel sums and affine pass (./channels-wat.ts; N chunks of OW
  //    elements of M); 13: the loader's uint8 → float32 affine pass (N chunks of OW bytes of M at X, float32
  //    at DY; P: the scale and shift patterns, their period)
  BIAS: 18, // Conv2D: the bias (byte offset, 0: none), then relu (1) or not (0)
  RELU: 19,
  TILES: 20, // Conv2D: per 4-row tile, the part of K it needs (byte offset, 0: all of K), see ./wat.ts
  CHUNKS: 21,
  TSTRIDE: 22,
  P: 23, // 12 parameters of kind 4: H, W, C, oh, ow, kh, kw, sh, sw, top, left, write
  JOIN: 35, // the job's generation (GEN & JOIN_GEN) << 7 | closed (64) | workers that joined it (see run())
  SLEEPERS: 36, // workers asleep on GEN (the caller notifies only then: see the worker's loop)
  CALLER_WAITS: 37, // 1 while the caller sleeps on DONE (a worker notifies only then)
  SPIN_US: 38, // how long a worker polls GEN after a job before it sleeps, in µs (KernelThreads.workerSpinMs)
  PARK: 39, // 1: polling workers go to sleep now (KernelThreads.park: the cores go to a native BLAS' threads)
  /** per thread t (0 = the caller): READY, COUNT (samples taken), PART (its dW), PANELS, SCRATCH */
  THREAD: 40,
} as const;
const ThreadSlot = { READY: 0, COUNT: 1, PART: 2, PANELS: 3, SCRATCH: 4, SIZE: 5 } as const;
// exported by a list: tsc would rewrite an exported const's uses as exports.X, which the worker lacks
export { Slot, ThreadSlot };
export const MAX_THREADS = 8;
/** The generation bits JOIN keeps (JOIN = (GEN & JOIN_GEN) << 7 | 64 when closed | joined count). */
const JOIN_GEN = 0x7fffff;
const WAIT_MS = 120000;
const SLOTS = Slot.THREAD + ThreadSlot.SIZE * MAX_THREADS;

/** The exports a job runs (workers and caller alike). */
export interface WorkerExports {
  packB(b: number, ldb: number, kc: number, nc: number, dst: number): void;
  macroConv(a: number, offs: number, m: number, bp: number, oh: number, ow: number, cs: number, rs: number,
    nc: number, c: number, ldc: number, acc: number, scratch: number, bias: number, relu: number, tiles: number): void;
  tanh(x: number, y: number, n: number): void;
  maxPoolGrad(x: number, dy: number, dx: number, b0: number, b1: number, H: number, W: number, C: number,
    oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number, write: number): void;
  winoIn(x: number, v: number, Wp: number, ci: number, th: number, tw: number): void;
  winoOut(m: number, y: number, th: number, tw: number, co: number, oh: number, ow: number, bias: number, relu: number): void;
  winoGradOut(dy: number, dm: number, th: number, tw: number, co: number, oh: number, ow: number): void;
  sgdStep(p: number, g: number, b: number, op: number, ob: number, n: number, lr: number, mom: number, damp1: number,
    wd: number, flags: number): void;
  chanSum(u: number, v: number, n: number, acc: number, pBytes: number, mode: number, m: number): void;
  chanAffine(u: number, v: number, out: number, n: number, a: number, b: number, c: number, m: number, pBytes: number,
    hasU: number): void;
  actGrad(dy: number, y: number, d: number, n: number, act: number, acc: number, pBytes: number): void;
  maxPool22(x: number, y: number, b0: number, b1: number, H: number, W: number, C: number, oh: number, ow: number): void;
  affineU8(src: number, dst: number, n: number, scale: number, shift: number, p: number): void;
  packA4(a: number, offs: number, tiles: number, k: number, cs: number, dst: number, tstride: number): void;
  avgPoolGrad(dy: number, dx: number, b0: number, b1: number, H: number, W: number, C: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number, q: number): void;
}

/**
 * One thread's share of a filter-gradient job: samples taken in turn, summed into its PART (the first
 * one written, not added). The worker runs the same text (WORKER_SOURCE embeds it).
 */
export function takeSamples(k: WorkerExports, c: Int32Array, t: number): void {
  const u = (s: number) => c[s] >>> 0; // byte offsets past 2 GiB
  const base = Slot.THREAD + t * ThreadSlot.SIZE;
  const n = c[Slot.N], oh = c[Slot.OH], ow = c[Slot.OW], co = c[Slot.CO];
  const part = u(base + ThreadSlot.PART), panels = u(base + ThreadSlot.PANELS), scratch = u(base + ThreadSlot.SCRATCH);
  let count = 0;
  const kind = c[Slot.KIND];
  const q = (i: number) => c[Slot.P + i]; // the job's parameters; qu: one read as an unsigned byte offset
  const qu = (i: number) => u(Slot.P + i);
  for (let b = Atomics.add(c, Slot.NEXT, 1); b < n; b = Atomics.add(c, Slot.NEXT, 1), count++) {
    // element-wise kinds: chunk b of OW elements starts `at` bytes in (2, 7, 10–12), `len` of M (2, 10–12)
    const at = b * ow * 4;
    const len = Math.min(ow, c[Slot.M] - b * ow);
    if (kind === 2) {
      k.tanh(u(Slot.X) + at, u(Slot.DY) + at, len);
      continue;
    }
    if (kind === 13) {
      k.affineU8(u(Slot.X) + b * ow, u(Slot.DY) + at, len, qu(0), qu(1), q(2));
      continue;
    }
    if (kind === 8) {
      const f = new Float32Array(c.buffer, 4 * (Slot.P + 11), 1);
      k.avgPoolGrad(u(Slot.DY), u(Slot.X), b, b + 1, q(0), q(1), q(2), q(3), q(4), q(5), q(6), q(7), q(8), q(9), q(10), f[0]);
      continue;
    }
    if (kind === 7) {
      const f = new Float32Array(c.buffer, 4 * (Slot.P + 7), 4);
      k.sgdStep(qu(0) + at, qu(1) + at, qu(2) + at, qu(3) + at, qu(4) + at, Math.min(ow, q(5) - b * ow), f[0], f[1], f[2], f[3], q(6));
      continue;
    }
    if (kind === 6) {
      const [ci, tiles, cout] = [q(1), q(2) * q(3), q(4)];
      const v = panels, dm = panels + q(7);
      k.winoIn(u(Slot.X) + b * c[Slot.XSTEP], v, q(0), ci, q(2), q(3));
      k.winoGradOut(u(Slot.DY) + b * c[Slot.DYSTEP], dm, q(2), q(3), cout, q(5), q(6));
      for (let x = 0; x < 16; x++) {
        k.macroConv(v + x * tiles * ci * 4, u(Slot.OFFS), ci, dm + x * tiles * cout * 4, 1, tiles, ci * 4, 0, cout,
          part + x * ci * cout * 4, cout * 4, count > 0 ? 1 : 0, scratch, 0, 0, 0);
      }
      continue;
    }
    if (kind === 5) {
      const [ci, tiles, cout] = [q(1), q(2) * q(3), q(4)];
      const v = part, m = part + 16 * tiles * ci * 4;
      k.winoIn(u(Slot.X) + b * c[Slot.XSTEP], v, q(0), ci, q(2), q(3));
      for (let x = 0; x < 16; x++) {
        k.macroConv(v + x * tiles * ci * 4, u(Slot.OFFS), tiles, panels + x * q(7), 1, ci, 4, 0, cout,
          m + x * tiles * cout * 4, cout * 4, 0, scratch, 0, 0, 0);
      }
      k.winoOut(m, u(Slot.DY) + b * c[Slot.DYSTEP], q(2), q(3), cout, q(5), q(6), u(Slot.BIAS), c[Slot.RELU]);
      continue;
    }
    if (kind === 11 || kind === 12) {
      // chunks of OW elements (a multiple of the period), u at DY, v at X; P: period bytes, then
      // 11: mode, m, partial sums (each chunk its own P or 2P floats); 12: a, b, c, m, out, hasU
      if (kind === 11) k.chanSum(u(Slot.DY) + at, u(Slot.X) + at, len, qu(3) + b * q(0) * (q(1) === 2 ? 2 : 1), q(0), q(1), qu(2));
      else k.chanAffine(u(Slot.DY) + at, u(Slot.X) + at, qu(5) + at, len, qu(1), qu(2), qu(3), qu(4), q(0), q(6));
      continue;
    }
    if (kind === 10) {
      // chunks of OW elements (a multiple of P), each chunk's bias sums at P2 + chunk · P1 bytes
      const pBytes = q(1);
      k.actGrad(u(Slot.DY) + at, u(Slot.X) + at, u(Slot.OFFS) + at, len, q(0), pBytes ? qu(2) + b * pBytes : 0, pBytes);
      continue;
    }
    if (kind === 9) {
      k.maxPool22(u(Slot.X), u(Slot.DY), b, b + 1, q(0), q(1), q(2), q(3), q(4));
      continue;
    }
    if (kind === 4) {
      k.maxPoolGrad(u(Slot.X), u(Slot.DY), u(Slot.OFFS), b, b + 1, q(0), q(1), q(2), q(3), q(4), q(5), q(6), q(7), q(8), q(9), q(10), q(11));
      continue;
    }
    if (kind === 3) {
      // K chunks accumulate into the block's rows of C; bias with the first, relu only if one chunk
      // (the last block has OH rows when OH > 0, their offsets at OFFS + 4·M)
      const chunks = c[Slot.CHUNKS];
      const last = b === n - 1 && oh > 0;
      if (q(0)) {
        // A packed first, per K chunk of P2 k's, into this thread's PART as 4-row tiles [k][4] (P1 bytes
        // apart; their row offsets at P0): macroConv then reads them 16 bytes a k (see pack-wat.ts packA4)
        const rows = last ? oh : c[Slot.M];
        for (let kc = 0, k0 = 0; kc < chunks; kc++, k0 += q(2)) {
          k.packA4(u(Slot.X) + b * c[Slot.XSTEP] + k0 * c[Slot.CS], u(Slot.OFFS) + (last ? 4 * c[Slot.M] : 0), (rows + 3) >> 2,
            Math.min(q(2), ow - k0), c[Slot.CS], part, q(1));
          k.macroConv(part - 16 * k0, qu(0), rows, panels, 1, ow, 16, 0, co, u(Slot.DY) + b * c[Slot.DYSTEP], co * 4, kc > 0 ? 1 : 0,
            scratch, kc === 0 ? u(Slot.BIAS) : 0, chunks === 1 ? c[Slot.RELU] : 0, u(Slot.TILES) + kc * c[Slot.TSTRIDE]);
        }
        continue;
      }
      for (let kc = 0; kc < chunks; kc++) {
        k.macroConv(u(Slot.X) + b * c[Slot.XSTEP], u(Slot.OFFS) + (last ? 4 * c[Slot.M] : 0), last ? oh : c[Slot.M], panels, 1, ow,
          c[Slot.CS], c[Slot.RS], co,
          u(Slot.DY) + b * c[Slot.DYSTEP], co * 4, kc > 0 ? 1 : 0, scratch, kc === 0 ? u(Slot.BIAS) : 0,
          chunks === 1 ? c[Slot.RELU] : 0, u(Slot.TILES) + kc * c[Slot.TSTRIDE]);
      }
      continue;
    }
    if (kind === 1) {
      // rows: output positions, K: kh (OH slot) rows of kw·ci (OW slot) floats, the filter packed once
      k.macroConv(u(Slot.X) + b * c[Slot.XSTEP], u(Slot.OFFS), c[Slot.M], panels, oh, ow, c[Slot.CS], c[Slot.RS], co,
        u(Slot.DY) + b * c[Slot.DYSTEP], co * 4, 0, scratch, u(Slot.BIAS), c[Slot.RELU], u(Slot.TILES));
      continue;
    }
    k.packB(u(Slot.DY) + b * c[Slot.DYSTEP], co * 4, oh * ow, co, panels);
    k.macroConv(u(Slot.X) + b * c[Slot.XSTEP], u(Slot.OFFS), c[Slot.M], panels, oh, ow, c[Slot.CS], c[Slot.RS], co,
      part, co * 4, count > 0 ? 1 : 0, scratch, 0, 0, 0);
  }
  c[base + ThreadSlot.COUNT] = count;
}

// A worker joins a job (JOIN + 1) before it reads it; the caller closes the job (JOIN | 64) once it has no
// samples left, and waits for the workers that joined only. A worker woken late (a halted vCPU, a core
// taken by V8's GC threads: 1–3 ms spikes on the MLP's products) then no longer holds the step: it finds
// the job closed, or another job's generation, and goes back to sleep.

/** Caller: opens the job of generation GEN + 1 (before bumping GEN). */
export function openJob(c: Int32Array): void {
  Atomics.store(c, Slot.JOIN, ((c[Slot.GEN] + 1) & JOIN_GEN) << 7);
}

/** Worker: joins the job of generation `gen` if it is still open; false: the caller did it alone. */
export function joinJob(c: Int32Array, gen: number): boolean {
  const open = (gen & JOIN_GEN) << 7;
  for (let v = Atomics.load(c, Slot.JOIN); (v & ~63) === open; ) {
    const w = Atomics.compareExchange(c, Slot.JOIN, v, v + 1);
    if (w === v) return true;
    v = w;
  }
  return false;
}

/** Caller: closes the open job; returns how many workers joined it. */
export function closeJob(c: Int32Array): number {
  for (let v = Atomics.load(c, Slot.JOIN); ; ) {
    const w = Atomics.compareExchange(c, Slot.JOIN, v, v | 64);
    if (w === v) return v & 63;
    v = w;
  }
}

// Plain JavaScript (the worker evaluates it as is): no TypeScript-only syntax in takeSamples above.
const WORKER_SOURCE = `
const { workerData } = require("worker_threads");
const { bytes, memory, control, t } = workerData;
const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
const c = new Int32Array(control);
const Slot = ${JSON.stringify(Slot)}, ThreadSlot = ${JSON.stringify(ThreadSlot)};
const takeSamples = ${takeSamples.toString()};
const JOIN_GEN = ${JOIN_GEN};
const joinJob = ${joinJob.toString()};
const { performance } = require("perf_hooks");
let seen = Atomics.load(c, ${Slot.GEN});
Atomics.store(c, ${Slot.THREAD} + t * ${ThreadSlot.SIZE}, 1);
for (;;) {
  // a step's jobs come back to back: poll a little before sleeping (a futex wake costs ~10 µs on each side)
  const spin = Atomics.load(c, ${Slot.SPIN_US});
  if (spin > 0) {
    const end = performance.now() + spin / 1000;
    while (Atomics.load(c, ${Slot.GEN}) === seen && Atomics.load(c, ${Slot.PARK}) === 0 && performance.now() < end);
  }
  if (Atomics.load(c, ${Slot.GEN}) === seen) {
    // counted before the wait's own check of GEN: a caller that bumps GEN after it sees this count
    Atomics.add(c, ${Slot.SLEEPERS}, 1);
    Atomics.wait(c, ${Slot.GEN}, seen);
    Atomics.sub(c, ${Slot.SLEEPERS}, 1);
  }
  seen = Atomics.load(c, ${Slot.GEN});
  if (!joinJob(c, seen)) continue;
  try {
    if (c[${Slot.MASK}] & (1 << t)) takeSamples(k, c, t);
  } catch (e) {
    // the caller is blocked in Atomics.wait: report through the control block, never leave it waiting
    Atomics.store(c, ${Slot.FAILED}, 1);
    Atomics.store(c, ${Slot.THREAD} + t * ${ThreadSlot.SIZE}, 0);
  } finally {
    Atomics.add(c, ${Slot.DONE}, 1);
    if (Atomics.load(c, ${Slot.CALLER_WAITS})) Atomics.notify(c, ${Slot.DONE});
  }
}
`;

interface NodeWorker {
  unref(): void;
  on(ev: "error" | "exit", f: (e: unknown) => void): void;
  terminate(): Promise<number>;
}

/** Worker threads for one wasm backend's kernel module. */
export class KernelThreads {
  readonly control: Int32Array;
  private readonly workers: NodeWorker[] = [];
  private failed: string | null = null;

  /**
   * How long the caller polls for the workers' end before it sleeps (Atomics.wait), in ms: waking the
   * main thread from a futex costs tens of µs, the length of a small product's share (see runtime.ts
   * ownKernelTuning). The caller's core would idle meanwhile, so the poll takes nothing from the workers.
   */
  callerSpinMs = 0.1;

  /**
   * How long a worker polls for the next job after one before it sleeps, in ms: a training step's jobs
   * come back to back (the MLP: ~7 a step, 0.1–0.5 ms apart), and a sleeping worker costs a futex wake on
   * the caller's side (~10 µs a job) and wakes late. It polls on its own core, between jobs only.
   */
  get workerSpinMs(): number {
    return Atomics.load(this.control, Slot.SPIN_US) / 1000;
  }
  set workerSpinMs(ms: number) {
    Atomics.store(this.control, Slot.SPIN_US, Math.max(0, Math.round(ms * 1000)));
  }

  /** Threads in all, the caller included (at most MAX_THREADS: the control block's size). */
  readonly threads: number;

  /** `threads` in all, the caller included: threads − 1 workers. */
  constructor(bytes: Uint8Array, memory: WebAssembly.Memory, threads: number) {
    this.threads = Math.min(threads, MAX_THREADS);
    this.control = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
    this.control[Slot.THREAD + ThreadSlot.READY] = 1; // the caller
    this.workerSpinMs = 0.5;
    // guarded: bundlers for the browser have no worker_threads (the kernels then run on one thread)
    const { Worker } = require("worker_threads") as { Worker: new (src: string, o: object) => NodeWorker };
    for (let t = 1; t < this.threads; t++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { bytes, memory, control: this.control.buffer, t } });
      w.unref();
      w.on("error", (e) => {
        // a dead worker never reports ready again; it must not take part in later jobs
        this.failed = `worker ${t}: ${(e as Error).message ?? String(e)}`;
        Atomics.store(this.control, Slot.THREAD + t * ThreadSlot.SIZE + ThreadSlot.READY, 0);
      });
      this.workers.push(w);
    }
  }

  /** Threads ready now, the caller included. */
  ready(): number {
    let r = 0;
    for (let t = 0; t < this.threads; t++) r += Atomics.load(this.control, Slot.THREAD + t * ThreadSlot.SIZE) ? 1 : 0;
    return r;
  }

  /** Resolves once every worker is ready (or after `ms`), with the count ready. */
  async whenReady(ms = 10000): Promise<number> {
    const t0 = Date.now();
    while (this.ready() < this.threads && !this.failed && Date.now() - t0 < ms) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.ready();
  }

  /** Why a worker died, if one did. */
  error(): string | null {
    return this.failed;
  }

  /** The caller (0) and up to `use` − 1 ready workers: the threads of the next job. */
  pick(use: number): number[] {
    const picked = [0];
    for (let t = 1; t < this.threads && picked.length < use; t++) {
      if (Atomics.load(this.control, Slot.THREAD + t * ThreadSlot.SIZE)) picked.push(t);
    }
    return picked;
  }

  /**
   * Runs the job already written in the control block (job slots, and PART/PANELS/SCRATCH of each picked
   * thread) on the picked threads; returns their sample counts (in `picked`'s order).
   */
  run(k: WorkerExports, picked: number[]): number[] {
    const c = this.control;
    let mask = 0;
    for (const t of picked) {
      if (t > 0) mask |= 1 << t;
      c[Slot.THREAD + t * ThreadSlot.SIZE + ThreadSlot.COUNT] = 0;
    }
    c[Slot.NEXT] = 0;
    c[Slot.DONE] = 0;
    c[Slot.MASK] = mask;
    c[Slot.FAILED] = 0;
    c[Slot.PARK] = 0;
    openJob(c); // (see joinJob)
    Atomics.add(c, Slot.GEN, 1); // seq-cst: the job slots above are visible to whoever sees the new GEN
    // a worker that counted itself asleep after this add sees the new GEN in its wait (no wake needed)
    if (Atomics.load(c, Slot.SLEEPERS) > 0) Atomics.notify(c, Slot.GEN);
    takeSamples(k, c, 0);
    const workers = closeJob(c);
    const t0 = Date.now();
    if (this.callerSpinMs > 0 && Atomics.load(c, Slot.DONE) < workers) {
      const end = performance.now() + this.callerSpinMs;
      while (Atomics.load(c, Slot.DONE) < workers && performance.now() < end);
    }
    if (Atomics.load(c, Slot.DONE) < workers) {
      // (as for SLEEPERS: a worker done after this store sees it and notifies)
      Atomics.store(c, Slot.CALLER_WAITS, 1);
      try {
        for (let d = Atomics.load(c, Slot.DONE); d < workers; d = Atomics.load(c, Slot.DONE)) {
          if (Atomics.wait(c, Slot.DONE, d, 1000) === "timed-out" && Date.now() - t0 > WAIT_MS) {
            throw new Error(`tsdl: own kernel worker threads did not answer in ${WAIT_MS / 1000} s. Set TSDL_THREADS=1.`);
          }
        }
      } finally {
        Atomics.store(c, Slot.CALLER_WAITS, 0);
      }
    }
    if (c[Slot.FAILED]) {
      throw new Error("tsdl: an own kernel worker thread failed (see lib/src/backend/kernels/simd/workers.ts). Set TSDL_THREADS=1.");
    }
    return picked.map((t) => c[Slot.THREAD + t * ThreadSlot.SIZE + ThreadSlot.COUNT]);
  }

  /**
   * Sends the workers polling for a job to sleep at once (the next job wakes them): a native BLAS about to
   * run its own threads would otherwise share a core with a worker's poll, up to workerSpinMs, and its
   * product, split evenly, waits for the slowed half (the MLP: 2 BLAS threads 4.5 → 3.4 ms per step).
   */
  park(): void {
    Atomics.store(this.control, Slot.PARK, 1);
  }

  /** Ends the workers (tests); the kernels then run on the caller only. */
  async terminate(): Promise<void> {
    for (let t = 1; t < this.threads; t++) Atomics.store(this.control, Slot.THREAD + t * ThreadSlot.SIZE, 0);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
