// Optuna 3.1's Parzen estimator (samplers/_tpe/parzen_estimator.py): one parameter (univariate), or a
// product over parameters sharing one mixture component (multivariate).
import type { Distribution } from "../distributions";
import { Rng } from "../rng";
import { logGaussMass, logpdf, ppf } from "../truncnorm";

const EPS = 1e-12;

export interface ParzenOptions {
  considerPrior: boolean;
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  weights: (n: number) => number[];
  /** Include −log σ in the kernel density (Optuna 3.1 leaves it out). */
  logpdfWithScale: boolean;
}

const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** log Σ exp(terms), without overflow: a mixture's log density from its components' weighted ones. */
function logSumExp(terms: number[]): number {
  const m = Math.max(...terms);
  return m === -Infinity ? m : m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
}

/** Mixture of truncated normals (numbers) or of smoothed one-hot vectors (categories). */
export class ParzenEstimator {
  readonly weights: number[];
  private low = 0;
  private high = 0;
  private q: number | null = null;
  private mus: number[] = [];
  private sigmas: number[] = [];
  private catProbs: number[][] = [];

  /**
   * `observations`: internal values (category index, or the number itself). `sigma0` set = the
   * multivariate rule (every kernel σ = sigma0 · range); unset = the univariate neighbour rule.
   */
  constructor(observations: number[], private readonly dist: Distribution, private readonly opts: ParzenOptions, private readonly sigma0?: number) {
    const n = observations.length;
    const considerPrior = opts.considerPrior || n === 0;
    this.weights = this.computeWeights(n, considerPrior);
    if (dist.kind === "categorical") {
      const k = dist.choices.length;
      const fill = considerPrior ? opts.priorWeight / (n + 1) : opts.priorWeight / n;
      const rows = considerPrior ? n + 1 : n;
      this.catProbs = Array.from({ length: rows }, (_, i) => {
        const row = new Array<number>(k).fill(fill);
        if (i < n) row[observations[i]] += 1;
        const s = row.reduce((a, b) => a + b, 0);
        return row.map((v) => v / s);
      });
      return;
    }
    this.bounds(dist);
    const obs = dist.log ? observations.map(Math.log) : observations;
    this.numericParams(obs, considerPrior);
  }

  private computeWeights(n: number, considerPrior: boolean): number[] {
    const w = n === 0 ? [] : this.opts.weights(n).slice(0, n);
    if (w.some((v) => v < 0 || !Number.isFinite(v))) throw new Error(`TPE weights(${n}) returned negative or non-finite values.`);
    const all = considerPrior ? [...w, this.opts.priorWeight] : w;
    const s = all.reduce((a, b) => a + b, 0);
    return all.map((v) => v / s);
  }

  private bounds(d: Exclude<Distribution, { kind: "categorical" }>): void {
    if (d.log) {
      [this.low, this.high] = d.kind === "int" ? [Math.log(d.low - 0.5), Math.log(d.high + 0.5)] : [Math.log(d.low), Math.log(d.high)];
    } else if (d.step !== null) {
      this.q = d.step;
      [this.low, this.high] = [d.low - 0.5 * d.step, d.high + 0.5 * d.step];
    } else {
      [this.low, this.high] = [d.low, d.high];
    }
  }

  /** Bandwidths: distance to the farther neighbour (endpoints excluded), clipped ("magic clip"). */
  private numericParams(obs: number[], considerPrior: boolean): void {
    const { low, high } = this;
    const mus = considerPrior ? [...obs, 0.5 * (low + high)] : [...obs];
    const sigmas = new Array<number>(mus.length);
    if (this.sigma0 !== undefined) sigmas.fill(this.sigma0 * (high - low));
    else {
      const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
      const s = [low, ...order.map((i) => mus[i]), high];
      const sorted = order.map((_, j) => Math.max(s[j + 1] - s[j], s[j + 2] - s[j + 1]));
      if (!this.opts.considerEndpoints && s.length >= 4) {
        sorted[0] = s[2] - s[1];
        sorted[sorted.length - 1] = s[s.length - 2] - s[s.length - 3];
      }
      order.forEach((i, j) => (sigmas[i] = sorted[j]));
    }
    const maxSigma = high - low;
    const minSigma = this.opts.considerMagicClip ? (high - low) / Math.min(100, 1 + mus.length) : EPS;
    for (let i = 0; i < sigmas.length; i++) sigmas[i] = clip(sigmas[i], minSigma, maxSigma);
    if (considerPrior) sigmas[obs.length] = high - low;
    this.mus = mus;
    this.sigmas = sigmas;
  }

  /** `size` draws, as internal values (rounded to the grid / category index). */
  sample(rng: Rng, size: number): number[] {
    return Array.from({ length: size }, () => this.sampleComponent(rng, rng.choice(this.weights)));
  }

  /** One draw from mixture component `k` (multivariate TPE draws k once for all parameters). */
  sampleComponent(rng: Rng, k: number): number {
    if (this.dist.kind === "categorical") return rng.choice(this.catProbs[k]);
    const mu = this.mus[k], sigma = this.sigmas[k];
    return this.fromUniform(ppf(rng.random(), (this.low - mu) / sigma, (this.high - mu) / sigma) * sigma + mu);
  }

  private fromUniform(x: number): number {
    const d = this.dist;
    if (d.kind === "categorical") return x;
    if (d.kind === "float" && d.log) return Math.exp(x);
    if (d.kind === "int" && d.log) return clip(Math.round(Math.exp(x)), d.low, d.high);
    if (this.q === null) return x;
    return clip(Math.round((x - d.low) / this.q) * this.q + d.low, d.low, d.high);
  }

  /** log density (mass, for discrete values) of each internal value under the mixture. */
  logPdf(values: number[]): number[] {
    const logW = this.weights.map(Math.log);
    return values.map((v) => logSumExp(logW.map((lw, k) => lw + this.componentLogPdf(v, k))));
  }

  /** log density (or mass) of internal value `v` under component `k` alone. */
  componentLogPdf(v: number, k: number): number {
    if (this.dist.kind === "categorical") return Math.log(this.catProbs[k][v]);
    const x = this.dist.log ? Math.log(v) : v;
    const mu = this.mus[k], sigma = this.sigmas[k];
    const a = (this.low - mu) / sigma, b = (this.high - mu) / sigma;
    if (this.q === null) return logpdf(x, a, b, mu, sigma, this.opts.logpdfWithScale);
    const upper = Math.min(x + this.q / 2, this.high), lower = Math.max(x - this.q / 2, this.low);
    return logGaussMass((lower - mu) / sigma, (upper - mu) / sigma) - logGaussMass(a, b);
  }
}

/** Optuna 3.1's multivariate bandwidth factor: 0.2 · n^(−1/(d+4)) of each parameter's range. */
const multivariateSigma0 = (n: number, d: number): number => 0.2 * Math.max(n, 1) ** (-1 / (d + 4));

/**
 * Optuna's `multivariate=True` estimator: one kernel per observation (plus the prior), each the
 * product of one component per parameter, so a draw keeps the parameters of one observation together.
 */
export class MultivariateParzenEstimator {
  private readonly pes: ParzenEstimator[];

  /** `rows`: one observation per row, internal values in the order of `dists`. */
  constructor(rows: number[][], dists: Distribution[], opts: ParzenOptions) {
    const sigma0 = multivariateSigma0(rows.length, dists.length);
    this.pes = dists.map((d, j) => new ParzenEstimator(rows.map((r) => r[j]), d, opts, sigma0));
  }

  get weights(): number[] {
    return this.pes[0].weights;
  }

  /** `size` draws (rows of internal values): one component, then each parameter from it. */
  sample(rng: Rng, size: number): number[][] {
    return Array.from({ length: size }, () => {
      const k = rng.choice(this.weights);
      return this.pes.map((pe) => pe.sampleComponent(rng, k));
    });
  }

  /** Joint log density of each row. */
  logPdf(rows: number[][]): number[] {
    const logW = this.weights.map(Math.log);
    return rows.map((x) => logSumExp(logW.map((lw, k) => lw + this.pes.reduce((s, pe, j) => s + pe.componentLogPdf(x[j], k), 0))));
  }
}
