// Optimizer state (momentum buffers, Adam moments, per-parameter step counts) to and from a checkpoint
// folder, so a resumed run continues the exact trajectory. The optim package keeps that state in a
// protected map keyed by variable; this file is the one place that reads it (by parameter index).
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer, ParamState } from "../optim";

const FILE = "optimizer.json";

interface Saved {
  lr: number;
  /** Per parameter index: its step count and state tensors (shape + values). */
  params: { index: number; step: number; tensors: Record<string, { shape: number[]; values: number[] }> }[];
}

const stateOf = (opt: Optimizer): Map<tf.Variable, ParamState> =>
  (opt as unknown as { state: Map<tf.Variable, ParamState> }).state;

export async function saveOptimizerState(opt: Optimizer, dir: string): Promise<void> {
  const saved: Saved = { lr: opt.lr, params: [] };
  const state = stateOf(opt);
  for (const [index, p] of opt.params.entries()) {
    const s = state.get(p);
    if (!s) continue;
    const tensors: Saved["params"][number]["tensors"] = {};
    for (const [k, t] of Object.entries(s.tensors)) tensors[k] = { shape: t.shape, values: Array.from(await t.data()) };
    saved.params.push({ index, step: s.step, tensors });
  }
  const tmp = path.join(dir, `${FILE}.tmp-${process.pid}`);
  await fs.promises.writeFile(tmp, JSON.stringify(saved));
  await fs.promises.rename(tmp, path.join(dir, FILE));
}

/** Loads the state saved by saveOptimizerState; returns false when the checkpoint has none. */
export async function loadOptimizerState(opt: Optimizer, dir: string): Promise<boolean> {
  let saved: Saved;
  try {
    saved = JSON.parse(await fs.promises.readFile(path.join(dir, FILE), "utf8")) as Saved;
  } catch {
    return false;
  }
  const state = stateOf(opt);
  for (const s of state.values()) tf.dispose(Object.values(s.tensors));
  state.clear();
  for (const { index, step, tensors } of saved.params) {
    const p = opt.params[index];
    if (!p) throw new Error(`resume: the checkpoint's optimizer state has parameter #${index}; this optimizer holds ${opt.params.length}.`);
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, { shape, values }] of Object.entries(tensors)) ts[k] = tf.keep(tf.tensor(values, shape, "float32"));
    state.set(p, { step, tensors: ts });
  }
  opt.lr = saved.lr;
  return true;
}
