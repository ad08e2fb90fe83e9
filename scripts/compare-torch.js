#!/usr/bin/env node
// tsdl vs PyTorch on the same tiny problems: optimizer trajectories over 20 steps (SGD with momentum and
// weight decay, Nesterov, Adadelta, Adam, StepLR), cross-entropy and its gradient, and a few modules
// (Conv2d + ReLU + AvgPool2d with PyTorch weights copied into NHWC, BatchNorm1d running stats, LayerNorm).
// Prints both sides in one table; exits 1 if any difference exceeds 1e-5. Not part of `npm test`.
//   node scripts/compare-torch.js            (PyTorch: Debian's python3-torch, run with /usr/bin/python3)
//   node scripts/compare-torch.js --mnist [--only lenet|mnistnet] [--epochs N] [--fraction f] [--threads 1]
//        real MNIST, seeds 002 and 004 trained in both frameworks: test accuracy within 0.5 point
//        (scripts/compare/mnist.js; tens of minutes for the full protocol)
require("./cli-args").helpFromHeader(__filename);
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const PY = "/usr/bin/python3";
const TOL = 1e-5;
const STEPS = 20;

function loadLib() {
  const dist = path.join(ROOT, "lib", "dist");
  if (!fs.existsSync(path.join(dist, "train", "index.js"))) {
    console.log("Building lib (npx tsc -b lib)…");
    spawnSync("npx", ["tsc", "-b", "lib"], { cwd: ROOT, stdio: "inherit" });
  }
  require(path.join(dist, "backend", "tf.js")); // registers tfjs' gradients under Node
  return {
    nn: require(path.join(dist, "nn")),
    optim: require(path.join(dist, "optim")),
    train: require(path.join(dist, "train")),
  };
}

// Deterministic data shared by both sides (an LCG, so no RNG has to agree).
let seed = 12345;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const matrix = (r, c, scale = 1) => Array.from({ length: r }, () => Array.from({ length: c }, () => scale * rnd()));

function problems() {
  const X = matrix(16, 2, 2);
  const leastSquares = { kind: "leastSquares", X, y: X.map(([a, b]) => [3 * a - 2 * b + 0.1 * rnd()]), init: [[[0], [0]]] };
  const Xs = matrix(12, 4, 2);
  const softmax = {
    kind: "softmax",
    X: Xs,
    labels: Xs.map((r) => (r[0] + r[1] > 0.3 ? 0 : r[2] > 0 ? 1 : 2)),
    init: [matrix(4, 3, 0.5), [0.1, -0.1, 0]],
  };
  const cases = [
    ["LS · SGD lr .1", leastSquares, { kind: "SGD", options: { lr: 0.1 } }],
    ["LS · SGD mom .9 wd .01", leastSquares, { kind: "SGD", options: { lr: 0.05, momentum: 0.9, weightDecay: 0.01 } }],
    ["LS · SGD nesterov", leastSquares, { kind: "SGD", options: { lr: 0.05, momentum: 0.9, nesterov: true } }],
    ["LS · Adadelta lr 1", leastSquares, { kind: "Adadelta", options: { lr: 1.0 } }],
    ["LS · Adam wd .01", leastSquares, { kind: "Adam", options: { lr: 0.05, weightDecay: 0.01 } }],
    ["CE · SGD mom .9 wd 5e-4 damp .1", softmax, { kind: "SGD", options: { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 5e-4 } }],
    ["CE · Adadelta wd .01", softmax, { kind: "Adadelta", options: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0.01 } }],
    ["CE · Adam", softmax, { kind: "Adam", options: { lr: 0.01, betas: [0.9, 0.999] } }],
    ["CE · SGD + StepLR(5, .5)", softmax, { kind: "SGD", options: { lr: 0.5, momentum: 0.9 } }, { stepSize: 5, gamma: 0.5 }],
    ["CE · Adadelta + StepLR(1, .7)", softmax, { kind: "Adadelta", options: { lr: 1.0 } }, { stepSize: 1, gamma: 0.7 }],
  ].map(([name, problem, optimizer, stepLR]) => ({ name, problem, optimizer, stepLR, steps: STEPS }));
  const crossEntropy = { logits: matrix(5, 4, 6), labels: [0, 3, 1, 1, 2] };
  const modules = {
    convX: Array.from({ length: 2 }, () => Array.from({ length: 3 }, () => matrix(6, 6, 2))), // NCHW
    convW: Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => matrix(3, 3, 0.6))), // [out, in, kh, kw]
    convB: [0.1, -0.2, 0.05, 0],
    bnX: matrix(6, 5, 4),
  };
  return { cases, crossEntropy, modules };
}

function tsdlSide({ nn, optim, train }, spec) {
  const tf = require("@tensorflow/tfjs-core");
  const lossOf = (problem, params) => {
    if (problem.kind === "leastSquares") {
      const X = tf.tensor2d(problem.X);
      return tf.mean(tf.square(tf.sub(tf.matMul(X, params[0]), tf.tensor2d(problem.y))));
    }
    const logits = tf.add(tf.matMul(tf.tensor2d(problem.X), params[0]), params[1]);
    return train.crossEntropy(logits, tf.tensor1d(problem.labels, "int32"));
  };
  const cases = {};
  for (const c of spec.cases) {
    const params = c.problem.init.map((p) => tf.variable(tf.tensor(p)));
    const opt = new optim[c.optimizer.kind](params, c.optimizer.options);
    const sched = c.stepLR ? new optim.StepLR(opt, c.stepLR) : null;
    const losses = [];
    const lrs = [];
    for (let s = 0; s < c.steps; s++) {
      const { value, grads } = tf.variableGrads(() => lossOf(c.problem, params), params);
      lrs.push(opt.lr);
      opt.step(grads);
      sched?.step();
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    cases[c.name] = { losses, params: params.map((p) => Array.from(p.dataSync())), lrs };
    opt.dispose();
    tf.dispose(params);
  }
  // cross-entropy and its gradient w.r.t. the logits
  const logits = tf.tensor2d(spec.crossEntropy.logits);
  const labels = tf.tensor1d(spec.crossEntropy.labels, "int32");
  const { value, grad } = tf.valueAndGrad((l) => train.crossEntropy(l, labels))(logits);
  const crossEntropy = { loss: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
  // modules
  const m = spec.modules;
  const conv = new nn.Conv2d(3, 4, 3, { padding: 1 });
  conv.weight.assign(tf.transpose(tf.tensor4d(m.convW), [2, 3, 1, 0])); // [out,in,kh,kw] → [kh,kw,in,out]
  conv.bias.assign(tf.tensor1d(m.convB));
  const x = tf.transpose(tf.tensor4d(m.convX), [0, 2, 3, 1]); // NCHW → NHWC
  const convPool = Array.from(new nn.AvgPool2d(2, { padding: 1 }).forward(conv.forward(x, "relu")).dataSync());
  const bn = new nn.BatchNorm1d(5);
  const xb = tf.tensor2d(m.bnX);
  let yb;
  for (let i = 0; i < 3; i++) yb = bn.forward(xb);
  const modules = {
    convPool,
    bnOut: Array.from(yb.dataSync()),
    bnRunning: [...bn.runningMean.dataSync(), ...bn.runningVar.dataSync()],
    bnEval: Array.from(bn.eval().forward(xb).dataSync()),
    layerNorm: Array.from(new nn.LayerNorm(5).forward(xb).dataSync()),
  };
  return { cases, crossEntropy, modules };
}

const maxDiff = (a, b) => {
  if (a.length !== b.length) return Infinity;
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};
const flat = (a) => a.flat(Infinity);
const fmt = (v) => (typeof v === "number" ? v.toPrecision(7) : String(v));

async function main() {
  if (process.argv.includes("--mnist")) {
    // Real MNIST, seeds 002 (LeNet-5) and 004 (the PyTorch example net): test accuracy of both
    // frameworks, each in its own process (scripts/compare/mnist.js; options documented there).
    process.exit(await require("./compare/mnist").main(process.argv.slice(2)));
  }
  if (spawnSync(PY, ["-c", "import torch"]).status !== 0) {
    console.error(`${PY} cannot import torch (apt install python3-torch).`);
    process.exit(2);
  }
  const lib = loadLib();
  const tf = require("@tensorflow/tfjs-core");
  require("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend("cpu");
  const spec = problems();
  const r = spawnSync(PY, [path.join(__dirname, "compare_torch.py")], { input: JSON.stringify(spec), encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`compare_torch.py failed:\n${r.stderr}`);
  const torch = JSON.parse(r.stdout);
  const ours = tsdlSide(lib, spec);

  const rows = [];
  for (const c of spec.cases) {
    const a = ours.cases[c.name];
    const b = torch.cases[c.name];
    const d = Math.max(maxDiff(a.losses, b.losses), maxDiff(flat(a.params), flat(b.params)), maxDiff(a.lrs, b.lrs));
    rows.push([c.name, `loss[${STEPS}] / params`, b.losses[STEPS - 1], a.losses[STEPS - 1], d]);
  }
  rows.push(["cross-entropy value", "mean over 5", torch.crossEntropy.loss, ours.crossEntropy.loss, Math.abs(torch.crossEntropy.loss - ours.crossEntropy.loss)]);
  rows.push(["cross-entropy grad", "d/dlogits [5×4]", torch.crossEntropy.grad[0], ours.crossEntropy.grad[0], maxDiff(torch.crossEntropy.grad, ours.crossEntropy.grad)]);
  for (const k of Object.keys(torch.modules))
    rows.push([`module: ${k}`, `${torch.modules[k].length} values`, torch.modules[k][0], ours.modules[k][0], maxDiff(torch.modules[k], ours.modules[k])]);

  const head = ["case", "compared", "torch (last/first)", "tsdl", "max |Δ|", ""];
  const table = rows.map(([n, what, t, o, d]) => [n, what, fmt(t), fmt(o), d.toExponential(2), d <= TOL ? "ok" : "FAIL"]);
  const w = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => c.padEnd(w[i])).join("  ");
  console.log(`PyTorch ${torch.version} (${PY}) vs tsdl (tfjs-core ${tf.version_core}, backend ${tf.getBackend()}), ${STEPS} steps, tolerance ${TOL}`);
  console.log(line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  table.forEach((row) => console.log(line(row)));
  const failed = table.filter((row) => row[5] !== "ok").length;
  console.log(failed ? `\n${failed} comparison(s) differ by more than ${TOL}.` : "\nAll comparisons agree within 1e-5.");
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
