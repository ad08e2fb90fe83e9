// Replays Optuna 3.1's journal operations (storages/_journal/storage.py, JournalStorageReplayResult)
// into studies and trials. Every process replays the same append-only log in the same order, so
// trial ids and numbers agree everywhere without any other coordination.
import { Distribution, checkCompatibility, jsonToDistribution, toExternal } from "../distributions";
import { FrozenTrial, TRIAL_STATE_CODES, TrialState, isFinished } from "../types";
import { fromPyIso } from "./datetime";

export const Op = {
  CREATE_STUDY: 0,
  DELETE_STUDY: 1,
  SET_STUDY_USER_ATTR: 2,
  SET_STUDY_SYSTEM_ATTR: 3,
  CREATE_TRIAL: 4,
  SET_TRIAL_PARAM: 5,
  SET_TRIAL_STATE_VALUES: 6,
  SET_TRIAL_INTERMEDIATE_VALUE: 7,
  SET_TRIAL_USER_ATTR: 8,
  SET_TRIAL_SYSTEM_ATTR: 9,
} as const;

export interface StudyRecord {
  studyId: number;
  name: string;
  directions: number[];
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  trialIds: number[];
}

export interface TrialRecord extends FrozenTrial {
  studyId: number;
  /** worker_id of the CREATE_TRIAL op: tells which process owns a RUNNING trial. */
  workerId: string;
}

type Log = Record<string, unknown>;

/** A log line that is valid JSON but cannot be applied (bad op, unknown study…). */
export class ReplayError extends Error {}

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new ReplayError(`missing or unknown ${what}`);
  return v;
};

export class Replay {
  readonly studies = new Map<number, StudyRecord>();
  readonly trials: TrialRecord[] = [];
  private nextStudyId = 0;
  /** Id of the last trial created by `workerId` (this process). */
  lastCreatedTrialId = -1;

  constructor(private readonly workerId: string) {}

  private mine(log: Log): boolean {
    return log.worker_id === this.workerId;
  }

  /** Optuna ignores ops of other workers that do not apply, and raises for its own. */
  private skipOrThrow(log: Log, msg: string): false {
    if (this.mine(log)) throw new Error(msg);
    return false;
  }

  private study(id: unknown, log: Log): StudyRecord | undefined {
    const s = this.studies.get(id as number);
    if (!s) this.skipOrThrow(log, `Study ${String(id)} does not exist.`);
    return s;
  }

  private updatable(id: unknown, log: Log): TrialRecord | undefined {
    const t = this.trials[id as number];
    if (!t) return void this.skipOrThrow(log, `Trial ${String(id)} does not exist.`);
    if (isFinished(t.state)) return void this.skipOrThrow(log, `Trial #${t.number} has already finished and can not be updated.`);
    return t;
  }

  apply(log: Log): void {
    switch (log.op_code) {
      case Op.CREATE_STUDY: {
        const name = String(log.study_name);
        if ([...this.studies.values()].some((s) => s.name === name)) {
          this.skipOrThrow(log, `Another study named "${name}" already exists; pass loadIfExists: true to reuse it, or choose another studyName.`);
          return;
        }
        const directions = need(log.directions as number[] | undefined, "directions");
        const studyId = this.nextStudyId++;
        this.studies.set(studyId, { studyId, name, directions, userAttrs: {}, systemAttrs: {}, trialIds: [] });
        return;
      }
      case Op.DELETE_STUDY:
        if (this.study(log.study_id, log)) this.studies.delete(log.study_id as number);
        return;
      case Op.SET_STUDY_USER_ATTR:
      case Op.SET_STUDY_SYSTEM_ATTR: {
        const s = this.study(log.study_id, log);
        if (s) Object.assign(log.op_code === Op.SET_STUDY_USER_ATTR ? s.userAttrs : s.systemAttrs, need((log.user_attr ?? log.system_attr) as Log | undefined, "attr"));
        return;
      }
      case Op.CREATE_TRIAL:
        return this.createTrial(log);
      case Op.SET_TRIAL_PARAM:
        return this.setParam(log);
      case Op.SET_TRIAL_STATE_VALUES: {
        const t = this.updatable(log.trial_id, log);
        if (!t) return;
        const state = need(TRIAL_STATE_CODES[log.state as number], "state");
        if (state === "RUNNING" && t.state === "RUNNING") return;
        if (state === "RUNNING") t.datetimeStart = fromPyIso(String(log.datetime_start));
        if (isFinished(state) && typeof log.datetime_complete === "string") t.datetimeComplete = fromPyIso(log.datetime_complete);
        t.state = state;
        if (Array.isArray(log.values)) {
          t.values = log.values as number[];
          t.value = t.values.length === 1 ? t.values[0] : null;
        }
        return;
      }
      case Op.SET_TRIAL_INTERMEDIATE_VALUE: {
        const t = this.updatable(log.trial_id, log);
        if (t) t.intermediateValues[need(log.step as number | undefined, "step")] = log.intermediate_value as number;
        return;
      }
      case Op.SET_TRIAL_USER_ATTR:
      case Op.SET_TRIAL_SYSTEM_ATTR: {
        const t = this.updatable(log.trial_id, log);
        if (!t) return;
        const attr = need((log.op_code === Op.SET_TRIAL_USER_ATTR ? log.user_attr : log.system_attr) as Log | undefined, "attr");
        Object.assign(log.op_code === Op.SET_TRIAL_USER_ATTR ? t.userAttrs : t.systemAttrs, attr);
        if (typeof t.systemAttrs.fail_reason === "string") t.failReason = t.systemAttrs.fail_reason;
        return;
      }
      default:
        throw new ReplayError(`unknown op_code ${JSON.stringify(log.op_code)}`);
    }
  }

  private createTrial(log: Log): void {
    const s = this.study(log.study_id, log);
    if (!s) return;
    const trialId = this.trials.length;
    const distributions: Record<string, Distribution> = {};
    for (const [k, v] of Object.entries((log.distributions ?? {}) as Record<string, string>)) distributions[k] = jsonToDistribution(v);
    const params: TrialRecord["params"] = {};
    for (const [k, v] of Object.entries((log.params ?? {}) as Record<string, number>)) params[k] = toExternal(need(distributions[k], `distribution of ${k}`), v);
    const values = (log.values as number[] | null | undefined) ?? (typeof log.value === "number" ? [log.value] : null);
    const intermediateValues: Record<number, number> = {};
    for (const [k, v] of Object.entries((log.intermediate_values ?? {}) as Record<string, number>)) intermediateValues[Number(k)] = v;
    const t: TrialRecord = {
      trialId,
      studyId: s.studyId,
      number: s.trialIds.length,
      state: need(TRIAL_STATE_CODES[(log.state as number | undefined) ?? 0], "state"),
      value: values && values.length === 1 ? values[0] : null,
      values,
      params,
      distributions,
      intermediateValues,
      userAttrs: { ...((log.user_attrs ?? {}) as Log) },
      systemAttrs: { ...((log.system_attrs ?? {}) as Log) },
      datetimeStart: typeof log.datetime_start === "string" ? fromPyIso(log.datetime_start) : null,
      datetimeComplete: typeof log.datetime_complete === "string" ? fromPyIso(log.datetime_complete) : null,
      workerId: String(log.worker_id),
    };
    this.trials.push(t);
    s.trialIds.push(trialId);
    if (this.mine(log)) this.lastCreatedTrialId = trialId;
  }

  private setParam(log: Log): void {
    const t = this.updatable(log.trial_id, log);
    if (!t) return;
    const name = String(log.param_name);
    const dist = jsonToDistribution(String(log.distribution));
    const s = need(this.studies.get(t.studyId), "study");
    for (const id of s.trialIds) {
      const prev = this.trials[id].distributions[name];
      if (!prev) continue;
      try {
        checkCompatibility(name, prev, dist);
      } catch (e) {
        if (this.mine(log)) throw e;
        return;
      }
      break;
    }
    t.params[name] = toExternal(dist, log.param_value_internal as number);
    t.distributions[name] = dist;
  }
}

export function stateCode(s: TrialState): number {
  return TRIAL_STATE_CODES.indexOf(s);
}
