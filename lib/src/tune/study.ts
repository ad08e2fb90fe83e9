// Study: Optuna's create_study / optimize / ask / tell, on a journal storage (file or memory).
import { randomUUID } from "crypto";
import type { ParamValue } from "./distributions";
import { NopPruner } from "./pruners";
import { TPESampler } from "./samplers/tpe";
import type { LockOptions } from "./storage/lock";
import { JournalStorage } from "./storage/storage";
import { Trial, TrialHost, TrialPruned } from "./trial";
import { FrozenTrial, Pruner, Sampler, StudyDirection, StudyView, TrialState, lastStep } from "./types";

export interface CreateStudyOptions {
  direction?: StudyDirection;
  sampler?: Sampler;
  pruner?: Pruner;
  /** Path of an Optuna 3.1 journal file (JournalStorage(JournalFileStorage(path))); memory if absent. */
  storage?: string;
  studyName?: string;
  /** Reuse the study of that name in `storage` instead of failing. */
  loadIfExists?: boolean;
  lock?: LockOptions;
}

/** Called after each trial of `optimize` (Optuna's callbacks), as a function or an object. */
export type StudyCallback = ((study: Study, trial: FrozenTrial) => void) | StudyCallbackObject;

/** A callback with state (e.g. `MaxTrialsCallback`). */
export interface StudyCallbackObject {
  /** After each finished trial, like a function callback. */
  afterTrial?(study: Study, trial: FrozenTrial): void;
  /**
   * How many more trials the callback allows: `optimize` asks before each trial and starts none
   * at 0, so a study already complete gets no extra trial (Optuna's callbacks run after trials only).
   */
  remaining?(study: Study): number;
}

export interface OptimizeOptions {
  nTrials?: number;
  /** Seconds: no new trial starts after this. */
  timeout?: number;
  callbacks?: StudyCallback[];
  /** Record a throwing objective as FAIL and go on (default true); false rethrows after recording. */
  catch?: boolean;
  /** One live line: trials done, last state, best so far. */
  showProgressBar?: boolean;
}

export type Objective = (trial: Trial) => number | Promise<number>;

const DIRECTIONS: Record<number, StudyDirection> = { 1: "minimize", 2: "maximize" };

export class Study implements TrialHost {
  private stopRequested = false;
  readonly view: StudyView;

  constructor(
    readonly studyName: string,
    readonly storage: JournalStorage,
    readonly studyId: number,
    readonly direction: StudyDirection,
    readonly sampler: Sampler,
    readonly pruner: Pruner,
  ) {
    this.view = {
      direction,
      getTrials: (states) => this.getTrials(states),
      stop: () => this.stop(),
      setTrialSystemAttr: (id, k, v) => storage.setTrialAttr(id, "system", k, v),
    };
  }

  /** All trials, in number order, re-read from storage (other workers' included). */
  get trials(): FrozenTrial[] {
    return this.getTrials();
  }

  getTrials(states?: readonly TrialState[]): FrozenTrial[] {
    return this.storage.getTrials(this.studyId, states);
  }

  get bestTrial(): FrozenTrial {
    const done = this.getTrials(["COMPLETE"]).filter((t) => t.value !== null && !Number.isNaN(t.value));
    if (done.length === 0) throw new Error(`Study "${this.studyName}" has no COMPLETE trial yet: run study.optimize(...) first.`);
    const better = this.direction === "minimize" ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
    return done.reduce((best, t) => (better(t.value as number, best.value as number) ? t : best));
  }

  get bestValue(): number {
    return this.bestTrial.value as number;
  }

  get bestParams(): Record<string, ParamValue> {
    return this.bestTrial.params;
  }

  /** Ends `optimize` after the current trial. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Starts a trial (for a hand-written loop; `optimize` does ask → objective → tell). */
  ask(): Trial {
    const trialId = this.storage.createTrial(this.studyId);
    const frozen = this.storage.getTrial(trialId);
    this.sampler.beforeTrial?.(this.view, frozen);
    return new Trial(this, trialId, frozen.number);
  }

  /**
   * Finishes a trial: COMPLETE with a finite `value`, PRUNED (keeps its last intermediate value),
   * or FAIL (`value` missing / NaN / not a number, or `state: "FAIL"`) with the reason stored.
   */
  tell(trial: Trial | number, value?: number, opts: { state?: "COMPLETE" | "PRUNED" | "FAIL"; failReason?: string } = {}): FrozenTrial {
    const trialId = typeof trial === "number" ? this.getTrials()[trial]?.trialId : trial.trialId;
    if (trialId === undefined) throw new Error(`tell(): trial number ${trial} does not exist.`);
    const frozen = this.storage.getTrial(trialId);
    if (frozen.state !== "RUNNING") throw new Error(`tell(): trial ${frozen.number} is already ${frozen.state}.`);
    let state = opts.state ?? "COMPLETE";
    let values: number[] | null = null;
    let reason = opts.failReason;
    if (state === "COMPLETE") {
      if (typeof value !== "number") reason = `the objective returned ${value === undefined ? "undefined" : JSON.stringify(value)} instead of a number`;
      else if (Number.isNaN(value)) reason = "the objective returned NaN";
      if (reason) state = "FAIL";
      else values = [value as number];
    } else if (state === "PRUNED") {
      const step = lastStep(frozen);
      const last = step === undefined ? undefined : frozen.intermediateValues[step];
      if (last !== undefined && !Number.isNaN(last)) values = [last];
    }
    if (state === "FAIL") {
      reason ??= "failed (no reason given)";
      this.storage.setTrialAttr(trialId, "system", "fail_reason", reason);
    }
    try {
      this.sampler.afterTrial?.(this.view, frozen, state, values);
    } finally {
      this.storage.setStateValues(trialId, state, values);
    }
    const done = this.storage.getTrial(trialId);
    if (state === "FAIL") console.warn(`Trial ${done.number} failed with parameters ${JSON.stringify(done.params)}: ${reason}.`);
    return done;
  }

  /**
   * Runs `nTrials` trials in this process (each worker sharing a journal runs its own `nTrials`),
   * or until `timeout` seconds, `study.stop()` or a callback's limit (`MaxTrialsCallback`: a total
   * over all workers and sessions). A throwing objective or a NaN makes a FAIL trial.
   */
  async optimize(objective: Objective, opts: OptimizeOptions = {}): Promise<void> {
    const { nTrials, timeout, callbacks = [] } = opts;
    if (nTrials === undefined && timeout === undefined) throw new Error("optimize(): pass nTrials or timeout (seconds), or both.");
    if (nTrials !== undefined && !(Number.isInteger(nTrials) && nTrials >= 0)) throw new Error(`optimize(): nTrials must be an integer ≥ 0, got ${nTrials}.`);
    this.stopRequested = false;
    const t0 = Date.now();
    const remaining = (): number => Math.min(...callbacks.map((cb) => (typeof cb === "function" || !cb.remaining ? Infinity : cb.remaining(this))));
    const left0 = remaining();
    const total = Math.min(nTrials ?? Infinity, left0);
    // Loaded lazily: worker processes that never show progress need no display layer.
    const progress = opts.showProgressBar ? (await import("./progress")).startProgress(Number.isFinite(total) ? total : undefined, timeout) : undefined;
    try {
      for (let i = 0; nTrials === undefined || i < nTrials; i++) {
        if (this.stopRequested || (timeout !== undefined && (Date.now() - t0) / 1000 >= timeout)) break;
        if ((i === 0 ? left0 : remaining()) <= 0) break;
        const trial = this.ask();
        let frozen: FrozenTrial;
        let error: unknown;
        try {
          const value = await objective(trial);
          frozen = this.tell(trial, value);
        } catch (e) {
          error = e;
          frozen = e instanceof TrialPruned ? this.tell(trial, undefined, { state: "PRUNED" }) : this.tell(trial, undefined, { state: "FAIL", failReason: errorText(e) });
        }
        progress?.update(i + 1, frozen, this.bestOrUndefined());
        for (const cb of callbacks) {
          if (typeof cb === "function") cb(this, frozen);
          else cb.afterTrial?.(this, frozen);
        }
        if (frozen.state === "FAIL" && error !== undefined && opts.catch === false) throw error;
      }
    } finally {
      progress?.close();
    }
  }

  private bestOrUndefined(): FrozenTrial | undefined {
    try {
      return this.bestTrial;
    } catch {
      return undefined;
    }
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `thrown ${typeof e}: ${String(e)}`;
}

function toDirection(codes: number[], name: string): StudyDirection {
  if (codes.length !== 1 || !DIRECTIONS[codes[0]]) throw new Error(`Study "${name}" has directions ${JSON.stringify(codes)}: tsdl handles single-objective studies (minimize or maximize) only.`);
  return DIRECTIONS[codes[0]];
}

function warnStale(storage: JournalStorage, studyId: number, name: string): void {
  const failed = storage.failStaleTrials(studyId);
  if (failed.length) console.warn(`Study "${name}": trials ${failed.join(", ")} were RUNNING in a dead process and are now FAIL.`);
}

/** Creates a study (or loads it with `loadIfExists`), in memory or in an Optuna journal file. */
export function createStudy(opts: CreateStudyOptions = {}): Study {
  const direction = opts.direction ?? "minimize";
  if (direction !== "minimize" && direction !== "maximize") throw new Error(`direction must be "minimize" or "maximize", got ${JSON.stringify(direction)}.`);
  const storage = JournalStorage.open(opts.storage, opts.lock);
  const name = opts.studyName ?? `no-name-${randomUUID()}`;
  const sampler = opts.sampler ?? new TPESampler();
  const pruner = opts.pruner ?? new NopPruner();
  const existing = storage.findStudy(name);
  if (existing) {
    if (!opts.loadIfExists) throw new Error(`A study named "${name}" already exists in ${storage.backend.description}: pass loadIfExists: true to continue it, or choose another studyName.`);
    const dir = toDirection(existing.directions, name);
    if (dir !== direction) console.warn(`Study "${name}" was created to ${dir}; the direction "${direction}" passed now is ignored.`);
    warnStale(storage, existing.studyId, name);
    return new Study(name, storage, existing.studyId, dir, sampler, pruner);
  }
  let studyId: number;
  try {
    studyId = storage.createStudy(name, direction);
  } catch (e) {
    // Another worker created it between our read and our write.
    const s = storage.findStudy(name);
    if (!s || !opts.loadIfExists) throw e;
    studyId = s.studyId;
  }
  return new Study(name, storage, studyId, toDirection(storage.getStudy(studyId).directions, name), sampler, pruner);
}

export interface LoadStudyOptions {
  storage: string;
  /** Optional when the journal holds a single study. */
  studyName?: string;
  sampler?: Sampler;
  pruner?: Pruner;
  lock?: LockOptions;
}

/** Opens a study written by tsdl or by Optuna (Python) in a journal file. */
export function loadStudy(opts: LoadStudyOptions): Study {
  const storage = JournalStorage.open(opts.storage, opts.lock);
  const names = storage.studyNames();
  const name = opts.studyName ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) throw new Error(`${storage.backend.description} holds ${names.length} studies (${names.join(", ") || "none"}): pass studyName.`);
  const s = storage.findStudy(name);
  if (!s) throw new Error(`No study named "${name}" in ${storage.backend.description} (it has: ${names.join(", ") || "none"}).`);
  warnStale(storage, s.studyId, name);
  return new Study(name, storage, s.studyId, toDirection(s.directions, name), opts.sampler ?? new TPESampler(), opts.pruner ?? new NopPruner());
}

/** Names of the studies in a journal file. */
export function getAllStudyNames(storage: string): string[] {
  return JournalStorage.open(storage).studyNames();
}
