// CIFAR-10 (Krizhevsky, 2009): 32×32 colour images, 10 classes, 50000 train / 10000 test. Downloaded
// once as cifar-10-binary.tar.gz (md5-checked), extracted with our own tar reader. Offline, a
// procedural stand-in in the same binary format is generated instead, and announced loudly.
import * as fs from "fs";
import * as path from "path";
import { dataDir, fetchVerified } from "./cache";
import { TensorDataset } from "./dataset";
import { RECORD_BYTES, writeCifarStandIn } from "./standin";
import { extractTar, readTar } from "./tar";

export const CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
const ARCHIVE = "cifar-10-binary.tar.gz";
const ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
const URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
const REAL_DIR = "cifar-10-batches-bin";
const STAND_IN_DIR = "cifar-10-standin-v1";
const TRAIN_FILES = [1, 2, 3, 4, 5].map((b) => `data_batch_${b}.bin`);
const TEST_FILES = ["test_batch.bin"];

/**
 * Parses CIFAR binary records (1 label byte, then 1024 R, 1024 G, 1024 B bytes, row-major: CHW) into
 * channels-last HWC bytes — TensorFlow.js's NHWC layout, where PyTorch keeps CHW.
 */
export function parseCifarBinary(bytes: Uint8Array, file: string, numClasses = 10): { x: Uint8Array; y: Int32Array } {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
    throw new Error(
      `${file}: ${bytes.length} bytes is not a whole number of CIFAR records (${RECORD_BYTES} bytes each): the file is truncated or not a CIFAR binary batch. Fix: delete it so it is fetched or generated again.`,
    );
  }
  const n = bytes.length / RECORD_BYTES;
  const x = new Uint8Array(n * 3072);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = i * RECORD_BYTES;
    const label = bytes[r];
    if (label >= numClasses) throw new Error(`${file}: record ${i} has label ${label}, outside 0–${numClasses - 1}: the file is corrupt. Fix: delete it so it is fetched again.`);
    y[i] = label;
    const o = i * 3072;
    for (let p = 0; p < 1024; p++) {
      x[o + 3 * p] = bytes[r + 1 + p];
      x[o + 3 * p + 1] = bytes[r + 1025 + p];
      x[o + 3 * p + 2] = bytes[r + 2049 + p];
    }
  }
  return { x, y };
}

/** Reads a CIFAR binary folder (real or stand-in): class names from `batches.meta.txt`, then the batches. */
export function readCifarDir(dir: string, train: boolean): { x: Uint8Array; y: Int32Array; classes: string[] } {
  const meta = path.join(dir, "batches.meta.txt");
  const classes = fs.existsSync(meta) ? fs.readFileSync(meta, "utf8").split("\n").map((s) => s.trim()).filter(Boolean) : CIFAR10_CLASSES;
  const parts = (train ? TRAIN_FILES : TEST_FILES).map((f) => {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing. Fix: delete ${dir} so it is extracted or generated again.`);
    return parseCifarBinary(fs.readFileSync(file), file, classes.length);
  });
  const n = parts.reduce((a, p) => a + p.y.length, 0);
  const x = new Uint8Array(n * 3072);
  const y = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * 3072);
    y.set(p.y, at);
    at += p.y.length;
  }
  return { x, y, classes };
}

let downloadFailed: string | null = null; // remembered per process: do not retry on every call

/** Makes sure the real data is extracted under the cache; throws if it cannot be downloaded. */
async function ensureRealCifar(root: string): Promise<string> {
  const dir = path.join(root, REAL_DIR);
  if (fs.existsSync(path.join(dir, TEST_FILES[0]))) return dir;
  if (downloadFailed) throw new Error(downloadFailed);
  if (process.env.TSDL_OFFLINE === "1") throw new Error("TSDL_OFFLINE=1: not downloading.");
  const archive = await fetchVerified([URL], path.join(root, ARCHIVE), ARCHIVE_MD5);
  return installCifarArchive(archive, root);
}

/**
 * Extracts the `cifar-10-batches-bin/` files of a (verified) cifar-10-binary.tar.gz into `root`, atomically,
 * after checking every batch parses. Returns the folder.
 */
export function installCifarArchive(archive: Uint8Array, root: string): string {
  const entries = readTar(archive, ARCHIVE)
    .filter((e) => e.type === "file" && e.name.startsWith(`${REAL_DIR}/`))
    .map((e) => ({ ...e, name: e.name.slice(REAL_DIR.length + 1) }));
  for (const f of [...TRAIN_FILES, ...TEST_FILES]) {
    const entry = entries.find((e) => e.name === f);
    if (!entry) throw new Error(`${ARCHIVE}: ${REAL_DIR}/${f} is missing from the archive. Fix: delete ${path.join(root, ARCHIVE)} so it is downloaded again.`);
    parseCifarBinary(entry.data, `${ARCHIVE}:${REAL_DIR}/${f}`);
  }
  const dir = path.join(root, REAL_DIR);
  extractTar(entries, dir);
  return dir;
}

const BANNER = [
  "",
  "#".repeat(78),
  "#  tsdl: CIFAR-10 could not be downloaded. Using a PROCEDURAL STAND-IN instead.",
  "#  Same format and sizes (32x32 colour, 10 classes, 50000/10000), but the images are",
  "#  coloured shapes and textures (disc, square, stripes, ...), NOT CIFAR-10 photos:",
  "#  accuracies are not comparable with published CIFAR-10 results.",
  "#  To get the real data: go online and delete <cache>/cifar-10-standin-v1.",
  "#".repeat(78),
  "",
].join("\n");

export interface Cifar10Options {
  /** Training split (default) or test split. */
  train?: boolean;
}

/**
 * CIFAR-10 (`torchvision.datasets.CIFAR10`): samples of shape [32, 32, 3] (HWC bytes). Offline, returns the
 * stand-in (`isStandIn` true, `description` says so, a banner is printed).
 */
let standInAnnounced = false;

export async function cifar10(opts: Cifar10Options = {}): Promise<TensorDataset> {
  const train = opts.train ?? true;
  const split = train ? "train" : "test";
  const root = dataDir();
  let realDir: string | null = null;
  try {
    realDir = await ensureRealCifar(root);
  } catch (e) {
    downloadFailed = (e as Error).message;
  }
  if (realDir) {
    try {
      const { x, y, classes } = readCifarDir(realDir, train);
      return new TensorDataset(x, y, [32, 32, 3], {
        classes,
        name: `cifar10-${split}`,
        description: `CIFAR-10 (Krizhevsky, 2009): 32×32 colour photos, 10 classes. Split: ${split}. Source: ${realDir}.`,
        pixelMax: 255,
      });
    } catch (e) {
      // corrupt extraction: remove it; the next call re-extracts from the verified archive
      fs.rmSync(realDir, { recursive: true, force: true });
      throw new Error(`${(e as Error).message}\nThe corrupt folder ${realDir} was removed: call cifar10() again to re-extract it.`);
    }
  }
  const dir = path.join(root, STAND_IN_DIR);
  if (!fs.existsSync(path.join(dir, TEST_FILES[0]))) writeCifarStandIn(dir);
  if (!standInAnnounced) {
    // Once per process: the train and test splits are usually loaded one after the other.
    const reason = (downloadFailed ?? "").split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 2).join(" ");
    console.warn(`${BANNER}#  (reason: ${reason})\n`);
    standInAnnounced = true;
  }
  let data: ReturnType<typeof readCifarDir>;
  try {
    data = readCifarDir(dir, train);
  } catch (e) {
    console.warn(`tsdl: the cached stand-in is corrupt (${(e as Error).message.split("\n")[0]}): generating it again.`);
    fs.rmSync(dir, { recursive: true, force: true });
    writeCifarStandIn(dir);
    data = readCifarDir(dir, train);
  }
  const { x, y, classes } = data;
  return new TensorDataset(x, y, [32, 32, 3], {
    classes,
    name: `cifar10-standin-${split}`,
    description:
      `STAND-IN, NOT CIFAR-10: procedural 32×32 colour images of 10 shape/texture classes (${classes.join(", ")}), ` +
      `seeded, generated by tsdl in CIFAR-10's binary format because the real archive could not be downloaded. Split: ${split}. Source: ${dir}.`,
    isStandIn: true,
    pixelMax: 255,
  });
}
