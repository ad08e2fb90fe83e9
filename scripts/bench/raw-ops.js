// `npm run bench -- --mode raw-ops` (the first bench, kept as an option of scripts/bench.js; also runs
// alone: node scripts/bench/raw-ops.js): one training step (forward + backward + SGD update, raw ops with tf.variableGrads) of
// the four reference nets, median of N steps after warm-up, on the backend init() picks (TSDL_BACKEND,
// TSDL_THREADS apply). Needs the built lib (npm run build).
//   node scripts/bench/raw-ops.js [--net lenet,mnist,cifar,mlp] [--steps 10] [--warmup 3] [--threads N]
//                         [--backend wasm] [--fused] [--profile] [--shapes] [--top 8] [--json] [--lib path/to/index.js]
//                         [--ab filter|threads|pool|input|forward|pad|winograd|gemm|tanh|blas] [--ab-filter]
// --ab SET: kernel variants in one process, steps taken in turn (same load for all); median wall and CPU
// ms/step of each. filter (= --ab-filter): Conv2DBackpropFilter "own" (tsdl's wasm SIMD kernel, the
// default), "blocked" (the XNNPACK composition, batch chunks by the rule), "old" (the composition
// unblocked, as before 2026-11-24). threads: the own dW kernel on "all" wasm threads (default) or "one".
// pool: MaxPoolGrad by the "own" wasm kernel (default) or "composed" of element-wise kernels. input:
// Conv2DBackpropInput's convolution on the "own" kernel (default) or "xnnpack". forward: Conv2D and
// FusedConv2D likewise. pad: PadV2 (the convolutions' zero padding) by tsdl's heap copy ("own") or wasm's
// "original" scalar kernel. winograd: 3×3 stride-1 convolutions "on" Winograd F(2×2, 3×3) or "off"
// (direct). gemm: batch-1 products on the "own" GEMM or "xnnpack". tanh: the "own" kernel or "sigmoid".
// blas: batch-1 products on the native "blas" init() loaded (OpenBLAS, Accelerate) or on "wasm" (own GEMM).
// Reference (2 cores, wasm 2 threads, the probe of 2026-11-23): lenet 60, mnist 193, cifar 86, mlp 13 ms.
"use strict";
require("../cli-args").helpFromHeader(__filename);
const path = require("path");
const { performance } = require("perf_hooks");

const { opt, flag } = require("../cli-args").cliArgs();

const NETS = {
  lenet: { batch: 256, inShape: [28, 28, 1], probeMs: 60, what: "LeNet-5 (tanh, avg-pool)" },
  mnist: { batch: 64, inShape: [28, 28, 1], probeMs: 193, what: "PyTorch MNIST example (dropout)" },
  cifar: { batch: 128, inShape: [32, 32, 3], probeMs: 86, what: "CIFAR course net 16/32" },
  mlp: { batch: 300, inShape: [784], probeMs: 13, what: "MLP 3×100" },
};

function build(tf, net, fused) {
  const P = {};
  const glorot = (shape, fanIn, fanOut) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / (fanIn + fanOut))));
  const conv = (n, k, ci, co) => {
    P[n + "w"] = glorot([k, k, ci, co], k * k * ci, k * k * co);
    P[n + "b"] = tf.variable(tf.zeros([co]));
  };
  const dense = (n, i, o) => {
    P[n + "w"] = glorot([i, o], i, o);
    P[n + "b"] = tf.variable(tf.zeros([o]));
  };
  // --fused: bias folded in tf.fused.conv2d / tf.fused.matMul, as tsdl's nn layers run them
  const C = (x, n, pad) => fused
    ? tf.fused.conv2d({ x, filter: P[n + "w"], strides: 1, pad, bias: P[n + "b"] })
    : tf.add(tf.conv2d(x, P[n + "w"], 1, pad), P[n + "b"]);
  const D = (x, n) => fused
    ? tf.fused.matMul({ a: x, b: P[n + "w"], bias: P[n + "b"] })
    : tf.add(tf.matMul(x, P[n + "w"]), P[n + "b"]);
  let forward;
  if (net === "lenet") {
    conv("c1", 5, 1, 6); conv("c2", 5, 6, 16); dense("d1", 400, 120); dense("d2", 120, 84); dense("d3", 84, 10);
    forward = (x) => {
      let h = tf.avgPool(tf.tanh(C(x, "c1", "same")), 2, 2, "valid");
      h = tf.avgPool(tf.tanh(C(h, "c2", "valid")), 2, 2, "valid");
      h = tf.reshape(h, [h.shape[0], 400]);
      h = tf.tanh(D(h, "d1"));
      h = tf.tanh(D(h, "d2"));
      return D(h, "d3");
    };
  } else if (net === "mnist") {
    conv("c1", 3, 1, 32); conv("c2", 3, 32, 64); dense("d1", 9216, 128); dense("d2", 128, 10);
    forward = (x) => {
      let h = tf.relu(C(x, "c1", "valid"));
      h = tf.relu(C(h, "c2", "valid"));
      h = tf.dropout(tf.maxPool(h, 2, 2, "valid"), 0.25);
      h = tf.reshape(h, [h.shape[0], 9216]);
      h = tf.dropout(tf.relu(D(h, "d1")), 0.5);
      return D(h, "d2");
    };
  } else if (net === "cifar") {
    conv("c1", 5, 3, 16); conv("c2", 5, 16, 32); dense("d1", 800, 120); dense("d2", 120, 84); dense("d3", 84, 10);
    forward = (x) => {
      let h = tf.maxPool(tf.relu(C(x, "c1", "valid")), 2, 2, "valid");
      h = tf.maxPool(tf.relu(C(h, "c2", "valid")), 2, 2, "valid");
      h = tf.reshape(h, [h.shape[0], 800]);
      h = tf.relu(D(h, "d1"));
      h = tf.relu(D(h, "d2"));
      return D(h, "d3");
    };
  } else if (net === "mlp") {
    dense("d1", 784, 100); dense("d2", 100, 100); dense("d3", 100, 100); dense("d4", 100, 10);
    forward = (x) => D(tf.relu(D(tf.relu(D(tf.relu(D(x, "d1")), "d2")), "d3")), "d4");
  } else throw new Error(`unknown net ${net}: use ${Object.keys(NETS).join(", ")}`);
  return { params: P, forward };
}

function hostBatches(net, k = 3) {
  const { batch, inShape } = NETS[net];
  const size = inShape.reduce((a, b) => a * b, 1);
  const out = [];
  for (let i = 0; i < k; i++) {
    const x = new Float32Array(batch * size).map(() => Math.random());
    const y = new Float32Array(batch * 10);
    for (let b = 0; b < batch; b++) y[b * 10 + ((Math.random() * 10) | 0)] = 1;
    out.push({ x, y });
  }
  return out;
}

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function main() {
  const libPath = path.resolve(opt("lib", path.join(__dirname, "..", "..", "lib", "dist", "index.js")));
  let lib;
  try {
    lib = require(libPath);
  } catch (e) {
    throw new Error(`the built lib is missing or broken (${e.message}): run npm run build first`);
  }
  const { tf, init, kernelProfiler } = lib;
  const threads = opt("threads", undefined);
  const info = await init({ backend: opt("backend", undefined), threads: threads === undefined ? undefined : Number(threads) });
  const steps = Number(opt("steps", 10));
  const warmup = Number(opt("warmup", 3));
  const nets = opt("net", Object.keys(NETS).join(",")).split(",");
  const prof = flag("profile") || flag("shapes") ? kernelProfiler() : null;
  const abSet = flag("ab-filter") ? "filter" : opt("ab", null);
  // each set: [file under lib/dist/backend/kernels, its tuning object, { variant: settings }] (first = default)
  const AB = {
    filter: ["conv.js", "filterGradTuning", { own: { own: true, chunk: 0 }, blocked: { own: false, chunk: 0 }, old: { own: false, chunk: 1e9 } }],
    threads: ["simd/index.js", "ownKernelTuning", { all: { threads: 0 }, one: { threads: 1 } }],
    input: ["conv.js", "inputGradTuning", { own: { own: true }, xnnpack: { own: false } }],
    forward: ["conv-forward.js", "forwardConvTuning", { own: { own: true }, xnnpack: { own: false } }],
    pool: ["pool.js", "poolTuning", { own: { own: true }, composed: { own: false } }],
    pad: ["pad.js", "padTuning", { own: { own: true }, original: { own: false } }],
    winograd: ["simd/index.js", "winogradTuning", { on: { on: true }, off: { on: false } }],
    gemm: ["matmul.js", "matMulTuning", { own: { own: true }, xnnpack: { own: false } }],
    tanh: ["elementwise.js", "tanhTuning", { own: { own: true }, sigmoid: { own: false } }],
    blas: ["blas-gemm.js", "blasTuning", { blas: { use: true }, wasm: { use: false } }],
  };
  if (abSet && !AB[abSet]) throw new Error(`--ab ${abSet}: unknown set, use one of ${Object.keys(AB).join(", ")}`);
  const [knobFile, knobName, variants] = abSet ? AB[abSet] : [null, null, null];
  const apply = (name) => Object.assign(require(path.join(path.dirname(require.resolve(libPath)), "backend", "kernels", knobFile))[knobName], variants[name]);
  if (prof) prof.withShapes = flag("shapes");
  const results = [];
  for (const net of nets) {
    const { batch, inShape } = NETS[net];
    const model = build(tf, net, flag("fused"));
    const sgd = tf.train.sgd(0.01);
    const host = hostBatches(net);
    const times = [];
    const cpu = [];
    let loss0 = 0;
    let lossN = 0;
    const tensors = [];
    prof && prof.reset();
    const names = variants ? Object.keys(variants) : [];
    const ab = Object.fromEntries(names.map((k) => [k, { wall: [], cpu: [] }]));
    for (let i = 0; i < warmup + steps; i++) {
      if (prof && i === warmup) prof.start();
      if (variants) apply(names[i % names.length]);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const hb = host[i % host.length];
      const x = tf.tensor(hb.x, [batch, ...inShape]);
      const y = tf.tensor2d(hb.y, [batch, 10]);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.forward(x)));
      sgd.applyGradients(grads);
      const lv = (await value.data())[0];
      tf.dispose([x, y, value, ...Object.values(grads)]);
      const dt = performance.now() - t0;
      const dc = process.cpuUsage(c0);
      if (i === 0) loss0 = lv;
      lossN = lv;
      if (i >= warmup) {
        const cpuMs = (dc.user + dc.system) / 1000;
        if (variants) {
          ab[names[i % names.length]].wall.push(dt);
          ab[names[i % names.length]].cpu.push(cpuMs);
        }
        times.push(dt);
        cpu.push(cpuMs);
        tensors.push(tf.memory().numTensors);
      }
    }
    prof && prof.stop();
    if (variants) apply(names[0]); // the default
    const r = {
      net, batch, backend: info.name, threads: info.threads, medMs: +median(times).toFixed(1), minMs: +Math.min(...times).toFixed(1),
      // CPU time of the whole process (all threads) per step: steadier than wall time on a shared machine
      cpuMs: +median(cpu).toFixed(1),
      probeMs: NETS[net].probeMs, steps, loss: [+loss0.toFixed(3), +lossN.toFixed(3)],
      tensorsFlat: tensors[0] === tensors[tensors.length - 1],
    };
    if (variants) {
      const m = (a) => +median(a).toFixed(1);
      r.ab = Object.fromEntries(names.map((k) => [k, { wall: m(ab[k].wall), cpu: m(ab[k].cpu), steps: ab[k].wall.length }]));
    }
    if (prof) {
      const rows = prof.report(steps);
      r.kernelMs = +prof.totalMs(steps).toFixed(1);
      r.top = rows.slice(0, Number(opt("top", 8))).map((k) => ({
        kernel: (k.inner ? "  (inner) " : "") + k.kernel, ms: +k.ms.toFixed(2), pct: +k.pct.toFixed(1), calls: k.calls,
      }));
    }
    results.push(r);
    if (flag("json")) console.log("RESULT " + JSON.stringify(r));
    else {
      console.log(`${net.padEnd(6)} ${NETS[net].what}, batch ${batch}: median ${r.medMs} ms/step (min ${r.minMs}, ` +
        `CPU ${r.cpuMs} ms; probe ${r.probeMs}), loss ${r.loss[0]} → ${r.loss[1]}, tensors flat: ${r.tensorsFlat}`);
      if (r.ab) console.log(`  ${abSet} variants (steps in turn, median ms/step): ${JSON.stringify(r.ab)}`);
      if (r.top) {
        console.log(`  kernel time ${r.kernelMs} ms/step; top kernels:`);
        console.table(r.top);
      }
    }
    sgd.dispose();
    tf.dispose(Object.values(model.params));
  }
  return results;
}

main().catch((e) => {
  console.error("bench:", e && e.message ? e.message : e);
  process.exitCode = 1;
});
