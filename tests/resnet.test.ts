import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { BasicBlock, ResNet, SGD, crossEntropy, manualSeed } from "tsdl"; // the entry also registers the gradients

tf.env().set("IS_TEST", true); // silences tfjs' "use tfjs-node" banner
beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("ResNet (CIFAR, He et al. 2016, option-A shortcuts)", () => {
  test.each([
    [8, 16, 75290],
    [20, 16, 269722],
    [32, 16, 464154],
    [8, 8, 19218],
    [14, 8, 43634],
  ])("ResNet-%i width %i: %i parameters, output [N, 10]", (depth, width, count) => {
    const model = new ResNet({ depth, width });
    expect(model.numParameters()).toBe(count);
    model.eval();
    const y = model.forward(tf.zeros([2, 32, 32, 3]));
    expect(y.shape).toEqual([2, 10]);
    tf.dispose(y);
    model.dispose();
  });

  test("names and stages like PyTorch's CIFAR ResNets", () => {
    const model = new ResNet({ depth: 20 });
    const names = model.namedParameters().map(([n]) => n);
    expect(names[0]).toBe("conv1.weight");
    expect(names).toContain("layer2.0.conv1.weight");
    expect(names).toContain("layer3.2.bn2.bias");
    expect(names[names.length - 1]).toBe("fc.bias");
    expect(model.layer3[0].stride).toBe(2);
    expect(model.namedBuffers().length).toBe(2 * 19); // running mean + var of 19 BatchNorm2d
    model.dispose();
  });

  test("option-A shortcut: subsample by 2 and pad channels with zeros", () => {
    manualSeed(0);
    const block = new BasicBlock(2, 4, 2);
    // Zero the residual branch (BN scale 0, shift 0): the output is relu(shortcut(x)).
    block.bn2.weight!.assign(tf.zeros([4]));
    const x = tf.tensor4d(Array.from({ length: 4 * 4 * 2 }, (_, i) => i + 1), [1, 4, 4, 2]);
    const y = block.forward(x);
    expect(y.shape).toEqual([1, 2, 2, 4]);
    const v = y.arraySync() as number[][][][];
    const xv = x.arraySync() as number[][][][];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) expect(v[0][i][j]).toEqual([0, xv[0][2 * i][2 * j][0], xv[0][2 * i][2 * j][1], 0]);
    tf.dispose([x, y]);
    block.dispose();
  });

  test("rejects depths that are not 6n + 2", () => {
    expect(() => new ResNet({ depth: 10 })).toThrow(/6n \+ 2/);
  });

  // Small maps and channels: the cpu backend's convolution gradients are scalar loops.
  test("a training step lowers the loss on a fixed batch, without leaking tensors", () => {
    manualSeed(1);
    const model = new ResNet({ depth: 8, width: 4 });
    const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", 3);
    const y = tf.tensor1d([0, 1, 2, 3], "int32");
    const step = (): number => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y), model.parameters());
      opt.step(grads);
      const loss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    };
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 3; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(first)).toBe(true);
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    model.dispose();
  });
});
