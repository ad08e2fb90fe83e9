// An output updated in place, for live progress (the training loop).
//   const out = liveOutput();
//   out.update({ text: "epoch 3/10  loss 0.41", html: "<b>epoch 3/10</b> …" });
//   out.close();
// In a kernel: one output with a display_id, re-drawn by `update_display_data`.
// In a terminal: one line re-written on stderr if it is a TTY, else only the last line at close().
import { randomBytes } from "crypto";
import { currentSink } from "./kernel";
import { displayBundle, escapeHtml } from "./output";

export interface LiveContent {
  /** Plain text (terminal, text/plain). */
  text: string;
  /** Rich version for notebooks; default: the text in a <pre>. */
  html?: string;
}

export interface LiveOutput {
  /** Replace the output's content. Calls closer than `minIntervalMs` are coalesced. */
  update(content: LiveContent): void;
  /** Send the last pending content; in a terminal end the line. Further updates are ignored. */
  close(): void;
  readonly displayId: string;
}

export interface LiveOutputOptions {
  /** Minimum time between two messages to the front-end (default 100 ms): a batch loop must not flood it. */
  minIntervalMs?: number;
}

class LiveOutputImpl implements LiveOutput {
  readonly displayId = randomBytes(8).toString("hex");
  private sent = false;
  private closed = false;
  private lastSend = -Infinity;
  private pending: LiveContent | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLine = "";
  private readonly kernel = currentSink() !== null;

  constructor(private readonly minIntervalMs: number) {}

  update(content: LiveContent): void {
    if (this.closed) return;
    this.pending = content;
    if (Date.now() - this.lastSend >= this.minIntervalMs) this.flush();
    else if (this.timer === undefined) {
      // Flushed when the event loop is free (an awaiting loop); a busy loop flushes on its next update.
      this.timer = setTimeout(() => this.flush(), this.minIntervalMs);
      this.timer.unref();
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (!this.kernel) {
      if (process.stderr.isTTY) {
        if (this.lastLine !== "") process.stderr.write("\n");
      } else if (this.lastLine !== "") process.stderr.write(`${this.lastLine}\n`);
    }
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.pending;
    this.pending = undefined;
    if (c === undefined || this.closed) return;
    this.lastSend = Date.now();
    if (this.kernel) {
      const html = c.html ?? `<pre style="margin:0">${escapeHtml(c.text)}</pre>`;
      displayBundle({ "text/html": html, "text/plain": c.text }, { displayId: this.displayId, update: this.sent });
      this.sent = true;
      return;
    }
    // Terminal: the last line of the text, re-written in place when stderr is a TTY.
    const lines = c.text.split("\n").filter((l) => l.trim() !== "");
    this.lastLine = lines[lines.length - 1] ?? "";
    if (process.stderr.isTTY) {
      const cols = process.stderr.columns || 100;
      process.stderr.write(`\r${this.lastLine.slice(0, cols - 1)}\x1b[K`);
    }
  }
}

/** A new in-place updating output (see LiveOutput). */
export function liveOutput(opts: LiveOutputOptions = {}): LiveOutput {
  return new LiveOutputImpl(opts.minIntervalMs ?? 100);
}
