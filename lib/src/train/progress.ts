// Live progress output. The training loop writes through this small interface; the default is the display
// layer's live output: updated in place in a notebook cell, one rewritten line in a terminal.
import { liveOutput } from "../display/live";

export interface ProgressOutput {
  update(content: { text: string; html?: string }): void;
  close(): void;
}

/** One line rewritten in place with "\r" on stderr (console.log where there is no process). */
export function stderrProgress(): ProgressOutput {
  const stream = typeof process !== "undefined" ? process.stderr : undefined;
  const write = (line: string): void => (stream ? void stream.write(line) : console.log(line.trimEnd()));
  let last = "";
  let lastWritten = 0;
  return {
    update({ text }) {
      last = text;
      if (stream?.isTTY) return void stream.write(`\r${text}\x1b[K`);
      // Without a TTY (kernels, CI logs) "\r" does not rewrite: one line every 2 s at most.
      const now = Date.now();
      if (now - lastWritten >= 2000) {
        lastWritten = now;
        write(`${text}\n`);
      }
    },
    close() {
      if (stream?.isTTY) stream.write("\n");
      else if (last) write(`${last}\n`);
    },
  };
}

let factory: () => ProgressOutput = () => liveOutput();

/** Chooses where fit's progress goes (a notebook live output, a logger...). */
export function setProgressOutput(make: () => ProgressOutput): void {
  factory = make;
}

export function createProgressOutput(): ProgressOutput {
  return factory();
}
