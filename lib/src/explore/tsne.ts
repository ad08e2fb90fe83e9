// t-SNE (van der Maaten & Hinton, 2008) over @keckelt/tsne, a TypeScript port of Karpathy's tsnejs: exact
// (O(n²) time and memory per iteration), fine for a few thousand points (1,500 points, 500 iterations: ~25 s).
import { TSNE } from "@keckelt/tsne";
import { Rng } from "../data/rng";
import { MatrixLike, checkInteger, toRows } from "./matrix";

export interface TsneOptions {
  /** Effective number of neighbours of each point (5–50 usual); must be below the number of points. Default 30. */
  perplexity?: number;
  /** Gradient steps (the first 100 with early exaggeration ×4, momentum 0.5 then 0.8 after 250). Default 500. */
  iterations?: number;
  /** Seed of the random initial layout: the same seed gives the same embedding. Default 0. */
  seed?: number;
  /** Dimension of the embedding. Default 2. */
  dims?: number;
  /** Step size (the package's `epsilon`, with per-coordinate adaptive gains). Default 10. */
  learningRate?: number;
}

/**
 * t-SNE embedding of the rows of `x` (`[n, d]`), returned as `[n][dims]` coordinates.
 *
 *   const points = tsne(features, { perplexity: 30, iterations: 500, seed: 0 });
 *
 * Only neighbourhoods are meaningful in the result: neither the size of a cluster nor the distance between
 * clusters is. Deterministic: the package draws its initial layout from `Math.random`, so `Math.random` is
 * replaced by tsdl's seeded `Rng(seed)` for the duration of the (synchronous) call, then restored.
 */
export function tsne(x: MatrixLike, options: TsneOptions = {}): number[][] {
  const { perplexity = 30, iterations = 500, seed = 0, dims = 2, learningRate = 10 } = options;
  const rows = toRows(x, "tsne");
  const n = rows.length;
  if (n < 3) throw new Error(`tsne(): needs at least 3 points, got ${n}.`);
  if (!(typeof perplexity === "number" && perplexity > 0 && Number.isFinite(perplexity))) {
    throw new Error(`tsne(): perplexity must be a positive number (typically 5 to 50), got ${perplexity}.`);
  }
  if (perplexity > n - 1) {
    throw new Error(
      `tsne(): perplexity ${perplexity} is too large for ${n} points: each point has only ${n - 1} neighbours. ` +
        `Use a perplexity below ${n - 1} (typically 5 to 50, and well below the number of points), or embed more points.`,
    );
  }
  checkInteger(iterations, "iterations", "tsne", 0);
  checkInteger(dims, "dims", "tsne", 1);
  if (!Number.isFinite(seed)) throw new Error(`tsne(): seed must be a finite number, got ${seed}.`);
  if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new Error(`tsne(): learningRate must be a positive number, got ${learningRate}.`);

  // Rescale so that the mean squared distance is 1: the package's bisection on each point's precision starts at
  // β = 1 and has 50 steps; the affinities themselves do not depend on the scale.
  const scaled = rescale(rows);

  const rng = new Rng(seed);
  const savedRandom = Math.random;
  Math.random = () => rng.next();
  try {
    const model = new TSNE({ perplexity, dim: dims, epsilon: learningRate });
    model.initDataRaw(scaled);
    for (let i = 0; i < iterations; i++) model.step();
    const solution = model.getSolution() as number[][];
    return solution.map((p) => Array.from(p, Number));
  } finally {
    Math.random = savedRandom;
  }
}

/** `rows` scaled by one factor so that the mean squared distance between two points is 1 (unchanged if all equal). */
function rescale(rows: number[][]): number[][] {
  const n = rows.length;
  const d = rows[0].length;
  // mean over pairs i ≠ j of |xi - xj|² = 2n / (n - 1) × (sum of the features' biased variances)
  let total = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += rows[i][j];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (rows[i][j] - mean) ** 2;
    total += v / n;
  }
  const meanSquared = ((2 * n) / (n - 1)) * total;
  if (!(meanSquared > 0)) return rows.map((r) => r.slice());
  const f = 1 / Math.sqrt(meanSquared);
  return rows.map((r) => r.map((v) => v * f));
}
