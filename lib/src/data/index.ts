// Data: datasets (MNIST, Fashion-MNIST, CIFAR-10 or its stand-in, sklearn digits, a synthetic 2-D set,
// photos), PyTorch-style Dataset / DataLoader, seeded augmentation. Layout: NHWC (PyTorch: NCHW).
export * from "./rng";
export { dataDir, downloadFile, md5 } from "./cache";
export { parseIdx, encodeIdx } from "./idx";
export { readTar, extractTar } from "./tar";
export * from "./dataset";
export * from "./loader";
export * from "./augment";
export { mnist, fashionMnist, idxDataset } from "./mnist";
export type { SplitOptions } from "./mnist";
export { cifar10, installCifarArchive, parseCifarBinary, readCifarDir, CIFAR10_CLASSES } from "./cifar";
export type { Cifar10Options } from "./cifar";
export { writeCifarStandIn, STAND_IN_CLASSES } from "./standin";
export type { StandInOptions } from "./standin";
export { digits8x8, cubicSplit } from "./small";
export * from "./photo";
