// Conv2DBackpropFilter on wasm, on the bench nets' conv shapes: tsdl's own kernel, and its fallback
// composition against the batch chunk of its K-blocking (the swapped Conv2D runs on `chunk` samples at
// a time, partial gradients summed; chunk = n is the unblocked composition, one Conv2D, K = n·oh·ow).
// Calls are interleaved (one of each candidate per round) so that a background load hits all alike;
// median over rounds.
// "own" is tsdl's own wasm SIMD kernel (the default since 2026-11-24, one thread); "cN" / "rule" / "n=…"
// the XNNPACK composition it falls back to; "fwd" the forward Conv2D of the same layer (same FLOPs).
//   node scripts/bench/conv-filter.js [--rounds 15] [--threads N] [--cpu] [--chunks 1,2,4,8,16,n,rule]
//        [--layer mnist2,...] [--fma] [--json out.json]
// --fma adds the experiment's copy of the own kernel with relaxed-SIMD FMA (scripts/bench/simd-gemm;
// needs the devDependency wabt).
// Needs the built lib (npm run build).
"use strict";
require("../cli-args").helpFromHeader(__filename);
const path = require("path");
const { performance } = require("perf_hooks");
const { opt, flag } = require("../cli-args").cliArgs();

const dist = path.join(__dirname, "..", "..", "lib", "dist");
const { tf, init } = require(path.join(dist, "index.js"));
const { filterGradTuning, filterChunk } = require(path.join(dist, "backend", "kernels", "conv.js"));

// [n, H, W, ci], kernel, co, padding: the convolutions of scripts/bench's nets
const LAYERS = {
  lenet1: { x: [256, 28, 28, 1], k: 5, co: 6, pad: "same" },
  lenet2: { x: [256, 14, 14, 6], k: 5, co: 16, pad: "valid" },
  mnist1: { x: [64, 28, 28, 1], k: 3, co: 32, pad: "valid" },
  mnist2: { x: [64, 26, 26, 32], k: 3, co: 64, pad: "valid" },
  cifar1: { x: [128, 32, 32, 3], k: 5, co: 16, pad: "valid" },
  cifar2: { x: [128, 14, 14, 16], k: 5, co: 32, pad: "valid" },
};

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function main() {
  const threads = opt("threads", undefined);
  const info = await init({ backend: "wasm", quiet: true, threads: threads === undefined ? undefined : Number(threads) });
  const rounds = Number(opt("rounds", 15));
  const layers = opt("layer", Object.keys(LAYERS).join(",")).split(",");
  // --cpu: process CPU time (all threads) instead of wall time: steadier on a loaded machine at 1 thread
  const metric = flag("cpu") ? "cpu" : "wall";
  const chunkArg = opt("chunks", "1,2,4,8,16,32,n,rule").split(",");
  console.log(`Conv2DBackpropFilter, wasm ${info.threads} thread(s), median of ${rounds} interleaved calls, ${metric} ms`);
  // --fma: the experiment's copy of the kernel with relaxed-SIMD FMA (scripts/bench/simd-gemm; needs wabt)
  const OWN = -2;
  const own = new Map();
  const ownNames = { [-3]: "ownFMA" };
  if (flag("fma")) own.set(-3, await require("./simd-gemm").ownFilterGrad(tf, { fma: true }));
  const rows = [];
  for (const name of layers) {
    const L = LAYERS[name];
    const [n, H, W, ci] = L.x;
    const x = tf.randomNormal(L.x);
    const y = tf.conv2d(x, tf.zeros([L.k, L.k, ci, L.co]), 1, L.pad);
    const dy = tf.randomNormal(y.shape);
    const [oh, ow] = [dy.shape[1], dy.shape[2]];
    const chunks = [...new Set(chunkArg.map((c) => (c === "n" ? n : c === "rule" ? 0 : Number(c))).filter((c) => c <= n))];
    const w = tf.randomNormal([L.k, L.k, ci, L.co]);
    // the forward Conv2D of the same layer (same FLOPs): the speed XNNPACK reaches on a "normal" conv
    const FWD = -1;
    const info = tf.backend_util.computeConv2DInfo(L.x, [L.k, L.k, ci, L.co], 1, 1, L.pad);
    const geo = { kh: L.k, kw: L.k, s: 1, top: info.padInfo.top, left: info.padInfo.left };
    const call = (c) => {
      // c > 0: the XNNPACK composition with chunks of c samples (0: its rule); OWN: tsdl's own kernel
      filterGradTuning.own = c === OWN;
      filterGradTuning.chunk = c === OWN ? 0 : c;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const g = c === FWD ? tf.conv2d(x, w, 1, L.pad) : own.has(c) ? own.get(c)(x, dy, geo) : tf.engine().runKernel("Conv2DBackpropFilter", { x, dy },
        { strides: [1, 1], pad: L.pad, dataFormat: "NHWC", dimRoundingMode: undefined, filterShape: [L.k, L.k, ci, L.co] });
      g.dataSync();
      const dt = performance.now() - t0;
      const cu = process.cpuUsage(c0);
      g.dispose();
      return [dt, (cu.user + cu.system) / 1000];
    };
    const cands = [FWD, OWN, ...chunks, ...own.keys()];
    const times = new Map(cands.map((c) => [c, { wall: [], cpu: [] }]));
    for (const c of cands) call(c); // warm-up
    for (let r = 0; r < rounds; r++)
      for (const c of cands) {
        const [dt, cpu] = call(c);
        times.get(c).wall.push(dt);
        times.get(c).cpu.push(cpu);
      }
    filterGradTuning.chunk = 0;
    filterGradTuning.own = true;
    const gflop = (2 * n * oh * ow * L.k * L.k * ci * L.co) / 1e9;
    const row = { layer: name, x: L.x.join("x"), dy: dy.shape.join("x"), ruleChunk: filterChunk(n, H * W * ci, oh * ow * L.co) };
    const key = (c) => (c === FWD ? "fwd" : c === OWN ? "own" : own.has(c) ? ownNames[c] : c === 0 ? "rule" : c === n ? `n=${n}` : `c${c}`);
    for (const c of cands) row[key(c)] = +median(times.get(c)[metric]).toFixed(2);
    const best = Math.min(...chunks.map((c) => median(times.get(c)[metric])));
    row["GFLOP/s best"] = +(gflop / (best / 1000)).toFixed(1);
    for (const c of [OWN, ...own.keys()]) row[`GFLOP/s ${key(c)}`] = +(gflop / (median(times.get(c)[metric]) / 1000)).toFixed(1);
    row["GFLOP/s fwd"] = +(gflop / (median(times.get(FWD)[metric]) / 1000)).toFixed(1);
    rows.push(row);
    console.log(JSON.stringify(row));
    tf.dispose([x, y, dy, w]);
  }
  if (opt("json", null)) require("fs").writeFileSync(opt("json", null), JSON.stringify(rows, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
