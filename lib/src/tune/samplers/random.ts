// Uniform sampling in Optuna's transformed space (log axis for log, ±step/2 cells for discrete).
import type { Distribution, ParamValue } from "../distributions";
import { Rng } from "../rng";
import type { FrozenTrial, Sampler, StudyView } from "../types";

const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** One uniform draw from `dist` (external representation). */
export function sampleUniform(rng: Rng, dist: Distribution): ParamValue {
  if (dist.kind === "categorical") return dist.choices[rng.int(dist.choices.length)];
  if (dist.kind === "float") {
    if (dist.log) return clip(Math.exp(rng.uniform(Math.log(dist.low), Math.log(dist.high))), dist.low, dist.high);
    if (dist.step === null) return rng.uniform(dist.low, dist.high);
    const x = rng.uniform(dist.low - dist.step / 2, dist.high + dist.step / 2);
    return clip(Math.round((x - dist.low) / dist.step) * dist.step + dist.low, dist.low, dist.high);
  }
  if (dist.log) return clip(Math.round(Math.exp(rng.uniform(Math.log(dist.low - 0.5), Math.log(dist.high + 0.5)))), dist.low, dist.high);
  const x = rng.uniform(dist.low - dist.step / 2, dist.high + dist.step / 2);
  return clip(Math.round((x - dist.low) / dist.step) * dist.step + dist.low, dist.low, dist.high);
}

export interface RandomSamplerOptions {
  seed?: number;
}

export class RandomSampler implements Sampler {
  private readonly rng: Rng;

  constructor(opts: RandomSamplerOptions = {}) {
    this.rng = new Rng(opts.seed);
  }

  sampleIndependent(_study: StudyView, _trial: FrozenTrial, _name: string, dist: Distribution): ParamValue {
    return sampleUniform(this.rng, dist);
  }
}
