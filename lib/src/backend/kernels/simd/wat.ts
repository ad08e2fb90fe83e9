// The source of tsdl's own wasm SIMD kernels: WebAssembly text, generated here and assembled by
// `node scripts/build-wasm.js` (devDependency wabt) into ./binary.ts, which is what runs. Plain wasm SIMD
// (128-bit, no relaxed SIMD: FMA measured no faster here, see README), one thread.
//
// filterGrad: dW[kh,kw,ci,co] = Σ_{n,p,q} xp[n, p·s+i, q·s+j, c] · dy[n,p,q,o], an implicit-im2col GEMM:
// M = kh·kw·ci rows (i,j,c), N = co, K = n·oh·ow. Row m of A at output position (p,q) of sample n lies at
// xp + n·Hp·Wp·ci + p·s·Wp·ci + q·s·ci + off(m), off(m) = (i·Wp + j)·ci + c (xp: x zero-padded): one
// offset per row, one stride per q step, one per output row, so A is read in place (no im2col matrix).
// K is blocked by sample: packB() copies the sample's dy [oh·ow, co] into panels [oh·ow][8] (zero-padded
// columns), then macroConv() runs a 4×8 register tile (8 accumulators) over every (panel, row tile),
// adding into C from the second sample on. Why it beats XNNPACK's Conv2D on the swapped problem: that
// conv sees few channels per tap and a K far past the caches; here each panel (≤ 25 KB for the course's
// nets) stays in L1 and each sample's x plane in L2.
import { maxPoolGradFuncs } from "./pool-wat";
import { tanhFuncs } from "./tanh-wat";
import { packA4Funcs, packBTFuncs } from "./pack-wat";
import { affineU8Funcs } from "./affine-wat";
import { winogradFuncs } from "./winograd-wat";
import { sgdStepFuncs } from "./optim-wat";
import { avgPoolGradFuncs } from "./avgpool-wat";
import { actGradFuncs } from "./act-wat";
import { channelFuncs } from "./channels-wat";

const MR = 4;

/**
 * The module's text (filter gradient, convolution and GEMM here, MaxPoolGrad from ./pool-wat.ts, Tanh from
 * ./tanh-wat.ts, packBT from ./pack-wat.ts, affineU8 from ./affine-wat.ts, Winograd transforms from
 * ./winograd-wat.ts, sgdStep from ./optim-wat.ts, avgPoolGrad from ./avgpool-wat.ts, actGrad from ./act-wat.ts, chanSum and chanAffine from ./channels-wat.ts); `shared`: the memory import
 * of tfjs' threaded build (a shared memory).
 */
export function kernelsWat(shared: boolean): string {
  const rows = [...Array(MR).keys()];
  const madd = (c: string, b: string) => `(f32x4.add (local.get ${c}) (f32x4.mul (local.get $v) (local.get ${b})))`;
  const L: string[] = [];
  const p = (...s: string[]) => L.push(...s);
  p(`(module`);
  p(`  (import "env" "memory" (memory 1 ${shared ? "65536 shared" : ""}))`);
  // ---- micro-kernel: a rows × cols tile of C (rows ≤ 4, cols ≤ 8) from one sample. $tile4: the same for
  // 4 rows at consecutive floats (A read transposed, a filter gradient's channels, packed rows): one
  // pointer and constant load offsets instead of 4 pointers stepped each k — V8 keeps the loop lighter
  // (1 thread, 300×784×100: 44 → 53 GFLOP/s in the experiment of scripts/bench/simd-gemm)
  for (const contig of [false, true]) {
    p(`  (func ${contig ? "$tile4" : "$tile"} (param $a i32) (param $offs i32) (param $bp i32) (param $oh i32) (param $ow i32) (param $cs i32)`);
    p(`    (param $rs i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $rows i32) (param $cols i32) (param $scratch i32)`);
    p(`    (param $bias i32) (param $relu i32) (param $bskip i32)`);
    p(`    (local $end i32) (local $wrap i32) (local $t i32) (local $i i32) (local $j i32) (local $v v128) (local $b0 v128) (local $b1 v128)`);
    for (const i of rows) p(`    (local $a${i} i32) (local $c${i}0 v128) (local $c${i}1 v128)`);
    // rows past M have the last row's offset (the caller pads the table): valid reads, results not stored
    for (const i of contig ? [0] : rows) p(`    (local.set $a${i} (i32.add (local.get $a) (i32.load offset=${4 * i} (local.get $offs))))`);
    p(`    (local.set $wrap (i32.sub (local.get $rs) (i32.mul (local.get $ow) (local.get $cs))))`);
    p(`    (local.set $t (local.get $oh))`);
    p(`    (loop $row`);
    p(`      (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $ow) (i32.const 5))))`);
    p(`      (loop $q`);
    p(`        (local.set $b0 (v128.load (local.get $bp)))`);
    p(`        (local.set $b1 (v128.load offset=16 (local.get $bp)))`);
    for (const i of rows) {
      p(contig ? `        (local.set $v (v128.load32_splat offset=${4 * i} (local.get $a0)))` : `        (local.set $v (v128.load32_splat (local.get $a${i})))`);
      p(`        (local.set $c${i}0 ${madd(`$c${i}0`, "$b0")})`);
      p(`        (local.set $c${i}1 ${madd(`$c${i}1`, "$b1")})`);
      if (!contig) p(`        (local.set $a${i} (i32.add (local.get $a${i}) (local.get $cs)))`);
    }
    if (contig) p(`        (local.set $a0 (i32.add (local.get $a0) (local.get $cs)))`);
    p(`        (local.set $bp (i32.add (local.get $bp) (i32.const 32)))`);
    p(`        (br_if $q (i32.lt_u (local.get $bp) (local.get $end))))`);
    p(`      (local.set $bp (i32.add (local.get $bp) (local.get $bskip)))`);
    for (const i of contig ? [0] : rows) p(`      (local.set $a${i} (i32.add (local.get $a${i}) (local.get $wrap)))`);
    p(`      (local.set $t (i32.sub (local.get $t) (i32.const 1)))`);
    p(`      (br_if $row (local.get $t)))`);
    // epilogue (forward conv): + bias[col], then max(·, 0); $b0/$b1 hold the bias (zero without one)
    p(`    (if (local.get $bias) (then`);
    p(`      (if (i32.eq (local.get $cols) (i32.const 8)) (then`);
    p(`        (local.set $b0 (v128.load (local.get $bias)))`);
    p(`        (local.set $b1 (v128.load offset=16 (local.get $bias))))`);
    p(`      (else`);
    p(`        (v128.store (local.get $scratch) (v128.const i32x4 0 0 0 0))`);
    p(`        (v128.store offset=16 (local.get $scratch) (v128.const i32x4 0 0 0 0))`);
    p(`        (local.set $j (i32.const 0))`);
    p(`        (loop $bj`);
    p(`          (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2)))`);
    p(`            (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))`);
    p(`          (local.set $j (i32.add (local.get $j) (i32.const 1)))`);
    p(`          (br_if $bj (i32.lt_u (local.get $j) (local.get $cols))))`);
    p(`        (local.set $b0 (v128.load (local.get $scratch)))`);
    p(`        (local.set $b1 (v128.load offset=16 (local.get $scratch)))))`);
    for (const i of rows) {
      p(`      (local.set $c${i}0 (f32x4.add (local.get $c${i}0) (local.get $b0)))`);
      p(`      (local.set $c${i}1 (f32x4.add (local.get $c${i}1) (local.get $b1)))`);
    }
    p(`    ))`);
    p(`    (if (local.get $relu) (then`);
    for (const i of rows) {
      p(`      (local.set $c${i}0 (f32x4.max (local.get $c${i}0) (v128.const i32x4 0 0 0 0)))`);
      p(`      (local.set $c${i}1 (f32x4.max (local.get $c${i}1) (v128.const i32x4 0 0 0 0)))`);
    }
    p(`    ))`);
    // full-width tile: vector stores (adding C's previous value when acc)
    p(`    (if (i32.eq (local.get $cols) (i32.const 8)) (then`);
    for (const i of rows) {
      const body = [
        `(local.set $end (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${i}))))`,
        `(if (local.get $acc) (then`,
        `  (local.set $c${i}0 (f32x4.add (local.get $c${i}0) (v128.load (local.get $end))))`,
        `  (local.set $c${i}1 (f32x4.add (local.get $c${i}1) (v128.load offset=16 (local.get $end))))))`,
        `(v128.store (local.get $end) (local.get $c${i}0))`,
        `(v128.store offset=16 (local.get $end) (local.get $c${i}1))`,
      ];
      if (i === 0) p(...body.map((s) => "      " + s));
      else p(`      (if (i32.gt_u (local.get $rows) (i32.const ${i})) (then`, ...body.map((s) => "        " + s), `      ))`);
    }
    p(`      (return)))`);
    // partial tile (co not a multiple of 8): per row, a vector store of the first 4 columns when there are
    // 4, then the rest lane by lane (constant lanes, guarded by cols); C's previous value added when acc
    const lane = (i: number, half: number, l: number, at: string) =>
      `(f32.store offset=${at} (local.get $end) (f32.add (f32x4.extract_lane ${l} (local.get $c${i}${half})) ` +
      `(select (f32.load offset=${at} (local.get $end)) (f32.const 0) (local.get $acc))))`;
    for (const i of rows) {
      p(`    (if (i32.gt_u (local.get $rows) (i32.const ${i})) (then`);
      p(`      (local.set $end (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${i}))))`);
      p(`      (if (i32.ge_u (local.get $cols) (i32.const 4)) (then`);
      p(`        (if (local.get $acc) (then (local.set $c${i}0 (f32x4.add (local.get $c${i}0) (v128.load (local.get $end))))))`);
      p(`        (v128.store (local.get $end) (local.get $c${i}0))`);
      for (const l of [0, 1, 2]) p(`        (if (i32.gt_u (local.get $cols) (i32.const ${4 + l})) (then ${lane(i, 1, l, String(16 + 4 * l))}))`);
      p(`      ) (else`);
      for (const l of [0, 1, 2]) p(`        (if (i32.gt_u (local.get $cols) (i32.const ${l})) (then ${lane(i, 0, l, String(4 * l))}))`);
      p(`      ))))`);
    }
    p(`  )`);
  }
  // ---- packB: kc rows × nc columns (row stride ldb bytes) → ceil(nc/8) panels [kc][8], zero-padded
  p(`  (func (export "packB") (param $b i32) (param $ldb i32) (param $kc i32) (param $nc i32) (param $dst i32)`);
  p(`    (local $j0 i32) (local $k i32) (local $src i32) (local $w i32) (local $j i32)`);
  p(`    (loop $panel`);
  p(`      (local.set $w (i32.sub (local.get $nc) (local.get $j0)))`);
  p(`      (local.set $k (i32.const 0))`);
  p(`      (local.set $src (i32.add (local.get $b) (i32.shl (local.get $j0) (i32.const 2))))`);
  p(`      (loop $row`);
  p(`        (if (i32.ge_u (local.get $w) (i32.const 8)) (then`);
  p(`          (v128.store (local.get $dst) (v128.load (local.get $src)))`);
  p(`          (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src))))`);
  p(`        (else`);
  p(`          (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))`);
  p(`          (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0))`);
  p(`          (local.set $j (i32.const 0))`);
  p(`          (loop $col`);
  p(`            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))`);
  p(`              (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))`);
  p(`            (local.set $j (i32.add (local.get $j) (i32.const 1)))`);
  p(`            (br_if $col (i32.lt_u (local.get $j) (local.get $w))))))`);
  p(`        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))`);
  p(`        (local.set $src (i32.add (local.get $src) (local.get $ldb)))`);
  p(`        (local.set $k (i32.add (local.get $k) (i32.const 1)))`);
  p(`        (br_if $row (i32.lt_u (local.get $k) (local.get $kc))))`);
  p(`      (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))`);
  p(`      (br_if $panel (i32.lt_u (local.get $j0) (local.get $nc)))))`);
  // ---- macroConv: C[M × nc] (+)= one sample's gradient, every (panel, 4-row tile); offs: M byte offsets
  // (padded to a multiple of 4 with the last one), a: the sample's padded x, bp: its packed dy; bias
  // (byte offset, 0: none) and relu: the forward conv's epilogue. tiles (0: none): per 4-row tile, the
  // part of K its rows need [first K row, K rows, first q, q count] (i32 ×4): a conv skips the rows and
  // columns of its window that lie in the zero padding for all four output positions.
  p(`  (func (export "macroConv") (param $a i32) (param $offs i32) (param $m i32) (param $bp i32) (param $oh i32) (param $ow i32)`);
  p(`    (param $cs i32) (param $rs i32) (param $nc i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $scratch i32)`);
  p(`    (param $bias i32) (param $relu i32) (param $tiles i32)`);
  p(`    (local $j0 i32) (local $r i32) (local $cols i32) (local $rows i32)`);
  p(`    (local $tp i32) (local $aoff i32) (local $boff i32) (local $bskip i32) (local $kr i32) (local $kq i32) (local $o0 i32)`);
  p(`    (loop $panel`);
  p(`      (local.set $cols (select (i32.const 8) (i32.sub (local.get $nc) (local.get $j0)) (i32.ge_u (i32.sub (local.get $nc) (local.get $j0)) (i32.const 8))))`);
  p(`      (local.set $r (i32.const 0))`);
  p(`      (loop $tiles`);
  p(`        (local.set $rows (select (i32.const ${MR}) (i32.sub (local.get $m) (local.get $r)) (i32.ge_u (i32.sub (local.get $m) (local.get $r)) (i32.const ${MR}))))`);
  p(`        (local.set $aoff (i32.const 0))`);
  p(`        (local.set $boff (i32.const 0))`);
  p(`        (local.set $bskip (i32.const 0))`);
  p(`        (local.set $kr (local.get $oh))`);
  p(`        (local.set $kq (local.get $ow))`);
  p(`        (if (local.get $tiles) (then`);
  p(`          (local.set $tp (i32.add (local.get $tiles) (i32.shl (local.get $r) (i32.const 2))))`); // r/4 · 16 bytes
  p(`          (local.set $kr (i32.load offset=4 (local.get $tp)))`);
  p(`          (local.set $kq (i32.load offset=12 (local.get $tp)))`);
  p(`          (local.set $aoff (i32.add (i32.mul (i32.load (local.get $tp)) (local.get $rs)) (i32.mul (i32.load offset=8 (local.get $tp)) (local.get $cs))))`);
  p(`          (local.set $boff (i32.shl (i32.add (i32.mul (i32.load (local.get $tp)) (local.get $ow)) (i32.load offset=8 (local.get $tp))) (i32.const 5)))`);
  p(`          (local.set $bskip (i32.shl (i32.sub (local.get $ow) (local.get $kq)) (i32.const 5)))))`);
  p(`        (local.set $tp (i32.add (local.get $offs) (i32.shl (local.get $r) (i32.const 2))))`);
  // a full tile whose 4 rows lie at consecutive floats takes $tile4
  p(`        (local.set $o0 (i32.load (local.get $tp)))`);
  p(`        (if (i32.and (i32.eq (local.get $rows) (i32.const 4)) (i32.and (i32.eq (i32.load offset=4 (local.get $tp)) (i32.add (local.get $o0) (i32.const 4)))`);
  p(`              (i32.and (i32.eq (i32.load offset=8 (local.get $tp)) (i32.add (local.get $o0) (i32.const 8)))`);
  p(`                (i32.eq (i32.load offset=12 (local.get $tp)) (i32.add (local.get $o0) (i32.const 12))))))`);
  for (const [arm, callee] of [["then", "$tile4"], ["else", "$tile"]]) {
    p(`          (${arm} (call ${callee} (i32.add (local.get $a) (local.get $aoff)) (local.get $tp)`);
    p(`            (i32.add (local.get $bp) (local.get $boff)) (local.get $kr) (local.get $kq) (local.get $cs) (local.get $rs)`);
    p(`            (i32.add (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $ldc))) (i32.shl (local.get $j0) (i32.const 2)))`);
    p(`            (local.get $ldc) (local.get $acc) (local.get $rows) (local.get $cols) (local.get $scratch)`);
    p(`            (select (i32.add (local.get $bias) (i32.shl (local.get $j0) (i32.const 2))) (i32.const 0) (local.get $bias)) (local.get $relu)`);
    p(`            (local.get $bskip)))`);
  }
  p(`        )`);
  p(`        (local.set $r (i32.add (local.get $r) (i32.const ${MR})))`);
  p(`        (br_if $tiles (i32.lt_u (local.get $r) (local.get $m))))`);
  p(`      (local.set $bp (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $oh) (local.get $ow)) (i32.const 5))))`);
  p(`      (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))`);
  p(`      (br_if $panel (i32.lt_u (local.get $j0) (local.get $nc)))))`);
  p(...maxPoolGradFuncs());
  p(...tanhFuncs());
  p(...packBTFuncs());
  p(...packA4Funcs());
  p(...affineU8Funcs());
  p(...winogradFuncs());
  p(...sgdStepFuncs());
  p(...avgPoolGradFuncs());
  p(...actGradFuncs());
  p(...channelFuncs());
  p(`)`);
  return L.join("\n") + "\n";
}

/** Rows of the register tile: the offsets table is padded to a multiple of it. */
export const TILE_ROWS = MR;
