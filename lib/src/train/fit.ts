// fit: the PyTorch-style entry point (model + lossFn + optimizer). A thin adapter over runLoop (loop.ts),
// the one epoch/batch loop that Trainer.fit drives too: fit only supplies the step and the evaluation.
import * as tf from "@tensorflow/tfjs-core";
import { ensureGradients } from "../backend/tf";
import type { Module } from "../nn";
import type { LRScheduler, Optimizer } from "../optim";
import type { Callback, EpochLogs, TrainContext } from "./callbacks";
import { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping";
import { evaluate } from "./evaluate";
import { crossEntropy } from "./losses";
import { penalty } from "./penalties";
import { ProgressCallback } from "./progress-callback";
import { describe, runLoop } from "./loop";
import type { BatchSource, History, LossFn } from "./types";

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
  /** Clip each gradient element to [−v, v] before the update (as Trainer's gradientClipVal). */
  gradientClipVal?: number;
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
  try {
    await runLoop({
      name: "fit",
      ctx,
      trainLoader,
      callbacks,
      logEvery,
      gradientClipVal: options.gradientClipVal,
      checkBatch: ({ x, y }) => {
        if (y.rank !== 1 || x.rank < 2 || y.shape[0] !== x.shape[0])
          throw new Error(`a batch must be x [N, ...] and y [N] with the same N, got ${describe({ x, y })}.`);
      },
      step: ({ x, y }) => {
        const out = model.forward(x);
        if (out.rank !== 2 || out.shape[0] !== y.shape[0])
          throw new Error(`the model's output has shape [${out.shape}]; expected [${y.shape[0]}, nClasses] for this batch.`);
        const loss = lossFn(out, y);
        // counted in the step's own scope; the loop stacks the counts with the losses at read-back time
        const labels = y.dtype === "int32" ? y : tf.cast(y, "int32");
        const correct = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), labels), "float32")) as tf.Scalar;
        return { objective: l1 || l2 ? tf.add(loss, penalty(params, l1, l2)) : loss, loss, correct };
      },
      endEpoch: async (logs) => {
        logs.evaluated = logs.epoch % evalEvery === 0;
        if (!logs.evaluated) return;
        if (trainEval) {
          const tr = await evaluate(model, trainLoader, { lossFn });
          logs.trainLoss = tr.loss;
          logs.trainAcc = tr.accuracy;
        }
        history.epoch.push(logs.epoch);
        history.trainLoss.push(logs.trainLoss);
        history.trainAcc.push(logs.trainAcc);
        if (valLoader) {
          const val = await evaluate(model, valLoader, { lossFn });
          logs.valLoss = val.loss;
          logs.valAcc = val.accuracy;
          history.valLoss.push(val.loss);
          history.valAcc.push(val.accuracy);
        }
      },
    });
  } finally {
    history.seconds = (performance.now() - t0) / 1000;
  }
  return history;
}
