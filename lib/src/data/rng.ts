// Seeded pseudo-random numbers (mulberry32). Every random choice in the data module (shuffles, splits,
// augmentation parameters, synthetic sets) draws from an `Rng`, so a seed reproduces a run exactly,
// whatever the TensorFlow.js backend.

// Module-level copies: a global lookup (`Math.imul`) per call is slow inside vm sandboxes (jest, tslab).
const { imul, sqrt, log, cos, floor, PI } = Math;

/** A small, fast, seedable generator: 32-bit state, period 2^32 — plenty for shuffles and augmentation. */
export class Rng {
  private state: number;

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}.`);
    this.state = floor(seed) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next(); // in (0, 1]: log(u) is finite
    return mean + std * sqrt(-2 * log(u)) * cos(2 * PI * this.next());
  }

  /** A permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** A seed for another generator (or for `tf.random*`'s `seed` argument), drawn from this one. */
  seed(): number {
    return this.int(2 ** 31);
  }
}

let global = new Rng(0);

/** Like `torch.manual_seed`: reseeds the generator used when no `seed` / `rng` is given. */
export function manualSeed(seed: number): void {
  global = new Rng(seed);
}

/** The generator used by default (see `manualSeed`). */
export function globalRng(): Rng {
  return global;
}

/** `rng` if given, else a new generator from `seed` if given, else the global one. */
export function resolveRng(opts: { seed?: number; rng?: Rng } = {}): Rng {
  if (opts.rng) return opts.rng;
  if (opts.seed !== undefined) return new Rng(opts.seed);
  return global;
}
