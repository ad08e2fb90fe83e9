// Optimizer state (momentum buffers, Adam moments, per-parameter step counts, hyper-parameters) to and
// from a checkpoint folder, through Optimizer.stateDict()/loadStateDict(), so that a resumed run
// continues the exact trajectory. float32 values survive JSON exactly (shortest round-trip printing).
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer, OptimizerStateDict, ParamGroup } from "../optim";
import { writeAtomic } from "./io";

const FILE = "optimizer.json";
const FORMAT = "tsdl-optimizer";

interface Saved {
  format: typeof FORMAT;
  version: 1;
  /** The optimizer's class (SGD, Adam...): loading into another one is refused. */
  optimizer: string;
  paramGroups: ParamGroup[];
  /** Per parameter index: its step count and state tensors (shape + values). */
  state: Record<string, { step: number; tensors: Record<string, { shape: number[]; values: number[] }> }>;
}

export async function saveOptimizerState(opt: Optimizer, dir: string): Promise<void> {
  const sd = opt.stateDict();
  const saved: Saved = { format: FORMAT, version: 1, optimizer: opt.constructor.name, paramGroups: sd.paramGroups, state: {} };
  try {
    for (const [index, s] of Object.entries(sd.state)) {
      const tensors: Saved["state"][string]["tensors"] = {};
      for (const [k, t] of Object.entries(s.tensors)) tensors[k] = { shape: t.shape, values: Array.from(await t.data()) };
      saved.state[index] = { step: s.step, tensors };
    }
  } finally {
    for (const s of Object.values(sd.state)) tf.dispose(Object.values(s.tensors));
  }
  await writeAtomic(path.join(dir, FILE), JSON.stringify(saved));
}

/** Loads the state saved by saveOptimizerState; returns false when the checkpoint has none. */
export async function loadOptimizerState(opt: Optimizer, dir: string): Promise<boolean> {
  const file = path.join(dir, FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(file, "utf8");
  } catch {
    return false;
  }
  const saved = JSON.parse(text) as Partial<Saved>;
  if (saved.format !== FORMAT || !saved.paramGroups || !saved.state)
    throw new Error(`resume: ${file} is not a tsdl optimizer state (written by an older tsdl?); delete it to resume with fresh optimizer state.`);
  const name = opt.constructor.name;
  if (saved.optimizer !== name)
    throw new Error(`resume: ${file} holds the state of ${saved.optimizer}, but configureOptimizers() returned ${name}: use the same optimizer, or resume without ckptPath.`);
  const sd: OptimizerStateDict = { paramGroups: saved.paramGroups, state: {} };
  try {
    for (const [index, s] of Object.entries(saved.state)) {
      const tensors: Record<string, tf.Tensor> = {};
      sd.state[Number(index)] = { step: s.step, tensors };
      for (const [k, { shape, values }] of Object.entries(s.tensors)) tensors[k] = tf.tensor(values, shape, "float32");
    }
    opt.loadStateDict(sd);
  } finally {
    for (const s of Object.values(sd.state)) tf.dispose(Object.values(s.tensors));
  }
  return true;
}
