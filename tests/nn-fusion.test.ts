// Fused Linear / Conv2d kernels under a gradient tape (issue #7): same outputs and gradients as tfjs'
// tf.fused ops, but no gradient for an input that needs none (the data batch).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { ensureGradients } from "tsdl/backend/tf";
import { fusion } from "tsdl/nn/fusion";
import { CifarNet, Conv2d, LeNet5, Linear, MLP, Module, ReLU, Sequential, Tanh, manualSeed } from "tsdl/nn";

tf.env().set("IS_TEST", true); // silences tfjs' "use tfjs-node" banner
beforeAll(async () => {
  await tf.setBackend("cpu");
  ensureGradients();
});
afterEach(() => {
  fusion.tapeGradients = true;
});

const loss = (y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, tf.linspace(-1, 1, y.size).reshape(y.shape)));

/** Forward output and parameter gradients with the given fusion path. */
function run(model: Module, x: tf.Tensor, tapeGradients: boolean): { y: Float32Array; grads: Float32Array[] } {
  fusion.tapeGradients = tapeGradients;
  return tf.tidy(() => {
    const y = model.forward(x).dataSync() as Float32Array;
    const { value, grads } = tf.variableGrads(() => loss(model.forward(x)), model.parameters());
    value.dispose();
    return { y, grads: model.parameters().map((p) => grads[p.name].dataSync() as Float32Array) };
  });
}

function expectClose(a: Float32Array, b: Float32Array, tol: number): void {
  expect(a.length).toBe(b.length);
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst / scale).toBeLessThan(tol);
}

/** Kernel names run by f (forward and backward), in order. */
async function kernels(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(f);
  tf.dispose(info.result as tf.TensorContainer);
  return info.kernels.map((k) => k.name);
}
const count = (names: string[], k: string): number => names.filter((n) => n === k).length;

describe("fused layers on the tape: same numbers as tf.fused", () => {
  const cases: [string, () => Module, number[]][] = [
    ["LeNet5 (tanh: linear fused)", () => new LeNet5(), [4, 28, 28, 1]],
    ["MLP relu", () => new MLP([784, 32, 16, 10]), [5, 28, 28, 1]],
    ["MLP batchNorm", () => new MLP([784, 32, 10], { batchNorm: true }), [5, 28, 28, 1]],
    // (the MNIST net runs its first conv as CifarNet does, `conv1.forward(x, "relu")`; too slow on cpu here)
    ["CifarNet", () => new CifarNet(), [3, 32, 32, 3]],
    ["CifarNet batchNorm (eval)", () => new CifarNet({ batchNorm: true }).eval(), [3, 32, 32, 3]],
    ["Conv2d stride 2 same, no bias + relu", () => new Sequential(new Conv2d(3, 4, 3, { stride: 2, padding: "same", bias: false }), new ReLU()), [2, 9, 9, 3]],
  ];
  test.each(cases)("%s", (_name, make, shape) => {
    manualSeed(3);
    const model = make();
    const x = tf.randomNormal(shape, 0, 1, "float32", 7);
    const before = tf.memory().numTensors;
    const a = run(model, x, true);
    const b = run(model, x, false);
    expect(tf.memory().numTensors).toBe(before);
    expectClose(a.y, b.y, 1e-6);
    a.grads.forEach((g, i) => expectClose(g, b.grads[i], 1e-5));
    x.dispose();
    model.dispose();
  });
});

describe("no input gradient for the data batch", () => {
  test("LeNet5: 2 Conv2DBackpropInput per step (C3, C5), not 3; tf.fused computed C1's too", async () => {
    manualSeed(1);
    const model = new LeNet5();
    const x = tf.randomNormal([4, 28, 28, 1]);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => loss(model.forward(x)), model.parameters());
      return [value, ...Object.values(grads)];
    };
    expect(count(await kernels(step), "Conv2DBackpropInput")).toBe(2);
    fusion.tapeGradients = false;
    expect(count(await kernels(step), "Conv2DBackpropInput")).toBe(3);
    tf.dispose([x]);
    model.dispose();
  });

  test("MLP with batch norm: the first Linear's dx ([N, 784]) is not computed", async () => {
    manualSeed(1);
    const model = new MLP([784, 16, 10], { batchNorm: true });
    const x = tf.randomNormal([6, 784]);
    const shapes = async (): Promise<string[]> => {
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => loss(model.forward(x)), model.parameters());
        return [value, ...Object.values(grads)];
      });
      tf.dispose(info.result as tf.TensorContainer);
      return info.kernels.filter((k) => k.name === "BatchMatMul").map((k) => String(k.outputShapes[0]));
    };
    expect((await shapes()).filter((s) => s.endsWith("6,784"))).toEqual([]);
    fusion.tapeGradients = false;
    expect((await shapes()).filter((s) => s.endsWith("6,784")).length).toBe(1);
    x.dispose();
    model.dispose();
  });

  test("tf.grad w.r.t. the input still gets dx (same as tf.fused)", () => {
    manualSeed(2);
    const model = new Sequential(new Conv2d(1, 3, 3, { padding: 1 }), new ReLU(), new Conv2d(3, 2, 3), new Tanh());
    const x = tf.randomNormal([2, 6, 6, 1]);
    const dx = (tapeGradients: boolean): Float32Array => {
      fusion.tapeGradients = tapeGradients;
      return tf.tidy(() => tf.grad((t: tf.Tensor) => loss(model.forward(t)))(x).dataSync() as Float32Array);
    };
    const a = dx(true);
    expect(a.some((v) => v !== 0)).toBe(true);
    expectClose(a, dx(false), 1e-5);
    x.dispose();
    model.dispose();
  });

  test("inference (no tape) keeps bias + relu inside the fused kernel", async () => {
    const model = new Sequential(new Linear(5, 4), new ReLU());
    const x = tf.ones([3, 5]);
    const names = await kernels(() => model.forward(x));
    expect(count(names, "_FusedMatMul")).toBe(1);
    expect(count(names, "Relu") + count(names, "Add") + count(names, "BatchMatMul")).toBe(0);
    x.dispose();
    model.dispose();
  });

  test("an int32 input is cast to float32 (as tf.fused.matMul did)", () => {
    manualSeed(4);
    const lin = new Linear(3, 2);
    const conv = new Conv2d(1, 2, 2);
    const xi = tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, "int32");
    const ci = tf.ones([1, 3, 3, 1], "int32");
    const a = tf.tidy(() => [lin.forward(xi).dataSync(), conv.forward(ci).dataSync()] as Float32Array[]);
    const b = tf.tidy(() => [lin.forward(tf.cast(xi, "float32")).dataSync(), conv.forward(tf.cast(ci, "float32")).dataSync()] as Float32Array[]);
    expect(a).toEqual(b);
    tf.dispose([xi, ci]);
    lin.dispose();
    conv.dispose();
  });
});
