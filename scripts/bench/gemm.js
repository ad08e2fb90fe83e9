// GEMM ceiling: GFLOP/s of wasm's matMul (tsdl's own GEMM, XNNPACK of tfjs-backend-wasm 4.22, and the native
// BLAS tsdl's products take when init() finds one: TSDL_BLAS, lib/src/backend/blas.ts) against
// PyTorch's torch.mm (scripts/bench/gemm_torch.py, /usr/bin/python3: Debian python3-torch on OpenBLAS)
// at the same thread counts, for square sizes and the GEMMs of the nets' filter gradients. With --own,
// also tsdl's experimental wasm SIMD GEMM (scripts/bench/simd-gemm/, 1 thread, with and without
// relaxed-SIMD FMA), called in turn with XNNPACK. One process per (engine family, threads); median of
// --reps calls after 2 warm-up calls.
// XNNPACK reuses the packed `b` across calls (cached by data id): a forward layer's case, not training's.
// --cpu: at 1 thread, process CPU time instead of wall time (steadier on a loaded machine).
//   node scripts/bench/gemm.js [--threads 1,2] [--reps 10] [--shapes 512x512x512,...] [--own] [--cpu] [--no-torch]
//        [--python /usr/bin/python3] [--json out.json]
// Needs the built lib (npm run build).
"use strict";
require("../cli-args").helpFromHeader(__filename);
const path = require("path");
const { spawnSync } = require("child_process");
const { performance } = require("perf_hooks");
const { opt, flag } = require("../cli-args").cliArgs();

// MxKxN; mnist2's filter gradient as one GEMM (M = ci·kh·kw, K = n·oh·ow, N = co) and K-blocked (7 samples)
const SHAPES = {
  "512x512x512": "square 512",
  "1024x1024x1024": "square 1024",
  "288x36864x64": "mnist conv2 dW, K unblocked",
  "288x4032x64": "mnist conv2 dW, K of 7 samples",
  "400x3200x16": "cifar conv2 dW, K of 32 samples",
  "64x9216x128": "mnist dense1 forward",
};

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const parse = (s) => s.split("x").map(Number);

async function childWasm(threads, reps, shapes, own, cpu) {
  const { tf, init } = require(path.join(__dirname, "..", "..", "lib", "dist", "index.js"));
  await init({ backend: "wasm", quiet: true, threads });
  // tf.matMul takes tsdl's own GEMM for float32 products of batch 1 (kernels/matmul.ts); matMulTuning.own
  // false gives XNNPACK's (it caches the packed b across calls: a forward layer's best case)
  // (blasTuning.use: the native BLAS init() loaded, when there is one, ahead of the own GEMM)
  const kernels = path.join(__dirname, "..", "..", "lib", "dist", "backend", "kernels");
  const { matMulTuning } = require(path.join(kernels, "matmul.js"));
  const { blasTuning } = require(path.join(kernels, "blas-gemm.js"));
  const via = (own, blas) => (a, b) => {
    matMulTuning.own = own;
    blasTuning.use = blas;
    return tf.matMul(a, b);
  };
  const engines = { "wasm tsdl GEMM": via(true, false), "wasm XNNPACK": via(false, false) };
  if (blasTuning.blas) engines[`tsdl on ${blasTuning.blas.label}`] = via(true, true);
  if (own && threads === 1) {
    const { ownGemm } = require("./simd-gemm");
    engines["own wasm SIMD mul+add"] = await ownGemm(tf, { fma: false });
    engines["own wasm SIMD relaxed FMA"] = await ownGemm(tf, { fma: true });
  }
  const out = [];
  for (const s of shapes) {
    const [m, k, n] = parse(s);
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const ts = Object.fromEntries(Object.keys(engines).map((e) => [e, []]));
    for (let i = 0; i < 2 + reps; i++) {
      // engines in turn within each round: a background load hits them alike
      for (const [e, f] of Object.entries(engines)) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        f(a, b).dispose();
        const c = process.cpuUsage(c0);
        if (i >= 2) ts[e].push(cpu ? (c.user + c.system) / 1000 : performance.now() - t0);
      }
    }
    for (const e of Object.keys(engines)) out.push({ shape: s, engine: e, threads, ms: median(ts[e]) });
    tf.dispose([a, b]);
  }
  for (const r of out) console.log("RESULT " + JSON.stringify(r));
}

function spawn(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${(r.stderr || r.stdout).slice(-2000)}`);
  return r.stdout.split("\n").filter((l) => l.startsWith("RESULT ") || l.startsWith("{")).map((l) => JSON.parse(l.replace(/^RESULT /, "")));
}

async function main() {
  const reps = Number(opt("reps", 10));
  const shapes = opt("shapes", Object.keys(SHAPES).join(",")).split(",");
  if (flag("child")) return childWasm(Number(opt("threads", 1)), reps, shapes, flag("own"), flag("cpu"));
  const threads = opt("threads", "1,2").split(",").map(Number);
  const python = opt("python", process.env.TSDL_BENCH_PYTHON || "/usr/bin/python3");
  const rows = [];
  for (const t of threads) {
    const cpu = flag("cpu") && t === 1 ? ["--cpu"] : [];
    const js = ["--child", "--threads", String(t), "--reps", String(reps), "--shapes", shapes.join(","), ...cpu];
    rows.push(...spawn(process.execPath, [__filename, ...js, ...(flag("own") ? ["--own"] : [])]));
    if (!flag("no-torch")) {
      const py = spawn(python, [path.join(__dirname, "gemm_torch.py"), "--threads", String(t), "--reps", String(reps), "--shapes", shapes.join(","), ...cpu]);
      rows.push(...py.map((r) => ({ ...r, engine: `torch.mm (${r.blas})` })));
    }
  }
  for (const r of rows) {
    const [m, k, n] = parse(r.shape);
    r.gflops = +((2 * m * k * n) / 1e6 / r.ms).toFixed(1);
    r.ms = +r.ms.toFixed(2);
    r.what = SHAPES[r.shape] || "";
  }
  console.log(`GEMM MxKxN, float32, median of ${reps}` + (flag("cpu") ? " (1 thread: process CPU time)" : " (wall time)"));
  console.table(rows.map(({ shape, what, engine, threads: t, ms, gflops }) => ({ shape, what, engine, threads: t, ms, "GFLOP/s": gflops })));
  if (opt("json", null)) require("fs").writeFileSync(opt("json", null), JSON.stringify(rows, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
