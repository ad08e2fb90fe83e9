// runLoop: THE epoch/batch loop, shared by `fit` (model + lossFn + optimizer) and `Trainer.fit`
// (LightningModule). Each adapter supplies the step (forward + loss) and the end-of-epoch work (validation);
// the loop owns the gradient step, the asynchronous loss reads and the hooks.
//
// Step cost: one tf.variableGrads call (forward + backward) and one optimizer update per batch; no other
// kernel and nothing read back from the device per step. The batch losses and correct counts stay on
// the device, and are stacked and read together, asynchronously, every `logEvery` steps and at the end of
// each epoch (one small kernel and one sync per window instead of per step: on GPU backends a per-step
// read stalls the pipeline; on wasm each tiny kernel costs a dispatch). NaN detection therefore happens at
// those reads, but it names the exact step (every loss of the window is read), at the cost of up to
// `logEvery − 1` extra steps already done.
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer } from "../optim";
import type { BatchLogs, Callback, EpochLogs, TrainContext } from "./callbacks";
import type { Batch, BatchSource } from "./types";

/** Batches in BatchLogs.runningLoss (Lightning's progress-bar window). */
export const RUNNING_LOSS_WINDOW = 20;

/** What a step's loss closure returns: the loss to minimise, optionally the data loss and correct count. */
export interface StepOutput {
  /** Differentiated and minimised (may include penalties). */
  objective: tf.Scalar;
  /** Reported loss (default: the objective). */
  loss?: tf.Scalar;
  /** Number of correct predictions in the batch (float32 or int32), for the running accuracy. */
  correct?: tf.Scalar;
}

export interface LoopOptions {
  /** Prefix of error messages ("fit", "Trainer.fit"). */
  name: string;
  ctx: TrainContext;
  trainLoader: BatchSource;
  /** Forward + loss for one batch; runs inside tf.variableGrads. `batchIdx` is 0-based. */
  step: (batch: Batch, batchIdx: number) => StepOutput;
  /** Called after the epoch's batches and before the onEpochEnd hooks: validation fills `logs`. */
  endEpoch?: (logs: EpochLogs) => Promise<void>;
  callbacks: Callback[];
  /** Read the losses back every `logEvery` steps (default 20). */
  logEvery?: number;
  /** Clip each gradient element to [−v, v] before the update (Lightning's gradient_clip_val). */
  gradientClipVal?: number;
  /** Batches per epoch at most (default: all). */
  limitBatches?: number;
  /** First epoch to run, 1-based (resuming). Default 1. */
  startEpoch?: number;
  /** Checks the batch before the step (fit checks shapes). */
  checkBatch?: (batch: Batch) => void;
}

type HookName = keyof Callback;
type HookFn = (...args: unknown[]) => void | Promise<void>;

/** Each hook's implementations in call order, bound once per run (no lookup per batch). */
function hookTable(callbacks: Callback[]): Record<HookName, HookFn[]> {
  const names: HookName[] = ["onTrainBegin", "onEpochBegin", "onBatchBegin", "onBatchEnd", "onEpochEnd", "onTrainEnd"];
  const table = {} as Record<HookName, HookFn[]>;
  for (const name of names) {
    table[name] = [];
    for (const cb of callbacks) {
      const fn = cb[name] as HookFn | undefined;
      if (fn) table[name].push(fn.bind(cb));
    }
  }
  return table;
}

/**
 * Calls the hooks in order; returns a promise only once one of them returns one. The batch hooks run
 * twice per step: synchronous ones then cost no promise and no microtask turn.
 */
function callHooks(fns: HookFn[], args: unknown[]): Promise<void> | undefined {
  for (let i = 0; i < fns.length; i++) {
    const r = fns[i](...args);
    if (r && typeof r.then === "function") return r.then(() => restHooks(fns, i + 1, args));
  }
  return undefined;
}

async function restHooks(fns: HookFn[], from: number, args: unknown[]): Promise<void> {
  for (let i = from; i < fns.length; i++) await fns[i](...args);
}

type BatchIterator = {
  next(): IteratorResult<Batch> | Promise<IteratorResult<Batch>>;
  return?(): unknown;
};

/** A sync loader (DataLoader, arrays) is stepped directly: `for await` would add promise turns per batch. */
function batchIterator(src: BatchSource): BatchIterator {
  const sync = (src as Partial<Iterable<Batch>>)[Symbol.iterator];
  if (typeof sync === "function") return sync.call(src);
  return (src as AsyncIterable<Batch>)[Symbol.asyncIterator]();
}

function isThenable<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown }).then === "function";
}

/** A batch's shapes and dtypes, for error messages. */
export function describe(b: Batch): string {
  return `x [${b.x.shape}] (${b.x.dtype}), y [${b.y.shape}] (${b.y.dtype})`;
}

/**
 * One optimisation step: one tf.variableGrads (forward + backward), optional clipping, one update.
 * Returns the reported loss and correct count, still on the device.
 */
export function optimStep(
  params: tf.Variable[],
  optimizer: Optimizer,
  f: () => StepOutput,
  gradientClipVal?: number,
): { lossT: tf.Scalar; correctT?: tf.Scalar } {
  let lossT: tf.Scalar | undefined;
  let correctT: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = f();
    lossT = tf.keep(out.loss ?? out.objective);
    if (out.correct) correctT = tf.keep(out.correct);
    return out.objective;
  }, params);
  if (gradientClipVal !== undefined) {
    const v = gradientClipVal;
    for (const k of Object.keys(grads)) {
      const g = grads[k];
      grads[k] = tf.clipByValue(g, -v, v);
      g.dispose();
    }
  }
  optimizer.step(grads);
  tf.dispose(Object.values(grads));
  if (value !== lossT) value.dispose();
  if (!lossT) throw new Error("internal error, the step produced no loss.");
  return { lossT, correctT };
}

/** Runs epochs `startEpoch..ctx.epochs` (or until ctx.stopTraining), calling the hooks in order. */
export async function runLoop(o: LoopOptions): Promise<void> {
  const { name, ctx, trainLoader, callbacks, logEvery = 20, limitBatches = Infinity } = o;
  const { model, optimizer } = ctx;
  const params = model.parameters();
  const hooks = hookTable(callbacks);
  let trainEnded = false;
  try {
    await callHooks(hooks.onTrainBegin, [ctx]);
    for (let epoch = o.startEpoch ?? 1; epoch <= ctx.epochs && !ctx.stopTraining; epoch++) {
      ctx.epoch = epoch;
      ctx.step = 0;
      const lr = optimizer.lr;
      model.train();
      await callHooks(hooks.onEpochBegin, [ctx]);
      const tEpoch = performance.now();
      let samples = 0;
      let lossSum = 0;
      let lossCount = 0;
      let window: tf.Scalar[] = []; // this window's batch losses, on the device
      let corrects: tf.Scalar[] = []; // and correct counts
      const recent: number[] = []; // the epoch's last RUNNING_LOSS_WINDOW batch losses, read
      let runningCorrect = 0;
      let hasCorrect = false;

      // Reads the window's losses and correct counts in one kernel and one sync; checks for NaN.
      // Returns the last batch's loss.
      const flush = async (): Promise<number | undefined> => {
        const n = window.length;
        if (!n) return undefined;
        const packed = tf.tidy(() => tf.stack([...window, ...corrects.map((c) => (c.dtype === "float32" ? c : tf.cast(c, "float32")))]));
        tf.dispose([...window, ...corrects]);
        window = [];
        corrects = [];
        const values = await packed.data();
        packed.dispose();
        const first = ctx.step - n + 1;
        for (let i = 0; i < n; i++) {
          if (!Number.isFinite(values[i]))
            throw new Error(
              `${name}: the loss became ${values[i]} at epoch ${epoch}, step ${first + i}: training diverged. ` +
                `Lower the learning rate (now ${optimizer.lr}), or check the inputs for NaN/Inf.`,
            );
          lossSum += values[i];
          lossCount++;
          recent.push(values[i]);
        }
        recent.splice(0, recent.length - RUNNING_LOSS_WINDOW);
        for (let i = n; i < values.length; i++) runningCorrect += values[i];
        return values[n - 1];
      };

      const last = Math.min(ctx.stepsPerEpoch, limitBatches);
      const it = batchIterator(trainLoader);
      let open = true; // left before the end (limit, error): close the iterator, as for...of does
      let failed = false;
      try {
        for (;;) {
          const next = it.next();
          const r = isThenable(next) ? await next : next;
          if (r.done) {
            open = false;
            break;
          }
          const batch = r.value;
          if (ctx.step >= limitBatches) {
            tf.dispose([batch.x, batch.y]);
            break;
          }
          ctx.step++;
          ctx.globalStep++;
          let lossT: tf.Scalar;
          let correctT: tf.Scalar | undefined;
          try {
            const begun = callHooks(hooks.onBatchBegin, [ctx, batch]);
            if (begun) await begun;
            o.checkBatch?.(batch);
            ({ lossT, correctT } = optimStep(params, optimizer, () => o.step(batch, ctx.step - 1), o.gradientClipVal));
          } catch (e) {
            if (e instanceof Error && e.message.startsWith(`${name}:`)) throw e;
            const msg = e instanceof Error ? e.message : String(e);
            throw new Error(`${name} (epoch ${epoch}, step ${ctx.step}): ${msg} [batch: ${describe(batch)}]`);
          } finally {
            tf.dispose([batch.x, batch.y]);
          }
          samples += batch.y.shape[0];
          window.push(lossT);
          if (correctT) {
            hasCorrect = true;
            corrects.push(correctT);
          }
          const logs: BatchLogs = { size: batch.y.shape[0] };
          if (window.length >= logEvery || ctx.step === last) {
            logs.loss = await flush();
            logs.runningLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
          }
          const ended = callHooks(hooks.onBatchEnd, [ctx, logs]);
          if (ended) await ended;
        }
        await flush();
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        if (open) {
          // a failing return() does not hide the original error
          try {
            await it.return?.();
          } catch (e) {
            if (!failed) throw e;
          }
        }
        tf.dispose([...window, ...corrects]);
        window = [];
        corrects = [];
      }
      if (samples === 0) throw new Error(`${name}: the training loader yielded no batch in epoch ${epoch}.`);

      const seconds = (performance.now() - tEpoch) / 1000;
      const logs: EpochLogs = {
        epoch,
        trainLoss: lossSum / lossCount,
        trainAcc: hasCorrect ? runningCorrect / samples : NaN,
        evaluated: false,
        lr,
        samplesPerSecond: samples / seconds,
        seconds,
      };
      await o.endEpoch?.(logs);
      await callHooks(hooks.onEpochEnd, [ctx, logs]);
    }
    trainEnded = true;
  } finally {
    // Also on errors: restores best weights and closes the progress line. A failing hook does not hide
    // the original error.
    try {
      await callHooks(hooks.onTrainEnd, [ctx]);
    } catch (e) {
      if (trainEnded) throw e;
    }
    model.train();
  }
}
