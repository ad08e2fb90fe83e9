// Truncated standard normal (Optuna 3.1's samplers/_tpe/_truncnorm.py, scalar version).
import { erf, erfc } from "./erf";

const SQRT1_2 = Math.SQRT1_2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

export function ndtr(a: number): number {
  const x = a * SQRT1_2;
  if (x < -SQRT1_2) return 0.5 * erfc(-x);
  if (x < SQRT1_2) return 0.5 + 0.5 * erf(x);
  return 1 - 0.5 * erfc(x);
}

/** log Φ(a), with the asymptotic series far in the left tail. */
export function logNdtr(a: number): number {
  if (a > 6) return -ndtr(-a);
  if (a > -20) return Math.log(ndtr(a));
  const logLhs = -0.5 * a * a - Math.log(-a) - LOG_SQRT_2PI;
  let last = 0, rhs = 1, numerator = 1, denomFactor = 1, sign = 1, i = 0;
  const denomCons = 1 / (a * a);
  while (Math.abs(last - rhs) > Number.EPSILON) {
    i += 1;
    last = rhs;
    sign = -sign;
    denomFactor *= denomCons;
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denomFactor;
  }
  return logLhs + Math.log(rhs);
}

const logSum = (p: number, q: number): number => {
  const m = Math.max(p, q);
  return m === -Infinity ? -Infinity : m + Math.log(Math.exp(p - m) + Math.exp(q - m));
};
const logDiff = (p: number, q: number): number => p + Math.log1p(-Math.exp(q - p));

/** log of the standard normal mass on [a, b]. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

function ndtriExp(y: number): number {
  // Bisection on log Φ, as Optuna does (robust in both tails, 100 halvings).
  let lo = -100, hi = 100, m = 0;
  if (logNdtr(lo) > y) [lo, hi] = [hi, lo];
  for (let i = 0; i < 100; i++) {
    m = (lo + hi) / 2;
    if (logNdtr(m) < y) lo = m;
    else hi = m;
  }
  return m;
}

/** Quantile q of the standard normal truncated to [a, b]. */
export function ppf(q: number, a: number, b: number): number {
  if (a === b) return NaN;
  if (q === 0) return a;
  if (q === 1) return b;
  if (a < 0) return ndtriExp(logSum(logNdtr(a), Math.log(q) + logGaussMass(a, b)));
  return -ndtriExp(logSum(logNdtr(-b), Math.log1p(-q) + logGaussMass(a, b)));
}

/**
 * log density at x of N(loc, scale²) truncated to [loc + a·scale, loc + b·scale].
 * Optuna 3.1 omits the −log(scale) term (fixed in later Optuna); `withScale` chooses.
 */
export function logpdf(x: number, a: number, b: number, loc: number, scale: number, withScale = false): number {
  const z = (x - loc) / scale;
  if (a === b) return NaN;
  if (z < a || z > b) return -Infinity;
  return -(z * z) / 2 - LOG_SQRT_2PI - logGaussMass(a, b) - (withScale ? Math.log(scale) : 0);
}
