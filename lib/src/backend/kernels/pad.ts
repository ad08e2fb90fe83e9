// PadV2 (constant padding) on the wasm heap. wasm 4.22's kernel is a scalar loop (~18 ns per output
// element: 4.8 ms for LeNet C1's [256,28,28,1] → [256,32,32,1]); the convolutions pad their input with
// it (README). Here each contiguous run of x (its rows along the innermost padded axis) is one
// copyWithin, each gap between runs one fill: every output element is written once, in order.
import { type KernelArgs, type Replacement, type TensorInfo, size } from "./util";

const HEAPS = { float32: Float32Array, int32: Int32Array } as const;

/** Knob for tests and scripts/bench: `own` false runs wasm's original PadV2. */
export const padTuning = { own: true };

export const padV2: Replacement = ({ inputs, attrs, backend }: KernelArgs, original) => {
  const x = inputs.x as TensorInfo;
  const { paddings, constantValue } = attrs as unknown as { paddings: Array<[number, number]>; constantValue: number };
  const Heap = x.dtype === "float32" || x.dtype === "int32" ? HEAPS[x.dtype] : null;
  const valid = paddings.length === x.shape.length &&
    paddings.every((p) => p.every((v) => Number.isInteger(v) && v >= 0));
  if (!padTuning.own || !Heap || !valid) {
    if (!original) throw new Error(`tsdl: no wasm PadV2 for ${x.dtype} [${x.shape}] paddings ${JSON.stringify(paddings)}`);
    return original({ inputs, attrs, backend });
  }
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = backend.makeOutput(outShape, x.dtype);
  const total = size(outShape);
  if (total === 0) return out;
  // a view of the whole heap made after makeOutput (growing the memory detaches earlier views)
  const heap = new Heap(backend.typedArrayFromHeap(out).buffer);
  const at = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / Heap.BYTES_PER_ELEMENT;
  const o0 = at(out);
  // axis j, the innermost padded one: x's slices along axes ≥ j are contiguous runs of x.shape[j]·inner
  let j = rank - 1;
  while (j >= 0 && paddings[j][0] === 0 && paddings[j][1] === 0) j--;
  const inner = size(x.shape.slice(j + 1));
  const run = j < 0 ? inner : x.shape[j] * inner;
  const runs = j < 0 ? 1 : size(x.shape.slice(0, j));
  if (run === 0 || runs === 0) {
    heap.fill(constantValue, o0, o0 + total);
    return out;
  }
  const strides = outShape.map((_, a) => size(outShape.slice(a + 1))); // output strides, elements
  const idx = new Array<number>(Math.max(j, 0)).fill(0); // the run's index on axes < j
  let d = o0 + (j < 0 ? 0 : paddings[j][0] * inner);
  for (let a = 0; a < j; a++) d += paddings[a][0] * strides[a];
  let s = at(x);
  let filled = o0; // output written up to here
  for (let r = 0; r < runs; r++) {
    heap.fill(constantValue, filled, d);
    heap.copyWithin(d, s, s + run);
    filled = d + run;
    s += run;
    // next run: an odometer over axes j−1 … 0
    for (let a = j - 1; a >= 0; a--) {
      d += strides[a];
      if (++idx[a] < x.shape[a]) break;
      idx[a] = 0;
      d -= x.shape[a] * strides[a];
    }
  }
  heap.fill(constantValue, filled, o0 + total);
  return out;
};
