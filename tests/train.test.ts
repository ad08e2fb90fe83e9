import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Dropout, Linear, MLP, Module, manualSeed } from "tsdl/nn";
import { SGD, StepLR } from "tsdl/optim";
import {
  type BatchSource,
  type Callback,
  type ProgressOutput,
  RUNNING_LOSS_WINDOW,
  crossEntropy,
  evaluate,
  fit,
  loadModel,
  predict,
  saveModel,
  setProgressOutput,
  stderrProgress,
} from "tsdl/train";
import type { Batch } from "tsdl/train/types";

tf.env().set("IS_TEST", true); // silences tfjs' "use tfjs-node" banner
beforeAll(async () => {
  await tf.setBackend("cpu");
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** A loader over JS arrays; fresh tensors each pass (fit disposes them). `labels` may change per epoch. */
function arrayLoader(xs: number[][], labels: () => number[], batchSize: number): BatchSource & Iterable<Batch> {
  const n = xs.length;
  return {
    length: Math.ceil(n / batchSize),
    *[Symbol.iterator](): Iterator<Batch> {
      const ys = labels();
      for (let i = 0; i < n; i += batchSize) {
        const j = Math.min(n, i + batchSize);
        yield { x: tf.tensor2d(xs.slice(i, j)), y: tf.tensor1d(ys.slice(i, j), "int32") };
      }
    },
  };
}

/** Two Gaussian blobs in 2-D, deterministic (LCG). */
function blobs(n: number, seed: number): { xs: number[][]; ys: number[] } {
  let s = seed;
  const rnd = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    xs.push([(c ? 1.5 : -1.5) + 0.5 * gauss(), (c ? 1 : -1) + 0.5 * gauss()]);
    ys.push(c);
  }
  return { xs, ys };
}

const train = blobs(200, 1);
const val = blobs(100, 2);
const trainLoader = (): BatchSource => arrayLoader(train.xs, () => train.ys, 20);
const valLoader = (): BatchSource => arrayLoader(val.xs, () => val.ys, 50);

test("fit learns a separable problem; history; tensors stay flat across epochs", async () => {
  manualSeed(0);
  const model = new MLP([2, 16, 2], { dropout: 0.1 });
  const counts: number[] = [];
  const h = await fit(model, trainLoader(), {
    epochs: 8,
    optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
    valLoader: valLoader(),
    progress: false,
    logEvery: 3,
    onEpochEnd: () => {
      counts.push(tf.memory().numTensors);
    },
  });
  expect(h.epoch).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(h.valAcc[h.valAcc.length - 1]).toBeGreaterThan(0.95);
  expect(h.trainAcc[h.trainAcc.length - 1]).toBeGreaterThan(0.9);
  expect(h.trainLoss[h.trainLoss.length - 1]).toBeLessThan(h.trainLoss[0]);
  expect(h.seconds).toBeGreaterThan(0);
  expect(new Set(counts.slice(1)).size).toBe(1); // epoch 1 creates the optimizer state, then flat
  expect(model.training).toBe(true);
  model.dispose();
});

test("history and batch logs equal a hand-written loop's figures (losses read in windows, counts summed at read-back)", async () => {
  // 25 batches of 8 and logEvery 3: several windows, a partial last one, more batches than the 20 of runningLoss
  const xs = blobs(200, 3);
  const loader = (): BatchSource & Iterable<Batch> => arrayLoader(xs.xs, () => xs.ys, 8);
  const make = (): { model: MLP; opt: SGD } => {
    manualSeed(11);
    const model = new MLP([2, 8, 2]);
    return { model, opt: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }) };
  };
  // reference: one variableGrads + step per batch, every loss and prediction read at once
  const ref = make();
  const refLoss: number[][] = [];
  const refAcc: number[] = [];
  for (let e = 0; e < 2; e++) {
    const losses: number[] = [];
    let correct = 0;
    for (const { x, y } of loader()) {
      let pred: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = ref.model.forward(x);
        pred = tf.keep(tf.argMax(out, 1));
        return crossEntropy(out, y);
      }, ref.model.parameters());
      ref.opt.step(grads);
      losses.push(value.dataSync()[0]);
      const [p, t] = [values(pred as tf.Tensor), values(y)];
      correct += p.filter((v, i) => v === t[i]).length;
      tf.dispose([value, pred as tf.Tensor, x, y, ...Object.values(grads)]);
    }
    refLoss.push(losses);
    refAcc.push(correct / 200);
  }
  const { model, opt } = make();
  const logs: { step: number; loss?: number; runningLoss?: number }[] = [];
  const before = tf.memory().numTensors;
  const h = await fit(model, loader(), {
    epochs: 2, optimizer: opt, progress: false, logEvery: 3,
    callbacks: [{ onBatchEnd: (c, l) => void (c.epoch === 2 && logs.push({ step: c.step, loss: l.loss, runningLoss: l.runningLoss })) }],
  });
  const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;
  expect(h.trainLoss).toEqual(refLoss.map(mean));
  expect(h.trainAcc).toEqual(refAcc);
  expect(values(model.parameters()[0])).toEqual(values(ref.model.parameters()[0]));
  const read = logs.filter((l) => l.loss !== undefined);
  expect(read.map((l) => l.step)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 25]);
  for (const l of read) {
    expect(l.loss).toBe(refLoss[1][l.step - 1]);
    expect(l.runningLoss).toBe(mean(refLoss[1].slice(Math.max(0, l.step - RUNNING_LOSS_WINDOW), l.step)));
  }
  expect(logs.filter((l) => l.loss === undefined).every((l) => l.runningLoss === undefined)).toBe(true);
  opt.dispose();
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
  ref.opt.dispose();
  ref.model.dispose();
});

test("evalEvery records every k epochs; scheduler steps once per epoch; hooks run in order", async () => {
  const model = new MLP([2, 4, 2]);
  const opt = new SGD(model.parameters(), { lr: 1 });
  const events: string[] = [];
  const lrs: number[] = [];
  const recorder: Callback = {
    onTrainBegin: () => void events.push("trainBegin"),
    onEpochBegin: (c) => void events.push(`epochBegin ${c.epoch}`),
    onBatchBegin: (c) => void events.push(`batchBegin ${c.step}`),
    onBatchEnd: (c) => void events.push(`batchEnd ${c.step}`),
    onEpochEnd: (_c, logs) => {
      events.push(`epochEnd ${logs.epoch}`);
      lrs.push(logs.lr);
    },
    onTrainEnd: () => void events.push("trainEnd"),
  };
  const h = await fit(model, arrayLoader(train.xs.slice(0, 40), () => train.ys.slice(0, 40), 20), {
    epochs: 4,
    optimizer: opt,
    evalEvery: 2,
    scheduler: new StepLR(opt, { stepSize: 1, gamma: 0.5 }),
    callbacks: [recorder],
    progress: false,
  });
  expect(h.epoch).toEqual([2, 4]);
  expect(h.valLoss).toEqual([]);
  expect(lrs).toEqual([1, 0.5, 0.25, 0.125]);
  expect(opt.lr).toBe(0.0625);
  expect(events.slice(0, 7)).toEqual(["trainBegin", "epochBegin 1", "batchBegin 1", "batchEnd 1", "batchBegin 2", "batchEnd 2", "epochEnd 1"]);
  expect(events[events.length - 1]).toBe("trainEnd");
  model.dispose();
});

test("train mode while training, eval mode while evaluating", async () => {
  class Spy extends Module {
    readonly fc = new Linear(2, 2);
    readonly drop = new Dropout(0.5);
    seen: boolean[] = [];
    override forward(x: tf.Tensor): tf.Tensor {
      this.seen.push(this.drop.training);
      return this.fc.forward(this.drop.forward(x));
    }
  }
  const m = new Spy();
  await fit(m, arrayLoader(train.xs.slice(0, 20), () => train.ys.slice(0, 20), 10), {
    epochs: 1,
    optimizer: new SGD(m.parameters(), { lr: 0.1 }),
    valLoader: arrayLoader(val.xs.slice(0, 10), () => val.ys.slice(0, 10), 5),
    progress: false,
  });
  expect(m.seen).toEqual([true, true, false, false]);
  m.dispose();
});

test("early stopping stops and restores the best weights", async () => {
  manualSeed(3);
  const model = new MLP([2, 8, 2]);
  let epoch = 0;
  // Labels flip after epoch 3: validation gets better, then worse.
  const loader = arrayLoader(train.xs, () => (++epoch <= 3 ? train.ys : train.ys.map((y) => 1 - y)), 20);
  const snapshots: number[][] = [];
  const h = await fit(model, loader, {
    epochs: 20,
    optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
    valLoader: valLoader(),
    earlyStopping: { monitor: "valLoss", patience: 2, restoreBest: true },
    progress: false,
    onEpochEnd: () => {
      snapshots.push(values(model.parameters()[0]));
    },
  });
  const best = h.valLoss.indexOf(Math.min(...h.valLoss));
  expect(h.bestEpoch).toBe(h.epoch[best]);
  expect(h.epoch.length).toBe(best + 3); // stopped after 2 evaluations without improvement
  expect(h.epoch.length).toBeLessThan(20);
  expect(values(model.parameters()[0])).toEqual(snapshots[best]);
  model.dispose();
});

test("a NaN loss stops training with the epoch and step, suggesting a lower learning rate", async () => {
  const model = new MLP([2, 4, 2]);
  let calls = 0;
  const lossFn = (out: tf.Tensor, y: tf.Tensor1D): tf.Scalar => {
    const l = crossEntropy(out, y);
    return ++calls === 13 ? (tf.mul(l, NaN) as tf.Scalar) : l;
  };
  const before = tf.memory().numTensors;
  await expect(
    fit(model, trainLoader(), { epochs: 3, optimizer: new SGD(model.parameters(), { lr: 0.1 }), lossFn, progress: false, logEvery: 5 }),
  ).rejects.toThrow(/loss became NaN at epoch 2, step 3.*Lower the learning rate/);
  expect(tf.memory().numTensors).toBe(before); // nothing leaked on the error path
  model.dispose();
});

test("a batch of the wrong shape gives a clear error (expected vs got)", async () => {
  const model = new MLP([3, 4, 2]);
  await expect(
    fit(model, trainLoader(), { epochs: 1, optimizer: new SGD(model.parameters(), { lr: 0.1 }), progress: false }),
  ).rejects.toThrow(/epoch 1, step 1\): Linear\(3 → 4\) expects input \[N, 3\], got \[20,2\]/);
  model.dispose();
});

test("L2 penalty l2 = λ equals SGD weightDecay = λ", async () => {
  const run = async (opts: { l2?: number; weightDecay?: number }): Promise<number[]> => {
    manualSeed(7);
    const m = new MLP([2, 5, 2]);
    await fit(m, trainLoader(), {
      epochs: 2,
      optimizer: new SGD(m.parameters(), { lr: 0.1, weightDecay: opts.weightDecay ?? 0 }),
      l2: opts.l2,
      progress: false,
    });
    const w = values(m.parameters()[0]);
    m.dispose();
    return w;
  };
  const a = await run({ l2: 0.05 });
  const b = await run({ weightDecay: 0.05 });
  const c = await run({});
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
  expect(a).not.toEqual(c);
});

test("evaluate: loss, accuracy, per-class accuracy and confusion matrix", async () => {
  class Identity extends Module {
    override forward(x: tf.Tensor): tf.Tensor {
      return x.clone();
    }
  }
  const logits = [
    [2, 0, 0],
    [0, 2, 0],
    [2, 0, 0],
    [0, 0, 2],
    [0, 2, 0],
  ];
  const labels = [0, 1, 1, 2, 1];
  const r = await evaluate(new Identity(), arrayLoader(logits, () => labels, 2));
  expect(r.accuracy).toBeCloseTo(0.8, 6);
  expect(r.confusion).toEqual([
    [1, 0, 0],
    [1, 2, 0],
    [0, 0, 1],
  ]);
  expect(r.perClassAccuracy[1]).toBeCloseTo(2 / 3, 6);
  const want = values(crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, "int32")))[0];
  expect(r.loss).toBeCloseTo(want, 5);
});

test("crossEntropy: mean over the batch, like torch", () => {
  const l = crossEntropy(tf.tensor2d([[1, 2, 3], [1, 1, 1]]), tf.tensor1d([2, 0], "int32"));
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  expect(values(l)[0]).toBeCloseTo(((lse - 3) + Math.log(3)) / 2, 5);
});

test("saveModel / loadModel round trip; clear errors for missing or mismatching files", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-io-"));
  try {
    manualSeed(11);
    const a = new MLP([2, 6, 2], { batchNorm: true });
    a.forward(tf.randomNormal([8, 2])); // non-trivial running stats
    await saveModel(a, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
    const b = await loadModel(new MLP([2, 6, 2], { batchNorm: true }), dir);
    const x = tf.randomNormal([4, 2]);
    expect(values(predict(b, x))).toEqual(values(predict(a, x)));
    await expect(loadModel(new MLP([2, 7, 2], { batchNorm: true }), dir)).rejects.toThrow(/does not fit.*layers.1.weight/);
    await expect(loadModel(a, path.join(dir, "nope"))).rejects.toThrow(/cannot read .*model.json \(no such file\).*saveModel/);
    fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.alloc(8));
    await expect(loadModel(b, dir)).rejects.toThrow(/has 8 bytes/);
    a.dispose();
    b.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("progress goes through the replaceable output", async () => {
  const texts: string[] = [];
  let closed = false;
  const out: ProgressOutput = { update: (c) => void texts.push(c.text), close: () => void (closed = true) };
  setProgressOutput(() => out);
  try {
    const model = new MLP([2, 4, 2]);
    await fit(model, trainLoader(), { epochs: 2, optimizer: new SGD(model.parameters(), { lr: 0.1 }), valLoader: valLoader(), logEvery: 2 });
    model.dispose();
  } finally {
    setProgressOutput(stderrProgress);
  }
  expect(closed).toBe(true);
  expect(texts.some((t) => /samples\/s/.test(t))).toBe(true);
  // batch lines show the running mean (2 batches read at step 2) and the last batch's loss
  expect(texts.some((t) => /step 2\/10 · loss [\d.]+ \(mean of the last 2 batches; this one [\d.]+\)/.test(t))).toBe(true);
  expect(texts[texts.length - 1]).toMatch(/epoch 2\/2 · loss .* acc .*% · val loss .* val acc/);
});

test("conv nets and BatchNorm train through fit (fused conv gradients, running stats, flat memory)", async () => {
  manualSeed(5);
  const images = Array.from({ length: 16 }, (_, i) => Array.from({ length: 28 * 28 }, (_, j) => ((i * 31 + j * 7) % 13) / 13 - (i % 2) * 0.5));
  const labels = images.map((_, i) => i % 2);
  const loader: BatchSource = {
    length: 2,
    *[Symbol.iterator](): Iterator<Batch> {
      for (let i = 0; i < 16; i += 8)
        yield { x: tf.tensor4d(images.slice(i, i + 8).flat(), [8, 28, 28, 1]), y: tf.tensor1d(labels.slice(i, i + 8), "int32") };
    },
  };
  const { LeNet5 } = await import("tsdl/nn");
  // (MnistNet is left out: tfjs-backend-cpu's Conv2DBackpropFilter takes ~15 s per batch of 8 for its conv2.)
  for (const model of [new LeNet5(), new MLP([784, 32, 10], { batchNorm: true })]) {
    const before = values(model.parameters()[0]);
    const counts: number[] = [];
    const h = await fit(model, loader, {
      epochs: 3,
      optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
      progress: false,
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(h.trainLoss.every(Number.isFinite)).toBe(true);
    expect(values(model.parameters()[0])).not.toEqual(before);
    expect(counts[2]).toBe(counts[1]);
    model.dispose();
  }
});

test("sync and async loaders train alike; async hooks are awaited in order; a loader left early is closed", async () => {
  const data = (): BatchSource & Iterable<Batch> => arrayLoader(train.xs.slice(0, 60), () => train.ys.slice(0, 60), 20);
  const asAsync = (src: BatchSource & Iterable<Batch>): BatchSource => ({
    length: src.length,
    async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
      yield* src;
    },
  });
  const events: string[] = [];
  const slow: Callback = {
    onBatchEnd: async (c) => {
      await new Promise((r) => setTimeout(r, 1));
      events.push(`slow ${c.step}`);
    },
  };
  const quick: Callback = { onBatchEnd: (c) => void events.push(`quick ${c.step}`) };
  const run = async (src: BatchSource, callbacks: Callback[]): Promise<number[]> => {
    manualSeed(3);
    const m = new MLP([2, 4, 2]);
    try {
      const h = await fit(m, src, { epochs: 2, optimizer: new SGD(m.parameters(), { lr: 0.5 }), progress: false, callbacks });
      return [...h.trainLoss, ...h.trainAcc];
    } finally {
      m.dispose();
    }
  };
  const n0 = tf.memory().numTensors;
  const sync = await run(data(), [slow, quick]);
  expect(events.slice(0, 4)).toEqual(["slow 1", "quick 1", "slow 2", "quick 2"]);
  expect(await run(asAsync(data()), [])).toEqual(sync);

  // An error in a hook: the loader's iterator is closed (its finally runs), no batch tensor is left.
  for (const wrap of [(s: BatchSource & Iterable<Batch>): BatchSource => s, asAsync]) {
    let closed = 0;
    const inner = data();
    const tracked: BatchSource & Iterable<Batch> = {
      length: inner.length,
      *[Symbol.iterator]() {
        try {
          yield* inner;
        } finally {
          closed++;
        }
      },
    };
    const failing: Callback = {
      onBatchBegin: (c) => {
        if (c.step === 2) throw new Error("hook failed");
      },
    };
    await expect(run(wrap(tracked), [failing])).rejects.toThrow(/step 2\): hook failed/);
    expect(closed).toBe(1);
  }
  expect(tf.memory().numTensors).toBe(n0);
});
