import { inspect } from "util";
// Module: PyTorch's nn.Module on raw tfjs ops. Children and parameters are discovered from the
// instance's own fields in assignment order (like `self.conv1 = ...` in PyTorch), so a subclass only
// assigns fields and writes `forward`. Parameters are trainable tf.Variables; buffers (BatchNorm's
// running statistics) are non-trainable tf.Variables: both are saved in the state dict.
import * as tf from "@tensorflow/tfjs-core";
import { summaryTable } from "./summary";

/** name → tensor, names dotted like PyTorch's (`features.0.weight`). */
export type StateDict = Record<string, tf.Tensor>;

export abstract class Module {
  /** true after `train()` (the default), false after `eval()`: Dropout and BatchNorm read it. */
  training = true;

  /** Computes the output; subclasses implement it. Call `model.forward(x)` as PyTorch's `model(x)`. */
  abstract forward(x: tf.Tensor): tf.Tensor;

  /** Direct sub-modules with their names. Default: fields holding a Module, or arrays of Modules. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value))
        value.forEach((v, i) => {
          if (v instanceof Module) out.push([`${key}.${i}`, v]);
        });
    }
    return out;
  }

  /** This module's own variables (not its children's), trainable or not, with their names. */
  protected ownVariables(): [string, tf.Variable][] {
    return Object.entries(this).filter((e): e is [string, tf.Variable] => e[1] instanceof tf.Variable);
  }

  /** Every module of the tree, this one first (PyTorch `named_modules`). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren())
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  private namedVariables(trainable: boolean): [string, tf.Variable][] {
    const seen = new Set<tf.Variable>();
    const out: [string, tf.Variable][] = [];
    for (const [modName, mod] of this.namedModules())
      for (const [name, v] of mod.ownVariables())
        if (v.trainable === trainable && !seen.has(v)) {
          seen.add(v); // a shared parameter is listed once, like PyTorch
          out.push([modName ? `${modName}.${name}` : name, v]);
        }
    return out;
  }

  /**
   * The sub-module at dotted path `target` (PyTorch `get_submodule`): `model.getSubmodule("layers.2")`;
   * `""` is the model itself. Throws, listing the names there are, when nothing has that name.
   */
  getSubmodule(target: string): Module {
    const found = this.namedModules().find(([name]) => name === target);
    if (found) return found[1];
    const names = this.namedModules().map(([n]) => n).filter(Boolean);
    throw new Error(
      `${this.constructor.name} has no sub-module "${target}". Its sub-modules: ${names.join(", ") || "none"} ` +
        "(the names of namedModules(), as printed by toString()).",
    );
  }

  /** Trainable parameters with dotted names (PyTorch `named_parameters`). */
  namedParameters(): [string, tf.Variable][] {
    return this.namedVariables(true);
  }

  /** Trainable parameters, the list an optimizer takes (PyTorch `parameters()`). */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Non-trainable state saved with the model (BatchNorm running mean/var). */
  namedBuffers(): [string, tf.Variable][] {
    return this.namedVariables(false);
  }

  /** Number of trainable scalars: `sum(p.numel() for p in model.parameters())`. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Training mode (the default) for this module and all its children; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: Dropout is the identity, BatchNorm uses (and no longer updates) its running stats. */
  eval(): this {
    return this.train(false);
  }

  /**
   * A snapshot of parameters and buffers: fresh copies (unlike PyTorch's references), so keeping one as
   * "best weights" is safe. Free it with `tf.dispose(Object.values(sd))`.
   */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [name, v] of [...this.namedParameters(), ...this.namedBuffers()]) sd[name] = tf.clone(v);
    return sd;
  }

  /** Copies values into the parameters and buffers; names and shapes must match (strict by default). */
  loadStateDict(sd: StateDict, { strict = true }: { strict?: boolean } = {}): void {
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...own.keys()].filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length))
      throw new Error(
        `loadStateDict: the state dict does not fit ${this.constructor.name}` +
          (missing.length ? `; missing: ${missing.join(", ")}` : "") +
          (unexpected.length ? `; unexpected: ${unexpected.join(", ")}` : "") +
          ". Was it saved from the same architecture? (pass { strict: false } to load the common part)",
      );
    for (const [name, v] of own) {
      const t = sd[name];
      if (!t) continue;
      if (!tf.util.arraysEqual(t.shape, v.shape))
        throw new Error(
          `loadStateDict: "${name}" has shape [${t.shape}] in the state dict but [${v.shape}] in the model.`,
        );
      v.assign(t.dtype === v.dtype ? t : tf.cast(t, v.dtype));
    }
  }

  /**
   * The torchsummary-like table (layer, output shape, params) for an input of shape `inputShape`
   * (without the batch dimension, NHWC: `[28, 28, 1]`), printed and returned.
   */
  summary(inputShape: number[], { print = true }: { print?: boolean } = {}): string {
    const text = summaryTable(this, inputShape);
    if (print) console.log(text);
    return text;
  }

  /** Frees every variable of the model. */
  dispose(): void {
    for (const [, v] of [...this.namedParameters(), ...this.namedBuffers()]) v.dispose();
  }

  /** PyTorch-like one-line description, e.g. `Linear(in=784, out=120)`; layers override it. */
  extraRepr(): string {
    return "";
  }

  /** tslab (and node's REPL) print a cell's last value with util.inspect: show the PyTorch-style repr. */
  [inspect.custom](): string {
    return this.toString();
  }

  toString(indent = ""): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return head + ")";
    const inner = kids.map(([n, m]) => `${indent}  (${n}): ${m.toString(indent + "  ")}`).join("\n");
    return `${head}\n${inner}\n${indent})`;
  }
}
