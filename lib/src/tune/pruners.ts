// Optuna 3.1's pruners (pruners/_percentile.py, _median.py, _nop.py).
import { FrozenTrial, Pruner, StudyView, lastStep } from "./types";

export interface PercentilePrunerOptions {
  /** Pruning is off until this many trials have COMPLETEd. */
  nStartupTrials?: number;
  /** Steps < nWarmupSteps are never pruned (steps start at 0). */
  nWarmupSteps?: number;
  /** Check every `intervalSteps` steps after the warm-up. */
  intervalSteps?: number;
  /** Fewer values than this at a step → no pruning at that step. */
  nMinTrials?: number;
}

/** numpy's nanpercentile with linear interpolation. */
function nanPercentile(values: number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** Is `step` the first reported step of its interval (so a check is due)? */
function firstInInterval(step: number, steps: number[], warmup: number, interval: number): boolean {
  const nearestLower = Math.floor((step - warmup) / interval) * interval + warmup;
  const secondLast = steps.reduce((acc, s) => (s > acc && s !== step ? s : acc), -1);
  return secondLast < nearestLower;
}

/** Prune when the trial's best intermediate value is worse than the given percentile of the completed trials at the same step. */
export class PercentilePruner implements Pruner {
  private readonly nStartup: number;
  private readonly nWarmup: number;
  private readonly interval: number;
  private readonly nMin: number;

  constructor(readonly percentile: number, opts: PercentilePrunerOptions = {}) {
    this.nStartup = opts.nStartupTrials ?? 5;
    this.nWarmup = opts.nWarmupSteps ?? 0;
    this.interval = opts.intervalSteps ?? 1;
    this.nMin = opts.nMinTrials ?? 1;
    if (!(percentile >= 0 && percentile <= 100)) throw new Error(`Percentile must be in [0, 100], got ${percentile}.`);
    if (this.nStartup < 0) throw new Error(`nStartupTrials cannot be negative, got ${this.nStartup}.`);
    if (this.nWarmup < 0) throw new Error(`nWarmupSteps cannot be negative, got ${this.nWarmup}.`);
    if (this.interval < 1) throw new Error(`intervalSteps must be at least 1, got ${this.interval}.`);
    if (this.nMin < 1) throw new Error(`nMinTrials must be at least 1, got ${this.nMin}.`);
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const completed = study.getTrials(["COMPLETE"]);
    if (completed.length === 0 || completed.length < this.nStartup) return false;
    const step = lastStep(trial);
    if (step === undefined || step < this.nWarmup) return false;
    const steps = Object.keys(trial.intermediateValues).map(Number);
    if (!firstInInterval(step, steps, this.nWarmup, this.interval)) return false;
    const maximize = study.direction === "maximize";
    const mine = Object.values(trial.intermediateValues).filter((v) => !Number.isNaN(v));
    if (mine.length === 0) return true; // Only NaN reported: prune.
    const best = maximize ? Math.max(...mine) : Math.min(...mine);
    const atStep = completed.filter((t) => step in t.intermediateValues).map((t) => t.intermediateValues[step]);
    if (atStep.length < this.nMin) return false;
    const p = nanPercentile(atStep, maximize ? 100 - this.percentile : this.percentile);
    if (Number.isNaN(p)) return false;
    return maximize ? best < p : best > p;
  }
}

/** Prune when the best intermediate value so far is worse than the median of the completed trials at the same step. */
export class MedianPruner extends PercentilePruner {
  constructor(opts: PercentilePrunerOptions = {}) {
    super(50, opts);
  }
}

/** Never prunes (the default). */
export class NopPruner implements Pruner {
  prune(): boolean {
    return false;
  }
}
