// The lib's training loop and evaluation on the wasm backend the notebooks use (unit tests of train/ run on
// cpu): fit with validation, evaluate, predict, save/load — and no tensor left behind.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { tf, init } from "tsdl/backend";
import { TensorDataset, DataLoader, manualSeed } from "tsdl/data";
import { CifarNet, MLP } from "tsdl/nn";
import { SGD } from "tsdl/optim";
import { fit, evaluate, predict, saveModel, loadModel } from "tsdl/train";

jest.setTimeout(120000);

/** n images 32×32×3 whose class is the brightest of 4 quadrant-colour patterns: learnable in a few steps. */
function toyImages(n: number, seed: number): TensorDataset {
  const rng = (() => {
    let s = seed >>> 0;
    return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  })();
  const x = new Uint8Array(n * 32 * 32 * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rng() * 4);
    y[i] = k;
    for (let p = 0; p < 32 * 32; p++) {
      const quadrant = (p % 32 < 16 ? 0 : 1) + (p < 512 ? 0 : 2);
      for (let c = 0; c < 3; c++) x[(i * 1024 + p) * 3 + c] = quadrant === k ? 200 + rng() * 55 : rng() * 80;
    }
  }
  return new TensorDataset(x, y, [32, 32, 3], { classes: ["a", "b", "c", "d"], pixelMax: 255 });
}

beforeAll(async () => {
  await init({ backend: "wasm", quiet: true });
});

test("fit with validation, evaluate, predict and save/load on wasm", async () => {
  manualSeed(0);
  const train = toyImages(256, 1).toFloat();
  const val = toyImages(128, 2).toFloat();
  const model = new CifarNet({ channels: [6, 16], nClasses: 4 });
  const before = tf.memory().numTensors;
  const history = await fit(model, new DataLoader(train, { batchSize: 32, shuffle: true, seed: 0 }), {
    epochs: 3,
    optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
    valLoader: new DataLoader(val, { batchSize: 64 }),
    progress: false,
  });
  expect(history.valAcc).toHaveLength(3);
  const res = await evaluate(model, new DataLoader(val, { batchSize: 50 }));
  expect(res.accuracy).toBeGreaterThan(0.9);
  expect(res.confusion.flat().reduce((a, b) => a + b, 0)).toBe(128);
  expect(res.perClassAccuracy).toHaveLength(4);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-wasm-"));
  await saveModel(model, dir);
  const copy = await loadModel(new CifarNet({ channels: [6, 16], nClasses: 4 }), dir);
  const batch = val.batch([0, 1, 2, 3, 4]);
  const a = predict(model, batch.x);
  const b = predict(copy, batch.x);
  expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
  tf.dispose([a, b, batch.x, batch.y]);
  copy.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  // only the model's own variables (and the optimizer's momentum buffers, freed with it) remain
  expect(tf.memory().numTensors).toBeLessThanOrEqual(before + model.parameters().length * 2);
});

test("tensor count is flat across epochs on wasm", async () => {
  manualSeed(1);
  const ds = new TensorDataset(new Float32Array(600 * 20).map(() => Math.random()), new Int32Array(600).map((_, i) => i % 3), [20]);
  const model = new MLP([20, 32, 3]);
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const loader = new DataLoader(ds, { batchSize: 50, shuffle: true, seed: 1 });
  await fit(model, loader, { epochs: 1, optimizer: opt, progress: false });
  const after1 = tf.memory().numTensors;
  await fit(model, loader, { epochs: 3, optimizer: opt, progress: false });
  expect(tf.memory().numTensors).toBe(after1);
});

test("wasm batches share one staging buffer: each batch keeps its own values", async () => {
  const ds = toyImages(12, 3).toFloat().normalize([0.5], [0.25]);
  const [a, b, c] = [ds.batch([0, 1, 2, 3]), ds.batch([4, 5, 6, 7]), ds.batch([8, 9])]; // the third is smaller
  expect(Array.from(await a.x.data())).toEqual(Array.from(ds.gather([0, 1, 2, 3])));
  expect(Array.from(await b.x.data())).toEqual(Array.from(ds.gather([4, 5, 6, 7])));
  expect(Array.from(await c.x.data())).toEqual(Array.from(ds.gather([8, 9])));
  expect(c.x.shape).toEqual([2, 32, 32, 3]);
  tf.dispose([a.x, a.y, b.x, b.y, c.x, c.y]);
});
