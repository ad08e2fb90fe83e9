// Helpers to compose wasm kernels: each replacement kernel calls fast (XNNPACK / C++) wasm kernels through
// the kernel registry and frees its intermediates with backend.disposeData.
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "../tf";

export type TensorInfo = tf.TensorInfo;
export type Attrs = tf.NamedAttrMap;
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}
/** A replacement: gets the kernel arguments and the original wasm kernel (for the shapes it does not handle). */
export type Replacement = (args: KernelArgs, original: tf.KernelFunc | null) => TensorInfo | TensorInfo[];

const originals = new Map<string, tf.KernelFunc | null>();
const replaced = new Set<string>();

/** The wasm kernel as tfjs 4.22 ships it (before tsdl replaced it), or null if wasm has none. */
export function originalKernel(name: string): tf.KernelFunc | null {
  if (!originals.has(name)) {
    const k = tf.getKernel(name, "wasm");
    originals.set(name, k ? k.kernelFunc : null);
  }
  return originals.get(name) ?? null;
}

/** Registers `impl` as the wasm kernel `name` (once per process; later calls do nothing). */
export function replaceWasmKernel(name: string, impl: Replacement): void {
  if (replaced.has(name)) return;
  const orig = originalKernel(name);
  const prev = tf.getKernel(name, "wasm");
  if (prev) tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    setupFunc: prev?.setupFunc,
    disposeFunc: prev?.disposeFunc,
    kernelFunc: ((args: KernelArgs) => impl(args, orig)) as unknown as tf.KernelFunc,
  });
  replaced.add(name);
}

/** Names of the wasm kernels tsdl has replaced so far. */
export function replacedWasmKernels(): string[] {
  return [...replaced];
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * A scratch scope on one backend: every kernel output made through it is freed by dispose(), except the
 * ones passed to keep(). Kernels are looked up at call time (so a profiler's wrappers see the inner calls).
 */
export class Ops {
  private tmp: TensorInfo[] = [];
  /** data ids of view() aliases: unregistered (never freed) by dispose() */
  private views = new Set<object>();
  constructor(readonly backend: BackendWasm) {}

  /** Runs the current wasm kernel `name`. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs = {}): TensorInfo {
    const k = tf.getKernel(name, "wasm");
    if (!k) throw new Error(`tsdl: no wasm kernel ${name}`);
    return this.track(k.kernelFunc({ inputs, attrs, backend: this.backend }) as TensorInfo);
  }
  /** Runs the original (tfjs-shipped) wasm kernel `name`. */
  orig(name: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs = {}): TensorInfo {
    const f = originalKernel(name);
    if (!f) throw new Error(`tsdl: no original wasm kernel ${name}`);
    return this.track(f({ inputs, attrs, backend: this.backend }) as TensorInfo);
  }
  track(t: TensorInfo): TensorInfo {
    this.tmp.push(t);
    return t;
  }
  /** Removes `t` from the scratch list: the caller owns it (a kernel's output). */
  keep(t: TensorInfo): TensorInfo {
    const i = this.tmp.lastIndexOf(t);
    if (i >= 0) this.tmp.splice(i, 1);
    return t;
  }
  /** The kernel's output: an intermediate is kept; an input gets one more reference (no copy). */
  out(t: TensorInfo): TensorInfo {
    if (this.views.has(t.dataId)) throw new Error("tsdl: a view() cannot be a kernel's output (copy it first)");
    const i = this.tmp.lastIndexOf(t);
    if (i >= 0) {
      this.tmp.splice(i, 1);
      return t;
    }
    this.backend.incRef(t.dataId);
    return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
  }
  dispose(): void {
    // views first (their memory belongs to another buffer); a reshape of a view in tmp then finds no data
    for (const id of this.views) {
      this.backend.wasm.tfjs.disposeData(this.backend.dataIdMap.get(id).id);
      this.backend.dataIdMap.delete(id);
    }
    this.views.clear();
    for (const t of this.tmp) this.backend.disposeData(t.dataId);
    this.tmp = [];
  }

  /**
   * Elements [offset, offset + size(shape)) of x's buffer as a float32 tensor, no copy: a kernel input
   * only, valid until dispose() (x must outlive it), never an output. Registered with the wasm module
   * under a fresh id, so that XNNPACK's operator caches keyed by id never mix it up with x.
   */
  view(x: TensorInfo, offset: number, shape: number[]): TensorInfo {
    if (x.dtype !== "float32" || offset < 0 || offset + size(shape) > size(x.shape)) {
      throw new Error(`tsdl: view of ${size(shape)} elements at ${offset} outside a ${x.dtype} [${x.shape}]`);
    }
    return this.aliasAt(this.backend.dataIdMap.get(x.dataId).memoryOffset + 4 * offset, shape);
  }
  private aliasAt(memoryOffset: number, shape: number[]): TensorInfo {
    // dataIdNextNumber is private in the typings; the alias needs an id the backend will never hand out
    const b = this.backend as unknown as { dataIdNextNumber: number };
    const id = b.dataIdNextNumber++;
    const dataId = { id };
    this.backend.dataIdMap.set(dataId, { id, memoryOffset, shape, dtype: "float32", refCount: 1 });
    this.backend.wasm.tfjs.registerTensor(id, size(shape), memoryOffset);
    this.views.add(dataId);
    return { dataId, shape, dtype: "float32" };
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }
  /**
   * Transpose, canonicalised first: size-1 axes dropped and runs of axes that stay adjacent merged, so the
   * wasm kernel gets the lowest rank (its rank-5/6 and some rank-4 paths are 100× slower), and a
   * permutation that moves no data is a free reshape.
   */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    const outShape = perm.map((p) => x.shape[p]);
    const [shape, cperm] = canonicalPermutation(x.shape, perm);
    if (cperm.every((p, i) => p === i)) return this.reshape(x, outShape);
    const xc = this.reshape(x, shape);
    return this.reshape(this.transposeUnaliased(xc, cperm), outShape);
  }

  /**
   * wasm's Transpose walks the input in order, so its writes jump by the output stride of the input's
   * innermost axis; when that stride is a multiple of 2 KiB (e.g. 36864 = 9·4096 floats) the writes land
   * in a few cache sets and the kernel runs 10–15× slower (~20 ns/element). Padding one output axis after
   * that position breaks the alignment; the padding is sliced off after (measured [36864, 64]ᵀ: 47 → 7 ms).
   */
  private transposeUnaliased(x: TensorInfo, perm: number[]): TensorInfo {
    const r = perm.length;
    const out = perm.map((p) => x.shape[p]);
    const q = perm.indexOf(r - 1);
    const stride = size(out.slice(q + 1));
    const fix = q < r - 1 && twos(stride) >= 9 && size(x.shape) >= 1 << 16 ? unaliasingPad(out, q) : null;
    if (!fix) return this.run("Transpose", { x }, { perm });
    const [j, p] = fix;
    const paddings = x.shape.map((): [number, number] => [0, 0]);
    paddings[perm[j]] = [0, p];
    const t = this.run("Transpose", { x: this.pad(x, paddings) }, { perm });
    const before = size(out.slice(0, j));
    const after = size(out.slice(j + 1));
    // (wasm's Slice copies one innermost row per call: keep the rows long)
    const s =
      after === 1
        ? this.run("Slice", { x: this.reshape(t, [before, out[j] + p]) }, { begin: [0, 0], size: [before, out[j]] })
        : this.run("Slice", { x: this.reshape(t, [before, (out[j] + p) * after]) }, {
            begin: [0, 0], size: [before, out[j] * after],
          });
    return this.reshape(s, out);
  }

  /** Zero (or `value`) padding; paddings [before, after] per axis. */
  pad(x: TensorInfo, paddings: Array<[number, number]>, value = 0): TensorInfo {
    return this.run("PadV2", { x }, { paddings, constantValue: value });
  }
  mul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run("Multiply", { a, b });
  }
  add(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run("Add", { a, b });
  }
  sub(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run("Sub", { a, b });
  }
  /** A float32 tensor of `shape` filled with `value` (on the heap, no kernel). */
  filled(shape: number[], value: number): TensorInfo {
    const t = this.track(this.backend.makeOutput(shape, "float32"));
    (this.backend.typedArrayFromHeap(t) as Float32Array).fill(value);
    return t;
  }
  /** A float32 tensor from values. */
  fromValues(shape: number[], values: ArrayLike<number>): TensorInfo {
    const t = this.track(this.backend.makeOutput(shape, "float32"));
    (this.backend.typedArrayFromHeap(t) as Float32Array).set(values);
    return t;
  }
  /**
   * x[:, top:top+h, left:left+w, :] of an NHWC tensor. The wasm Slice kernel is JavaScript copying one
   * innermost row per call: viewing x as [n, H, W*c] makes those rows w*c long instead of c.
   */
  crop(x: TensorInfo, top: number, left: number, h: number, w: number): TensorInfo {
    const [n, H, W, c] = x.shape;
    if (top === 0 && left === 0 && h === H && w === W) return x;
    const x3 = this.reshape(x, [n, H, W * c]);
    const s = this.run("Slice", { x: x3 }, { begin: [0, top, left * c], size: [n, h, w * c] });
    return this.reshape(s, [n, h, w, c]);
  }
}

/** Runs `body` with a scratch scope, freeing its intermediates; `body` returns what it keep()s. */
export function withOps<T>(backend: BackendWasm, body: (o: Ops) => T): T {
  const o = new Ops(backend);
  try {
    return body(o);
  } finally {
    o.dispose();
  }
}

/** The number of factors 2 in n (n > 0), capped at 30. */
function twos(n: number): number {
  let v = 0;
  while (n % 2 === 0 && v < 30) {
    n /= 2;
    v++;
  }
  return v;
}

/**
 * [output axis j > q, padding p (a multiple of 16)] such that the output stride of axis q has at most 2^8
 * as a power of two once axis j grows by p, taking the axis that adds the fewest elements; null if none.
 */
function unaliasingPad(out: number[], q: number): [number, number] | null {
  let best: [number, number, number] | null = null;
  const stride = size(out.slice(q + 1));
  for (let j = q + 1; j < out.length; j++) {
    const other = stride / out[j];
    if (twos(other) > 8) continue;
    // whole cache lines only (16 floats): wasm's vectorised transpose is much slower on odd sizes
    let p = 16;
    while (twos(other * (out[j] + p)) > 8 && p <= 256) p += 16;
    if (p > 256) continue;
    const added = other * p * size(out.slice(0, q + 1));
    if (!best || added < best[2]) best = [j, p, added];
  }
  return best ? [best[0], best[1]] : null;
}

/** [shape, perm] with size-1 axes dropped and adjacent-staying axes merged (same data movement). */
export function canonicalPermutation(shape: readonly number[], perm: readonly number[]): [number[], number[]] {
  const keep = perm.filter((p) => shape[p] !== 1);
  // groups: maximal runs in `keep` of consecutive input axes (ignoring size-1 axes in between)
  const kept = [...keep].sort((a, b) => a - b);
  const rank = new Map(kept.map((a, i) => [a, i]));
  const runs: number[][] = [];
  for (const p of keep) {
    const last = runs[runs.length - 1];
    if (last && rank.get(p) === (rank.get(last[last.length - 1]) as number) + 1) last.push(p);
    else runs.push([p]);
  }
  const order = [...runs].sort((a, b) => a[0] - b[0]);
  const newShape = order.map((r) => r.reduce((acc, a) => acc * shape[a], 1));
  const newPerm = runs.map((r) => order.indexOf(r));
  return [newShape, newPerm];
}

export function pair(v: number | number[] | readonly number[]): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v.length > 1 ? v[1] : v[0]];
}
