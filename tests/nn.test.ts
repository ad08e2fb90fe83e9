import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  CifarNet,
  Conv2d,
  Dropout,
  FullyConnectedNetwork,
  LayerNorm,
  LeNet5,
  Linear,
  MLP,
  MnistNet,
  ReLU,
  Sequential,
  Tanh,
  createFeatureExtractor,
  manualSeed,
} from "tsdl/nn";

tf.env().set("IS_TEST", true); // silences tfjs' "use tfjs-node" banner
beforeAll(async () => {
  await tf.setBackend("cpu");
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe("models: output shapes and parameter counts (PyTorch layout)", () => {
  const cases: [string, () => { numParameters(): number; forward(x: tf.Tensor): tf.Tensor; dispose(): void }, number[], number][] = [
    ["LeNet5", () => new LeNet5(), [28, 28, 1], 61706],
    ["MLP 784-120-84-10", () => new MLP([784, 120, 84, 10]), [28, 28, 1], 105214],
    ["MnistNet (seed 004)", () => new MnistNet(), [28, 28, 1], 1199882],
    ["CifarNet 16/32 (seed 000)", () => new CifarNet({ channels: [16, 32] }), [32, 32, 3], 121182],
    ["CifarNet 6/16 (seed 003)", () => new CifarNet(), [32, 32, 3], 62006],
  ];
  test.each(cases)("%s", (_name, make, inputShape, count) => {
    const model = make();
    expect(model.numParameters()).toBe(count);
    const y = model.forward(tf.zeros([3, ...inputShape]));
    expect(y.shape).toEqual([3, 10]);
    y.dispose();
    model.dispose();
  });

  test("seed 001's MLP with dropout / BatchNorm / LayerNorm", () => {
    for (const opts of [{ dropout: 0.2 }, { batchNorm: true }, { layerNorm: true }]) {
      const m = new MLP([784, 100, 100, 100, 10], opts);
      const y = m.forward(tf.ones([4, 784]));
      expect(y.shape).toEqual([4, 10]);
      tf.dispose(y);
      m.dispose();
    }
    const bn = new MLP([784, 100, 100, 100, 10], { batchNorm: true });
    // 3 Linear 100 (+BN weight and bias 2·100 each) + classifier.
    expect(bn.numParameters()).toBe(784 * 100 + 100 + 2 * (100 * 100 + 100) + 1010 + 3 * 200);
    expect(bn.namedBuffers().map(([n]) => n)).toContain("layers.2.runningMean");
    bn.dispose();
  });

  test("CifarNet with dropout and batch norm; FullyConnectedNetwork", () => {
    const net = new CifarNet({ channels: [16, 32], dropout: 0.2, batchNorm: true });
    const y = net.forward(tf.randomNormal([4, 32, 32, 3]));
    expect(y.shape).toEqual([4, 10]);
    const fcn = new FullyConnectedNetwork({ architecture: Array(10).fill(10) });
    const z = fcn.forward(tf.randomNormal([5, 2]));
    expect(z.shape).toEqual([5, 2]);
    expect(fcn.namedParameters()[0][0]).toBe("layers.0.0.weight");
    expect(fcn.namedParameters()[1][0]).toBe("layers.0.0.bias");
    expect(fcn.namedParameters()[2][0]).toBe("layers.0.1.weight");
    tf.dispose([y, z]);
    net.dispose();
    fcn.dispose();
  });

  test("names follow the fields like PyTorch's state_dict", () => {
    const lenet = new LeNet5();
    expect(lenet.namedParameters().map(([n]) => n)).toEqual([
      "featureExtractor.0.weight",
      "featureExtractor.0.bias",
      "featureExtractor.3.weight",
      "featureExtractor.3.bias",
      "featureExtractor.6.weight",
      "featureExtractor.6.bias",
      "classifier.0.weight",
      "classifier.0.bias",
      "classifier.2.weight",
      "classifier.2.bias",
    ]);
    const mnist = new MnistNet();
    expect(mnist.namedParameters().map(([n]) => n)[0]).toBe("conv1.weight");
    lenet.dispose();
    mnist.dispose();
  });

  test("summary lists layers, output shapes and parameters", () => {
    const lenet = new LeNet5();
    const text = lenet.summary([28, 28, 1], { print: false });
    expect(text).toContain("[-1, 28, 28, 6]");
    expect(text).toContain("[-1, 14, 14, 6]");
    expect(text).toContain("[-1, 1, 1, 120]");
    expect(text).toContain("[-1, 84]");
    expect(text).toContain("48,120");
    expect(text).toContain("Total params: 61,706");
    expect(lenet.training).toBe(true); // summary restores the mode
    lenet.dispose();
  });
});

describe("initialisation", () => {
  test("PyTorch's default bounds 1/√fan_in for weight and bias", () => {
    const lin = new Linear(100, 50);
    const conv = new Conv2d(3, 16, 5);
    for (const [t, fanIn] of [
      [lin.weight, 100],
      [lin.bias!, 100],
      [conv.weight, 75],
      [conv.bias!, 75],
    ] as [tf.Tensor, number][]) {
      const b = 1 / Math.sqrt(fanIn);
      const v = values(t);
      expect(Math.max(...v)).toBeLessThanOrEqual(b);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-b);
      if (v.length > 1000) expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.95 * b);
    }
    expect(lin.weight.shape).toEqual([100, 50]);
    expect(conv.weight.shape).toEqual([5, 5, 3, 16]);
    lin.dispose();
    conv.dispose();
  });

  test("manualSeed makes initialisation reproducible", () => {
    manualSeed(42);
    const a = new MLP([4, 8, 3]);
    manualSeed(42);
    const b = new MLP([4, 8, 3]);
    const c = new MLP([4, 8, 3]);
    expect(values(a.parameters()[0])).toEqual(values(b.parameters()[0]));
    expect(values(c.parameters()[0])).not.toEqual(values(b.parameters()[0]));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe("train / eval modes", () => {
  test("Dropout: random in train mode (scaled by 1/(1-p)), identity in eval mode", () => {
    const d = new Dropout(0.5);
    const x = tf.ones([1, 1000]);
    const y1 = values(d.forward(x));
    const y2 = values(d.forward(x));
    expect(y1).not.toEqual(y2);
    expect(new Set(y1)).toEqual(new Set([0, 2]));
    const kept = y1.filter((v) => v > 0).length / 1000;
    expect(kept).toBeGreaterThan(0.4);
    expect(kept).toBeLessThan(0.6);
    d.eval();
    expect(values(d.forward(x))).toEqual(values(x));
  });

  test("a model with dropout: two outputs differ in train mode, identical in eval mode", () => {
    const m = new MLP([10, 32, 32, 3], { dropout: 0.5 });
    const x = tf.randomNormal([4, 10]);
    expect(values(m.forward(x))).not.toEqual(values(m.forward(x)));
    m.eval();
    expect(values(m.forward(x))).toEqual(values(m.forward(x)));
    expect(m.layers.at(3).training).toBe(false); // eval() is recursive
    m.train();
    expect(m.layers.at(3).training).toBe(true);
    m.dispose();
  });

  test("BatchNorm1d: batch statistics and running-stat updates in train, running stats in eval", () => {
    const bn = new BatchNorm1d(2);
    const x = tf.tensor2d([
      [1, 10],
      [2, 20],
      [3, 30],
      [6, 60],
    ]);
    const y = bn.forward(x);
    const { mean, variance } = tf.moments(y, 0);
    values(mean).forEach((v) => expect(v).toBeCloseTo(0, 5));
    values(variance).forEach((v) => expect(v).toBeCloseTo(1, 3));
    // batch mean [3, 30], unbiased var [14/3, 1400/3]; momentum 0.1
    const rm = values(bn.runningMean);
    const rv = values(bn.runningVar);
    expect(rm[0]).toBeCloseTo(0.3, 5);
    expect(rm[1]).toBeCloseTo(3, 4);
    expect(rv[0]).toBeCloseTo(0.9 + 0.1 * (14 / 3), 5);
    expect(rv[1]).toBeCloseTo(0.9 + 0.1 * (1400 / 3), 3);
    bn.eval();
    const e1 = values(bn.forward(x));
    const e2 = values(bn.forward(x));
    expect(e1).toEqual(e2);
    expect(values(bn.runningMean)).toEqual(rm); // not updated in eval
    expect(e1[0]).toBeCloseTo((1 - 0.3) / Math.sqrt(rv[0] + 1e-5), 4);
    bn.dispose();
  });

  test("BatchNorm2d normalises each channel over N, H, W (NHWC)", () => {
    const bn = new BatchNorm2d(3);
    const x = tf.add(tf.mul(tf.randomNormal([4, 5, 5, 3]), [1, 5, 10]), [0, 3, -7]);
    const { mean, variance } = tf.moments(bn.forward(x), [0, 1, 2]);
    values(mean).forEach((v) => expect(v).toBeCloseTo(0, 4));
    values(variance).forEach((v) => expect(v).toBeCloseTo(1, 2));
    bn.dispose();
  });

  test("LayerNorm normalises each sample", () => {
    const ln = new LayerNorm(4);
    const y = ln.forward(tf.tensor2d([
      [1, 2, 3, 4],
      [10, 0, 10, 0],
    ]));
    const { mean, variance } = tf.moments(y, 1);
    values(mean).forEach((v) => expect(v).toBeCloseTo(0, 5));
    values(variance).forEach((v) => expect(v).toBeCloseTo(1, 3));
    ln.dispose();
  });
});

describe("layers", () => {
  test("fused Linear+ReLU in Sequential equals the unfused computation", () => {
    const seq = new Sequential(new Linear(5, 7), new ReLU(), new Linear(7, 2), new Tanh());
    const x = tf.randomNormal([3, 5]);
    const fused = values(seq.forward(x));
    const l0 = seq.at(0) as Linear;
    const manual = tf.tanh((seq.at(2) as Linear).forward(tf.relu(tf.add(tf.matMul(x, l0.weight), l0.bias!))));
    fused.forEach((v, i) => expect(v).toBeCloseTo(values(manual)[i], 5));
    seq.dispose();
  });

  test("AvgPool2d counts padded zeros like PyTorch (count_include_pad)", () => {
    const p = new AvgPool2d(2, { stride: 2, padding: 1 });
    const y = p.forward(tf.ones([1, 2, 2, 1]));
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(values(y)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  test("clear errors for wrong input shapes", () => {
    expect(() => new Linear(784, 10).forward(tf.zeros([2, 28, 28, 1]))).toThrow(/expects input \[N, 784\], got \[2,28,28,1\].*Flatten/);
    expect(() => new Conv2d(1, 6, 5).forward(tf.zeros([2, 1, 28, 28]))).toThrow(/NHWC.*got \[2,1,28,28\].*NCHW/);
  });

  test("stateDict / loadStateDict round trip and mismatch errors", () => {
    manualSeed(1);
    const a = new MLP([4, 6, 3], { batchNorm: true });
    a.forward(tf.randomNormal([8, 4])); // moves the running stats
    const sd = a.stateDict();
    expect(Object.keys(sd)).toContain("layers.2.runningVar");
    const b = new MLP([4, 6, 3], { batchNorm: true });
    b.loadStateDict(sd);
    a.eval();
    b.eval();
    const x = tf.randomNormal([5, 4]);
    expect(values(b.forward(x))).toEqual(values(a.forward(x)));
    const c = new MLP([4, 7, 3], { batchNorm: true });
    expect(() => c.loadStateDict(sd)).toThrow(/"layers.1.weight" has shape \[4,6\] in the state dict but \[4,7\]/);
    const d = new MLP([4, 6, 3]);
    expect(() => d.loadStateDict(sd)).toThrow(/unexpected: .*layers.2.runningMean/);
    tf.dispose(Object.values(sd));
    [a, b, c, d].forEach((m) => m.dispose());
  });
});

describe("hidden activations", () => {
  const close = (a: tf.Tensor, b: tf.Tensor): void => {
    expect(a.shape).toEqual(b.shape);
    const [va, vb] = [values(a), values(b)];
    va.forEach((v, i) => expect(v).toBeCloseTo(vb[i], 5));
  };

  test("Sequential.slice shares the layers, like seq[start:end] in PyTorch", () => {
    manualSeed(2);
    const lenet = new LeNet5();
    const x = tf.randomNormal([2, 28, 28, 1]);
    const c1 = lenet.featureExtractor.slice(0, 2); // C1 + tanh
    expect(c1).toBeInstanceOf(Sequential);
    expect(c1.length).toBe(2);
    expect(c1.at(0)).toBe(lenet.featureExtractor.at(0)); // the same module, not a copy
    expect(c1.numParameters()).toBe(156);
    const conv = lenet.featureExtractor.at(0) as Conv2d;
    close(c1.forward(x), tf.tanh(conv.forward(x)));
    // negative indices count from the end; the whole slice is the whole extractor
    expect(lenet.featureExtractor.slice(-1).at(0)).toBe(lenet.featureExtractor.at(-1));
    close(lenet.featureExtractor.slice().forward(x), lenet.featureExtractor.forward(x));
    // training a slice trains the model: its weights are the model's
    conv.weight.assign(tf.zerosLike(conv.weight));
    close(c1.forward(x), tf.tanh(tf.add(tf.zeros([2, 28, 28, 6]), conv.bias!)));
    lenet.dispose();
  });

  test("slice cuts a fused Linear+ReLU pair: the pre-activation is returned", () => {
    const mlp = new MLP([6, 5, 3]); // Flatten, Linear, ReLU, Linear
    const x = tf.randomNormal([4, 6]);
    const pre = mlp.layers.slice(0, 2).forward(x);
    expect(values(pre).some((v) => v < 0)).toBe(true);
    close(mlp.layers.slice(0, 3).forward(x), tf.relu(pre));
    mlp.dispose();
  });

  test("getSubmodule: dotted names, with the list of names when one is wrong", () => {
    const lenet = new LeNet5();
    expect(lenet.getSubmodule("classifier.2")).toBe(lenet.classifier.at(2));
    expect(lenet.getSubmodule("")).toBe(lenet);
    expect(() => lenet.getSubmodule("features.0")).toThrow(/LeNet5 has no sub-module "features.0".*featureExtractor.0/);
    lenet.dispose();
  });

  test("createFeatureExtractor: outputs by name, fusion off, model restored, no tensor left", () => {
    manualSeed(3);
    const mlp = new MLP([8, 6, 4, 3]);
    mlp.eval();
    const x = tf.randomNormal([5, 8]);
    const before = tf.memory().numTensors;
    const extractor = createFeatureExtractor(mlp, { "layers.2": "hidden1", "layers.1": "pre1", "layers.5": "logits" });
    const out = extractor.forward(x);
    expect(Object.keys(out).sort()).toEqual(["hidden1", "logits", "pre1"]);
    expect(tf.memory().numTensors).toBe(before + 3); // the three outputs only: intermediates were freed
    close(out.hidden1, mlp.layers.slice(0, 3).forward(x)); // the ReLU's own output although Sequential fuses it
    close(out.pre1, mlp.layers.slice(0, 2).forward(x));
    close(out.logits, mlp.forward(x));
    tf.dispose(Object.values(out));
    // the layers' forward is the prototype's again, and the model still runs (and fuses)
    expect(Object.prototype.hasOwnProperty.call(mlp.layers.at(2), "forward")).toBe(false);
    expect(mlp.forward(x).shape).toEqual([5, 3]);
    expect(() => createFeatureExtractor(mlp, ["layers.9"])).toThrow(/no sub-module "layers.9"/);
    mlp.dispose();
  });

  test("createFeatureExtractor on a model with a custom forward, and a module it does not call", () => {
    const unused = new Linear(2, 2);
    class Net extends MLP {
      spare = unused;
    }
    const net = new Net([3, 2]);
    const x = tf.ones([1, 3]);
    const { "layers.1": y } = createFeatureExtractor(net, ["layers.1"]).forward(x);
    close(y, net.forward(x));
    expect(() => createFeatureExtractor(net, ["spare"]).forward(x)).toThrow(/Net.forward did not call spare/);
    expect(Object.prototype.hasOwnProperty.call(unused, "forward")).toBe(false); // restored after the error
    net.dispose();
  });
});
