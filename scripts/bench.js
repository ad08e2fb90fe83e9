// `npm run bench` — training speed of tsdl against PyTorch CPU, one table, then the targets (✓/✗).
// For each net (LeNet-5 b256, the PyTorch MNIST example b64, the CIFAR course net 16/32 b128, the MLP
// 3×100 b300: tsdl's own models from lib/dist), each in its own processes:
//   loop  — one step through tsdl's real loop: fit() over a DataLoader of in-memory uint8 data (toFloat,
//           normalize, shuffled), SGD lr 0.01 momentum 0.9, progress on (output discarded); time per step from a callback
//           (onBatchEnd → onBatchEnd, so the loader's batch building counts), scripts/bench/tsdl-worker.js
//   raw   — the same model/loss/optimizer as a bare tf.variableGrads + optimizer.step on prebuilt batches:
//           loop/raw − 1 is the loop's overhead. loop and raw run in the same process by default, in
//           alternating blocks of --block steps (same load for both); --split runs each in its own.
//   torch — the same net in PyTorch layout, same batch and thread count (scripts/torch_bench.py, with
//           /usr/bin/python3 = Debian's python3-torch on libopenblas0-pthread; the BLAS loaded is printed).
//           Run twice, with libgomp's default (spinning) wait policy and with OMP_WAIT_POLICY=PASSIVE: the
//           spinning OpenMP threads fight OpenBLAS' own pthreads for the cores (10-50× slower on a
//           loaded 2-core machine); the faster of the two is the reference.
// Median of --steps steps after a warm-up of --warmup steps repeated for at least --warmup-s seconds
// (default 3 s, both sides); backend from init() (TSDL_BACKEND, TSDL_THREADS, TSDL_BLAS apply; tfjs-node is used when
// installed). Needs the built lib: npx tsc -b lib.
//
//   node scripts/bench.js [--net lenet,mnist,cifar,mlp (default; also resnet20)] [--steps 20] [--warmup 5] [--warmup-s 3] [--threads N]
//        [--backend wasm] [--only loop,raw,torch] [--torch-wait both|default|passive] [--kernels 5]
//        [--top 8] [--shapes] [--split] [--block 10] [--notebooks [--nb 02,05]] [--no-notebooks]
//        [--rounds 1 (N: the whole comparison N times per net, the median-ratio round reported)]
//        [--json] [--out file.json] [--strict (exit 2 when a target is missed)]
//        [--python /usr/bin/python3 (or TSDL_BENCH_PYTHON)] [--lib lib/dist/index.js]
//   node scripts/bench.js --mode raw-ops [...]   the older bench: hand-built nets, raw tfjs ops
//                                                (scripts/bench/raw-ops.js: --fused --profile --shapes)
"use strict";
require("./cli-args").helpFromHeader(__filename);
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");

const { opt, flag } = require("./cli-args").cliArgs();

if (opt("mode", "loop") === "raw-ops") {
  require("./bench/raw-ops.js");
} else {
  main().catch((e) => {
    console.error("bench:", e && e.message ? e.message : e);
    process.exitCode = 1;
  });
}

// ---------------------------------------------------------------------------------------------------

function run(cmd, argv, env) {
  return new Promise((resolve, reject) => {
    const full = { ...process.env, ...env };
    for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k]; // undefined: unset
    const p = spawn(cmd, argv, { env: full, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => {
      const lines = out.split("\n").filter((l) => l.startsWith("RESULT "));
      if (code !== 0 || !lines.length)
        reject(new Error(`${path.basename(argv[0] || cmd)} ${argv.slice(1).join(" ")} failed (exit ${code}):\n${(err || out).trim().slice(-3000)}`));
      else resolve(lines.map((l) => JSON.parse(l.slice(7))));
    });
  });
}

const fmt = (v, d = 1) => (v == null || !Number.isFinite(v) ? "–" : v.toFixed(d));
const pad = (s, n, left = false) => (left ? String(s).padEnd(n) : String(s).padStart(n));
const mark = (ok) => (ok == null ? "?" : ok ? "✓" : "✗");

function table(rows, headers) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => pad(c, w[i], i === 0)).join("  ");
  return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

function distCheck(libPath) {
  if (!fs.existsSync(libPath)) throw new Error(`${path.relative(process.cwd(), libPath)} is missing: build the lib first (npx tsc -b lib).`);
  const src = path.join(__dirname, "..", "lib", "src");
  if (!fs.existsSync(src) || !libPath.includes(path.join("lib", "dist"))) return null;
  const built = fs.statSync(libPath).mtimeMs;
  const newer = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) {
        const js = path.join(path.dirname(libPath), path.relative(src, p).replace(/\.ts$/, ".js"));
        const t = fs.existsSync(js) ? fs.statSync(js).mtimeMs : built;
        if (fs.statSync(p).mtimeMs > t) newer.push(path.relative(src, p));
      }
    }
  };
  walk(src);
  return newer.length ? newer : null;
}

async function main() {
  const { NETS, DEFAULT_NETS, stepsPerEpoch } = require("./bench/nets");
  const json = flag("json");
  const log = json ? (...a) => console.error(...a) : (...a) => console.log(...a);
  const nets = opt("net", DEFAULT_NETS.join(",")).split(",");
  for (const n of nets) if (!NETS[n]) throw new Error(`unknown net "${n}": use ${Object.keys(NETS).join(", ")}`);
  const steps = Number(opt("steps", 20));
  const warmup = Number(opt("warmup", 5));
  const warmupS = Number(opt("warmup-s", 3));
  const kSteps = Number(opt("kernels", 5));
  const top = Number(opt("top", 8));
  const only = opt("only", "loop,raw,torch").split(",");
  const torchWait = opt("torch-wait", "both");
  const python = opt("python", process.env.TSDL_BENCH_PYTHON || "/usr/bin/python3");
  const libPath = path.resolve(opt("lib", path.join(__dirname, "..", "lib", "dist", "index.js")));
  const stale = distCheck(libPath);
  if (stale) log(`bench: warning: lib/src is newer than lib/dist for ${stale.slice(0, 5).join(", ")}${stale.length > 5 ? "…" : ""}: rebuild (npx tsc -b lib) or the figures are the old code's.`);
  if (steps < 10) log(`bench: ${steps} steps (< 10): a development run, not a measurement.`);

  const load = () => os.loadavg().map((v) => v.toFixed(2)).join(" ");
  const meta = {
    date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length, cpuModel: os.cpus()[0] && os.cpus()[0].model,
    loadBefore: load(), node: process.version, steps, warmup, warmupS,
    env: { TSDL_BACKEND: process.env.TSDL_BACKEND || null, TSDL_THREADS: process.env.TSDL_THREADS || null },
  };
  log(`bench: ${nets.join(", ")} — ${steps} steps after ${warmup} warm-up, load ${meta.loadBefore} (${meta.cpus} cores)`);

  const worker = path.join(__dirname, "bench", "tsdl-worker.js");
  const common = ["--steps", String(steps), "--warmup", String(warmup), "--warmup-s", String(warmupS), "--lib", libPath];
  if (opt("backend")) common.push("--backend", opt("backend"));
  if (opt("threads")) common.push("--threads", opt("threads"));
  const results = [];
  const rounds = Math.max(1, Number(opt("rounds", 1)));
  for (const net of nets) {
    // --rounds N: the whole comparison N times; the round with the median ratio is reported (all its
    // figures from one round), the other rounds' ratios beside it
    const done = [];
    for (let k = 0; k < rounds; k++) {
      if (rounds > 1) log(`  ${net}: round ${k + 1} of ${rounds}`);
      done.push(await measureNet(net));
    }
    const withRatio = done.filter((d) => d.ratio != null).sort((a, b) => a.ratio - b.ratio);
    const r = withRatio.length ? withRatio[(withRatio.length - 1) >> 1] : done[0];
    if (rounds > 1) r.roundRatios = done.map((d) => d.ratio);
    results.push(r);
  }

  async function measureNet(net) {
    const r = { net, what: NETS[net].what, batch: NETS[net].batch, stepsPerEpoch: stepsPerEpoch(net) };
    const kx = kSteps > 0 ? ["--kernels", String(kSteps), "--top", String(Math.max(top, 12))] : [];
    if (flag("shapes")) kx.push("--shapes");
    const modes = ["loop", "raw"].filter((m) => only.includes(m));
    if (modes.length === 2 && !flag("split")) {
      // one process: rounds of loop and raw steps alternate, so both see the same load
      log(`  ${net}: tsdl loop (fit) and raw step, alternating blocks of ${opt("block", 10)}…`);
      [r.loop, r.raw] = await run(process.execPath, [worker, "--net", net, "--mode", "both", "--block", opt("block", "10"), ...common, ...kx]);
    } else {
      for (const m of modes) {
        log(`  ${net}: tsdl ${m === "loop" ? "loop (fit)" : "raw step"}…`);
        [r[m]] = await run(process.execPath, [worker, "--net", net, "--mode", m, ...common, ...kx]);
      }
    }
    const tsdl = r.loop || r.raw;
    r.threads = Number(opt("threads", tsdl ? tsdl.threads : process.env.TSDL_THREADS || os.cpus().length));
    if (only.includes("torch")) {
      const policies = torchWait === "both" ? ["default", "passive"] : [torchWait];
      r.torchRuns = {};
      for (const pol of policies) {
        log(`  ${net}: PyTorch (${r.threads} threads, OMP wait ${pol})…`);
        const env = pol === "passive" ? { OMP_WAIT_POLICY: "PASSIVE" } : { OMP_WAIT_POLICY: undefined };
        try {
          [r.torchRuns[pol]] = await run(python, [path.join(__dirname, "torch_bench.py"), "--threads", String(r.threads),
            "--steps", String(steps), "--warmup", String(warmup), "--warmup-s", String(warmupS), "--net", net], env);
        } catch (e) {
          if (/No module named 'torch'|ENOENT/.test(e.message))
            throw new Error(`PyTorch is not available to ${python}: install Debian's python3-torch and libopenblas0-pthread, or pass --python (or --only loop,raw). ${e.message.split("\n").pop()}`);
          throw e;
        }
      }
      const best = Object.entries(r.torchRuns).sort((a, b) => a[1].medMs - b[1].medMs)[0];
      r.torch = { ...best[1], waitPolicy: best[0] };
    }
    if (r.loop && r.raw) {
      r.loopOverheadPct = +(100 * (r.loop.medMs / r.raw.medMs - 1)).toFixed(1);
      r.loopOverheadMinPct = +(100 * (r.loop.minMs / r.raw.minMs - 1)).toFixed(1);
    }
    if (tsdl && r.torch) {
      r.ratio = +(tsdl.medMs / r.torch.medMs).toFixed(2);
      r.rssRatio = +(tsdl.maxRssMB / r.torch.maxRssMB).toFixed(2);
    }
    return r;
  }
  meta.loadAfter = load();

  // notebooks: fast-profile wall times
  let notebooks = [];
  if (!flag("no-notebooks")) {
    const { notebookTimes } = require("./bench/notebooks");
    const nbOnly = opt("nb") ? opt("nb").split(",") : null;
    if (flag("notebooks")) log("bench: running the notebooks (fast profile)…");
    notebooks = notebookTimes({ run: flag("notebooks"), only: nbOnly, log });
  }

  const report = buildReport(results, notebooks, meta, { top });
  if (json) process.stdout.write(JSON.stringify({ meta, results, notebooks, targets: report.targets }, null, 1) + "\n");
  else console.log(report.text);
  if (flag("strict") && report.targets.some((t) => t.ok === false)) process.exitCode = 2;
  if (opt("out")) {
    const out = path.resolve(opt("out"));
    fs.writeFileSync(out + ".tmp", JSON.stringify({ meta, results, notebooks, targets: report.targets }, null, 1));
    fs.renameSync(out + ".tmp", out);
  }
}

function buildReport(results, notebooks, meta, { top }) {
  const L = [];
  const t0 = results.find((r) => r.loop || r.raw);
  const b = t0 && (t0.loop || t0.raw);
  const tr = results.find((r) => r.torch);
  L.push("");
  L.push(`tsdl: backend ${b ? `${b.backend}${b.simd ? " SIMD" : ""}, ${b.threads} thread(s)${b.xnnThreads ? ` (XNNPACK pool ${b.xnnThreads})` : ""}` +
    `${b.blas ? `, products on ${b.blas.split(" ").slice(0, 2).join(" ")}` : b.backend === "wasm" ? ", products on wasm (TSDL_BLAS=off or none found)" : ""}` : "–"}` +
    (tr ? ` · PyTorch ${tr.torch.torch}, ${tr.torch.threads} thread(s), BLAS: ${tr.torch.blas.name}` +
      `${tr.torch.blas.blasThreads ? ` (${tr.torch.blas.blasThreads} BLAS threads)` : ""}${tr.torch.blas.mkldnn ? ", convolutions via oneDNN" : ""}` : ""));
  L.push(`${meta.date} · ${meta.cpus} cores (${meta.cpuModel}) · load average ${meta.loadBefore} before, ${meta.loadAfter} after · ` +
    `median of ${meta.steps} steps after ${meta.warmup} warm-up steps (repeated for ≥ ${meta.warmupS} s)`);
  L.push("");
  const rows = results.map((r) => {
    const t = r.loop || r.raw;
    return [
      r.net, r.batch,
      fmt(r.loop && r.loop.medMs), fmt(r.raw && r.raw.medMs),
      r.loopOverheadPct == null ? "–" : `${r.loopOverheadPct >= 0 ? "+" : ""}${r.loopOverheadPct}%`,
      r.torch ? `${fmt(r.torch.medMs)}${r.torch.waitPolicy === "passive" ? "ᵖ" : ""}` : "–",
      r.ratio == null ? "–" : `${r.ratio.toFixed(2)}×`,
      t ? fmt((t.medMs * r.stepsPerEpoch) / 1000) : "–",
      r.torch ? fmt((r.torch.medMs * r.stepsPerEpoch) / 1000) : "–",
      t ? fmt(t.maxRssMB, 0) : "–", r.torch ? fmt(r.torch.maxRssMB, 0) : "–",
      r.loop ? `${r.loop.numTensors[0]}→${r.loop.numTensors[1]}` : r.raw ? `${r.raw.numTensors[0]}→${r.raw.numTensors[1]}` : "–",
      `${t ? fmt(t.cpuMs) : "–"} / ${r.torch ? fmt(r.torch.cpuMs) : "–"}`,
    ];
  });
  L.push(table(rows, ["net", "batch", "tsdl ms", "raw ms", "loop ovh", "torch ms", "tsdl/torch", "epoch s", "torch epoch s",
    "RSS MB", "torch RSS MB", "tensors", "CPU ms tsdl/torch"]));
  L.push("tsdl ms: one step through fit() (median); raw ms: tf.variableGrads + optimizer.step; epoch: steps per epoch " +
    "(60000 or 50000 samples / batch) × ms; RSS: peak of the net's own process; tensors: numTensors before→after the " +
    "timed steps; CPU ms: process CPU time per step, all threads.");
  if (results.some((r) => r.torch && r.torch.waitPolicy === "passive"))
    L.push("ᵖ PyTorch's faster run was with OMP_WAIT_POLICY=PASSIVE (libgomp's spinning threads starve OpenBLAS' pthreads):  " +
      results.filter((r) => r.torchRuns && r.torchRuns.default && r.torchRuns.passive)
        .map((r) => `${r.net} ${fmt(r.torchRuns.default.medMs)} default / ${fmt(r.torchRuns.passive.medMs)} passive`).join(", "));

  // loop overhead breakdown
  const ovh = results.filter((r) => r.loop && r.raw);
  if (ovh.length) {
    L.push("");
    L.push("Loop overhead (fit vs raw step), per step:");
    for (const r of ovh) {
      const loader = r.loop.medMs - r.loop.stepMs;
      let k = "";
      if (r.loop.kernels && r.raw.kernels) {
        const rawK = new Map(r.raw.kernels.all.map((e) => [e.kernel, e]));
        // kernels the loop calls more often than the raw step (accuracy count, loss window), at the loop's
        // own time per call
        const extra = r.loop.kernels.all
          .map((e) => {
            const rc = rawK.get(e.kernel) ? rawK.get(e.kernel).calls : 0;
            const calls = e.calls - rc;
            return { kernel: e.kernel, calls, ms: e.calls > 0 ? (e.ms * calls) / e.calls : 0 };
          })
          .filter((e) => e.calls > 0.01)
          .sort((a, c) => c.ms - a.ms);
        const extraMs = extra.reduce((s, e) => s + e.ms, 0);
        k = `; kernels only the loop runs: ${fmt(extraMs, 2)} ms (${extra.slice(0, 5).map((e) => `${e.kernel} ×${fmt(e.calls, 1)} ${fmt(e.ms, 2)}`).join(", ")})` +
          `; kernel time loop ${fmt(r.loop.kernels.kernelMs)} vs raw ${fmt(r.raw.kernels.kernelMs)} ms`;
      }
      L.push(`  ${r.net.padEnd(6)} ${r.loopOverheadPct >= 0 ? "+" : ""}${r.loopOverheadPct}% (${fmt(r.loop.medMs - r.raw.medMs)} ms; ` +
        `CPU ${fmt(r.loop.cpuMs)} vs ${fmt(r.raw.cpuMs)} ms): loader (gather + tensor, before onBatchBegin) ${fmt(loader)} ms; ` +
        `onBatchBegin→onBatchEnd ${fmt(r.loop.stepMs)} vs raw ${fmt(r.raw.medMs)} ms; fastest step ${fmt(r.loop.minMs)} vs ${fmt(r.raw.minMs)} ms ` +
        `(${fmt(100 * (r.loop.minMs / r.raw.minMs - 1))}%, steadier under load)${k}`);
    }
  }

  // targets
  const targets = [];
  const T = (ok, text, key) => {
    targets.push({ key, ok, text });
    L.push(`  ${mark(ok)} ${text}`);
  };
  L.push("");
  L.push("Targets:");
  for (const r of results) {
    if (r.ratio == null) continue;
    const spread = r.roundRatios ? ` (median of ${r.roundRatios.length} rounds: ${r.roundRatios.map((v) => (v == null ? "–" : `${v.toFixed(2)}×`)).join(" ")})` : "";
    T(r.ratio <= 1.5, `${r.net}: ${r.ratio.toFixed(2)}× PyTorch per step (${fmt((r.loop || r.raw).medMs)} vs ${fmt(r.torch.medMs)} ms) ≤ 1.5×${spread}`, `speed.${r.net}`);
  }
  const flat = results.filter((r) => r.loop || r.raw);
  if (flat.length) {
    const bad = flat.filter((r) => !(r.loop || r.raw).tensorsFlat || (r.raw && !r.raw.tensorsFlat));
    T(!bad.length, `tensor count flat over the timed steps${bad.length ? `: not for ${bad.map((r) => r.net).join(", ")}` : ` (${flat.map((r) => `${r.net} ${(r.loop || r.raw).numTensors[1]}`).join(", ")})`}`, "tensors");
  }
  for (const r of results) {
    if (r.rssRatio == null) continue;
    T(r.rssRatio <= 2, `${r.net}: peak RSS ${fmt((r.loop || r.raw).maxRssMB, 0)} MB vs PyTorch ${fmt(r.torch.maxRssMB, 0)} MB (${r.rssRatio.toFixed(2)}×) ≤ 2×`, `rss.${r.net}`);
  }
  for (const n of notebooks) {
    if (n.status === "missing") {
      L.push(`  ? ${n.notebook}: no executed copy in build/executed (npm run notebooks -- --profile fast, or bench --notebooks)`);
      targets.push({ key: `notebook.${n.notebook}`, ok: null, text: "no executed copy" });
      continue;
    }
    const notes = [n.status !== "ok" ? n.status : "",
      n.profile === "full" ? "this copy ran the FULL profile: rerun with --notebooks" : n.profile ? "" : "profile not recorded in the copy",
      n.stale ? "source changed since" : "", `executed ${n.executedAt.slice(11, 16)} UTC`].filter(Boolean).join(", ");
    // a copy executed with the full profile says nothing about the fast one
    const ok = n.status === "ok" && n.seconds != null && n.profile !== "full" ? n.seconds <= 120 : null;
    T(ok, `notebook ${n.notebook}: ${fmt(n.seconds, 0)} s fast profile ≤ 120 s (${notes}; ${n.source})`, `notebook.${n.notebook}`);
  }

  const met = targets.filter((t) => t.ok === true).length;
  const missed = targets.filter((t) => t.ok === false).length;
  L.push(`  ${met} met, ${missed} missed, ${targets.length - met - missed} not measured` +
    ` (load average ${meta.loadBefore} → ${meta.loadAfter}: timings are only comparable on a quiet machine)`);

  // kernels of the nets that miss the speed target
  const slow = results.filter((r) => r.ratio != null && r.ratio > 1.5);
  for (const r of slow) {
    const k = (r.loop || r.raw).kernels;
    if (!k) {
      L.push(`\n${r.net}: misses the 1.5× target; rerun with --kernels 5 for its kernel table.`);
      continue;
    }
    L.push("");
    L.push(`${r.net} misses 1.5×: top kernels in fit (${k.steps} profiled steps; kernel time ${fmt(k.kernelMs)} of ${fmt(k.wallMs)} ms ` +
      `per profiled step, the rest is JavaScript/engine/loader; "(inner)" = inside a tsdl composed kernel):`);
    L.push(table(k.top.slice(0, top).map((e) => [(e.inner ? "  (inner) " : "") + e.kernel, fmt(e.ms, 2), `${fmt(e.pct)}%`, fmt(e.calls)]),
      ["kernel", "ms/step", "share", "calls"]));
  }
  return { text: L.join("\n"), targets };
}
