// Drivers of the own convolution kernels: the filter gradient (implicit im2col, samples summed per
// thread) and the convolution (rows = output positions, window parts in the padding skipped per tile);
// 3×3 stride-1 ones go to Winograd (./winograd.ts) where it pays.
import { type Ops, type TensorInfo, size } from "../util";
import { type OwnExports, type WasmModule, loaded, offsetOf, pickThreads, runJob, sumParts } from "./runtime";
import { TILE_ROWS } from "./wat";
import { Slot, ThreadSlot } from "./workers";
import { useWinograd, useWinogradGrad, winogradConv, winogradFilterGrad } from "./winograd";

export interface FilterGeometry {
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  top: number;
  left: number;
}

/**
 * Conv2DBackpropFilter, NHWC float32: dW [kh, kw, ci, co] from x [n, H, W, ci] and dy [n, oh, ow, co],
 * by the own kernel (see ./wat.ts). x is zero-padded first (one PadV2) when the geometry needs it.
 */
export function filterGrad(o: Ops, k: OwnExports, x: TensorInfo, dy: TensorInfo, g: FilterGeometry): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, H, W, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const { kh, kw, strideH: sh, strideW: sw, top, left } = g;
  if (n * oh * ow === 0) return o.filled([kh, kw, ci, co], 0);
  if (useWinogradGrad(g, ci, co, Math.ceil(oh / 2) * Math.ceil(ow / 2))) return winogradFilterGrad(o, k, x, dy, top, left);
  const Hp = Math.max(H + top, (oh - 1) * sh + kh);
  const Wp = Math.max(W + left, (ow - 1) * sw + kw);
  const xp = top || left || Hp > H + top || Wp > W + left
    ? o.pad(x, [[0, 0], [top, Hp - H - top], [left, Wp - W - left], [0, 0]])
    : x;
  const M = kh * kw * ci;
  const rowsPadded = Math.ceil(M / TILE_ROWS) * TILE_ROWS;
  const out = o.track(o.backend.makeOutput([kh, kw, ci, co], "float32"));
  if (size(out.shape) === 0) return out;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * M * co * oh * ow * n);
  const perThread = 32 * TILE_ROWS + oh * ow * Math.ceil(co / 8) * 32;
  const partBytes = M * co * 4;
  const T = picked.length;
  const block = mod._malloc(4 * rowsPadded + T * perThread + (T - 1) * partBytes);
  try {
    const offs = block;
    const table = new Int32Array(memory.buffer, offs, rowsPadded); // after the malloc (growth detaches)
    for (let m = 0; m < rowsPadded; m++) {
      const r = Math.min(m, M - 1);
      const c = r % ci;
      const j = Math.floor(r / ci) % kw;
      const i = Math.floor(r / (kw * ci));
      table[m] = ((i * Wp + j) * ci + c) * 4;
    }
    const [px, pdy, pc] = [offsetOf(o, xp), offsetOf(o, dy), offsetOf(o, out)];
    const job: [number, number][] = [[Slot.KIND, 0], [Slot.N, n], [Slot.X, px], [Slot.XSTEP, Hp * Wp * ci * 4], [Slot.DY, pdy],
      [Slot.DYSTEP, oh * ow * co * 4], [Slot.OFFS, offs], [Slot.M, M], [Slot.OH, oh], [Slot.OW, ow],
      [Slot.CS, sw * ci * 4], [Slot.RS, sh * Wp * ci * 4], [Slot.CO, co]];
    const parts = picked.map((_, i) => (i === 0 ? pc : offs + 4 * rowsPadded + T * perThread + (i - 1) * partBytes));
    const counts = runJob(k, threads, picked, job, (i) => {
      const scratch = offs + 4 * rowsPadded + i * perThread;
      return [[ThreadSlot.PART, parts[i]], [ThreadSlot.SCRATCH, scratch], [ThreadSlot.PANELS, scratch + 32 * TILE_ROWS]];
    });
    if (counts) sumParts(memory.buffer, parts, counts, M * co);
  } finally {
    mod._free(block);
  }
  return out;
}

/**
 * Conv2D, NHWC float32, stride 1..s, by the filter-gradient kernel with the roles swapped: rows = output
 * positions (offset table), K = kh rows of kw·ci contiguous floats of x (cs 4 bytes, rs one padded x row),
 * B = the filter packed once. `pads` [top, bottom, left, right]; x is zero-padded first when needed.
 * `bias` [co] and `relu` are applied as the tiles are stored (no pass over the output).
 * Samples shared by every thread like the filter gradient's (each writes its own output samples).
 */
export function conv2dOwn(o: Ops, k: OwnExports, x: TensorInfo, filter: TensorInfo, sh: number, sw: number,
  pads: [number, number, number, number], bias?: TensorInfo, relu = false): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, H, W, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  if (useWinograd(kh, kw, sh, sw, ci, co)) return winogradConv(o, k, x, filter, pads, bias, relu);
  const [top, bottom, left, right] = pads;
  const Hp = H + top + bottom;
  const Wp = W + left + right;
  const oh = Math.floor((Hp - kh) / sh) + 1;
  const ow = Math.floor((Wp - kw) / sw) + 1;
  const xp = top || bottom || left || right ? o.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
  const out = o.track(o.backend.makeOutput([n, oh, ow, co], "float32"));
  if (size(out.shape) === 0) return out;
  const M = oh * ow;
  const K = kh * kw * ci;
  const rowsPadded = Math.ceil(M / TILE_ROWS) * TILE_ROWS;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * M * K * co * n);
  const panelBytes = K * Math.ceil(co / 8) * 32;
  const tileBytes = 4 * rowsPadded; // 16 bytes per tile of 4 rows
  const block = mod._malloc(4 * rowsPadded + tileBytes + panelBytes + picked.length * 32 * TILE_ROWS);
  try {
    const table = new Int32Array(memory.buffer, block, rowsPadded);
    for (let m = 0; m < rowsPadded; m++) {
      const r = Math.min(m, M - 1);
      table[m] = ((Math.floor(r / ow) * sh * Wp + (r % ow) * sw) * ci) * 4;
    }
    const tiles = block + 4 * rowsPadded;
    windowParts(new Int32Array(memory.buffer, tiles, rowsPadded), M, ow, { H, W, top, left, sh, sw, kh, kw, ci });
    const panels = tiles + tileBytes;
    const [px, pf, pc] = [offsetOf(o, xp), offsetOf(o, filter), offsetOf(o, out)];
    k.packB(pf, co * 4, K, co, panels);
    const job: [number, number][] = [[Slot.KIND, 1], [Slot.N, n], [Slot.X, px], [Slot.XSTEP, Hp * Wp * ci * 4],
      [Slot.DY, pc], [Slot.DYSTEP, M * co * 4], [Slot.OFFS, block], [Slot.M, M], [Slot.OH, kh], [Slot.OW, kw * ci],
      [Slot.CS, 4], [Slot.RS, Wp * ci * 4], [Slot.CO, co], [Slot.BIAS, bias ? offsetOf(o, bias) : 0], [Slot.RELU, relu ? 1 : 0],
      [Slot.TILES, tiles]];
    runJob(k, threads, picked, job, (i) => [[ThreadSlot.PANELS, panels], [ThreadSlot.SCRATCH, panels + panelBytes + i * 32 * TILE_ROWS]]);
  } finally {
    mod._free(block);
  }
  return out;
}

/**
 * Per tile of 4 output positions (rows m, the last tile's extra rows = row M − 1): the window rows
 * [t0, t1) and columns [j0, j1) that hold input pixels for at least one of them — the rest multiplies the
 * zero padding for all four. Written as [t0, t1 − t0, j0·ci, (j1 − j0)·ci]; never empty (a window wholly
 * in the padding keeps one row and column of zeros, so the tile still stores bias/0).
 */
export function windowParts(out: Int32Array, M: number, ow: number,
  g: { H: number; W: number; top: number; left: number; sh: number; sw: number; kh: number; kw: number; ci: number }): void {
  const { H, W, top, left, sh, sw, kh, kw, ci } = g;
  for (let tile = 0; 4 * tile < M; tile++) {
    let [t0, t1, j0, j1] = [kh, 0, kw, 0];
    for (let m = 4 * tile; m < Math.min(4 * tile + 4, M); m++) {
      const p = Math.floor(m / ow) * sh - top;
      const q = (m % ow) * sw - left;
      t0 = Math.min(t0, Math.max(0, -p));
      t1 = Math.max(t1, Math.min(kh, H - p));
      j0 = Math.min(j0, Math.max(0, -q));
      j1 = Math.max(j1, Math.min(kw, W - q));
    }
    if (t1 <= t0) [t0, t1] = [0, 1];
    if (j1 <= j0) [j0, j1] = [0, 1];
    out.set([t0, t1 - t0, j0 * ci, (j1 - j0) * ci], 4 * tile);
  }
}
