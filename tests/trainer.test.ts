import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MLP, manualSeed } from "tsdl/nn";
import { Adadelta, Adam, SGD, type Optimizer } from "tsdl/optim";
import { readRun } from "tsdl/log";
import {
  type BatchSource,
  EarlyStopping,
  LearningRateMonitor,
  LightningDataModule,
  LightningModule,
  ModelCheckpoint,
  TensorBoardLogger,
  Trainer,
  type TrainerCallback,
  crossEntropy,
  fit,
  setProgressOutput,
  stderrProgress,
} from "tsdl/train";
import type { Batch } from "tsdl/train/types";

tf.env().set("IS_TEST", true);
beforeAll(async () => {
  await tf.setBackend("cpu");
});

function arrayLoader(xs: number[][], ys: number[], batchSize: number): BatchSource {
  return {
    length: Math.ceil(xs.length / batchSize),
    *[Symbol.iterator](): Iterator<Batch> {
      for (let i = 0; i < xs.length; i += batchSize) {
        const j = Math.min(xs.length, i + batchSize);
        yield { x: tf.tensor2d(xs.slice(i, j)), y: tf.tensor1d(ys.slice(i, j), "int32") };
      }
    },
  };
}

function blobs(n: number, seed: number): { xs: number[][]; ys: number[] } {
  let s = seed;
  const rnd = (): number => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    xs.push([(c ? 1 : -1) + rnd() - 0.5, (c ? 1 : -1) + rnd() - 0.5]);
    ys.push(c);
  }
  return { xs, ys };
}
const tr = blobs(40, 1);
const va = blobs(20, 2);
const trainL = (bs = 20): BatchSource => arrayLoader(tr.xs, tr.ys, bs);
const valL = (): BatchSource => arrayLoader(va.xs, va.ys, 10);

class LitMLP extends LightningModule {
  readonly net: MLP;
  constructor(readonly lr = 0.1, readonly valMetric: (epoch: number) => number | null = () => null) {
    super();
    this.net = new MLP([2, 8, 2]);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.net.forward(x);
  }
  trainingStep(b: Batch): tf.Scalar {
    const loss = crossEntropy(this.forward(b.x), b.y);
    this.log("trainStepLoss", loss);
    return loss;
  }
  validationStep(b: Batch): void {
    this.log("valLoss", crossEntropy(this.forward(b.x), b.y));
  }
  testStep(b: Batch): void {
    const out = this.forward(b.x);
    this.log("testLoss", crossEntropy(out, b.y));
    this.log("testAcc", tf.mean(tf.cast(tf.equal(tf.argMax(out, 1), b.y), "float32")) as tf.Scalar);
  }
  configureOptimizers(): Optimizer {
    return new SGD(this.parameters(), { lr: this.lr, momentum: 0.9 });
  }
}

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-trainer-"));
const weights = (m: LightningModule): number[] => m.parameters().flatMap((p) => Array.from(p.dataSync()));

test("callback hooks run in Lightning's order (2 epochs × 2 batches, validation every epoch)", async () => {
  const calls: string[] = [];
  const names = ["setup", "onFitStart", "onTrainEpochStart", "onTrainBatchStart", "onTrainBatchEnd", "onValidationStart",
    "onValidationEpochStart", "onValidationEpochEnd", "onValidationEnd", "onTrainEpochEnd", "onFitEnd", "teardown"] as const;
  const spy: TrainerCallback = {};
  for (const n of names) (spy as Record<string, () => void>)[n] = () => void calls.push(n);
  manualSeed(0);
  await new Trainer({ maxEpochs: 2, callbacks: [spy], enableProgressBar: false }).fit(new LitMLP(), { train: trainL(), val: valL() });
  const epoch = ["onTrainEpochStart", "onTrainBatchStart", "onTrainBatchEnd", "onTrainBatchStart", "onTrainBatchEnd",
    "onValidationStart", "onValidationEpochStart", "onValidationEpochEnd", "onValidationEnd", "onTrainEpochEnd"];
  expect(calls).toEqual(["setup", "onFitStart", ...epoch, ...epoch, "onFitEnd", "teardown"]);
});

test("fit and Trainer.fit share one loop: identical weights and losses on the same seed", async () => {
  manualSeed(3);
  const a = new LitMLP();
  const h1 = await fit(a.net, trainL(10), { epochs: 3, optimizer: new SGD(a.parameters(), { lr: 0.1, momentum: 0.9 }), progress: false, gradientClipVal: 0.05 });
  manualSeed(3);
  const b = new LitMLP();
  const h2 = await new Trainer({ maxEpochs: 3, enableProgressBar: false, gradientClipVal: 0.05 }).fit(b, { train: trainL(10) });
  expect(weights(b)).toEqual(weights(a));
  expect(h2.trainLoss).toEqual(h1.trainLoss);
});

test("gradient clipping bounds each gradient element to [−v, v]", async () => {
  manualSeed(1);
  const m = new LitMLP(1);
  m.configureOptimizers = () => new SGD(m.parameters(), { lr: 1 }); // plain SGD: Δθ = −lr·g
  const before = weights(m);
  await new Trainer({ maxEpochs: 1, limitTrainBatches: 1, gradientClipVal: 0.01, enableProgressBar: false }).fit(m, { train: trainL() });
  const delta = weights(m).map((w, i) => Math.abs(w - before[i]));
  expect(Math.max(...delta)).toBeLessThanOrEqual(0.01 + 1e-6);
  expect(Math.max(...delta)).toBeGreaterThan(0.005);
});

test("limitTrainBatches and fastDevRun limit the batches and epochs", async () => {
  const count = (): TrainerCallback & { n: number; v: number } => ({
    n: 0, v: 0,
    onTrainBatchEnd() { this.n++; },
    onValidationEnd() { this.v++; },
  });
  const c1 = count();
  manualSeed(0);
  await new Trainer({ maxEpochs: 2, limitTrainBatches: 3, callbacks: [c1], enableProgressBar: false }).fit(new LitMLP(), { train: trainL(5), val: valL() });
  expect([c1.n, c1.v]).toEqual([6, 2]);
  const c2 = count();
  const dir = tmp();
  const ck = new ModelCheckpoint({ dirpath: dir, saveLast: true });
  await new Trainer({ maxEpochs: 5, fastDevRun: true, callbacks: [c2, ck], enableProgressBar: false }).fit(new LitMLP(), { train: trainL(5), val: valL() });
  expect([c2.n, c2.v]).toEqual([1, 1]);
  expect(fs.readdirSync(dir)).toEqual([]); // no checkpoints in a smoke run
});

test("EarlyStopping: stops after patience validations without improvement (min and max modes)", async () => {
  // A module whose logged metric is scripted per epoch.
  class Scripted extends LitMLP {
    constructor(readonly series: number[], readonly trainer0: { epoch: () => number }) { super(); }
    validationStep(): void { this.log("metric", this.series[this.trainer0.epoch()]); }
  }
  const run = async (series: number[], mode: "min" | "max", minDelta = 0): Promise<number> => {
    let t: Trainer | null = null;
    const m = new Scripted(series, { epoch: () => t?.currentEpoch ?? 0 });
    t = new Trainer({ maxEpochs: series.length, callbacks: [new EarlyStopping({ monitor: "metric", mode, patience: 2, minDelta })], enableProgressBar: false });
    const h = await t.fit(m, { train: trainL(), val: valL() });
    return h.epoch.length;
  };
  expect(await run([5, 4, 4.5, 4.2, 1, 0], "min")).toBe(4); // best at 2, two worse → stop at 4
  expect(await run([1, 2, 3, 4, 5, 6], "min")).toBe(3);
  expect(await run([1, 2, 3, 4, 5, 6], "max")).toBe(6);
  expect(await run([1, 1.05, 1.1, 1.15, 5, 6], "max", 0.2)).toBe(3); // below minDelta is no improvement
});

test("ModelCheckpoint keeps the best k and last; resume from last continues at the next epoch with the same weights", async () => {
  const dir = tmp();
  const scores = [0.5, 0.2, 0.9, 0.1];
  class Scored extends LitMLP {
    t: Trainer | null = null;
    validationStep(): void { this.log("score", scores[this.t?.currentEpoch ?? 0]); }
  }
  manualSeed(0);
  const m = new Scored();
  const ck = new ModelCheckpoint({ dirpath: dir, monitor: "score", mode: "min", saveTopK: 2, saveLast: true });
  m.t = new Trainer({ maxEpochs: 4, callbacks: [ck], enableProgressBar: false });
  await m.t.fit(m, { train: trainL(), val: valL() });
  expect(fs.readdirSync(dir).sort()).toEqual(["epoch=1-step=4", "epoch=3-step=8", "last"]);
  expect(ck.bestModelPath).toBe(path.join(dir, "epoch=3-step=8"));

  // Resume: 2 epochs, then 2 more from last; compare with 4 straight epochs (optimizer state restored too:
  // momentum buffers, Adadelta's and Adam's moments and step counts, through optimizer.json).
  const optimizers: ((ps: tf.Variable[]) => Optimizer)[] = [
    (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }),
    (ps) => new Adadelta(ps),
    (ps) => new Adam(ps, { lr: 0.01 }),
  ];
  for (const make of optimizers) {
    const use = (mod: LitMLP): LitMLP => { mod.configureOptimizers = () => make(mod.parameters()); return mod; };
    manualSeed(5);
    const straight = use(new LitMLP());
    manualSeed(5);
    const first = use(new LitMLP());
    await new Trainer({ maxEpochs: 4, enableProgressBar: false }).fit(straight, { train: trainL() });
    const d2 = tmp();
    await new Trainer({ maxEpochs: 2, enableProgressBar: false, callbacks: [new ModelCheckpoint({ dirpath: d2, saveLast: true })] }).fit(first, { train: trainL() });
    manualSeed(9);
    const resumed = use(new LitMLP());
    const epochs: number[] = [];
    const t = new Trainer({ maxEpochs: 4, enableProgressBar: false, callbacks: [new ModelCheckpoint({ dirpath: d2, saveLast: true }), { onTrainEpochStart: (tr) => void epochs.push(tr.currentEpoch) }] });
    await t.fit(resumed, { train: trainL() }, { ckptPath: "last" });
    expect(epochs).toEqual([2, 3]);
    expect(t.globalStep).toBe(8);
    expect(weights(resumed)).toEqual(weights(straight));
  }
  // another optimizer than the checkpoint's: refused, saying which
  manualSeed(9);
  const other = new LitMLP();
  other.configureOptimizers = () => new Adam(other.parameters());
  const d3 = tmp();
  await new Trainer({ maxEpochs: 1, enableProgressBar: false, callbacks: [new ModelCheckpoint({ dirpath: d3, saveLast: true })] }).fit(new LitMLP(), { train: trainL() });
  await expect(new Trainer({ maxEpochs: 2, enableProgressBar: false }).fit(other, { train: trainL() }, { ckptPath: path.join(d3, "last") }))
    .rejects.toThrow(/holds the state of SGD, but configureOptimizers\(\) returned Adam/);
});

test("TensorBoardLogger writes everything logged (readRun), LearningRateMonitor the lr; test() returns metrics", async () => {
  const dir = tmp();
  const logger = new TensorBoardLogger(dir, "run1");
  manualSeed(0);
  const m = new LitMLP();
  class DM extends LightningDataModule {
    stages: string[] = [];
    setup(stage: "fit" | "test"): void { this.stages.push(stage); }
    trainDataloader(): BatchSource { return trainL(); }
    valDataloader(): BatchSource { return valL(); }
    testDataloader(): BatchSource { return valL(); }
  }
  const dm = new DM();
  const t = new Trainer({ maxEpochs: 2, logger, callbacks: [new LearningRateMonitor()], enableProgressBar: false, logEvery: 1, seed: 4 });
  await t.fit(m, dm);
  const metrics = await t.test(m, dm);
  expect(dm.stages).toEqual(["fit", "test"]);
  expect(Object.keys(metrics).sort()).toEqual(["testAcc", "testLoss"]);
  expect(metrics.testAcc).toBeGreaterThan(0.5);
  logger.writer.close();
  const run = readRun(path.join(dir, "run1"));
  expect([...run.scalars.keys()].sort()).toEqual(["epoch", "lr-SGD", "trainLoss", "trainStepLoss", "valLoss"]);
  expect(run.scalars.get("trainStepLoss")?.length).toBe(4);
  expect(run.scalars.get("valLoss")?.length).toBe(2);
  expect(run.scalars.get("lr-SGD")?.[0].value).toBeCloseTo(0.1);
});

test("no tensor leaks: numTensors flat across epochs", async () => {
  const counts: number[] = [];
  manualSeed(0);
  const m = new LitMLP();
  const t = new Trainer({ maxEpochs: 4, enableProgressBar: false, logEvery: 1, callbacks: [{ onTrainEpochEnd: () => void counts.push(tf.memory().numTensors) }] });
  await t.fit(m, { train: trainL(5), val: valL() });
  expect(new Set(counts.slice(1)).size).toBe(1);
  expect(counts[0]).toBe(counts[1]);
});

test("the progress bar goes through the replaceable output and shows progBar metrics", async () => {
  const texts: string[] = [];
  setProgressOutput(() => ({ update: ({ text }) => void texts.push(text), close: () => undefined }));
  try {
    class Shown extends LitMLP {
      validationStep(b: Batch): void { this.log("valScore", crossEntropy(this.forward(b.x), b.y), { progBar: true }); }
    }
    manualSeed(0);
    await new Trainer({ maxEpochs: 2 }).fit(new Shown(), { train: trainL(), val: valL() });
  } finally {
    setProgressOutput(stderrProgress);
  }
  expect(texts.filter((t) => /^epoch 2\/2 · loss [\d.]+ · valScore [\d.]+/.test(t))).toHaveLength(1);
});

/** Logs the conventional names: trainAcc (epoch mean), valLoss and valAcc (snake_case with `snake`). */
class Conventional extends LitMLP {
  constructor(readonly snake = false) { super(); }
  private figures(b: Batch): [tf.Scalar, tf.Scalar] {
    const out = this.forward(b.x);
    return [crossEntropy(out, b.y), tf.mean(tf.cast(tf.equal(tf.argMax(out, 1), b.y), "float32")) as tf.Scalar];
  }
  trainingStep(b: Batch): tf.Scalar {
    const [loss, acc] = this.figures(b);
    this.log("trainAcc", acc, { onStep: false, onEpoch: true });
    return loss;
  }
  validationStep(b: Batch): void {
    const [loss, acc] = this.figures(b);
    this.log(this.snake ? "val_loss" : "valLoss", loss, { progBar: true });
    this.log(this.snake ? "val_acc" : "valAcc", acc, { progBar: true });
  }
}

test("logged valLoss / valAcc / trainAcc reach the history, the epoch logs and the progress line", async () => {
  const texts: string[] = [];
  const epochLogs: { epoch: number; valLoss?: number; valAcc?: number; trainAcc: number }[] = [];
  setProgressOutput(() => ({ update: ({ text }) => void texts.push(text), close: () => undefined }));
  let h: Awaited<ReturnType<Trainer["fit"]>>;
  manualSeed(0);
  const m = new Conventional();
  const before = tf.memory().numTensors;
  try {
    const t = new Trainer({ maxEpochs: 4, checkValEveryNEpoch: 2, callbacks: [{ onTrainEpochEnd: (tr) => void epochLogs.push({ epoch: tr.currentEpoch + 1, ...pick(tr.callbackMetrics) }) }] });
    h = await t.fit(m, { train: trainL(), val: valL() });
    t.optimizer?.dispose();
  } finally {
    setProgressOutput(stderrProgress);
  }
  expect(tf.memory().numTensors).toBe(before); // the logged tensors are all freed
  // one entry per validation epoch: the arrays line up with `epoch`
  expect(h.epoch).toEqual([2, 4]);
  expect(h.valAcc).toHaveLength(2);
  expect(h.valLoss).toHaveLength(2);
  expect(h.trainAcc).toHaveLength(2);
  expect(h.valAcc[1]).toBeGreaterThan(0.9);
  expect(h.valAcc[1]).toBe(epochLogs[3].valAcc);
  expect(h.valLoss[1]).toBe(epochLogs[3].valLoss);
  expect(h.trainAcc[1]).toBe(epochLogs[3].trainAcc);
  // the epoch line shows them once, in fit's words (not repeated as progBar metrics)
  const line = texts.find((x) => x.startsWith("epoch 4/4 · loss"));
  expect(line).toMatch(/^epoch 4\/4 · loss [\d.]+ · acc [\d.]+% · val loss [\d.]+ · val acc [\d.]+% · \d+ samples\/s/);
  expect(line).not.toMatch(/valAcc|valLoss/);
  expect(texts.find((x) => x.startsWith("epoch 3/4 · loss"))).not.toMatch(/val/); // no validation at epoch 3
  // Lightning's snake_case names feed the same fields
  manualSeed(0);
  const hs = await new Trainer({ maxEpochs: 2, enableProgressBar: false }).fit(new Conventional(true), { train: trainL(), val: valL() });
  expect([hs.valLoss.length, hs.valAcc.length]).toEqual([2, 2]);
  expect(hs.valAcc.every((v) => v >= 0 && v <= 1)).toBe(true);
});

function pick(m: Record<string, number>): { valLoss?: number; valAcc?: number; trainAcc: number } {
  return { valLoss: m.valLoss, valAcc: m.valAcc, trainAcc: m.trainAcc };
}
