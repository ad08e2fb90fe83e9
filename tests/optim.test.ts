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

describe("stateDict / loadStateDict (PyTorch's state_dict / load_state_dict)", () => {
  type Make = (ps: tf.Variable[], lr: number) => SGD | Adadelta | Adam;
  const cases: [string, Make, Record<string, unknown>][] = [
    ["SGD momentum", (ps, lr) => new SGD(ps, { lr, momentum: 0.9, weightDecay: 0.01 }), { momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: false }],
    ["Adadelta", (ps, lr) => new Adadelta(ps, { lr, rho: 0.8 }), { rho: 0.8, eps: 1e-6, weightDecay: 0 }],
    ["Adam", (ps, lr) => new Adam(ps, { lr, betas: [0.8, 0.99] }), { betas: [0.8, 0.99], eps: 1e-8, weightDecay: 0 }],
  ];
  const p0 = [[0.5, -1, 2], [0.3, 0.1]];
  /** Steps on Σ (p² + 0.5·p − 1)², whose gradient 2(p² + 0.5·p − 1)(2p + 0.5) changes every step. */
  const steps = (opt: SGD | Adadelta | Adam, ps: tf.Variable[], n: number): void => {
    for (let i = 0; i < n; i++) {
      const grads = tf.tidy(() => Object.fromEntries(ps.map((p) => [p.name, tf.mul(tf.mul(tf.sub(tf.add(tf.square(p), tf.mul(p, 0.5)), 1), 2), tf.add(tf.mul(p, 2), 0.5))])));
      opt.step(grads);
      tf.dispose(Object.values(grads));
    }
  };

  test.each(cases)("%s: 3 steps, save, load into a fresh optimizer, 3 more = 6 uninterrupted steps", (_name, make, options) => {
    const before = tf.memory().numTensors;
    const vars = (vs: number[][]): tf.Variable[] => vs.map((v) => tf.tidy(() => tf.variable(tf.tensor1d(v))));
    const straight = vars(p0);
    const o1 = make(straight, 0.05);
    steps(o1, straight, 6);

    const first = vars(p0);
    const o2 = make(first, 0.05);
    steps(o2, first, 3);
    o2.lr = 0.04; // as a scheduler would: saved with the state
    const sd = o2.stateDict();
    expect(Object.keys(sd.state)).toEqual(["0", "1"]);
    expect(sd.state[0].step).toBe(3);
    expect(sd.paramGroups).toEqual([{ lr: 0.04, params: [0, 1], ...options }]);
    const resumed = vars(first.map(values));
    o2.dispose(); // the state dict holds copies: still valid
    const o3 = make(resumed, 1); // other lr and hyper-parameters: the state dict's win
    (o3 as unknown as Record<string, unknown>).eps = 0.5;
    o3.loadStateDict(sd);
    tf.dispose(Object.values(sd.state).flatMap((s) => Object.values(s.tensors))); // loadStateDict copied them
    expect(o3.lr).toBe(0.04);
    for (const [k, v] of Object.entries(options)) expect((o3 as unknown as Record<string, unknown>)[k]).toEqual(v);
    o3.lr = 0.05;
    steps(o3, resumed, 3);
    resumed.forEach((p, i) => expect(values(p)).toEqual(values(straight[i])));

    [o1, o3].forEach((o) => o.dispose());
    tf.dispose([...straight, ...first, ...resumed]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test("a state dict that does not fit: clear errors, the optimizer unchanged", () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([1, 2, 3]));
    const adam = new Adam([a]);
    const g = tf.tensor1d([0.1, 0.2]);
    adam.step({ [a.name]: g });
    g.dispose();
    const sd = adam.stateDict();
    const sgd = new SGD([a], { lr: 0.1, momentum: 0.5 });
    expect(() => sgd.loadStateDict(sd)).toThrow(/SGD.loadStateDict: the param group's "momentum" is undefined, not a number/);
    expect([sgd.lr, sgd.momentum]).toEqual([0.1, 0.5]);
    expect(() => new Adam([a, b]).loadStateDict(sd)).toThrow(/has 1 parameters, this optimizer 2: build it over the same model's parameters/);
    expect(() => new Adam([b]).loadStateDict(sd)).toThrow(/"expAvg" of parameter #0 has shape \[2\], the parameter \[3\]/);
    tf.dispose(Object.values(sd.state[0].tensors));
    adam.dispose();
    tf.dispose([a, b]);
  });
});
