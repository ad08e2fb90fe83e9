// Helpers for the regularisation notebook: output entropy, gradients w.r.t. layer inputs.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GradientStore, SummaryWriter, inputGradients, outputEntropy, readRun, recordInputGradients, uniformEntropy } from "tsdl/log";
import { Linear, ReLU, Sequential, manualSeed } from "tsdl/nn";
import { SGD } from "tsdl/optim";
import { crossEntropy } from "tsdl/train";

tf.env().set("IS_TEST", true);
beforeAll(async () => {
  await tf.setBackend("cpu");
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe("entropy", () => {
  test("uniform logits → ln 10; confident → ≈ 0; per-example values", () => {
    expect(uniformEntropy()).toBeCloseTo(Math.log(10), 12);
    expect(uniformEntropy(2)).toBeCloseTo(Math.LN2, 12);
    const before = tf.memory().numTensors;
    const uniform = tf.fill([4, 10], 3.7);
    const h = outputEntropy(uniform);
    expect(h.shape).toEqual([]);
    expect(h.dataSync()[0]).toBeCloseTo(Math.log(10), 5);
    const mixed = tf.tensor2d([[0, 0, 0, 0], [100, 0, 0, 0], [Math.log(3), 0, -1e9, -1e9]]);
    const each = outputEntropy(mixed, { reduction: "none" });
    // [1/4 ×4] → ln 4; one-hot → 0; p = [3/4, 1/4] → -(3/4 ln 3/4 + 1/4 ln 1/4)
    const expected = [Math.log(4), 0, -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))];
    values(each).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    tf.dispose([uniform, h, mixed, each]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("gradients w.r.t. inputs", () => {
  // loss = mean((x·W − y)²) over the N×K entries → dL/dx = 2/(N·K) (x·W − y)·Wᵀ, computed by hand.
  const X = [[1, 2], [3, -1]];
  const W = [[0.5, -1, 2], [1, 0.25, -0.5]];
  const Y = [[1, 0, 0], [0, 1, 0]];
  function handGrad(): number[] {
    const out: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 2; i++) {
        let g = 0;
        for (let k = 0; k < 3; k++) {
          const pred = X[n][0] * W[0][k] + X[n][1] * W[1][k];
          g += (2 / 6) * (pred - Y[n][k]) * W[i][k];
        }
        out.push(g);
      }
    return out;
  }

  test("inputGradients matches the hand-computed gradient; no leak", () => {
    const x = tf.tensor2d(X), w = tf.tensor2d(W), y = tf.tensor2d(Y);
    const before = tf.memory().numTensors;
    const { value, grads } = inputGradients(([h]) => tf.mean(tf.square(tf.sub(tf.matMul(h, w), y))), [x]);
    values(grads[0]).forEach((g, i) => expect(g).toBeCloseTo(handGrad()[i], 5));
    expect(value.shape).toEqual([]);
    tf.dispose([value, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, y]);
    expect(() => inputGradients(() => tf.scalar(0), [])).toThrow(/at least one/);
  });

  test("recordInputGradients: every layer's input gradient during a normal variableGrads step", () => {
    manualSeed(1);
    const fc1 = new Linear(2, 3), fc2 = new Linear(3, 3);
    const model = new Sequential(fc1, new ReLU(), fc2);
    tf.tidy(() => fc2.weight.assign(tf.concat([tf.tensor2d(W), tf.tensor2d([[0, 0, 1]])], 0))); // 3×3
    const x = tf.tensor2d(X), y = tf.tensor2d(Y);
    const rec = recordInputGradients({ fc1, fc2 });
    const lossOf = (h: tf.Tensor): tf.Scalar => tf.mean(tf.square(tf.sub(h, y)));
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => lossOf(model.forward(x)));
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(); // warm-up: the recorder's first tensors exist from here on
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(rec.names().sort()).toEqual(["fc1", "fc2"]);
    const got1 = values(rec.get("fc1")!), got2 = values(rec.get("fc2")!);
    expect(rec.get("fc1")!.shape).toEqual([2, 2]);
    for (const g of [got1, got2]) expect(g.some((v) => Math.abs(v) > 1e-3)).toBe(true); // not a dead-ReLU 0 = 0
    rec.remove(); // restores the layers' forward and frees the stored gradients
    expect(Object.prototype.hasOwnProperty.call(fc1, "forward")).toBe(false);
    expect(rec.get("fc1")).toBeUndefined();
    // Reference: the same gradients from explicit functions of each layer's input (Linear+ReLU fused
    // by Sequential in the recorded pass, unfused here).
    const h1 = tf.relu(fc1.forward(x)); // fc2's input
    const ref2 = inputGradients(([h]) => lossOf(fc2.forward(h)), [h1]);
    const ref1 = inputGradients(([h]) => lossOf(model.forward(h)), [x]);
    got2.forEach((g, i) => expect(g).toBeCloseTo(values(ref2.grads[0])[i], 5));
    got1.forEach((g, i) => expect(g).toBeCloseTo(values(ref1.grads[0])[i], 5));
    tf.dispose([h1, ref1.value, ref2.value, ...ref1.grads, ...ref2.grads, x, y]);
    model.dispose();
  });

  test("the anchor leaves parameter gradients unchanged", () => {
    manualSeed(2);
    const fc = new Linear(2, 3);
    const x = tf.tensor2d(X);
    const run = (): Float32Array => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fc.forward(x))));
      value.dispose();
      return grads[fc.weight.name].dataSync() as Float32Array;
    });
    const plain = run();
    const rec = recordInputGradients([["fc", fc]]);
    const tapped = run();
    expect(Array.from(tapped)).toEqual(Array.from(plain));
    expect(rec.get("fc")).toBeDefined();
    rec.remove();
    x.dispose();
    fc.dispose();
  });

  test("GradientStore.tap: PyTorch's store_grad on an intermediate tensor", () => {
    const w = tf.variable(tf.tensor2d(W));
    const x = tf.tensor2d(X), y = tf.tensor2d(Y);
    const store = new GradientStore();
    const { value, grads } = tf.variableGrads(() => {
      const h = store.tap("h", tf.matMul(x, w)); // dL/dh = 2/6 (h − y)
      return tf.mean(tf.square(tf.sub(h, y)));
    });
    const expected = tf.tidy(() => tf.mul(2 / 6, tf.sub(tf.matMul(x, w), y)));
    values(store.get("h")!).forEach((g, i) => expect(g).toBeCloseTo(values(expected)[i], 6));
    // Untapped data (not depending on any variable) is not differentiated by tfjs without an anchor.
    tf.variableGrads(() => tf.sum(tf.matMul(store.tap("x", x), w))).value.dispose();
    expect(store.get("x")).toBeUndefined();
    store.dispose();
    tf.dispose([value, ...Object.values(grads), expected, w, x, y]);
  });
});

describe("a seed-001 style loop", () => {
  test("losses, weight / input-gradient / entropy histograms: files readable, tensor count flat", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-logl-"));
    manualSeed(3);
    const fc1 = new Linear(8, 16), fc2 = new Linear(16, 10);
    const model = new Sequential(fc1, new ReLU(), fc2);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const x = tf.randomNormal([32, 8]), y = tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), "int32");
    const writer = new SummaryWriter(tmp, { runName: "mlp", totalSteps: 30, maxHistograms: 5 });
    const rec = recordInputGradients({ fc1, fc2 });
    let base = -1;
    for (let epoch = 0; epoch < 30; epoch++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y));
        opt.step(grads);
        writer.addScalar("loss/train", value, epoch);
        if (writer.histogramDue("entropy", epoch)) {
          for (const [name, p] of model.namedParameters()) writer.addHistogram(`weights/${name}`, p, epoch);
          for (const name of rec.names()) writer.addHistogram(`grad_input/${name}`, rec.get(name)!, epoch);
          writer.addHistogram("entropy", outputEntropy(model.forward(x), { reduction: "none" }), epoch);
        }
      });
      if (epoch === 1) base = tf.memory().numTensors;
      if (epoch > 1) expect(tf.memory().numTensors).toBe(base);
    }
    writer.close();
    rec.remove();
    const run = readRun(writer.runDir);
    const loss = run.scalars.get("loss/train")!;
    expect(loss.length).toBe(30);
    expect(loss[29].value).toBeLessThan(loss[0].value);
    expect(loss[0].value).toBeCloseTo(uniformEntropy(), 0); // an untrained model is close to uniform
    expect([...run.histograms.keys()].sort()).toEqual(["entropy", "grad_input/fc1", "grad_input/fc2", "weights/0.bias", "weights/0.weight", "weights/2.bias", "weights/2.weight"].sort());
    for (const h of run.histograms.values()) expect(h.map((p) => p.step)).toEqual([0, 6, 12, 18, 24]);
    expect(run.histograms.get("grad_input/fc1")![0].num).toBe(32 * 8);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
