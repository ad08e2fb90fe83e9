// `DataLoader` with PyTorch semantics: batches of a `TensorDataset`, optionally shuffled (reshuffled every
// epoch from a seeded generator), optionally augmented. Batches are built from host arrays at each step,
// so only one batch lives on the backend at a time: the consumer disposes `x` and `y` (or runs the step
// inside `tf.tidy`).
import * as tf from "@tensorflow/tfjs-core";
import type { Augment } from "./augment";
import { DataBatch, TensorDataset } from "./dataset";
import { Rng, globalRng } from "./rng";

export interface DataLoaderOptions {
  /** Samples per batch (default 64). */
  batchSize?: number;
  /** Draw a new random order every epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of the shuffling and augmentation generator (default: drawn from the global one, see `manualSeed`). */
  seed?: number;
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
  /** Batch augmentation, e.g. `compose([randomHorizontalFlip(), randomRotation(45)])`; images only. */
  augment?: Augment;
}

export class DataLoader implements Iterable<DataBatch> {
  readonly dataset: TensorDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly augment?: Augment;
  private readonly rng: Rng;

  constructor(dataset: TensorDataset, opts: DataLoaderOptions = {}) {
    const batchSize = opts.batchSize ?? 64;
    if (!(Number.isInteger(batchSize) && batchSize > 0)) {
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}.`);
    }
    if (opts.augment && dataset.sampleShape.length !== 3) {
      throw new Error(`DataLoader: augment needs image samples [h, w, c], got [${dataset.sampleShape.join(", ")}].`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.augment = opts.augment;
    this.rng = new Rng(opts.seed ?? globalRng().seed());
  }

  /** Batches per epoch (`len(loader)`). */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<DataBatch> {
    const n = this.dataset.length;
    const order = this.shuffle ? this.rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    for (let b = 0; b < this.length; b++) {
      const batch = this.dataset.batch(order.subarray(b * this.batchSize, Math.min(n, (b + 1) * this.batchSize)));
      if (this.augment) {
        const raw = batch.x as tf.Tensor4D;
        const augment = this.augment;
        batch.x = tf.tidy(() => augment(raw, this.rng));
        if (batch.x !== raw) raw.dispose();
      }
      yield batch;
    }
  }
}
