// One net per process (so that the RSS high-water mark is this net's alone). Started by scripts/bench.js;
// prints one `RESULT {json}` line per mode on stdout.
//   node scripts/bench/tsdl-worker.js --net lenet --mode loop|raw|both [--steps 20] [--warmup 5] [--warmup-s 3]
//        [--block 10]
//        [--kernels 5] [--shapes] [--backend wasm] [--threads 2] [--lib lib/dist/index.js]
// loop: tsdl's real loop. fit() over a DataLoader (shuffled, toFloat().normalize() on uint8 pixels, as the
//       notebooks load MNIST/CIFAR), SGD lr 0.01 momentum 0.9, with its progress callback (the output
//       itself discarded: no terminal I/O in the figures). The data (a pool of max(warmup, block) batches)
//       is made once, before any timing. A first fit() over `warmup` batches warms the kernels and creates
//       the momentum buffers; each timed fit() runs a block of batches from a fresh shuffled loader.
//       Per step, from a callback: `cycle` = onBatchEnd → next onBatchEnd (the whole step: the loader
//       builds the batch, forward/backward/update, accuracy count, hooks; the loss read-back every
//       logEvery steps), `step` = onBatchBegin → onBatchEnd (the same without the loader).
// raw:  the same model, loss and optimizer, one tf.variableGrads + optimizer.step per step on batches
//       made from prebuilt host arrays, loss read back each step (what a hand-written loop does).
// both: loop and raw in alternating blocks of --block steps (loop first), `steps` of each.
// All: numTensors before/after each timed block, CPU time of the process per step, then (--kernels N)
// N more steps with kernelProfiler on, for the per-kernel table.
"use strict";
const path = require("path");
const { performance } = require("perf_hooks");
const { NETS, OPTIM } = require("./nets");

const { args, opt, flag } = require("../cli-args").cliArgs();

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (v) => Math.round(v * 10) / 10;
const r2 = (v) => Math.round(v * 100) / 100;

/** Deterministic pseudo-random bytes (no dependency, same data run to run). */
function bytes(n, seed) {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
}

function dataset(lib, cfg, samples, seed) {
  const size = cfg.sampleShape.reduce((a, b) => a * b, 1);
  const y = Int32Array.from(bytes(samples, seed + 7), (v) => v % 10);
  return new lib.TensorDataset(bytes(samples * size, seed), y, cfg.sampleShape, { name: "bench" })
    .toFloat()
    .normalize(cfg.norm.mean, cfg.norm.std);
}

/** The first n batches of `loader` as a BatchSource, restarting it (a new shuffle) when it runs out. */
function take(loader, n) {
  return {
    length: n,
    *[Symbol.iterator]() {
      let left = n;
      while (left > 0) {
        const it = loader[Symbol.iterator](); // builds a batch only when asked: none is left undisposed
        try {
          for (let r = it.next(); !r.done; r = left > 0 ? it.next() : { done: true }) {
            left--;
            yield r.value;
          }
        } finally {
          if (it.return) it.return();
        }
      }
    },
  };
}

function kernelRows(prof, steps, top) {
  return prof.report(steps).slice(0, top).map((k) => ({
    kernel: k.kernel, ms: r2(k.ms), pct: r1(k.pct), calls: r1(k.calls), inner: k.inner,
  }));
}

async function main() {
  const net = opt("net");
  const mode = opt("mode", "loop");
  const cfg = NETS[net];
  if (!cfg) throw new Error(`unknown net "${net}": use one of ${Object.keys(NETS).join(", ")}`);
  if (!["loop", "raw", "both"].includes(mode)) throw new Error(`unknown mode "${mode}": use loop, raw or both`);
  const steps = Number(opt("steps", 20));
  const warmup = Number(opt("warmup", 5));
  const kSteps = Number(opt("kernels", 0));
  if (!(steps >= 1 && warmup >= 1)) throw new Error("--steps and --warmup must be ≥ 1");
  const lib = require(path.resolve(opt("lib", path.join(__dirname, "..", "..", "lib", "dist", "index.js"))));
  const { tf } = lib;
  const threads = opt("threads", undefined);
  const info = await lib.init({
    backend: opt("backend", undefined),
    threads: threads === undefined ? undefined : Number(threads),
    quiet: true,
  });
  const model = cfg.make(lib);
  const params = model.parameters();
  const optimizer = new lib.SGD(params, OPTIM);
  const lossFn = lib[cfg.loss];
  const { batch } = cfg;
  const res = {
    net, batch, backend: info.name, tfBackend: info.tfBackend, threads: info.threads, xnnThreads: info.xnnThreads, simd: info.simd, blas: info.blas ?? null,
    steps, warmup, params: params.reduce((n, p) => n + p.size, 0),
  };

  // loop: fit() over the first n batches of a fresh shuffled DataLoader on the pool (made here, outside
  // the timed and CPU-counted blocks); raw: n bare steps. Both return per-step times.
  const block = mode === "both" ? Math.min(steps, Number(opt("block", 10))) : steps;
  const pool = dataset(lib, cfg, Math.max(warmup, block) * batch, 1);
  lib.setProgressOutput(() => ({ update() {}, close() {} }));
  let seed = 1;
  const loopSteps = async (n, timed) => {
    const loader = take(new lib.DataLoader(pool, { batchSize: batch, shuffle: true, seed: seed++ }), n);
    const cycle = [];
    const step = [];
    let last = 0;
    let begin = 0;
    const cb = {
      onEpochBegin: () => { last = performance.now(); },
      onBatchBegin: () => { begin = performance.now(); },
      onBatchEnd: () => {
        const t = performance.now();
        step.push(t - begin);
        cycle.push(t - last);
        last = t;
      },
    };
    const t0 = performance.now();
    const h = await lib.fit(model, loader, { epochs: 1, optimizer, lossFn, progress: true, callbacks: timed ? [cb] : [] });
    return { cycle, step, totalMs: performance.now() - t0, loss: h.trainLoss[h.trainLoss.length - 1] };
  };
  const host = [0, 1, 2].map((k) => {
    const d = dataset(lib, cfg, batch, 100 + k);
    return { x: d.gather(Int32Array.from({ length: batch }, (_, i) => i)), y: d.y };
  });
  let ri = 0;
  const rawSteps = async (n) => {
    const cycle = [];
    let loss = NaN;
    const t0 = performance.now();
    for (let s = 0; s < n; s++, ri++) {
      const ts = performance.now();
      const hb = host[ri % host.length];
      const x = tf.tensor(hb.x, [batch, ...cfg.sampleShape]);
      const y = tf.tensor1d(hb.y, "int32");
      const { value, grads } = tf.variableGrads(() => lossFn(model.forward(x), y), params);
      optimizer.step(grads);
      loss = (await value.data())[0];
      tf.dispose([x, y, value, ...Object.values(grads)]);
      cycle.push(performance.now() - ts);
    }
    return { cycle, step: cycle, totalMs: performance.now() - t0, loss };
  };
  const runners = { loop: loopSteps, raw: rawSteps };
  const modes = mode === "both" ? ["loop", "raw"] : [mode];

  // Warm-up: `warmup` steps of each mode, repeated until --warmup-s seconds have passed (V8 tiers the wasm
  // and JS up over the first tens of steps: 5 steps left the MLP's first timed blocks ~50 % slow).
  const warmupS = Number(opt("warmup-s", 3));
  const w0 = performance.now();
  do {
    for (const md of modes) await runners[md](warmup, false);
  } while (performance.now() - w0 < warmupS * 1000);
  // Timed steps. "both": rounds of `block` loop steps then `block` raw steps, so that both see the same
  // machine load (the loop-vs-raw difference is a few % and a loaded machine drifts by more).
  const acc = {};
  for (const md of modes) acc[md] = { cycle: [], step: [], totalMs: 0, cpuUs: 0, counts: [], loss: NaN };
  for (let done = 0; done < steps; done += block) {
    const n = Math.min(block, steps - done);
    for (const md of modes) {
      const a = acc[md];
      const n0 = tf.memory().numTensors;
      const c0 = process.cpuUsage();
      const m = await runners[md](n, true);
      const dc = process.cpuUsage(c0);
      a.counts.push([n0, tf.memory().numTensors]);
      a.cycle.push(...m.cycle);
      a.step.push(...m.step);
      a.totalMs += m.totalMs;
      a.cpuUs += dc.user + dc.system;
      a.loss = m.loss;
    }
  }
  const ru = process.resourceUsage();
  const out = {};
  for (const md of modes) {
    const a = acc[md];
    out[md] = {
      ...res, mode: md,
      medMs: r2(median(a.cycle)),
      minMs: r1(Math.min(...a.cycle)),
      stepMs: r2(median(a.step)), // loop: without the loader's batch building
      meanMs: r1(a.totalMs / steps), // loop: includes fit's setup and end-of-epoch read-back
      cpuMs: r1(a.cpuUs / 1000 / steps), // all threads; steadier than wall time under load
      numTensors: [a.counts[0][0], a.counts[a.counts.length - 1][1]],
      tensorsFlat: a.counts.every(([x, y]) => x === a.counts[0][0] && y === x),
      maxRssMB: r1(ru.maxRSS / 1024), // the process's: with "both", loop and raw together
      loss: Number.isFinite(a.loss) ? r2(a.loss) : a.loss,
      block,
    };
  }

  if (kSteps > 0) {
    const prof = lib.kernelProfiler();
    prof.withShapes = flag("shapes");
    for (const md of modes) {
      prof.reset();
      prof.start();
      const k0 = performance.now();
      await runners[md](kSteps, false);
      const wall = (performance.now() - k0) / kSteps;
      prof.stop();
      out[md].kernels = {
        steps: kSteps,
        wallMs: r1(wall), // profiled steps (wrappers add a little)
        kernelMs: r1(prof.totalMs(kSteps)),
        top: kernelRows(prof, kSteps, Number(opt("top", 12))),
        all: prof.report(kSteps).filter((k) => !k.inner).map((k) => ({ kernel: k.kernel, ms: r2(k.ms), calls: r1(k.calls) })),
      };
    }
  }
  optimizer.dispose();
  for (const md of modes) process.stdout.write("RESULT " + JSON.stringify(out[md]) + "\n");
}

main().then(
  () => process.exit(0), // wasm pthread workers are unref'ed, but exit at once all the same
  (e) => {
    console.error(`bench worker (${args.join(" ")}):`, e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
