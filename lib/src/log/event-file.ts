// One tfevents file: framed Event records, buffered in memory and appended whole on flush, so a
// crash never leaves half a record (the reader would stop there anyway, keeping what came before).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { frameRecord } from "./record";
import { encodeEvent, type TfEvent } from "./proto";

let fileCounter = 0; // the trailing <n> of file names: unique per process, like PyTorch's global uid
const openWriters = new Set<{ close(): void }>();
let exitHookInstalled = false;
const liveFiles = new Set<EventFile>(); // open in this process: an overwrite must silence them first

/** TensorBoard's test for an event file name (`events.out.tfevents.…`). */
export const isEventFile = (name: string): boolean => name.includes("tfevents");

/**
 * Deletes the event files directly in `dir` (other files and sub-folders are left alone) and returns how
 * many. Event files that this process still has open there are discarded first: their writer would
 * otherwise append to (hence recreate) a deleted file.
 */
export function removeEventFiles(dir: string): number {
  const target = path.resolve(dir);
  for (const f of [...liveFiles]) if (path.resolve(f.dir) === target) f.discard();
  if (!fs.existsSync(target)) return 0;
  let n = 0;
  for (const e of fs.readdirSync(target, { withFileTypes: true }))
    if (e.isFile() && isEventFile(e.name)) {
      fs.unlinkSync(path.join(target, e.name));
      n++;
    }
  return n;
}

/** Closes (hence flushes) `w` when the process, e.g. the notebook kernel, exits; undo with `forgetAtExit`. */
export function closeAtExit(w: { close(): void }): void {
  openWriters.add(w);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const f of [...openWriters]) f.close(); // sync fs calls only: they still run in "exit"
  });
}

export function forgetAtExit(w: { close(): void }): void {
  openWriters.delete(w);
}

/** mkdir -p, with an error naming the folder and the fix instead of a bare EACCES. */
export function ensureWritableDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw unwritable(dir, e);
  }
}

function unwritable(dir: string, e: unknown): Error {
  const why = e instanceof Error ? e.message : String(e);
  return new Error(
    `SummaryWriter: cannot write event files in "${dir}" (${why}). Pass a writable logDir, e.g. ` +
      `new SummaryWriter("runs") to log next to the notebook, or fix the folder's permissions (chmod u+w).`,
  );
}

export class EventFile {
  readonly path: string;
  private pending: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private discarded = false;

  /**
   * Creates `<dir>/events.out.tfevents.<secs>.<host>.<pid>.<n>` holding the file_version record and, with
   * `purgeStep`, a SessionLog START at that step: TensorBoard then drops the run's points at steps ≥ it.
   */
  constructor(readonly dir: string, private readonly flushSecs: number, { purgeStep }: { purgeStep?: number } = {}) {
    if (!(flushSecs >= 0)) throw new Error(`SummaryWriter: flushSecs must be ≥ 0 (got ${flushSecs}).`);
    ensureWritableDir(dir);
    const secs = String(Math.floor(Date.now() / 1000)).padStart(10, "0");
    this.path = path.join(dir, `events.out.tfevents.${secs}.${os.hostname()}.${process.pid}.${fileCounter++}`);
    const now = Date.now() / 1000;
    // TensorBoard reads version 2 as "purge only on SessionLog restarts", not on out-of-order steps.
    const first = [frameRecord(encodeEvent({ wallTime: now, step: 0, fileVersion: "brain.Event:2" }))];
    if (purgeStep !== undefined) first.push(frameRecord(encodeEvent({ wallTime: now, step: purgeStep, sessionLog: { status: "START" } })));
    try {
      fs.writeFileSync(this.path, Buffer.concat(first), { flag: "wx" });
    } catch (e) {
      throw unwritable(dir, e);
    }
    liveFiles.add(this);
  }

  /** Queues one event; it reaches the disk at the next flush (at most `flushSecs` later). */
  write(event: TfEvent): void {
    if (this.discarded) return; // its run was overwritten: see discard()
    if (this.closed) throw new Error(`SummaryWriter: "${this.path}" is closed; create a new SummaryWriter to log again.`);
    this.pending.push(frameRecord(encodeEvent(event)));
    if (!this.timer) {
      // Clamped: Node fires a delay over 2^31-1 ms at once (with a warning) instead of never.
      this.timer = setTimeout(() => this.flush(), Math.min(this.flushSecs * 1000, 2 ** 31 - 1));
      this.timer.unref(); // never keeps a script alive: the exit hook flushes what is left
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.length) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    fs.appendFileSync(this.path, data);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    liveFiles.delete(this);
  }

  /** Drops what is pending and ignores later writes: a newer writer overwrote this run (the file is deleted). */
  discard(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.closed = this.discarded = true;
    liveFiles.delete(this);
    console.warn(
      `SummaryWriter: the run "${this.dir}" was overwritten by a newer SummaryWriter while an older one was still open; ` +
        "the older writer's records are dropped. Close a writer (writer.close()) before logging that run again.",
    );
  }
}
