// Dataset / DataLoader semantics, transforms and augmentation of tsdl's data module.
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import {
  compose,
  DataLoader,
  gaussianNoise,
  mnist,
  photo,
  randomCrop,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotation,
  randomSplit,
  Rng,
  TensorDataset,
  Compose,
  RandomCrop,
  RandomHorizontalFlip,
  RandomResizedCrop,
  RandomRotation,
} from "tsdl/data";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** n images 4×4×c whose every value is the sample index (mod 256), labels i % 10. */
function toy(n: number, c = 1): TensorDataset {
  const x = new Uint8Array(n * 16 * c);
  for (let i = 0; i < n; i++) x.fill(i % 256, i * 16 * c, (i + 1) * 16 * c);
  return new TensorDataset(x, Int32Array.from({ length: n }, (_, i) => i % 10), [4, 4, c], { classes: "0123456789".split("") });
}

/** The sample indices of a toy batch (first value of each image). */
async function ids(x: tf.Tensor): Promise<number[]> {
  const v = await x.data();
  const size = x.size / x.shape[0];
  return Array.from({ length: x.shape[0] }, (_, i) => v[i * size]);
}

describe("TensorDataset", () => {
  test("checks its shapes", () => {
    expect(() => new TensorDataset(new Uint8Array(10), new Int32Array(3), [2, 2, 1])).toThrow(/x has 10 values but y has 3 labels/);
    expect(toy(5).length).toBe(5);
  });

  test("subset: size, seeded, clear error for a fraction outside (0, 1]", () => {
    const ds = toy(200);
    const a = ds.subset(0.05, { seed: 1 });
    expect(a.length).toBe(10);
    expect(Array.from(a.x)).toEqual(Array.from(ds.subset(0.05, { seed: 1 }).x));
    expect(Array.from(a.x)).not.toEqual(Array.from(ds.subset(0.05, { seed: 2 }).x));
    expect(ds.subset(1).length).toBe(200);
    for (const bad of [0, -0.1, 1.5, NaN]) expect(() => ds.subset(bad)).toThrow(/subset: fraction must be in \(0, 1\]/);
  });

  test("randomSplit 80/20: sizes, disjoint, covering, seeded", () => {
    const ds = toy(250);
    const [train, valid] = randomSplit(ds, [0.8, 0.2], { seed: 0 });
    expect([train.length, valid.length]).toEqual([200, 50]);
    const seen = new Set([...Array.from({ length: 200 }, (_, i) => train.x[i * 16]), ...Array.from({ length: 50 }, (_, i) => valid.x[i * 16])]);
    expect(seen.size).toBe(250);
    const [again] = randomSplit(ds, [0.8, 0.2], { seed: 0 });
    expect(Array.from(again.x)).toEqual(Array.from(train.x));
    expect(randomSplit(ds, [100, 150]).map((d) => d.length)).toEqual([100, 150]);
    expect(randomSplit(toy(11), [0.5, 0.5]).map((d) => d.length)).toEqual([6, 5]);
    expect(() => randomSplit(ds, [0.7, 0.2])).toThrow(/fractions summing to 1 or counts summing to 250/);
  });

  test("toFloat and normalize per channel", () => {
    const x = Uint8Array.from([0, 255, 51, 255, 0, 102]); // 2 pixels × 3 channels
    const ds = new TensorDataset(x, Int32Array.from([0]), [1, 2, 3]);
    expect(Array.from(ds.toFloat().get(0).x)).toEqual([0, 1, 0.2, 1, 0, 0.4].map((v) => Math.fround(v)));
    const n = ds.toFloat().normalize([0.5, 0.5, 0.2], [0.5, 0.25, 0.1]).get(0).x;
    [-1, 2, 0, 1, -2, 2].forEach((v, i) => expect(n[i]).toBeCloseTo(v, 5));
    const g = ds.toFloat().normalize([0.5], [0.5]).get(0).x; // one value broadcasts
    [-1, 1, -0.6].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 5));
    expect(() => ds.normalize([0.5, 0.5], [1])).toThrow(/mean has 2 values; give 1 or 3/);
    expect(() => ds.normalize([0.5], [0])).toThrow(/std must not contain 0/);
    const s = ds.toFloat().normalize([0.5], [0.5]).stats();
    expect(s.mean[0]).toBeCloseTo(0, 5);
  });
});

describe("gather (the loader's batch building)", () => {
  /** The definition: raw·scale[c] + shift[c] per value, in float64, stored as float32. */
  function reference(x: ArrayLike<number>, size: number, c: number, scale: number[], shift: number[], idx: number[]): Float32Array {
    const out = new Float32Array(idx.length * size);
    idx.forEach((j, i) => {
      for (let k = 0; k < size; k++) out[i * size + k] = x[j * size + k] * scale[k % c] + shift[k % c];
    });
    return out;
  }
  const rnd = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729) % 251);

  test("bit-identical to the per-value definition: uint8 per-channel and uniform, float32 identity", () => {
    const idx = [5, 0, 7, 7, 2];
    const u8 = rnd(8 * 12, 1); // 8 samples of [2, 2, 3]
    const ds = new TensorDataset(u8, new Int32Array(8), [2, 2, 3]);
    const mean = [0.4914, 0.4822, 0.4465];
    const std = [0.247, 0.243, 0.261];
    const perChannel = reference(u8, 12, 3, std.map((s) => 1 / 255 / s), mean.map((m, i) => -m / std[i]), idx);
    expect(Array.from(ds.toFloat().normalize(mean, std).gather(idx))).toEqual(Array.from(perChannel));
    const uniform = reference(u8, 12, 3, [1 / 255 / 0.5, 1 / 255 / 0.5, 1 / 255 / 0.5], [-0.2 / 0.5, -0.2 / 0.5, -0.2 / 0.5], idx);
    expect(Array.from(ds.toFloat().normalize([0.2], [0.5]).gather(idx))).toEqual(Array.from(uniform));
    const u4 = rnd(8 * 8, 3); // 8 samples of [2, 1, 4]: the generic per-channel path (RGB has its own)
    const ds4 = new TensorDataset(u4, new Int32Array(8), [2, 1, 4]);
    const [m4, s4] = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.2, 0.1]];
    const ref4 = reference(u4, 8, 4, s4.map((s) => 1 / 255 / s), m4.map((m, i) => -m / s4[i]), idx);
    expect(Array.from(ds4.toFloat().normalize(m4, s4).gather(idx))).toEqual(Array.from(ref4));
    const f32 = Float32Array.from(rnd(8 * 4, 2), (v) => v / 7);
    const fds = new TensorDataset(f32, new Int32Array(8), [4]);
    expect(Array.from(fds.gather(idx))).toEqual(Array.from(reference(f32, 4, 4, [1, 1, 1, 1], [0, 0, 0, 0], idx)));
    // into a larger, dirty buffer: only the first idx.length rows are written
    const out = new Float32Array(10 * 4).fill(-1);
    fds.gather(idx, out);
    expect(Array.from(out.subarray(0, 20))).toEqual(Array.from(fds.gather(idx)));
    expect(out[20]).toBe(-1);
  });

  test("an index out of range is an error, not stale values", () => {
    const ds = toy(4);
    expect(() => ds.gather([0, 4])).toThrow(/gather: index 4 out of range \[0, 4\)/);
    expect(() => ds.batch([-1])).toThrow(/index -1 out of range/);
  });
});

describe("DataLoader", () => {
  test("batch shapes, length, dropLast", () => {
    const ds = toy(10, 3);
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(loader.batchSize).toBe(4);
    const shapes: number[][] = [];
    for (const { x, y } of loader) {
      shapes.push(x.shape);
      expect(x.dtype).toBe("float32");
      expect(y.dtype).toBe("int32");
      expect(y.shape).toEqual([x.shape[0]]);
      tf.dispose([x, y]);
    }
    expect(shapes).toEqual([[4, 4, 4, 3], [4, 4, 4, 3], [2, 4, 4, 3]]);
    const dropped = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    expect([...dropped].map((b) => (tf.dispose([b.x, b.y]), b.x.shape[0]))).toEqual([4, 4]);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });

  test("shuffle: every sample once per epoch, new order each epoch, reproducible from the seed", async () => {
    const ds = toy(50);
    const epochs = async (seed: number): Promise<number[][]> => {
      const loader = new DataLoader(ds, { batchSize: 8, shuffle: true, seed });
      const out: number[][] = [];
      for (let e = 0; e < 2; e++) {
        const order: number[] = [];
        for (const { x, y } of loader) {
          order.push(...(await ids(x)));
          expect(Array.from(await y.data())).toEqual(order.slice(-x.shape[0]).map((i) => i % 10));
          tf.dispose([x, y]);
        }
        out.push(order);
      }
      return out;
    };
    const [e1, e2] = await epochs(7);
    expect([...e1].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...e2].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(e1).not.toEqual(e2);
    expect(await epochs(7)).toEqual([e1, e2]);
    expect((await epochs(8))[0]).not.toEqual(e1);
    const plain = new DataLoader(ds, { batchSize: 50 });
    const [b] = [...plain];
    expect(await ids(b.x)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    tf.dispose([b.x, b.y]);
  });

  test("no tensor leak over epochs, with augmentation", () => {
    const loader = new DataLoader(toy(40, 3).toFloat(), {
      batchSize: 16,
      shuffle: true,
      seed: 1,
      augment: compose([randomHorizontalFlip(), randomRotation(30), randomCrop(4, 1), gaussianNoise(0.1)]),
    });
    const before = tf.memory().numTensors;
    for (let e = 0; e < 2; e++) for (const { x, y } of loader) tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new DataLoader(new TensorDataset(new Float32Array(4), new Int32Array(2), [2]), { augment: randomHorizontalFlip() })).toThrow(/augment needs image samples/);
  });

  test("MNIST batch of 256 is fast (host gather + tensor)", async () => {
    const ds = (await mnist()).toFloat().normalize([0.1307], [0.3081]);
    const loader = new DataLoader(ds, { batchSize: 256, shuffle: true, seed: 0 });
    const it = loader[Symbol.iterator]();
    const t = performance.now();
    const steps = 20;
    for (let i = 0; i < steps; i++) {
      const { x, y } = it.next().value as { x: tf.Tensor; y: tf.Tensor };
      expect(x.shape).toEqual([256, 28, 28, 1]);
      tf.dispose([x, y]);
    }
    const perBatch = (performance.now() - t) / steps;
    console.log(`MNIST: ${perBatch.toFixed(2)} ms per batch of 256 (${((perBatch / 256) * 1000).toFixed(1)} µs per image), ${loader.length} batches per epoch`);
    expect(perBatch / 256).toBeLessThan(0.25); // ms per image; loose: 2 cores are shared with other jobs
  });
});

describe("batch augmentation", () => {
  const x = (): tf.Tensor4D => tf.tensor4d(Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => (i % 7) / 7), [2, 5, 5, 3]);

  test("shapes, ranges, seeded, tidy", async () => {
    const input = x();
    /** Runs an augmentation, checking that it adds exactly one tensor (its result). */
    const run = (aug: (t: tf.Tensor4D, r: Rng) => tf.Tensor4D, seed: number): tf.Tensor4D => {
      const before = tf.memory().numTensors;
      const out = aug(input, new Rng(seed));
      expect(tf.memory().numTensors).toBe(before + 1);
      return out;
    };
    const flip = run(randomHorizontalFlip(1), 0);
    expect(await flip.array()).toEqual(await tf.reverse(input, 2).array());
    const none = run(randomHorizontalFlip(0), 0);
    expect(await none.data()).toEqual(await input.data());
    const rot = run(randomRotation(45, { interpolation: "bilinear" }), 1);
    expect(rot.shape).toEqual([2, 5, 5, 3]);
    const crop = run(randomCrop(3, 2), 2);
    expect(crop.shape).toEqual([2, 3, 3, 3]);
    const rrc = run(randomResizedCrop(8), 3);
    expect(rrc.shape).toEqual([2, 8, 8, 3]);
    for (const t of [rot, crop, rrc]) {
      const v = await t.data();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThanOrEqual(1 + 1e-6);
    }
    const noisy = run(gaussianNoise(0.5), 4);
    const [nv, iv] = [Array.from(await noisy.data()), Array.from(await input.data())];
    const variance = nv.reduce((s, v, i) => s + (v - iv[i]) ** 2, 0) / nv.length;
    expect(variance).toBeGreaterThan(0.1);
    expect(variance).toBeLessThan(0.5);
    const a = run(compose([randomRotation(90), randomCrop(5, 1)]), 5);
    const b = run(compose([randomRotation(90), randomCrop(5, 1)]), 5);
    expect(await a.data()).toEqual(await b.data());
    tf.dispose([flip, none, rot, crop, rrc, noisy, a, b, input]);
    expect(() => randomCrop(9, 1)(x(), new Rng(0))).toThrow(/larger than the padded image/);
  });

  test("a 90° rotation moves pixels as expected (no interpolation error)", async () => {
    const img = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const r = randomRotation([90, 90])(img, new Rng(0));
    // counter-clockwise on screen: the top row [1 2 3] becomes the left column read upwards
    expect(Array.from(await r.data())).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    tf.dispose([img, r]);
  });
});

const SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data/chelsea.png";
(fs.existsSync(SKIMAGE) ? test : test.skip)("photo transforms return new jimp images of the right size", async () => {
  const { image } = await photo("chelsea");
  const before = Buffer.from(image.bitmap.data);
  expect(new RandomCrop(224, { seed: 0 }).apply(image).bitmap.width).toBe(224);
  const rrc = new RandomResizedCrop(224, { seed: 0 }).apply(image);
  expect([rrc.bitmap.width, rrc.bitmap.height]).toEqual([224, 224]);
  const rot = new RandomRotation(180, { seed: 0 }).apply(image);
  expect([rot.bitmap.width, rot.bitmap.height]).toEqual([451, 300]);
  expect(Array.from(rot.bitmap.data.subarray(0, 4))).toEqual([0, 0, 0, 255]); // a corner is uncovered
  const flip = new RandomHorizontalFlip(1).apply(image);
  expect(Array.from(flip.bitmap.data.subarray(0, 4))).toEqual(Array.from(image.bitmap.data.subarray(450 * 4, 451 * 4)));
  const aug = new Compose([new RandomRotation(90, { seed: 1 }), new RandomResizedCrop(224, { seed: 1 }), new RandomHorizontalFlip(0.5, { seed: 1 })]);
  const out = aug.apply(image);
  expect([out.bitmap.width, out.bitmap.height]).toEqual([224, 224]);
  expect(Buffer.from(image.bitmap.data).equals(before)).toBe(true); // input untouched
  expect(() => new RandomCrop(500).apply(image)).toThrow(/larger than the image/);
});
