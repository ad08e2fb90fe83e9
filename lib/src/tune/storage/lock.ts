// A lock compatible with Optuna's JournalFileOpenLock / JournalFileSymlinkLock: both create
// `<path>.lock` exclusively (O_EXCL open, or symlink), both fail with EEXIST while the other holds it.
import * as fs from "fs";
import { randomUUID } from "crypto";

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Synchronous sleep: the storage API is synchronous (appends are a few ms under the lock). */
export const sleepSync = (ms: number): void => void Atomics.wait(sleepCell, 0, 0, ms);

export interface LockOptions {
  /**
   * A lock file older than this (ms) is taken as left by a killed process and broken. Optuna holds
   * the lock only while appending (milliseconds), so 30 s is far beyond any live holder.
   */
  staleMs?: number;
  /** Give up after this long (ms) with an error naming the lock file. */
  timeoutMs?: number;
}

export class JournalFileLock {
  readonly lockFile: string;
  private readonly staleMs: number;
  private readonly timeoutMs: number;

  constructor(path: string, opts: LockOptions = {}) {
    this.lockFile = path + ".lock";
    this.staleMs = opts.staleMs ?? 30_000;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  acquire(): void {
    const t0 = Date.now();
    let sleep = 1;
    for (;;) {
      try {
        fs.closeSync(fs.openSync(this.lockFile, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY));
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      this.breakIfStale();
      if (Date.now() - t0 > this.timeoutMs) {
        throw new Error(`Could not lock the journal: ${this.lockFile} has existed for ${this.timeoutMs / 1000} s. If no process is writing the study, delete that file.`);
      }
      sleepSync(sleep);
      sleep = Math.min(sleep * 2, 100);
    }
  }

  /** Rename (atomic, so only one breaker wins) then delete a lock file older than `staleMs`. */
  private breakIfStale(): void {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.lockFile);
    } catch {
      return;
    }
    if (Date.now() - st.mtimeMs < this.staleMs) return;
    const tmp = `${this.lockFile}${randomUUID()}.rename`;
    try {
      fs.renameSync(this.lockFile, tmp);
      fs.unlinkSync(tmp);
      console.warn(`tsdl.tune: removed a stale journal lock ${this.lockFile} (${Math.round((Date.now() - st.mtimeMs) / 1000)} s old).`);
    } catch {
      // Someone else released or broke it first.
    }
  }

  /** Same as Optuna: rename to a unique name, then unlink. */
  release(): void {
    const tmp = `${this.lockFile}${randomUUID()}.rename`;
    fs.renameSync(this.lockFile, tmp);
    fs.unlinkSync(tmp);
  }
}
