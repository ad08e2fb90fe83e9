// Optuna's study callbacks (optuna.study.MaxTrialsCallback).
import type { Study, StudyCallbackObject } from "./study";
import { TRIAL_STATE_CODES } from "./types";
import type { TrialState } from "./types";

export interface MaxTrialsCallbackOptions {
  /** Trial states that count (default `["COMPLETE"]`, as Optuna); null counts every trial. */
  states?: readonly TrialState[] | null;
}

/**
 * Stops `optimize` once the study holds `nTrials` trials in `states`, counting the trials of
 * every worker and earlier session sharing its storage: a resumable study simply asks for its
 * total. Checked before each trial (Optuna's is checked after each), so re-running a finished
 * study starts nothing. Several workers may overshoot by the trials they had running when the
 * total was reached, as with Optuna.
 *   await study.optimize(objective, { nTrials: 200, callbacks: [new MaxTrialsCallback(200)] });
 */
export class MaxTrialsCallback implements StudyCallbackObject {
  readonly states: readonly TrialState[] | null;

  constructor(readonly nTrials: number, opts: MaxTrialsCallbackOptions = {}) {
    if (!(Number.isInteger(nTrials) && nTrials >= 0)) throw new Error(`MaxTrialsCallback: nTrials must be an integer ≥ 0, got ${nTrials}.`);
    const states = opts.states === undefined ? ["COMPLETE" as const] : opts.states;
    for (const s of states ?? []) {
      if (!TRIAL_STATE_CODES.includes(s)) throw new Error(`MaxTrialsCallback: unknown trial state ${JSON.stringify(s)}; use one of ${TRIAL_STATE_CODES.join(", ")} (or states: null to count every trial).`);
    }
    this.states = states;
  }

  /** Trials counted now (re-read from storage: other workers' included). */
  count(study: Study): number {
    return study.getTrials(this.states ?? undefined).length;
  }

  remaining(study: Study): number {
    return Math.max(0, this.nTrials - this.count(study));
  }
}
