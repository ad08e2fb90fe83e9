// Optuna 3.1's JournalStorage: every change is one JSON op appended to the log; reads replay the
// ops appended since the last read. Works on a file shared by processes (Python's too) or in memory.
import { hostname } from "os";
import { randomUUID } from "crypto";
import { Distribution, distributionToJson } from "../distributions";
import { PyFloat, PyJson, pyDumps, pyLoads } from "../pyjson";
import { DIRECTION_CODES, FrozenTrial, StudyDirection, TrialState, isFinished } from "../types";
import { JournalFile, LogBackend, MemoryLog } from "./backend";
import { toPyIso } from "./datetime";
import { Op, Replay, ReplayError, StudyRecord, TrialRecord, stateCode } from "./replay";
import type { LockOptions } from "./lock";

const TSDL_WORKER = /-tsdl:(.+):(\d+)$/;

/** A copy a caller may keep or mutate without touching the replayed state. */
function freeze(t: TrialRecord): FrozenTrial {
  const out: FrozenTrial = {
    number: t.number,
    trialId: t.trialId,
    state: t.state,
    value: t.value,
    values: t.values ? [...t.values] : null,
    params: { ...t.params },
    distributions: { ...t.distributions },
    intermediateValues: { ...t.intermediateValues },
    userAttrs: { ...t.userAttrs },
    systemAttrs: { ...t.systemAttrs },
    datetimeStart: t.datetimeStart,
    datetimeComplete: t.datetimeComplete,
  };
  if (t.failReason !== undefined) out.failReason = t.failReason;
  return out;
}

const floats = (v: number): PyFloat => new PyFloat(v);

export class JournalStorage {
  /**
   * Optuna's worker ids are `<uuid>-<thread id>`; tsdl's end with `-tsdl:<host>:<pid>` so a later
   * process can tell that the worker of a RUNNING trial is dead (see `failStaleTrials`).
   */
  readonly workerId = `${randomUUID()}-tsdl:${hostname()}:${process.pid}`;
  private readonly replay = new Replay(this.workerId);

  constructor(readonly backend: LogBackend) {
    this.sync();
  }

  static open(path?: string, lock?: LockOptions): JournalStorage {
    if (path !== undefined && /^[a-z0-9+]+:\/\//i.test(path)) {
      throw new Error(`storage "${path}": tsdl stores studies in Optuna's journal file format only; pass a file path such as "study.log" (Python: JournalStorage(JournalFileStorage(path))).`);
    }
    return new JournalStorage(path === undefined ? new MemoryLog() : new JournalFile(path, lock));
  }

  /** Apply the lines appended since the last read; a corrupt line is skipped with a warning. */
  sync(): void {
    // Lines read are consumed: apply them all, and only then raise an error of our own op.
    let own: Error | undefined;
    for (const { lineNo, text } of this.backend.readNew()) {
      if (text.trim() === "") continue;
      let log: Record<string, unknown>;
      try {
        log = pyLoads(text) as Record<string, unknown>;
        if (log === null || typeof log !== "object" || Array.isArray(log)) throw new ReplayError("not a JSON object");
      } catch (e) {
        console.warn(`tsdl.tune: skipping corrupt line ${lineNo} of the ${this.backend.description} (${(e as Error).message}).`);
        continue;
      }
      try {
        this.replay.apply(log);
      } catch (e) {
        if (log.worker_id === this.workerId && !(e instanceof ReplayError)) {
          own ??= e as Error;
          continue;
        }
        console.warn(`tsdl.tune: skipping line ${lineNo} of the ${this.backend.description} (${(e as Error).message}).`);
      }
    }
    if (own) throw own;
  }

  private write(op: number, fields: Record<string, PyJson>): void {
    this.backend.append([pyDumps({ op_code: op, worker_id: this.workerId, ...fields })]);
    this.sync();
  }

  createStudy(name: string, direction: StudyDirection): number {
    this.write(Op.CREATE_STUDY, { study_name: name, directions: [DIRECTION_CODES[direction]] });
    const s = this.findStudy(name);
    if (!s) throw new Error(`Study "${name}" was not created.`);
    return s.studyId;
  }

  findStudy(name: string): StudyRecord | undefined {
    this.sync();
    return [...this.replay.studies.values()].find((s) => s.name === name);
  }

  studyNames(): string[] {
    this.sync();
    return [...this.replay.studies.values()].map((s) => s.name);
  }

  getStudy(studyId: number): StudyRecord {
    this.sync();
    const s = this.replay.studies.get(studyId);
    if (!s) throw new Error(`Study ${studyId} does not exist (deleted?).`);
    return s;
  }

  createTrial(studyId: number): number {
    this.write(Op.CREATE_TRIAL, { study_id: studyId, datetime_start: toPyIso(new Date()) });
    return this.replay.lastCreatedTrialId;
  }

  setParam(trialId: number, name: string, internal: number, dist: Distribution): void {
    // Float and int values are Python floats in Optuna's log; categorical indices are ints.
    const v = dist.kind === "categorical" ? internal : floats(internal);
    this.write(Op.SET_TRIAL_PARAM, { trial_id: trialId, param_name: name, param_value_internal: v, distribution: distributionToJson(dist) });
  }

  setStateValues(trialId: number, state: TrialState, values: number[] | null): void {
    const fields: Record<string, PyJson> = { trial_id: trialId, state: stateCode(state), values: values ? values.map(floats) : null };
    if (state === "RUNNING") fields.datetime_start = toPyIso(new Date());
    else if (isFinished(state)) fields.datetime_complete = toPyIso(new Date());
    this.write(Op.SET_TRIAL_STATE_VALUES, fields);
  }

  setIntermediate(trialId: number, step: number, value: number): void {
    this.write(Op.SET_TRIAL_INTERMEDIATE_VALUE, { trial_id: trialId, step, intermediate_value: floats(value) });
  }

  setTrialAttr(trialId: number, kind: "user" | "system", key: string, value: PyJson): void {
    if (kind === "user") this.write(Op.SET_TRIAL_USER_ATTR, { trial_id: trialId, user_attr: { [key]: value } });
    else this.write(Op.SET_TRIAL_SYSTEM_ATTR, { trial_id: trialId, system_attr: { [key]: value } });
  }

  getTrial(trialId: number): FrozenTrial {
    this.sync();
    const t = this.replay.trials[trialId];
    if (!t) throw new Error(`Trial ${trialId} does not exist.`);
    return freeze(t);
  }

  getTrials(studyId: number, states?: readonly TrialState[]): FrozenTrial[] {
    const s = this.getStudy(studyId);
    const out: FrozenTrial[] = [];
    for (const id of s.trialIds) {
      const t = this.replay.trials[id];
      if (!states || states.includes(t.state)) out.push(freeze(t));
    }
    return out;
  }

  /**
   * Heuristic for trials left RUNNING by a killed process (Optuna 3.1 leaves them RUNNING forever):
   * a RUNNING trial created by a tsdl worker on this host whose pid no longer exists is marked FAIL
   * (reason written as the system attr `fail_reason`). Workers of other hosts or of Python are left
   * alone — we cannot tell whether they are alive — and RUNNING trials never count as results.
   */
  failStaleTrials(studyId: number): number[] {
    const failed: number[] = [];
    for (const id of this.getStudy(studyId).trialIds) {
      const t = this.replay.trials[id];
      const m = TSDL_WORKER.exec(t.workerId);
      if (t.state !== "RUNNING" || !m || m[1] !== hostname() || pidAlive(Number(m[2]))) continue;
      const reason = `worker ${m[1]}:${m[2]} died while the trial was RUNNING (marked FAIL by ${hostname()}:${process.pid})`;
      try {
        this.setTrialAttr(id, "system", "fail_reason", reason);
        this.setStateValues(id, "FAIL", null);
        failed.push(t.number);
      } catch {
        // Another process finished or failed it first.
      }
    }
    return failed;
  }
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
