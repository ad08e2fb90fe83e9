// The CIFAR-10 stand-in: when the real archive cannot be downloaded (offline classroom, CI), the course
// still needs 32×32 colour images in 10 learnable classes. They are drawn procedurally from a fixed
// seed and written in CIFAR-10's own binary format, so the same parser reads both. Nothing about them
// is CIFAR-10: the class names say so, `isStandIn` is true and a banner is printed on load.
//
// Each class is a shape or texture (disc, square, triangle, …) in a random colour on a random
// background, at a random position and size, with pixel noise: colour alone never gives the class.
import * as fs from "fs";
import * as path from "path";
import { ensureDir, tempName } from "./cache";
import { Rng } from "./rng";

export const STAND_IN_CLASSES = [
  "disc",
  "square",
  "triangle",
  "cross",
  "ring",
  "horizontal stripes",
  "vertical stripes",
  "diagonal stripes",
  "checkerboard",
  "two dots",
];

export const RECORD_BYTES = 1 + 3 * 1024;
const SIDE = 32;

// Module-level copies: global lookups in per-pixel code are slow inside vm sandboxes (jest, tslab).
const { abs, floor, round, max, min, cos, sin, SQRT2 } = Math;

type Mask = (x: number, y: number) => boolean;

/** The shape of class `label`, with its random geometry drawn from `rng`. */
function shapeMask(label: number, rng: Rng): Mask {
  const cx = 16 + rng.uniform(-6, 6);
  const cy = 16 + rng.uniform(-6, 6);
  const r = rng.uniform(6, 11);
  const period = rng.uniform(4, 8);
  const phase = rng.uniform(0, period);
  const stripe = (v: number): boolean => (((v + phase) % period) + period) % period < period / 2;
  switch (label) {
    case 0:
      return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    case 1:
      return (x, y) => abs(x - cx) <= r * 0.85 && abs(y - cy) <= r * 0.85;
    case 2:
      // apex up: |x − cx| grows linearly from the top to the base
      return (x, y) => y >= cy - r && y <= cy + r && abs(x - cx) <= ((y - (cy - r)) / (2 * r)) * r * 1.1;
    case 3: {
      const t = r * 0.3;
      return (x, y) => (abs(x - cx) <= t && abs(y - cy) <= r) || (abs(y - cy) <= t && abs(x - cx) <= r);
    }
    case 4: {
      const d2 = (x: number, y: number): number => (x - cx) ** 2 + (y - cy) ** 2;
      return (x, y) => d2(x, y) <= r * r && d2(x, y) >= (r * 0.55) ** 2;
    }
    case 5:
      return (_x, y) => stripe(y);
    case 6:
      return (x) => stripe(x);
    case 7:
      return (x, y) => stripe((x + y) / SQRT2);
    case 8: {
      const cell = round(rng.uniform(3, 6));
      return (x, y) => (floor((x + phase) / cell) + floor((y + phase) / cell)) % 2 === 0;
    }
    default: {
      const a = rng.uniform(0, Math.PI);
      const dx = cos(a) * r * 0.6;
      const dy = sin(a) * r * 0.6;
      const rr = (r * 0.4) ** 2;
      return (x, y) => (x - cx - dx) ** 2 + (y - cy - dy) ** 2 <= rr || (x - cx + dx) ** 2 + (y - cy + dy) ** 2 <= rr;
    }
  }
}

function randomColour(rng: Rng): [number, number, number] {
  return [rng.int(256), rng.int(256), rng.int(256)];
}

/** Draws one image of class `label` into `out` at `offset`, as a CIFAR record (label byte, then R, G, B planes). */
function drawRecord(label: number, rng: Rng, out: Uint8Array, offset: number): void {
  const mask = shapeMask(label, rng);
  const bg = randomColour(rng);
  let fg = randomColour(rng);
  // keep the shape visible: redraw the colour until it differs enough from the background
  while (abs(fg[0] - bg[0]) + abs(fg[1] - bg[1]) + abs(fg[2] - bg[2]) < 150) fg = randomColour(rng);
  out[offset] = label;
  const noise = rng.uniform(5, 25);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const col = mask(x + 0.5, y + 0.5) ? fg : bg;
      const n = (rng.next() - 0.5) * 2 * noise;
      const p = offset + 1 + y * SIDE + x;
      for (let c = 0; c < 3; c++) out[p + c * 1024] = max(0, min(255, col[c] + n));
    }
  }
}

/** `n` records, labels cycling through the 10 classes in a shuffled order (balanced classes). */
export function standInRecords(n: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(n * RECORD_BYTES);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % 10;
  const order = rng.permutation(n);
  for (let i = 0; i < n; i++) drawRecord(labels[order[i]], rng, out, i * RECORD_BYTES);
  return out;
}

export interface StandInOptions {
  /** Training images, split over 5 files like CIFAR-10 (default 50000; a multiple of 5). */
  train?: number;
  /** Test images (default 10000). */
  test?: number;
  seed?: number;
}

/**
 * Writes the stand-in into `dir` in CIFAR-10's binary layout (`data_batch_1..5.bin`, `test_batch.bin`,
 * `batches.meta.txt`, plus a README saying what it is). Built in a temporary folder, then renamed: a
 * concurrent or interrupted generation never leaves a partial folder.
 */
export function writeCifarStandIn(dir: string, opts: StandInOptions = {}): void {
  const train = opts.train ?? 50000;
  const test = opts.test ?? 10000;
  if (!(Number.isInteger(train) && train > 0 && train % 5 === 0)) throw new Error(`writeCifarStandIn: train must be a positive multiple of 5, got ${train}.`);
  if (!(Number.isInteger(test) && test > 0)) throw new Error(`writeCifarStandIn: test must be a positive integer, got ${test}.`);
  const rng = new Rng(opts.seed ?? 20240601);
  const tmp = tempName(dir);
  ensureDir(tmp);
  try {
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(tmp, `data_batch_${b}.bin`), standInRecords(train / 5, rng));
    fs.writeFileSync(path.join(tmp, "test_batch.bin"), standInRecords(test, rng));
    fs.writeFileSync(path.join(tmp, "batches.meta.txt"), STAND_IN_CLASSES.join("\n") + "\n");
    fs.writeFileSync(
      path.join(tmp, "README.txt"),
      "NOT CIFAR-10. Procedural stand-in generated by tsdl (seeded) because cifar-10-binary.tar.gz could not be\n" +
        "downloaded. Same binary format (1 label byte + 3x1024 bytes R, G, B planes). Delete this folder and call\n" +
        "cifar10() online to get the real data.\n",
    );
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // another process finished first: its copy is identical (same seed)
      if (!fs.existsSync(path.join(dir, "test_batch.bin"))) throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
