export { Linear, type FusedActivation } from "./linear";
export { Conv2d, type Conv2dOptions } from "./conv";
export { MaxPool2d, AvgPool2d, type PoolOptions } from "./pool";
export { ReLU, Tanh, Sigmoid, LogSoftmax, Softmax } from "./activation";
export { Flatten } from "./flatten";
export { Dropout } from "./dropout";
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from "./batchnorm";
export { LayerNorm } from "./layernorm";
export { Sequential } from "./sequential";
