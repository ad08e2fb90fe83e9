// Driver of the own GEMM (the convolution micro-kernel of ./wat.ts with rows = rows of op(A)).
import { type Ops, type TensorInfo, size } from "../util";
import { type OwnExports, type WasmModule, loaded, offsetOf, pickThreads, runJob } from "./runtime";
import { TILE_ROWS } from "./wat";
import { Slot, ThreadSlot } from "./workers";

/** K per chunk of the own GEMM: 4 rows × 512 floats of A (8 KB) and a 16 KB panel chunk stay in L1. */
export const GEMM_KC = 512;
/**
 * Knob for tests and scripts/bench: the panels of B (8 columns each) from which A is packed first, each
 * packed tile then serving them all (fewer, and the copy costs more than the faster reads save).
 */
export const gemmTuning = { packMinPanels: 3 };
/** Bytes of A per row block and K chunk (see matMulOwn). */
const GEMM_A_BLOCK = 64 * 1024;

/**
 * C [M, N] = op(A)·op(B) (+ bias [N], then relu), float32, on the own kernel. `a` is [M, K] (or stored
 * [K, M] when tA: read in place, rows 4 bytes apart, K steps one stored row apart); `b` is [K, N] (or
 * [N, K] when tB), packed once into 8-column panels (packB / packBT) — weights change every step, so
 * there is nothing to cache, unlike XNNPACK's operator cache, which repacks (and, for W [9216, 128],
 * transposes) on each new weight tensor. Rows go in blocks to the threads; K in chunks of GEMM_KC.
 * (relu with several chunks: a Relu pass after, the tiles' epilogue sees one chunk only.)
 */
export function matMulOwn(o: Ops, k: OwnExports, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean,
  bias?: TensorInfo, relu = false): TensorInfo {
  const mod = o.backend.wasm as unknown as WasmModule;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [M, K] = tA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const N = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  const out = o.track(o.backend.makeOutput([M, N], "float32"));
  const chunks = Math.max(1, Math.ceil(K / GEMM_KC));
  if (M * N === 0) return out;
  if (K === 0) {
    // (empty sum: bias, or 0)
    const c = o.backend.typedArrayFromHeap(out) as Float32Array;
    const bv = bias ? (o.backend.typedArrayFromHeap(bias) as Float32Array) : null;
    for (let i = 0; i < M * N; i++) c[i] = Math.max(bv ? bv[i % N] : 0, relu ? 0 : -Infinity);
    return out;
  }
  const { memory, threads } = loaded(o.backend);
  // row blocks (multiples of the 4-row tile): at most ~64 KB of A per K chunk, so that the block stays
  // in L1/L2 while every panel passes over it, and at most M / T rows, so that every thread gets one;
  // the last block takes the rest (one job: threads take blocks in turn, a late one takes none)
  const T = pickThreads(threads, Math.ceil(M / TILE_ROWS), 2 * M * N * K).length;
  const up4 = (v: number) => Math.ceil(v / TILE_ROWS) * TILE_ROWS;
  const R = Math.max(TILE_ROWS, Math.min(up4(Math.ceil(M / T)), Math.floor(GEMM_A_BLOCK / (4 * Math.min(K, GEMM_KC)) / TILE_ROWS) * TILE_ROWS));
  const full = Math.floor(M / R);
  const rest = M - full * R;
  const blocks = full + (rest > 0 ? 1 : 0);
  const tilesPerBlock = R / TILE_ROWS;
  const panelBytes = K * Math.ceil(N / 8) * 32;
  const tstride = 16 * tilesPerBlock;
  // A packed per thread when its tiles serve enough panels to pay for the copy (see pack-wat.ts packA4)
  const kcMax = Math.min(K, GEMM_KC);
  const pack = Math.ceil(N / 8) >= gemmTuning.packMinPanels;
  const packBytes = pack ? tilesPerBlock * kcMax * 16 : 0;
  const block = mod._malloc(8 * R + chunks * tstride + panelBytes + T * 32 * TILE_ROWS + (pack ? 4 * R + T * packBytes : 0));
  try {
    const heap = memory.buffer;
    // row offsets of a full block, then of the last partial one (rows past its end: its last row's)
    const offs = new Int32Array(heap, block, 2 * R);
    for (let m = 0; m < R; m++) offs[m] = (tA ? m : m * K) * 4;
    for (let m = 0; m < R; m++) offs[R + m] = offs[Math.min(m, Math.max(rest, 1) - 1)];
    const tiles = block + 8 * R;
    const tt = new Int32Array(heap, tiles, chunks * 4 * tilesPerBlock);
    for (let q = 0; q < chunks; q++) {
      const k0 = q * GEMM_KC;
      for (let t = 0; t < tilesPerBlock; t++) tt.set([0, 1, k0, Math.min(GEMM_KC, K - k0)], 4 * (q * tilesPerBlock + t));
    }
    const panels = tiles + chunks * tstride;
    const packed = panels + panelBytes + T * 32 * TILE_ROWS; // the packed tiles' row offsets, then each thread's tiles
    if (pack) {
      const po = new Int32Array(heap, packed, R);
      for (let m = 0; m < R; m++) po[m] = (m >> 2) * kcMax * 16 + (m & 3) * 4;
    }
    const [pa, pb, pc] = [offsetOf(o, a), offsetOf(o, b), offsetOf(o, out)];
    if (tB) k.packBT(pb, K * 4, K, N, panels);
    else k.packB(pb, N * 4, K, N, panels);
    const rowStep = (tA ? 1 : K) * 4;
    const job: [number, number][] = [[Slot.KIND, 3], [Slot.N, blocks], [Slot.OH, rest],
      [Slot.X, pa], [Slot.XSTEP, R * rowStep], [Slot.DY, pc], [Slot.DYSTEP, R * N * 4],
      [Slot.OFFS, block], [Slot.M, R], [Slot.OW, K], [Slot.CS, tA ? M * 4 : 4], [Slot.RS, 0], [Slot.CO, N],
      [Slot.BIAS, bias ? offsetOf(o, bias) : 0], [Slot.RELU, relu ? 1 : 0], [Slot.TILES, tiles], [Slot.CHUNKS, chunks],
      [Slot.TSTRIDE, tstride], [Slot.P, pack ? packed : 0], [Slot.P + 1, kcMax * 16], [Slot.P + 2, GEMM_KC]];
    const scratch = (i: number): Array<[number, number]> => [[ThreadSlot.PANELS, panels], [ThreadSlot.SCRATCH, panels + panelBytes + i * 32 * TILE_ROWS],
      [ThreadSlot.PART, packed + 4 * R + i * packBytes]];
    runJob(k, threads, pickThreads(threads, blocks, 2 * M * N * K), job, scratch);
  } finally {
    mod._free(block);
  }
  return relu && chunks > 1 ? o.run("Relu", { x: out }) : out;
}
