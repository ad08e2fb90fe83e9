// Batch augmentation on NHWC tensors, torchvision-style names. Each sample gets its own random
// parameters, drawn from a seeded `Rng` on the host (so runs are reproducible on every backend); the
// pixel work is a handful of tf ops per batch (`image.transform`, `image.cropAndResize`), no JS loop.
// Every augmentation is tidy: it returns one new tensor and leaks nothing.
import * as tf from "@tensorflow/tfjs-core";
import { Rng, globalRng } from "./rng";

/** A batch augmentation: NHWC in, NHWC out (a new tensor; the input is not disposed). */
export type Augment = (x: tf.Tensor4D, rng?: Rng) => tf.Tensor4D;

export type Interpolation = "nearest" | "bilinear";

function sizePair(size: number | [number, number], arg: string): [number, number] {
  const [h, w] = typeof size === "number" ? [size, size] : size;
  if (!(Number.isInteger(h) && h > 0 && Number.isInteger(w) && w > 0)) {
    throw new Error(`${arg} must be a positive integer or [height, width], got ${JSON.stringify(size)}.`);
  }
  return [h, w];
}

function checkBatch(x: tf.Tensor, name: string): void {
  if (x.rank !== 4) throw new Error(`${name}: expected an NHWC batch (rank 4), got shape [${x.shape.join(", ")}].`);
}

/** Flips each image left-right with probability `p` (`RandomHorizontalFlip`). */
export function randomHorizontalFlip(p = 0.5): Augment {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must be in [0, 1], got ${p}.`);
  return (x, rng = globalRng()) =>
    tf.tidy(() => {
      checkBatch(x, "randomHorizontalFlip");
      const n = x.shape[0];
      const mask = new Float32Array(n).map(() => (rng.next() < p ? 1 : 0));
      const m = tf.tensor4d(mask, [n, 1, 1, 1]);
      const flipped = tf.image.flipLeftRight(x);
      return tf.add(tf.mul(flipped, m), tf.mul(x, tf.sub(1, m))) as tf.Tensor4D;
    });
}

export interface RandomRotationOptions {
  interpolation?: Interpolation;
  /** Value of the pixels uncovered by the rotation (default 0). */
  fill?: number;
}

/**
 * Rotates each image about its centre by an angle drawn uniformly in [−maxDegrees, maxDegrees]
 * (or in [min, max]), keeping its size (`RandomRotation`; PyTorch's default interpolation: nearest).
 */
export function randomRotation(degrees: number | [number, number], opts: RandomRotationOptions = {}): Augment {
  const [lo, hi] = typeof degrees === "number" ? [-Math.abs(degrees), Math.abs(degrees)] : degrees;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new Error(`randomRotation: degrees must be a number or [min, max], got ${JSON.stringify(degrees)}.`);
  }
  return (x, rng = globalRng()) =>
    tf.tidy(() => {
      checkBatch(x, "randomRotation");
      const [n, h, w] = x.shape;
      const cx = (w - 1) / 2;
      const cy = (h - 1) / 2;
      const rows = new Float32Array(n * 8);
      for (let i = 0; i < n; i++) {
        const t = (rng.uniform(lo, hi) * Math.PI) / 180;
        const c = Math.cos(t);
        const s = Math.sin(t);
        // output pixel → input pixel: inverse of a counter-clockwise rotation on screen (y down)
        rows.set([c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy, 0, 0], i * 8);
      }
      return tf.image.transform(x, tf.tensor2d(rows, [n, 8]), opts.interpolation ?? "nearest", "constant", opts.fill ?? 0);
    });
}

export interface RandomCropOptions {
  /** Value of the padding (default 0). */
  fill?: number;
}

/** Pads each image by `padding` on every side, then crops a random `size` window (`RandomCrop`). */
export function randomCrop(size: number | [number, number], padding = 0, opts: RandomCropOptions = {}): Augment {
  const [ch, cw] = sizePair(size, "randomCrop: size");
  if (!(Number.isInteger(padding) && padding >= 0)) throw new Error(`randomCrop: padding must be an integer ≥ 0, got ${padding}.`);
  return (x, rng = globalRng()) =>
    tf.tidy(() => {
      checkBatch(x, "randomCrop");
      const [n, h, w] = x.shape;
      if (ch > h + 2 * padding || cw > w + 2 * padding) {
        throw new Error(`randomCrop: size ${ch}×${cw} is larger than the padded image ${h + 2 * padding}×${w + 2 * padding}; increase padding.`);
      }
      const rows = new Float32Array(n * 8);
      for (let i = 0; i < n; i++) {
        const ox = rng.int(w + 2 * padding - cw + 1) - padding;
        const oy = rng.int(h + 2 * padding - ch + 1) - padding;
        rows.set([1, 0, ox, 0, 1, oy, 0, 0], i * 8);
      }
      return tf.image.transform(x, tf.tensor2d(rows, [n, 8]), "nearest", "constant", opts.fill ?? 0, [ch, cw]);
    });
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image (default [0.08, 1]). */
  scale?: [number, number];
  /** Range of the crop's aspect ratio w/h (default [3/4, 4/3]). */
  ratio?: [number, number];
  interpolation?: Interpolation;
}

/** A crop box (pixels) chosen as torchvision's `RandomResizedCrop.get_params` does. */
export function resizedCropBox(
  h: number,
  w: number,
  rng: Rng,
  scale: [number, number] = [0.08, 1],
  ratio: [number, number] = [3 / 4, 4 / 3],
): { top: number; left: number; height: number; width: number } {
  const area = h * w;
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const cw = Math.round(Math.sqrt(target * aspect));
    const chh = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && chh > 0 && chh <= h) {
      return { top: rng.int(h - chh + 1), left: rng.int(w - cw + 1), height: chh, width: cw };
    }
  }
  // fallback: central crop with the ratio clamped to the allowed range
  const r = w / h;
  let cw = w;
  let chh = h;
  if (r < ratio[0]) chh = Math.round(w / ratio[0]);
  else if (r > ratio[1]) cw = Math.round(h * ratio[1]);
  return { top: Math.floor((h - chh) / 2), left: Math.floor((w - cw) / 2), height: chh, width: cw };
}

/** Crops a random area and aspect ratio of each image, resized to `size` (`RandomResizedCrop`). */
export function randomResizedCrop(size: number | [number, number], opts: RandomResizedCropOptions = {}): Augment {
  const [oh, ow] = sizePair(size, "randomResizedCrop: size");
  const scale = opts.scale ?? [0.08, 1];
  const ratio = opts.ratio ?? [3 / 4, 4 / 3];
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) {
    throw new Error(`randomResizedCrop: scale must be [min, max] with 0 < min ≤ max ≤ 1, got [${scale.join(", ")}].`);
  }
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) throw new Error(`randomResizedCrop: ratio must be [min, max] with 0 < min ≤ max, got [${ratio.join(", ")}].`);
  return (x, rng = globalRng()) =>
    tf.tidy(() => {
      checkBatch(x, "randomResizedCrop");
      const [n, h, w] = x.shape;
      const boxes = new Float32Array(n * 4);
      const dy = Math.max(1, h - 1);
      const dx = Math.max(1, w - 1);
      for (let i = 0; i < n; i++) {
        const b = resizedCropBox(h, w, rng, scale, ratio);
        boxes.set([b.top / dy, b.left / dx, (b.top + b.height - 1) / dy, (b.left + b.width - 1) / dx], i * 4);
      }
      const boxInd = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i), "int32");
      return tf.image.cropAndResize(x, tf.tensor2d(boxes, [n, 4]), boxInd, [oh, ow], opts.interpolation ?? "bilinear");
    });
}

/** Adds N(0, std²) noise to every value. */
export function gaussianNoise(std: number): Augment {
  if (!(std >= 0)) throw new Error(`gaussianNoise: std must be ≥ 0, got ${std}.`);
  return (x, rng = globalRng()) => tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, std, "float32", rng.seed())) as tf.Tensor4D);
}

/** Chains augmentations (`transforms.Compose`). */
export function compose(steps: Augment[]): Augment {
  return (x, rng = globalRng()) =>
    tf.tidy(() => {
      let y = x;
      for (const step of steps) y = step(y, rng);
      return y === x ? x.clone() : y;
    });
}
