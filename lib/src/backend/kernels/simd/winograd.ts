// Drivers of Winograd F(2×2, 3×3) (./winograd-wat.ts): the forward convolution (and, through conv2dOwn,
// the input gradient) and the filter gradient, on the GEMM micro-kernel, samples shared by the threads.
import { type Ops, type TensorInfo, size } from "../util";
import { type OwnExports, type WasmModule, loaded, offsetOf, pickThreads, runJob, sumParts } from "./runtime";
import { TILE_ROWS } from "./wat";
import { Slot, ThreadSlot } from "./workers";
import type { FilterGeometry } from "./conv";

/**
 * Knob for tests and scripts/bench: `on` false runs every 3×3 convolution directly. minChannels: below it
 * the products' K (ci) is too short for the transforms to pay (2 cores, ms fwd/dx Winograd vs direct:
 * [128,32,32,16]→16 8.7/8.4 vs 7.3/7.3; →32 at 16×16 5.6/5.7 vs 6.6/6.2; 64 at 8×8 4.6/4.8 vs 5.7/5.7;
 * the MNIST net's conv2 32→64 8.6/10.5 vs 13.5/15.8).
 */
export const winogradTuning = { on: true, minChannels: 24, gradMinTiles: 128, gradMinChannels: 64 };

/** Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions with channel counts a multiple of 4 (≥ minChannels). */
export function useWinograd(kh: number, kw: number, sh: number, sw: number, ci: number, co: number): boolean {
  return winogradTuning.on && kh === 3 && kw === 3 && sh === 1 && sw === 1 && ci % 4 === 0 && co % 4 === 0 &&
    ci >= winogradTuning.minChannels && co >= winogradTuning.minChannels;
}

/**
 * The 2×2 tiles (th × tw) of an oh × ow output, and x zero-padded (top, left, then as far as the tiles'
 * 4×4 input patches reach: past an odd output's last row/column too).
 */
function tiled(o: Ops, x: TensorInfo, oh: number, ow: number, top: number, left: number) {
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const [H, W] = [x.shape[1], x.shape[2]];
  const xp = o.pad(x, [[0, 0], [top, Math.max(0, 2 * th + 2 - H - top)], [left, Math.max(0, 2 * tw + 2 - W - left)], [0, 0]]);
  return { th, tw, tiles: th * tw, xp, Hp: xp.shape[1], Wp: xp.shape[2] };
}

/** G g Gᵀ for every (ci, co) of a [3, 3, ci, co] filter: U [16][ci][co] (ξ = 4·row + column). */
function winogradFilter(w: Float32Array, ci: number, co: number): Float32Array {
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
  const cc = ci * co;
  const u = new Float32Array(16 * cc);
  const t = new Float64Array(12); // G g: 4 × 3
  for (let e = 0; e < cc; e++) {
    for (let a = 0; a < 4; a++)
      for (let j = 0; j < 3; j++) t[a * 3 + j] = G[a][0] * w[j * cc + e] + G[a][1] * w[(3 + j) * cc + e] + G[a][2] * w[(6 + j) * cc + e];
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) u[(a * 4 + b) * cc + e] = t[a * 3] * G[b][0] + t[a * 3 + 1] * G[b][1] + t[a * 3 + 2] * G[b][2];
  }
  return u;
}

/**
 * A 3×3 stride-1 convolution as Winograd F(2×2, 3×3) (./winograd-wat.ts): per sample, the 4×4 input
 * patches of the 2×2 output tiles transformed (V [16][tiles][ci]), 16 products V[ξ]·U[ξ] on the GEMM
 * micro-kernel (M [16][tiles][co]), the output transform with bias and relu. 604 instead of 1,359 MFLOP of
 * products for the MNIST net's conv2. Samples shared by the threads; V and M in each thread's scratch.
 */
export function winogradConv(o: Ops, k: OwnExports, x: TensorInfo, filter: TensorInfo, pads: [number, number, number, number],
  bias?: TensorInfo, relu = false): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, H, W, ci] = x.shape;
  const co = filter.shape[3];
  const [top, bottom, left, right] = pads;
  const oh = H + top + bottom - 2;
  const ow = W + left + right - 2;
  const out = o.track(o.backend.makeOutput([n, Math.max(oh, 0), Math.max(ow, 0), co], "float32"));
  if (size(out.shape) === 0) return out;
  const { th, tw, tiles, xp, Hp, Wp } = tiled(o, x, oh, ow, top, left);
  const rowsPadded = Math.ceil(tiles / TILE_ROWS) * TILE_ROWS;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * n * tiles * 16 * ci * co);
  const T = picked.length;
  const xiPanels = ci * Math.ceil(co / 8) * 32;
  const perThread = 16 * tiles * (ci + co) * 4;
  const uBytes = 16 * ci * co * 4;
  const block = mod._malloc(4 * rowsPadded + 16 * xiPanels + uBytes + T * (perThread + 32 * TILE_ROWS));
  try {
    const table = new Int32Array(memory.buffer, block, rowsPadded);
    for (let m = 0; m < rowsPadded; m++) table[m] = Math.min(m, tiles - 1) * ci * 4;
    const panels = block + 4 * rowsPadded;
    // U [16][ci][co], then packed per ξ into 8-column panels
    const uAt = panels + 16 * xiPanels;
    const u = winogradFilter(o.backend.typedArrayFromHeap(filter) as Float32Array, ci, co);
    new Float32Array(memory.buffer, uAt, u.length).set(u);
    for (let xi = 0; xi < 16; xi++) k.packB(uAt + xi * ci * co * 4, co * 4, ci, co, panels + xi * xiPanels);
    const scratch0 = uAt + uBytes;
    const geometry = [Wp, ci, th, tw, co, oh, ow, xiPanels];
    const job: [number, number][] = [[Slot.KIND, 5], [Slot.N, n], [Slot.X, offsetOf(o, xp)], [Slot.XSTEP, Hp * Wp * ci * 4],
      [Slot.DY, offsetOf(o, out)], [Slot.DYSTEP, oh * ow * co * 4], [Slot.OFFS, block], [Slot.BIAS, bias ? offsetOf(o, bias) : 0],
      [Slot.RELU, relu ? 1 : 0], ...geometry.map((v, i): [number, number] => [Slot.P + i, v])];
    runJob(k, threads, picked, job, (i) => {
      const base = scratch0 + i * (perThread + 32 * TILE_ROWS);
      return [[ThreadSlot.PART, base], [ThreadSlot.PANELS, panels], [ThreadSlot.SCRATCH, base + perThread]];
    });
  } finally {
    mod._free(block);
  }
  return out;
}

/**
 * Whether a filter gradient runs as Winograd: a 3×3 stride-1 conv, ci a multiple of 4, co of 8, and
 * enough work per sample to pay for re-reading dU (16·ci·co) once per sample: ≥ 128 tiles or ≥ 64
 * channels. Measured (2 cores, ms Winograd / direct): MNIST conv2 (144 tiles, 32 → 64) 11.3 / 13.4;
 * [128,8,8,64] → 64 5.9 / 7.1; [128,16,16,32] → 32 (64 tiles) 8.5 / 6.9, left direct.
 */
export function useWinogradGrad(g: FilterGeometry, ci: number, co: number, tiles: number): boolean {
  return useWinograd(g.kh, g.kw, g.strideH, g.strideW, ci, co) && co % 8 === 0 &&
    (tiles >= winogradTuning.gradMinTiles || Math.min(ci, co) >= winogradTuning.gradMinChannels);
}

/**
 * Conv2DBackpropFilter of a 3×3 stride-1 convolution by back-propagating through Winograd F(2×2, 3×3):
 * per sample V = Bᵀ x B (as the forward), dM = A dY Aᵀ (./winograd-wat.ts, in panel layout), dU[ξ] +=
 * V[ξ]ᵀ·dM[ξ] on the GEMM micro-kernel; then the threads' dU summed and dW = Gᵀ dU G. Exact in exact
 * arithmetic (the gradient of an exact algorithm), the same 2.25× fewer multiplications.
 */
export function winogradFilterGrad(o: Ops, k: OwnExports, x: TensorInfo, dy: TensorInfo, top: number, left: number): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const [n, , , ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const out = o.track(o.backend.makeOutput([3, 3, ci, co], "float32"));
  const { th, tw, tiles, xp, Hp, Wp } = tiled(o, x, oh, ow, top, left);
  const rowsPadded = Math.ceil(ci / TILE_ROWS) * TILE_ROWS;
  const { memory, threads } = loaded(o.backend);
  const picked = pickThreads(threads, n, 2 * n * tiles * 16 * ci * co);
  const T = picked.length;
  const vBytes = 16 * tiles * ci * 4;
  const perThread = vBytes + 16 * tiles * co * 4 + 16 * ci * co * 4 + 32 * TILE_ROWS;
  const block = mod._malloc(4 * rowsPadded + T * perThread);
  try {
    const table = new Int32Array(memory.buffer, block, rowsPadded);
    for (let m = 0; m < rowsPadded; m++) table[m] = Math.min(m, ci - 1) * 4;
    const base = (i: number) => block + 4 * rowsPadded + i * perThread;
    const partAt = (i: number) => base(i) + vBytes + 16 * tiles * co * 4;
    const job: [number, number][] = [[Slot.KIND, 6], [Slot.N, n], [Slot.X, offsetOf(o, xp)], [Slot.XSTEP, Hp * Wp * ci * 4],
      [Slot.DY, offsetOf(o, dy)], [Slot.DYSTEP, oh * ow * co * 4], [Slot.OFFS, block],
      ...[Wp, ci, th, tw, co, oh, ow, vBytes].map((v, i): [number, number] => [Slot.P + i, v])];
    const counts = runJob(k, threads, picked, job, (i) => [[ThreadSlot.PANELS, base(i)], [ThreadSlot.PART, partAt(i)],
      [ThreadSlot.SCRATCH, partAt(i) + 16 * ci * co * 4]]);
    const cc = ci * co;
    if (counts) sumParts(memory.buffer, picked.map((_, i) => partAt(i)), counts, 16 * cc);
    // dW[r][s] = Σ_ij G[i][r] G[j][s] dU[i][j]
    const dU = new Float32Array(memory.buffer, partAt(0), 16 * cc);
    const dW = o.backend.typedArrayFromHeap(out) as Float32Array;
    const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
    const t = new Float64Array(12); // Gᵀ dU: 3 × 4
    for (let e = 0; e < cc; e++) {
      for (let r = 0; r < 3; r++)
        for (let j = 0; j < 4; j++) t[r * 4 + j] = G[0][r] * dU[j * cc + e] + G[1][r] * dU[(4 + j) * cc + e] + G[2][r] * dU[(8 + j) * cc + e] + G[3][r] * dU[(12 + j) * cc + e];
      for (let r = 0; r < 3; r++)
        for (let s = 0; s < 3; s++) dW[(r * 3 + s) * cc + e] = t[r * 4] * G[0][s] + t[r * 4 + 1] * G[1][s] + t[r * 4 + 2] * G[2][s] + t[r * 4 + 3] * G[3][s];
    }
  } finally {
    mod._free(block);
  }
  return out;
}
