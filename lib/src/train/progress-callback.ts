// The live progress line of fit and the Trainer: epoch, step, running loss (mean of the last 20 batches)
// and the last batch's loss, samples/s; then per epoch its loss, accuracy and validation figures. Updated
// at each loss read (every logEvery steps), at most 10 times a second.
import { createProgressOutput, type ProgressOutput } from "./progress";
import type { BatchLogs, Callback, EpochLogs, TrainContext } from "./callbacks";
import { RUNNING_LOSS_WINDOW } from "./loop";

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

export class ProgressCallback implements Callback {
  private out: ProgressOutput | null = null;
  private epochStart = 0;
  private samples = 0;
  private lastUpdate = 0;
  private lines: string[] = [];

  /** `extra`: more figures for the epoch line (the Trainer's metrics logged with progBar). */
  constructor(private readonly extra?: () => Record<string, number>) {}

  onTrainBegin(): void {
    this.out = createProgressOutput();
    this.lines = [];
  }

  onEpochBegin(): void {
    this.epochStart = performance.now();
    this.samples = 0;
  }

  onBatchEnd(ctx: TrainContext, logs: BatchLogs): void {
    this.samples += logs.size;
    if (logs.loss === undefined) return;
    const now = performance.now();
    if (now - this.lastUpdate < 100) return;
    this.lastUpdate = now;
    const rate = this.samples / ((now - this.epochStart) / 1000);
    const running = logs.runningLoss ?? logs.loss;
    this.show(
      `epoch ${ctx.epoch}/${ctx.epochs} · step ${ctx.step}/${ctx.stepsPerEpoch} · loss ${running.toFixed(4)} ` +
        `(mean of the last ${Math.min(ctx.step, RUNNING_LOSS_WINDOW)} batches; this one ${logs.loss.toFixed(4)}) · ${Math.round(rate)} samples/s`,
    );
  }

  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    let line = `epoch ${logs.epoch}/${ctx.epochs} · loss ${logs.trainLoss.toFixed(4)}`;
    if (!Number.isNaN(logs.trainAcc)) line += ` · acc ${pct(logs.trainAcc)}`; // NaN: a Trainer module that logs no trainAcc
    if (logs.valLoss !== undefined) line += ` · val loss ${logs.valLoss.toFixed(4)}`;
    if (logs.valAcc !== undefined) line += ` · val acc ${pct(logs.valAcc)}`;
    for (const [k, v] of Object.entries(this.extra?.() ?? {})) line += ` · ${k} ${v.toFixed(4)}`;
    line += ` · ${Math.round(logs.samplesPerSecond)} samples/s · ${logs.seconds.toFixed(1)} s`;
    this.lines.push(line);
    this.show(line);
  }

  onTrainEnd(): void {
    this.out?.close();
    this.out = null;
  }

  private show(text: string): void {
    // html: the last finished epochs plus the current line, for outputs that can render a block.
    const shown = this.lines.slice(-20);
    if (shown[shown.length - 1] !== text) shown.push(text);
    this.out?.update({ text, html: `<pre style="margin:0">${shown.join("\n")}</pre>` });
  }
}
