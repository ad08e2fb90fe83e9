// Small datasets for the first notebooks: sklearn's 8×8 digits (the "simplified MNIST" of seed 002)
// and the 2-D synthetic problem of seed 000 part VI.
import * as fs from "fs";
import * as zlib from "zlib";
import { TensorDataset } from "./dataset";
import { resolveRng, Rng } from "./rng";

const DIGITS_CSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

/**
 * sklearn's `load_digits()`: 1797 grey 8×8 digits, values 0–16 (`pixelMax` 16, so `toFloat()` maps to
 * [0, 1]), samples [8, 8, 1]; flatten for a 64-input MLP. Read from Debian's python3-sklearn (BSD-3).
 */
export function digits8x8(file = DIGITS_CSV): TensorDataset {
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found. Fix: install Debian's python3-sklearn (apt-get install python3-sklearn), or pass the path of digits.csv.gz.`);
  }
  const lines = zlib.gunzipSync(fs.readFileSync(file)).toString("utf8").trim().split("\n");
  const n = lines.length;
  const x = new Uint8Array(n * 64);
  const y = new Int32Array(n);
  lines.forEach((line, i) => {
    const v = line.split(",").map(Number);
    if (v.length !== 65 || v.some((e) => !(e >= 0 && e <= 16) || !Number.isInteger(e))) {
      throw new Error(`${file}: line ${i + 1} is not 64 pixels in 0–16 plus a label: the file is corrupt.`);
    }
    x.set(v.slice(0, 64), i * 64);
    y[i] = v[64];
  });
  return new TensorDataset(x, y, [8, 8, 1], {
    classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    name: "digits8x8",
    description: `sklearn digits (UCI optical recognition of handwritten digits): ${n} grey 8×8 images, values 0–16, 10 classes. Source: ${file}.`,
    pixelMax: 16,
  });
}

/**
 * The synthetic set of seed 000 part VI: `n` points uniform in [−1, 1]², label 1 when x₀³ < x₁
 * (a curved frontier). Samples are [2] float32.
 */
export function cubicSplit(n = 200, seed: number | { seed?: number; rng?: Rng } = {}): TensorDataset {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`cubicSplit: n must be a positive integer, got ${n}.`);
  const rng = resolveRng(typeof seed === "number" ? { seed } : seed);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x0 = rng.uniform(-1, 1);
    const x1 = rng.uniform(-1, 1);
    x[2 * i] = x0;
    x[2 * i + 1] = x1;
    y[i] = x0 ** 3 < x1 ? 1 : 0;
  }
  return new TensorDataset(x, y, [2], {
    classes: ["x₀³ ≥ x₁", "x₀³ < x₁"],
    name: "cubicSplit",
    description: `Synthetic: ${n} points uniform in [−1, 1]², label x₀³ < x₁.`,
    pixelMax: 1,
  });
}
