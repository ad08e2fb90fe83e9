// Shared shapes: trial states (Optuna's enum order = journal codes), directions, frozen trials.
import type { Distribution, ParamValue } from "./distributions";
import type { PyJson } from "./pyjson";

export type TrialState = "RUNNING" | "COMPLETE" | "PRUNED" | "FAIL" | "WAITING";
/** Index = Optuna's `TrialState` integer, as written in the journal. */
export const TRIAL_STATE_CODES: readonly TrialState[] = ["RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING"];
export const isFinished = (s: TrialState): boolean => s === "COMPLETE" || s === "PRUNED" || s === "FAIL";

export type StudyDirection = "minimize" | "maximize";
/** Optuna's `StudyDirection` integers (NOT_SET = 0). */
export const DIRECTION_CODES: Record<StudyDirection, number> = { minimize: 1, maximize: 2 };

/** A snapshot of one trial (Optuna's FrozenTrial). */
export interface FrozenTrial {
  /** Position in its study (0, 1, 2…), the same in every process sharing the journal. */
  number: number;
  /** Storage-wide id (the journal's `trial_id`). */
  trialId: number;
  state: TrialState;
  value: number | null;
  values: number[] | null;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  /** step → reported value. */
  intermediateValues: Record<number, number>;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  datetimeStart: Date | null;
  datetimeComplete: Date | null;
  /** Why a FAIL trial failed (tsdl writes it as the system attr `fail_reason`). */
  failReason?: string;
}

/** The last reported step, or undefined. */
export function lastStep(t: FrozenTrial): number | undefined {
  const steps = Object.keys(t.intermediateValues).map(Number);
  return steps.length ? Math.max(...steps) : undefined;
}

/** What samplers and pruners see of a study (keeps them free of the Study class). */
export interface StudyView {
  readonly direction: StudyDirection;
  getTrials(states?: readonly TrialState[]): FrozenTrial[];
  /** Stop `optimize` after the running trial (GridSampler, once the grid is exhausted). */
  stop(): void;
  setTrialSystemAttr(trialId: number, key: string, value: PyJson): void;
}

export interface Sampler {
  /** Called once when a trial starts, before any suggestion. */
  beforeTrial?(study: StudyView, trial: FrozenTrial): void;
  /**
   * Joint draw of several parameters at the trial's start (multivariate TPE): returns the
   * parameters it chose; each is used when the objective suggests it with the same distribution.
   */
  sampleRelative?(study: StudyView, trial: FrozenTrial): Record<string, { value: ParamValue; dist: Distribution }>;
  /** Draws one parameter (the study's trials are re-read from storage before each call). */
  sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, dist: Distribution): ParamValue;
  afterTrial?(study: StudyView, trial: FrozenTrial, state: TrialState, values: number[] | null): void;
}

export interface Pruner {
  prune(study: StudyView, trial: FrozenTrial): boolean;
}
