#!/usr/bin/env node
// tsdl's TPE vs Debian's Optuna 3.1 TPE: median best value over seeds on the same problems and
// trial budget, plus a journal round trip in both directions. Not part of `npm test` (minutes).
//   node scripts/compare-optuna.js [--trials 50] [--seeds 10]
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const PY = "/usr/bin/python3";
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const TRIALS = arg("trials", 50);
const SEEDS = arg("seeds", 10);

function loadTune() {
  const dist = path.join(ROOT, "lib", "dist", "tune", "index.js");
  if (!fs.existsSync(dist)) {
    console.log("Building lib (npx tsc -b lib)…");
    spawnSync("npx", ["tsc", "-b", "lib"], { cwd: ROOT, stdio: "inherit" });
  }
  return require(dist);
}

function python(args) {
  const r = spawnSync(PY, [path.join(__dirname, "compare_optuna.py"), ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`compare_optuna.py ${args.join(" ")} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop().replace(/\bNaN\b/g, "null"));
}

// The same problems as compare_optuna.py (same parameter names, ranges and order).
const PROBLEMS = {
  branin: (t) => {
    const x1 = t.suggestFloat("x1", -5, 10), x2 = t.suggestFloat("x2", 0, 15);
    const b = 5.1 / (4 * Math.PI ** 2), c = 5 / Math.PI;
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
  },
  rosenbrock4: (t) => {
    const x = [0, 1, 2, 3].map((i) => t.suggestFloat(`x${i}`, -2, 2));
    let s = 0;
    for (let i = 0; i < 3; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
    return s;
  },
  logsphere5: (t) => [0, 1, 2, 3, 4].reduce((s, i) => s + (Math.log10(t.suggestFloat(`x${i}`, 1e-3, 10, { log: true })) + 1) ** 2, 0),
  mixed: (t) => {
    const units = t.suggestInt("units", 1, 1024, { log: true });
    const acts = ["relu", "tanh", "gelu", "sigmoid"];
    const act = t.suggestCategorical("act", acts);
    const drop = t.suggestFloat("dropout", 0, 0.9, { step: 0.05 });
    const layers = t.suggestInt("layers", 1, 8);
    return (Math.log2(units) - 6) ** 2 + acts.indexOf(act) + 10 * (drop - 0.3) ** 2 + Math.abs(layers - 3);
  },
};

const median = (v) => {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
/** Two-sided Mann–Whitney U p-value (normal approximation, ties averaged): is the gap more than seed noise? */
function mannWhitney(a, b) {
  const all = [...a.map((v) => [v, 0]), ...b.map((v) => [v, 1])].sort((x, y) => x[0] - y[0]);
  const ranks = new Array(all.length);
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1][0] === all[i][0]) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const ra = all.reduce((s, x, i) => s + (x[1] === 0 ? ranks[i] : 0), 0);
  const n1 = a.length, n2 = b.length;
  const u = ra - (n1 * (n1 + 1)) / 2;
  const z = Math.abs(u - (n1 * n2) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return Math.min(1, 2 * (1 - normalCdf(z)));
}
function normalCdf(z) {
  // Abramowitz–Stegun 7.1.26 is plenty for a p-value column.
  const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(z * z) / 2);
  return 0.5 * (1 + erf);
}
const fmt = (x) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2));

async function bench(tune, makeSampler) {
  const out = {};
  for (const [name, f] of Object.entries(PROBLEMS)) {
    out[name] = [];
    for (let seed = 0; seed < SEEDS; seed++) {
      const s = tune.createStudy({ sampler: makeSampler(seed) });
      await s.optimize(f, { nTrials: TRIALS });
      out[name].push(s.bestValue);
    }
  }
  return out;
}

async function roundTrip(tune) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-compare-"));
  const lines = [];
  try {
    // tsdl writes → Optuna reads.
    const a = path.join(dir, "tsdl.log");
    const ours = tune.createStudy({ storage: a, studyName: "tsdl-written", sampler: new tune.TPESampler({ seed: 0, nStartupTrials: 4 }), pruner: new tune.MedianPruner({ nStartupTrials: 2 }) });
    const origWarn = console.warn;
    console.warn = () => {};
    await ours.optimize((t) => {
      const v = PROBLEMS.mixed(t);
      if (t.number === 5) throw new Error("boom");
      for (let step = 0; step < 3; step++) {
        t.report(v + 2 - step, step);
        if (t.shouldPrune()) throw new tune.TrialPruned();
      }
      return v;
    }, { nTrials: 12 });
    console.warn = origWarn;
    const seen = python(["read", a, "tsdl-written"]).trials;
    const same1 = seen.length === ours.trials.length && ours.trials.every((t, i) => t.state === seen[i].state && t.value === (seen[i].value ?? null) && JSON.stringify(t.params) === JSON.stringify(seen[i].params));
    lines.push(`tsdl → Optuna: ${seen.length} trials (${count(ours.trials)}), states/values/params identical: ${same1 ? "yes" : "NO"}`);
    // Optuna writes → tsdl reads.
    const b = path.join(dir, "optuna.log");
    const theirs = python(["write", b]).trials;
    const back = tune.loadStudy({ storage: b }).trials;
    const same2 = back.length === theirs.length && back.every((t, i) => t.state === theirs[i].state && t.value === (theirs[i].value ?? null) && JSON.stringify(t.params) === JSON.stringify(theirs[i].params));
    lines.push(`Optuna → tsdl: ${back.length} trials (${count(back)}), states/values/params identical: ${same2 ? "yes" : "NO"}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

const count = (trials) => {
  const c = {};
  for (const t of trials) c[t.state] = (c[t.state] || 0) + 1;
  return Object.entries(c).map(([k, v]) => `${v} ${k}`).join(", ");
};

(async () => {
  if (spawnSync(PY, ["-c", "import optuna"]).status !== 0) {
    console.error(`${PY} cannot import optuna (apt install python3-optuna).`);
    process.exit(1);
  }
  const tune = loadTune();
  console.log(`TPE, ${TRIALS} trials, seeds 0..${SEEDS - 1}: median best value (lower is better)\n`);
  let t0 = Date.now();
  const py = python(["bench", String(TRIALS), String(SEEDS)]);
  const tPy = (Date.now() - t0) / 1000;
  t0 = Date.now();
  const ts31 = await bench(tune, (seed) => new tune.TPESampler({ seed }));
  const tTs = (Date.now() - t0) / 1000;
  const tsFix = await bench(tune, (seed) => new tune.TPESampler({ seed, logpdfWithScale: true }));
  const multi = await bench(tune, (seed) => new tune.TPESampler({ seed, multivariate: true }));
  const rnd = await bench(tune, (seed) => new tune.RandomSampler({ seed }));
  const rows = [["problem", "Optuna 3.1 TPE", "tsdl TPE", "tsdl ≤ Optuna?", "mean Optuna / tsdl", "p (Mann-Whitney)", "tsdl TPE logpdfWithScale", "tsdl TPE multivariate", "tsdl random"]];
  for (const name of Object.keys(PROBLEMS)) {
    const o = median(py[name]), t = median(ts31[name]);
    const p = mannWhitney(py[name], ts31[name]);
    rows.push([name, fmt(o), fmt(t), t <= o ? "yes" : `no (+${fmt(t - o)})`, `${fmt(mean(py[name]))} / ${fmt(mean(ts31[name]))}`, p.toFixed(2), fmt(median(tsFix[name])), fmt(median(multi[name])), fmt(median(rnd[name]))]);
  }
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r) => "| " + r.map((c, j) => c.padEnd(w[j])).join(" | ") + " |";
  console.log(line(rows[0]));
  console.log("|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|");
  rows.slice(1).forEach((r) => console.log(line(r)));
  console.log("\np: probability of a gap at least this large between two samplers of equal quality (seed noise); small p = a real difference.");
  console.log(`wall time: Optuna ${tPy.toFixed(1)} s, tsdl ${tTs.toFixed(1)} s (same problems and budget)\n`);
  for (const l of await roundTrip(tune)) console.log(l);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
