// fit: the one training loop (a Lightning-style Trainer will reuse it through its callbacks).
//
// Step cost: one tf.variableGrads call (forward + backward) and one optimizer update per batch; nothing
// is read back from the device per step. The batch losses and the running count of correct predictions
// stay on the device and are read together, asynchronously, every `logEvery` steps and at the end of
// each epoch (one sync per window instead of one per step: on GPU backends a per-step read stalls the
// pipeline). NaN detection therefore happens at those reads, but it names the exact step (every loss of
// the window is read), at the cost of up to `logEvery − 1` extra steps already done.
import * as tf from "@tensorflow/tfjs-core";
import { ensureGradients } from "../backend/tf";
import type { Module } from "../nn";
import type { LRScheduler, Optimizer } from "../optim";
import type { BatchLogs, Callback, EpochLogs, TrainContext } from "./callbacks";
import { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping";
import { evaluate } from "./evaluate";
import { crossEntropy } from "./losses";
import { penalty } from "./penalties";
import { ProgressCallback } from "./progress-callback";
import type { Batch, BatchSource, History, LossFn } from "./types";

export interface FitOptions {
  epochs: number;
  optimizer: Optimizer;
  /** Default: crossEntropy on logits (mean over the batch). */
  lossFn?: LossFn;
  valLoader?: BatchSource;
  /** Evaluate and record the history every `evalEvery` epochs (default 1). */
  evalEvery?: number;
  /** Adds l1·Σ|θ| over all trainable parameters to the loss (not to the reported loss). */
  l1?: number;
  /**
   * Adds (l2/2)·Σθ² over all trainable parameters to the loss: with plain SGD, l2 = λ is the same
   * update as weightDecay = λ (seed 000: P(θ) = ½‖θ‖²). Not included in the reported loss.
   */
  l2?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Stepped once at the end of every epoch (StepLR...). */
  scheduler?: LRScheduler;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  callbacks?: Callback[];
  /** Live progress line: loss, accuracy, samples/s (default true). */
  progress?: boolean;
  /** Read the losses back every `logEvery` steps (default 20). */
  logEvery?: number;
  /**
   * Record the train loss/accuracy with a full eval-mode pass over the training set at each evaluation
   * (what seed 000's `train` does; costs one more pass) instead of the running means of the epoch.
   */
  trainEval?: boolean;
}

function describe(b: Batch): string {
  return `x [${b.x.shape}] (${b.x.dtype}), y [${b.y.shape}] (${b.y.dtype})`;
}

async function runHooks<K extends keyof Callback>(
  callbacks: Callback[],
  hook: K,
  ...args: Parameters<NonNullable<Callback[K]>>
): Promise<void> {
  for (const cb of callbacks) {
    const fn = cb[hook] as ((...a: typeof args) => void | Promise<void>) | undefined;
    if (fn) await fn.apply(cb, args);
  }
}

/** Trains `model` on `trainLoader`; returns the history of train/validation loss and accuracy. */
export async function fit(model: Module, trainLoader: BatchSource, options: FitOptions): Promise<History> {
  const {
    epochs,
    optimizer,
    lossFn = crossEntropy,
    valLoader,
    evalEvery = 1,
    l1 = 0,
    l2 = 0,
    progress = true,
    logEvery = 20,
    trainEval = false,
  } = options;
  if (!(Number.isInteger(epochs) && epochs > 0)) throw new Error(`fit: epochs must be a positive integer, got ${epochs}.`);
  if (!(Number.isInteger(evalEvery) && evalEvery > 0)) throw new Error(`fit: evalEvery must be a positive integer, got ${evalEvery}.`);
  if (options.earlyStopping && !valLoader)
    throw new Error("fit: earlyStopping monitors validation figures: pass a valLoader too.");
  ensureGradients(); // tfjs-core's Node bundle registers no gradients by itself (see backend/tf.ts)
  const params = model.parameters();
  const known = new Set(params);
  if (!optimizer.params.some((p) => known.has(p)))
    throw new Error("fit: the optimizer does not hold this model's parameters: create it with model.parameters().");

  const history: History = { epoch: [], trainLoss: [], valLoss: [], trainAcc: [], valAcc: [], seconds: 0 };
  const ctx: TrainContext = {
    model,
    optimizer,
    epochs,
    stepsPerEpoch: trainLoader.length,
    epoch: 0,
    step: 0,
    globalStep: 0,
    history,
    stopTraining: false,
  };
  const callbacks: Callback[] = [];
  if (options.scheduler) {
    const scheduler = options.scheduler;
    callbacks.push({ onEpochEnd: () => scheduler.step() });
  }
  if (options.earlyStopping) callbacks.push(new EarlyStopping(options.earlyStopping));
  if (progress) callbacks.push(new ProgressCallback());
  callbacks.push(...(options.callbacks ?? []));
  if (options.onEpochEnd) {
    const user = options.onEpochEnd;
    callbacks.push({ onEpochEnd: (c, logs) => user(logs.epoch, logs) });
  }

  const t0 = performance.now();
  let trainEnded = false;
  try {
    await runHooks(callbacks, "onTrainBegin", ctx);
    for (let epoch = 1; epoch <= epochs && !ctx.stopTraining; epoch++) {
      ctx.epoch = epoch;
      ctx.step = 0;
      const lr = optimizer.lr;
      model.train();
      await runHooks(callbacks, "onEpochBegin", ctx);
      const tEpoch = performance.now();
      let samples = 0;
      let lossSum = 0;
      let lossCount = 0;
      let correct: tf.Scalar = tf.scalar(0, "int32");
      let window: tf.Scalar[] = [];
      let runningCorrect = 0;

      // Reads the window's losses and the correct count in one sync; checks for NaN.
      const flush = async (): Promise<number | undefined> => {
        if (!window.length) return undefined;
        const packed = tf.tidy(() => tf.concat([tf.stack(window), tf.reshape(tf.cast(correct, "float32"), [1])]));
        const values = await packed.data();
        packed.dispose();
        const first = ctx.step - window.length + 1;
        tf.dispose(window);
        window = [];
        for (let i = 0; i < values.length - 1; i++) {
          if (!Number.isFinite(values[i]))
            throw new Error(
              `fit: the loss became ${values[i]} at epoch ${epoch}, step ${first + i}: training diverged. ` +
                `Lower the learning rate (now ${optimizer.lr}), or check the inputs for NaN/Inf.`,
            );
          lossSum += values[i];
          lossCount++;
        }
        runningCorrect = values[values.length - 1];
        return values[values.length - 2];
      };

      try {
        for await (const batch of trainLoader) {
          ctx.step++;
          ctx.globalStep++;
          let lossT: tf.Scalar;
          let correctT: tf.Scalar;
          try {
            await runHooks(callbacks, "onBatchBegin", ctx, batch);
            const { x, y } = batch;
            if (y.rank !== 1 || x.rank < 2 || y.shape[0] !== x.shape[0])
              throw new Error(`a batch must be x [N, ...] and y [N] with the same N, got ${describe(batch)}.`);
            ({ lossT, correctT } = trainStep(model, params, optimizer, lossFn, x, y, l1, l2));
          } catch (e) {
            if (e instanceof Error && e.message.startsWith("fit:")) throw e;
            const msg = e instanceof Error ? e.message : String(e);
            throw new Error(`fit (epoch ${epoch}, step ${ctx.step}): ${msg} [batch: ${describe(batch)}]`);
          } finally {
            tf.dispose([batch.x, batch.y]);
          }
          samples += batch.y.shape[0];
          window.push(lossT);
          const c = tf.add(correct, correctT) as tf.Scalar;
          tf.dispose([correct, correctT]);
          correct = c;
          const logs: BatchLogs = { size: batch.y.shape[0] };
          if (window.length >= logEvery || ctx.step === ctx.stepsPerEpoch) logs.loss = await flush();
          await runHooks(callbacks, "onBatchEnd", ctx, logs);
        }
        await flush();
      } finally {
        tf.dispose([...window, correct]);
        window = [];
      }
      if (samples === 0) throw new Error(`fit: the training loader yielded no batch in epoch ${epoch}.`);

      const seconds = (performance.now() - tEpoch) / 1000;
      const logs: EpochLogs = {
        epoch,
        trainLoss: lossSum / lossCount,
        trainAcc: runningCorrect / samples,
        evaluated: epoch % evalEvery === 0,
        lr,
        samplesPerSecond: samples / seconds,
        seconds,
      };
      if (logs.evaluated) {
        if (trainEval) {
          const tr = await evaluate(model, trainLoader, { lossFn });
          logs.trainLoss = tr.loss;
          logs.trainAcc = tr.accuracy;
        }
        history.epoch.push(epoch);
        history.trainLoss.push(logs.trainLoss);
        history.trainAcc.push(logs.trainAcc);
        if (valLoader) {
          const val = await evaluate(model, valLoader, { lossFn });
          logs.valLoss = val.loss;
          logs.valAcc = val.accuracy;
          history.valLoss.push(val.loss);
          history.valAcc.push(val.accuracy);
        }
      }
      await runHooks(callbacks, "onEpochEnd", ctx, logs);
    }
    trainEnded = true;
  } finally {
    history.seconds = (performance.now() - t0) / 1000;
    // Also on errors: restores best weights and closes the progress line. A failing hook does not hide
    // the original error.
    try {
      await runHooks(callbacks, "onTrainEnd", ctx);
    } catch (e) {
      if (trainEnded) throw e;
    }
    model.train();
  }
  return history;
}

/**
 * One optimisation step: forward, loss (+ penalties), gradients, update. Returns the batch's data loss
 * and number of correct predictions, still on the device.
 */
function trainStep(
  model: Module,
  params: tf.Variable[],
  optimizer: Optimizer,
  lossFn: LossFn,
  x: tf.Tensor,
  y: tf.Tensor1D,
  l1: number,
  l2: number,
): { lossT: tf.Scalar; correctT: tf.Scalar } {
  let lossT: tf.Scalar | undefined;
  let correctT: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(x);
    if (out.rank !== 2 || out.shape[0] !== y.shape[0])
      throw new Error(`the model's output has shape [${out.shape}]; expected [${y.shape[0]}, nClasses] for this batch.`);
    const loss = lossFn(out, y);
    lossT = tf.keep(loss);
    correctT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), tf.cast(y, "int32")), "int32")) as tf.Scalar);
    return l1 || l2 ? tf.add(loss, penalty(params, l1, l2)) : loss;
  }, params);
  optimizer.step(grads);
  tf.dispose(Object.values(grads));
  if (value !== lossT) value.dispose();
  if (!lossT || !correctT) throw new Error("fit: internal error, the step produced no loss.");
  return { lossT, correctT };
}
