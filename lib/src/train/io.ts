// saveModel / loadModel: `dir/model.json` (manifest: names, shapes, dtypes, byte offsets) and
// `dir/weights.bin` (the raw little-endian values, parameters then buffers). Values are read with
// `await data()`, so it works on every backend. Each file is written to a temporary name then renamed,
// weights first, so an interrupted save never leaves a manifest pointing at partial weights.
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import type { Module, StateDict } from "../nn";

const FORMAT = "tsdl-model";
const MANIFEST = "model.json";
const WEIGHTS = "weights.bin";

interface Entry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  offset: number;
  byteLength: number;
}

interface Manifest {
  format: typeof FORMAT;
  version: 1;
  model: string;
  weights: string;
  tensors: Entry[];
}

/** Writes `data` to `file` through a temporary name and a rename. */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await fs.promises.writeFile(tmp, data);
  await fs.promises.rename(tmp, file);
}

/** Saves the model's parameters and buffers to `dir` (created if needed). */
export async function saveModel(model: Module, dir: string): Promise<void> {
  const vars = [...model.namedParameters(), ...model.namedBuffers()];
  const tensors: Entry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, v] of vars) {
    if (v.dtype !== "float32" && v.dtype !== "int32")
      throw new Error(`saveModel: "${name}" has dtype ${v.dtype}; only float32 and int32 are saved.`);
    const values = (await v.data()) as Float32Array | Int32Array;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    tensors.push({ name, shape: v.shape, dtype: v.dtype, offset, byteLength: bytes.byteLength });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const manifest: Manifest = { format: FORMAT, version: 1, model: model.constructor.name, weights: WEIGHTS, tensors };
  await fs.promises.mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, WEIGHTS), Buffer.concat(chunks));
  await writeAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 1));
}

/** Loads weights saved by saveModel into `model` (same architecture); returns the model. */
export async function loadModel<M extends Module>(model: M, dir: string): Promise<M> {
  const manifestPath = path.join(dir, MANIFEST);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await fs.promises.readFile(manifestPath, "utf8")) as Manifest;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new Error(`loadModel: cannot read ${manifestPath} (${why}). Save the model first with saveModel(model, "${dir}").`);
  }
  if (manifest.format !== FORMAT || !Array.isArray(manifest.tensors))
    throw new Error(`loadModel: ${manifestPath} is not a tsdl model manifest (format "${String(manifest.format)}").`);
  const weightsPath = path.join(dir, manifest.weights ?? WEIGHTS);
  let buf: Buffer;
  try {
    buf = await fs.promises.readFile(weightsPath);
  } catch {
    throw new Error(`loadModel: ${weightsPath} is missing: the save was incomplete; save the model again.`);
  }
  const expected = manifest.tensors.reduce((n, t) => Math.max(n, t.offset + t.byteLength), 0);
  if (buf.byteLength !== expected)
    throw new Error(`loadModel: ${weightsPath} has ${buf.byteLength} bytes, the manifest describes ${expected}: the files do not belong together.`);
  const sd: StateDict = {};
  try {
    for (const t of manifest.tensors) {
      const bytes = buf.subarray(t.offset, t.offset + t.byteLength);
      const copy = new ArrayBuffer(bytes.byteLength); // aligned copy for the typed array view
      new Uint8Array(copy).set(bytes);
      const values = t.dtype === "int32" ? new Int32Array(copy) : new Float32Array(copy);
      sd[t.name] = tf.tensor(values, t.shape, t.dtype);
    }
    try {
      model.loadStateDict(sd);
    } catch (e) {
      throw new Error(`loadModel: ${dir} holds a ${manifest.model}, which does not fit this ${model.constructor.name}: ${(e as Error).message}`);
    }
  } finally {
    tf.dispose(Object.values(sd));
  }
  return model;
}
