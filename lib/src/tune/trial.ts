// The handle an objective receives: suggests parameters, reports intermediate values, asks to prune.
import {
  CategoricalChoice,
  Distribution,
  ParamValue,
  categoricalDistribution,
  checkCompatibility,
  contains,
  floatDistribution,
  intDistribution,
  isSingle,
  sameDistribution,
  singleValue,
  toInternal,
} from "./distributions";
import type { PyJson } from "./pyjson";
import type { JournalStorage } from "./storage/storage";
import type { FrozenTrial, Pruner, Sampler, StudyView } from "./types";

/** Throw it from an objective (after `shouldPrune()`) to stop the trial as PRUNED. */
export class TrialPruned extends Error {
  constructor(message = "Trial was pruned.") {
    super(message);
    this.name = "TrialPruned";
  }
}

/** What a Trial needs from its study. */
export interface TrialHost {
  readonly storage: JournalStorage;
  readonly studyId: number;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  readonly view: StudyView;
}

export interface FloatOptions {
  log?: boolean;
  step?: number;
}
export interface IntOptions {
  log?: boolean;
  step?: number;
}

export class Trial {
  /** Parameters drawn jointly at the start by the sampler (multivariate TPE), by name. */
  private readonly relative: Record<string, { value: ParamValue; dist: Distribution }>;

  constructor(private readonly host: TrialHost, readonly trialId: number, readonly number: number) {
    this.relative = host.sampler.sampleRelative?.(host.view, host.storage.getTrial(trialId)) ?? {};
  }

  /** A float in [low, high] (log-uniform with `log`, on low + k·step with `step`). */
  suggestFloat(name: string, low: number, high: number, opts: FloatOptions = {}): number {
    return this.suggest(name, floatDistribution(low, high, opts, `suggestFloat("${name}")`)) as number;
  }

  /** An integer in [low, high] (log-uniform with `log`, on low + k·step with `step`). */
  suggestInt(name: string, low: number, high: number, opts: IntOptions = {}): number {
    return this.suggest(name, intDistribution(low, high, opts, `suggestInt("${name}")`)) as number;
  }

  /** One of `choices` (null, boolean, number or string, as Optuna stores them). */
  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    return this.suggest(name, categoricalDistribution(choices, `suggestCategorical("${name}")`)) as T;
  }

  private suggest(name: string, dist: Distribution): ParamValue {
    if (typeof name !== "string" || name === "") throw new Error(`A parameter name must be a non-empty string, got ${JSON.stringify(name)}.`);
    const { storage, sampler, view } = this.host;
    const current = storage.getTrial(this.trialId);
    if (name in current.params) {
      checkCompatibility(name, current.distributions[name], dist);
      return current.params[name];
    }
    // Fail early with a clear message when another trial used this name differently.
    for (const t of view.getTrials()) {
      if (t.distributions[name]) {
        checkCompatibility(name, t.distributions[name], dist);
        break;
      }
    }
    const rel = this.relative[name];
    const relOk = rel !== undefined && sameDistribution(rel.dist, dist) && contains(dist, toInternal(dist, rel.value));
    const value = isSingle(dist) ? singleValue(dist) : relOk ? rel.value : sampler.sampleIndependent(view, current, name, dist);
    storage.setParam(this.trialId, name, toInternal(dist, value), dist);
    return value;
  }

  /** Records the objective's value at `step` (an epoch, from 0) for pruners and plots. */
  report(value: number, step: number): void {
    if (typeof value !== "number") throw new TypeError(`report(): value must be a number, got ${typeof value}.`);
    if (!Number.isInteger(step) || step < 0) throw new Error(`report(): step must be an integer ≥ 0, got ${step}.`);
    if (step in this.host.storage.getTrial(this.trialId).intermediateValues) {
      console.warn(`report(): step ${step} was already reported for trial ${this.number}; the new value is ignored.`);
      return;
    }
    this.host.storage.setIntermediate(this.trialId, step, value);
  }

  /** Should the objective stop now (then `throw new TrialPruned()`)? Asks the study's pruner. */
  shouldPrune(): boolean {
    return this.host.pruner.prune(this.host.view, this.host.storage.getTrial(this.trialId));
  }

  setUserAttr(key: string, value: PyJson): void {
    this.host.storage.setTrialAttr(this.trialId, "user", key, value);
  }

  get params(): Record<string, ParamValue> {
    return this.host.storage.getTrial(this.trialId).params;
  }

  get distributions(): Record<string, Distribution> {
    return this.host.storage.getTrial(this.trialId).distributions;
  }

  get userAttrs(): Record<string, unknown> {
    return this.host.storage.getTrial(this.trialId).userAttrs;
  }

  /** A snapshot of this trial as stored. */
  freeze(): FrozenTrial {
    return this.host.storage.getTrial(this.trialId);
  }
}
