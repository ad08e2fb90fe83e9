// Where journal lines live: a file shared by processes (Optuna's JournalFileStorage), or memory.
import * as fs from "fs";
import { dirname } from "path";
import { JournalFileLock, LockOptions } from "./lock";

export interface JournalLine {
  /** 1-based line number in the log. */
  lineNo: number;
  text: string;
}

export interface LogBackend {
  /** Lines appended since the last call (complete lines only). */
  readNew(): JournalLine[];
  /** Appends lines atomically with respect to other writers. */
  append(lines: string[]): void;
  readonly description: string;
}

export class MemoryLog implements LogBackend {
  private lines: string[] = [];
  private read = 0;
  readonly description = "in-memory storage";

  readNew(): JournalLine[] {
    const out = this.lines.slice(this.read).map((text, i) => ({ lineNo: this.read + i + 1, text }));
    this.read = this.lines.length;
    return out;
  }

  append(lines: string[]): void {
    this.lines.push(...lines);
  }
}

/** Append-only file: reads from the last byte offset, writes under the `.lock` file, fsyncs. */
export class JournalFile implements LogBackend {
  private offset = 0;
  private lineNo = 0;
  private readonly lock: JournalFileLock;
  readonly description: string;

  constructor(readonly path: string, lockOptions?: LockOptions) {
    try {
      fs.mkdirSync(dirname(path), { recursive: true });
      fs.closeSync(fs.openSync(path, "a")); // Create it if missing, as Optuna does.
    } catch (e) {
      throw new Error(`Cannot open the journal file ${path} (${(e as Error).message}); check that its folder exists and is writable.`);
    }
    this.lock = new JournalFileLock(path, lockOptions);
    this.description = `journal file ${path}`;
  }

  readNew(): JournalLine[] {
    const fd = fs.openSync(this.path, "r");
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      // A line without its "\n" is still being written (or was cut by a crash): leave it for later.
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return [];
      this.offset += end + 1;
      return buf
        .subarray(0, end)
        .toString("utf8")
        .split("\n")
        .map((text) => ({ lineNo: ++this.lineNo, text }));
    } finally {
      fs.closeSync(fd);
    }
  }

  append(lines: string[]): void {
    this.lock.acquire();
    try {
      const fd = fs.openSync(this.path, "a");
      try {
        fs.writeSync(fd, lines.join("\n") + "\n");
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      this.lock.release();
    }
  }
}
