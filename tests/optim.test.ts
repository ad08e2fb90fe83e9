import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { Adadelta, Adam, SGD, StepLR } from "tsdl/optim";

tf.env().set("IS_TEST", true); // silences tfjs' "use tfjs-node" banner
beforeAll(async () => {
  await tf.setBackend("cpu");
});

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** Steps `opt` with a fixed gradient each time and returns p after each step. */
function run(make: (p: tf.Variable) => { step(g: tf.NamedTensorMap): void; dispose(): void }, p0: number[], grads: number[][]): number[][] {
  const p = tf.variable(tf.tensor1d(p0));
  const opt = make(p);
  const out: number[][] = [];
  for (const g of grads) {
    const gt = tf.tensor1d(g);
    opt.step({ [p.name]: gt });
    gt.dispose();
    out.push(values(p));
  }
  opt.dispose();
  p.dispose();
  return out;
}

function expectClose(got: number[][], want: number[][], digits = 6): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], digits)));
}

describe("SGD (torch semantics)", () => {
  test("momentum 0.9 + weight decay 0.1, lr 0.1: hand-computed steps", () => {
    // step 1: g = [.5,.5] + .1·[1,-2] = [.6,.3]; buf = g; p = [1,-2] - .1·[.6,.3] = [.94, -2.03]
    // step 2: g = [.5+.094, .5-.203] = [.594,.297]; buf = .9·[.6,.3] + g = [1.134,.567]; p = [.8266, -2.0867]
    const got = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 }), [1, -2], [
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    expectClose(got, [
      [0.94, -2.03],
      [0.8266, -2.0867],
    ]);
  });

  test("plain SGD, dampening and Nesterov", () => {
    expectClose(run((p) => new SGD([p], { lr: 0.5 }), [1], [[2], [2]]), [[0], [-1]]);
    // dampening 0.5: buf1 = g = 1 (first step not damped); buf2 = .9·1 + .5·1 = 1.4
    expectClose(run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 }), [0], [[1], [1]]), [[-0.1], [-0.24]]);
    // nesterov: step 1 g = 1 + .9·1 = 1.9; step 2 buf = 1.9, g = 1 + .9·1.9 = 2.71
    expectClose(run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), [0], [[1], [1]]), [[-0.19], [-0.461]]);
  });

  test("a parameter without gradient is left alone; lr can be changed between steps", () => {
    const a = tf.variable(tf.tensor1d([1]));
    const b = tf.variable(tf.tensor1d([1]));
    const opt = new SGD([a, b], { lr: 1 });
    const g = tf.tensor1d([0.5]);
    opt.step({ [a.name]: g });
    opt.lr = 0.1;
    opt.step({ [a.name]: g });
    expect(values(a)[0]).toBeCloseTo(0.45, 6);
    expect(values(b)).toEqual([1]);
    tf.dispose([a, b, g]);
  });
});

describe("Adadelta (torch semantics)", () => {
  test("lr 1, rho 0.9, eps 1e-6: hand-computed steps", () => {
    // step 1 (g = 2): v = .1·4 = .4; delta = √(0 + 1e-6)/√(.4 + 1e-6)·2 = 0.0031622737; u = .1·delta²
    const d1 = (Math.sqrt(1e-6) / Math.sqrt(0.4 + 1e-6)) * 2;
    const u1 = 0.1 * d1 * d1;
    // step 2 (g = 2): v = .9·.4 + .4 = .76; delta = √(u1 + 1e-6)/√(.76 + 1e-6)·2
    const d2 = (Math.sqrt(u1 + 1e-6) / Math.sqrt(0.76 + 1e-6)) * 2;
    expect(d1).toBeCloseTo(0.0031622737, 9);
    const got = run((p) => new Adadelta([p]), [1], [[2], [2]]);
    expectClose(got, [[1 - d1], [1 - d1 - d2]], 7);
  });

  test("weight decay is added to the gradient", () => {
    // g = 1 + .5·2 = 2, same first step as above from p = 2
    const d1 = (Math.sqrt(1e-6) / Math.sqrt(0.4 + 1e-6)) * 2;
    expectClose(run((p) => new Adadelta([p], { weightDecay: 0.5 }), [2], [[1]]), [[2 - d1]], 7);
  });
});

describe("Adam (torch semantics)", () => {
  test("constant gradient: bias correction makes each step exactly lr", () => {
    // m̂ = g, v̂ = g² ⇒ step = lr·g/(|g| + eps) ≈ lr
    expectClose(run((p) => new Adam([p], { lr: 0.1 }), [1, -1], [
      [2, -3],
      [2, -3],
      [2, -3],
    ]), [
      [0.9, -0.9],
      [0.8, -0.8],
      [0.7, -0.7],
    ]);
  });

  test("varying gradient and weight decay: hand-computed steps", () => {
    const [b1, b2, lr, eps, wd] = [0.9, 0.999, 0.01, 1e-8, 0.1];
    let p = 1;
    let m = 0;
    let v = 0;
    const want: number[][] = [];
    [1, -2, 0.5].forEach((g0, i) => {
      const g = g0 + wd * p;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const t = i + 1;
      p -= (lr / (1 - b1 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps));
      want.push([p]);
    });
    expectClose(run((q) => new Adam([q], { lr, weightDecay: wd }), [1], [[1], [-2], [0.5]]), want, 6);
  });
});

test("StepLR multiplies the lr by gamma every stepSize epochs", () => {
  const p = tf.variable(tf.scalar(0));
  const opt = new SGD([p], { lr: 1 });
  const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
  const lrs: number[] = [];
  for (let e = 0; e < 6; e++) {
    lrs.push(opt.lr);
    sched.step();
  }
  expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
  expect(sched.getLastLr()).toEqual([0.125]);
  p.dispose();
});

test("optimizer steps leak no tensors", () => {
  const p = tf.variable(tf.randomNormal([10, 10]));
  for (const opt of [new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }), new Adadelta([p]), new Adam([p])]) {
    const g = tf.randomNormal([10, 10]);
    opt.step({ [p.name]: g });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.step({ [p.name]: g });
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    g.dispose();
  }
  p.dispose();
});
