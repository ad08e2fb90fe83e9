export { MLP, type MLPOptions } from "./mlp";
export { LeNet5 } from "./lenet5";
export { CifarNet, type CifarNetOptions } from "./cifar-net";
export { MnistNet } from "./mnist-net";
export { FullyConnectedNetwork, fullyConnectedLayer, type FullyConnectedOptions } from "./fully-connected";
export { ResNet, BasicBlock, type ResNetOptions } from "./resnet";
