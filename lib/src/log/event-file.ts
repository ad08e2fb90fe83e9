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

  /** Creates `<dir>/events.out.tfevents.<secs>.<host>.<pid>.<n>` holding the file_version record. */
  constructor(readonly dir: string, private readonly flushSecs: number) {
    if (!(flushSecs >= 0)) throw new Error(`SummaryWriter: flushSecs must be ≥ 0 (got ${flushSecs}).`);
    ensureWritableDir(dir);
    const secs = String(Math.floor(Date.now() / 1000)).padStart(10, "0");
    this.path = path.join(dir, `events.out.tfevents.${secs}.${os.hostname()}.${process.pid}.${fileCounter++}`);
    // TensorBoard reads version 2 as "purge only on SessionLog restarts", not on out-of-order steps.
    const first = frameRecord(encodeEvent({ wallTime: Date.now() / 1000, step: 0, fileVersion: "brain.Event:2" }));
    try {
      fs.writeFileSync(this.path, first, { flag: "wx" });
    } catch (e) {
      throw unwritable(dir, e);
    }
  }

  /** Queues one event; it reaches the disk at the next flush (at most `flushSecs` later). */
  write(event: TfEvent): void {
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
  }
}
