import { Rng, pca, tf, tsne } from "tsdl";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** Points around a line of direction `dir` (spread 10) with small isotropic noise (0.1). */
function lineCloud(n: number, dir: number[], seed: number): number[][] {
  const rng = new Rng(seed);
  const norm = Math.hypot(...dir);
  return Array.from({ length: n }, () => {
    const t = rng.normal(0, 10);
    return dir.map((v) => 5 + (t * v) / norm + rng.normal(0, 0.1));
  });
}

/** Two Gaussian blobs (std 1) whose centres are 20 apart, in `d` dimensions; labels 0 / 1 alternate. */
function blobs(n: number, d: number, seed: number): { x: number[][]; labels: number[] } {
  const rng = new Rng(seed);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const x = labels.map((c) => Array.from({ length: d }, (_, j) => (j === 0 ? 20 * c : 0) + rng.normal()));
  return { x, labels };
}

function nearestNeighbourPurity(points: number[][], labels: number[]): number {
  let same = 0;
  for (let i = 0; i < points.length; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < points.length; j++) {
      if (j === i) continue;
      const dd = points[i].reduce((s, v, k) => s + (v - points[j][k]) ** 2, 0);
      if (dd < bestD) [best, bestD] = [j, dd];
    }
    if (labels[best] === labels[i]) same++;
  }
  return same / points.length;
}

describe("pca", () => {
  const dir = [3, -1, 2, 0.5];
  const x = lineCloud(300, dir, 1);

  test("finds a known principal direction and its share of the variance", () => {
    const { scores, explainedVarianceRatio } = pca(x, 2);
    expect(scores).toHaveLength(300);
    expect(scores[0]).toHaveLength(2);
    expect(explainedVarianceRatio).toHaveLength(2);
    // variance 100 along the line, 0.01 in each of 4 directions: ratio ≈ 100 / 100.04
    expect(explainedVarianceRatio[0]).toBeGreaterThan(0.999);
    expect(explainedVarianceRatio[0]).toBeLessThan(1);
    expect(explainedVarianceRatio[1]).toBeLessThan(0.001);
    expect(explainedVarianceRatio[0]).toBeGreaterThanOrEqual(explainedVarianceRatio[1]);
    // sign-agnostic: the first score is the projection of the centred points on ±dir
    const norm = Math.hypot(...dir);
    const mean = dir.map((_, j) => x.reduce((s, r) => s + r[j], 0) / x.length);
    const proj = x.map((r) => r.reduce((s, v, j) => s + ((v - mean[j]) * dir[j]) / norm, 0));
    const dot = proj.reduce((s, p, i) => s + p * scores[i][0], 0);
    const corr = dot / Math.sqrt(proj.reduce((s, p) => s + p * p, 0) * scores.reduce((s, r) => s + r[0] * r[0], 0));
    expect(Math.abs(corr)).toBeGreaterThan(0.9999);
    // scores are centred
    expect(Math.abs(scores.reduce((s, r) => s + r[0], 0) / scores.length)).toBeLessThan(1e-9);
  });

  test("accepts a tf.Tensor2D and gives the same result, without disposing it", () => {
    const t = tf.tensor2d(x);
    const fromTensor = pca(t, 3);
    const fromRows = pca(x, 3);
    for (let j = 0; j < 3; j++) expect(fromTensor.explainedVarianceRatio[j]).toBeCloseTo(fromRows.explainedVarianceRatio[j], 5);
    expect(fromTensor.scores[7][0]).toBeCloseTo(fromRows.scores[7][0], 3); // same sign convention (float32 input)
    expect(t.isDisposed).toBe(false);
    t.dispose();
  });

  test("more features than points", () => {
    const rng = new Rng(3);
    const wide = Array.from({ length: 10 }, () => Array.from({ length: 50 }, () => rng.normal()));
    const { scores, explainedVarianceRatio } = pca(wide, 2);
    expect(scores).toHaveLength(10);
    expect(explainedVarianceRatio[0]).toBeGreaterThan(0);
    expect(explainedVarianceRatio[0] + explainedVarianceRatio[1]).toBeLessThanOrEqual(1 + 1e-9);
  });

  test("clear errors", () => {
    expect(() => pca(x, 0)).toThrow(/k .*integer ≥ 1/);
    expect(() => pca(x, 5)).toThrow(/at most min\(points, features\) = 4/);
    expect(() => pca([[1, 2]])).toThrow(/at least 2 points/);
    expect(() => pca([[1, 2], [3]])).toThrow(/row 1 has 1 values/);
    expect(() => pca([[1, NaN], [3, 4]])).toThrow(/finite/);
    expect(() => pca([])).toThrow(/no points/);
    const t3 = tf.zeros([4, 2, 2]);
    expect(() => pca(t3)).toThrow(/rank-2 tensor.*\[4, 2, 2\]/);
    t3.dispose();
  });
});

describe("tsne", () => {
  test("separates two well-separated Gaussian blobs", () => {
    const { x, labels } = blobs(120, 10, 5);
    const y = tsne(x, { perplexity: 15, iterations: 300 });
    expect(y).toHaveLength(120);
    expect(y[0]).toHaveLength(2);
    expect(y.flat().every(Number.isFinite)).toBe(true);
    expect(nearestNeighbourPurity(y, labels)).toBeGreaterThanOrEqual(0.95);
  });

  test("deterministic for a seed, different for another; Math.random restored", () => {
    const { x } = blobs(60, 5, 6);
    const random = Math.random;
    const a = tsne(x, { perplexity: 10, iterations: 50, seed: 7 });
    const b = tsne(x, { perplexity: 10, iterations: 50, seed: 7 });
    const c = tsne(x, { perplexity: 10, iterations: 50, seed: 8 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(Math.random).toBe(random);
  });

  test("dims, tensor input and scale invariance", () => {
    const { x } = blobs(40, 4, 7);
    const y3 = tsne(x, { perplexity: 5, iterations: 10, dims: 3 });
    expect(y3[0]).toHaveLength(3);
    const t = tf.tensor2d(x);
    const yt = tsne(t, { perplexity: 5, iterations: 30 });
    t.dispose();
    const scaledUp = tsne(x.map((r) => r.map((v) => v * 1000)), { perplexity: 5, iterations: 30 });
    const plain = tsne(x, { perplexity: 5, iterations: 30 });
    expect(yt).toHaveLength(40);
    for (let i = 0; i < 40; i++) for (let k = 0; k < 2; k++) expect(scaledUp[i][k]).toBeCloseTo(plain[i][k], 4);
  });

  test("clear errors, Math.random restored after one", () => {
    const { x } = blobs(20, 3, 8);
    const random = Math.random;
    expect(() => tsne(x, { perplexity: 20 })).toThrow(/perplexity 20 is too large for 20 points/);
    expect(() => tsne(x, { perplexity: 0 })).toThrow(/positive/);
    expect(() => tsne(x, { perplexity: 5, dims: 0 })).toThrow(/dims must be an integer ≥ 1/);
    expect(() => tsne(x, { perplexity: 5, iterations: 1.5 })).toThrow(/iterations must be an integer/);
    expect(() => tsne([[1], [2]], { perplexity: 1 })).toThrow(/at least 3 points/);
    expect(() => tsne([[1, 2], [3, 4], [5]], { perplexity: 1 })).toThrow(/row 2/);
    expect(Math.random).toBe(random);
  });
});
