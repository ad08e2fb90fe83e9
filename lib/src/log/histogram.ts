// Bucketing values into a HistogramProto, as PyTorch's SummaryWriter (bins="tensorflow") does.
import type { HistogramProto } from "./proto";

/** "tensorflow": TensorFlow's default exponential limits ±1e-12·1.1^k; a number: equal-width bins. */
export type HistogramBins = "tensorflow" | number;

/** TensorFlow's default bucket edges: -1e20 … -1e-12, 0, 1e-12 … 1e20 (1549 edges, ratio 1.1). */
const TF_EDGES: Float64Array = (() => {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return Float64Array.from([...pos.map((v) => -v).reverse(), 0, ...pos]);
})();

/** Index of the bin [edges[i], edges[i+1]) holding v (the last bin is closed, as in numpy). */
function binOf(edges: ArrayLike<number>, v: number): number {
  let lo = 0, hi = edges.length - 1;
  if (v < edges[0] || v > edges[hi]) return -1;
  if (v === edges[hi]) return hi - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (v >= edges[mid]) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Histogram of the finite values (NaN/±∞ are left out: TensorBoard cannot draw them), or null when
 * none is finite. Like TensorFlow, empty buckets at both ends are dropped but one empty bucket is kept
 * before the first full one, so its limit gives the left edge of the data.
 */
export function makeHistogram(values: ArrayLike<number>, bins: HistogramBins = "tensorflow"): HistogramProto | null {
  let min = Infinity, max = -Infinity, sum = 0, sumSquares = 0, num = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
    num++;
  }
  if (num === 0) return null;
  let edges: ArrayLike<number>;
  if (bins === "tensorflow") edges = TF_EDGES;
  else {
    const n = Math.max(1, Math.floor(bins));
    const lo = min, hi = max > min ? max : min + 1; // a constant tensor still gets one bin of width 1
    edges = Float64Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + ((hi - lo) * i) / n));
  }
  const counts = new Float64Array(edges.length - 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const b = binOf(edges, v);
    if (b >= 0) counts[b]++;
  }
  let first = 0, last = counts.length - 1;
  while (first < last && counts[first] === 0) first++;
  while (last > first && counts[last] === 0) last--;
  // Bucket j (counts[j]) has right limit edges[j+1]; prepend the empty bucket ending at edges[first].
  const bucket = [0, ...Array.from(counts.subarray(first, last + 1))];
  const bucketLimit = Array.from({ length: last - first + 2 }, (_, k) => edges[first + k]);
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}
