// The bench's reference nets (scripts/torch_bench.py holds the same table in PyTorch layout).
// `make(lib)` builds tsdl's own model from the built lib; `loss` names tsdl's criterion (the PyTorch
// example net ends with log-softmax and trains with nll_loss, as upstream).
"use strict";

const MNIST_NORM = { mean: [0.1307], std: [0.3081] };
const CIFAR_NORM = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] };

const NETS = {
  lenet: {
    what: "LeNet-5 (tanh, avg-pool)",
    batch: 256,
    sampleShape: [28, 28, 1],
    trainSize: 60000,
    norm: MNIST_NORM,
    loss: "crossEntropy",
    make: (lib) => new lib.LeNet5(),
  },
  mnist: {
    what: "PyTorch MNIST example (dropout)",
    batch: 64,
    sampleShape: [28, 28, 1],
    trainSize: 60000,
    norm: MNIST_NORM,
    loss: "nllLoss",
    make: (lib) => new lib.MnistNet(),
  },
  cifar: {
    what: "CIFAR course net 16/32",
    batch: 128,
    sampleShape: [32, 32, 3],
    trainSize: 50000,
    norm: CIFAR_NORM,
    loss: "crossEntropy",
    make: (lib) => new lib.CifarNet({ channels: [16, 32] }),
  },
  mlp: {
    what: "MLP 784-100-100-100-10",
    batch: 300,
    sampleShape: [28, 28, 1],
    trainSize: 60000,
    norm: MNIST_NORM,
    loss: "crossEntropy",
    make: (lib) => new lib.MLP([784, 100, 100, 100, 10]),
  },
  // not in the default set (the issue's four nets): `--net resnet20` (notebook 05's net, BatchNorm)
  resnet20: {
    what: "ResNet-20 (BatchNorm, notebook 05)",
    batch: 128,
    sampleShape: [32, 32, 3],
    trainSize: 50000,
    norm: CIFAR_NORM,
    loss: "crossEntropy",
    optional: true,
    make: (lib) => new lib.ResNet({ depth: 20 }),
  },
};

/** The nets a bench runs without --net. */
const DEFAULT_NETS = Object.keys(NETS).filter((n) => !NETS[n].optional);

/** SGD settings of every run (tsdl and PyTorch). */
const OPTIM = { lr: 0.01, momentum: 0.9 };

const stepsPerEpoch = (net) => Math.ceil(NETS[net].trainSize / NETS[net].batch);

module.exports = { NETS, DEFAULT_NETS, OPTIM, stepsPerEpoch };
