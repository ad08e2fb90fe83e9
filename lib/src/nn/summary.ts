// torchsummary-like table. Leaf modules' `forward` is wrapped on the instance for one eval-mode pass
// (batch of 2), recording the output shape of each call in call order; then everything is restored.
import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "./module";
import { fusion } from "./fusion";

interface Row {
  layer: string;
  shape: string;
  params: number;
}

const fmt = (n: number): string => n.toLocaleString("en-US");

export function summaryTable(model: Module, inputShape: number[]): string {
  const leaves = model.namedModules().filter(([, m]) => m.namedChildren().length === 0);
  const rows: Row[] = [];
  const counters = new Map<string, number>();
  const restore: (() => void)[] = [];
  for (const [name, mod] of leaves) {
    const original = mod.forward;
    const params = mod.parameters().reduce((n, p) => n + p.size, 0);
    mod.forward = function (this: Module, x: tf.Tensor, ...rest: unknown[]): tf.Tensor {
      const y = (original as (x: tf.Tensor, ...r: unknown[]) => tf.Tensor).call(this, x, ...rest);
      const type = mod.constructor.name;
      const k = (counters.get(type) ?? 0) + 1;
      counters.set(type, k);
      rows.push({ layer: `${name || type} (${type}-${k})`, shape: `[-1, ${y.shape.slice(1).join(", ")}]`, params });
      return y;
    };
    restore.push(() => {
      delete (mod as { forward?: unknown }).forward; // back to the prototype's method
      if (mod.forward !== original) mod.forward = original;
    });
  }
  const wasTraining = model.training;
  const wasFused = fusion.enabled;
  fusion.enabled = false;
  model.eval();
  try {
    tf.tidy(() => {
      model.forward(tf.zeros([2, ...inputShape]));
    });
  } finally {
    restore.forEach((r) => r());
    fusion.enabled = wasFused;
    model.train(wasTraining);
  }
  const trainable = model.numParameters();
  const nonTrainable = model.namedBuffers().reduce((n, [, b]) => n + b.size, 0);
  const w = [
    Math.max(20, ...rows.map((r) => r.layer.length)),
    Math.max(16, ...rows.map((r) => r.shape.length)),
    Math.max(10, ...rows.map((r) => fmt(r.params).length)),
  ];
  const line = (a: string, b: string, c: string): string =>
    `${a.padEnd(w[0])}  ${b.padEnd(w[1])}  ${c.padStart(w[2])}`;
  const rule = (ch: string): string => ch.repeat(w[0] + w[1] + w[2] + 4);
  return [
    rule("-"),
    line("Layer (type)", "Output Shape", "Param #"),
    rule("="),
    ...rows.map((r) => line(r.layer, r.shape, fmt(r.params))),
    rule("="),
    `Input shape: [-1, ${inputShape.join(", ")}] (NHWC)`,
    `Total params: ${fmt(trainable)}`,
    `Trainable params: ${fmt(trainable)}`,
    `Non-trainable values (buffers, e.g. BatchNorm running stats): ${fmt(nonTrainable)}`,
    rule("-"),
  ].join("\n");
}
