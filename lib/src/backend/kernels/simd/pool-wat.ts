// WebAssembly text of the own MaxPoolGrad (part of the module ./wat.ts generates), NHWC float32:
// one pass over the windows. For each window and each group of 4 channels, the FIRST maximum in row-major
// order (strict f32x4.gt: a later equal value never wins, as in tfjs cpu and PyTorch) is tracked with its
// pixel offset, then dy goes to dx there: windows that do not overlap ($write) store dy or 0 at each of
// their pixels (vector stores; the caller zero-fills only pixels no window covers), overlapping ones add
// dy at each lane's winner (the caller zero-fills dx first). Padding is never visited (each
// window's rows/columns are clipped to the input); a window that lies wholly in the padding drops its dy,
// as tfjs cpu does. Channels past the last group of 4: the same, scalar. ±∞/NaN inputs: unspecified.

/**
 * The window's pixels, rows [$i0, $i1) × columns [$j0, $j1), row-major: `body` runs with $pix the pixel's
 * byte offset in its sample; loop labels $<i>, $<j>; `pad` spaces of indentation.
 */
function eachPixel(i: string, j: string, pad: number, body: string[]): string[] {
  const s = " ".repeat(pad);
  return [
    `${s}(local.set $i (local.get $i0))`,
    `${s}(loop $${i}`,
    `${s}  (local.set $pix (i32.add (i32.mul (local.get $i) (local.get $row)) (i32.mul (local.get $j0) (local.get $step))))`,
    `${s}  (local.set $j (local.get $j0))`,
    `${s}  (loop $${j}`,
    ...body.map((b) => `${s}    ${b}`),
    `${s}    (local.set $pix (i32.add (local.get $pix) (local.get $step)))`,
    `${s}    (local.set $j (i32.add (local.get $j) (i32.const 1)))`,
    `${s}    (br_if $${j} (i32.lt_s (local.get $j) (local.get $j1))))`,
    `${s}  (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `${s}  (br_if $${i} (i32.lt_s (local.get $i) (local.get $i1))))`,
  ];
}

/** Functions for the module body (no imports, no exports of their own beyond "maxPoolGrad"). */
export function maxPoolGradFuncs(): string[] {
  const L: string[] = [];
  const p = (...s: string[]) => L.push(...s);
  const lanes = [0, 1, 2, 3];
  // samples [b0, b1) only: threads may split the batch (each sample's dx is its own)
  p(`  (func (export "maxPoolGrad") (param $x i32) (param $dy i32) (param $dx i32) (param $b0 i32) (param $b1 i32)`);
  p(`    (param $H i32) (param $W i32) (param $C i32) (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)`);
  p(`    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32) (param $write i32)`);
  p(`    (local $b i32) (local $pr i32) (local $q i32) (local $i i32) (local $j i32) (local $i0 i32) (local $i1 i32)`);
  p(`    (local $j0 i32) (local $j1 i32) (local $ch i32) (local $pix i32) (local $cb i32) (local $a i32)`);
  p(`    (local $xs i32) (local $dxs i32) (local $dyp i32) (local $plane i32) (local $row i32) (local $step i32)`);
  p(`    (local $best v128) (local $idx v128) (local $v v128) (local $m v128) (local $g v128)`);
  p(`    (local $sbest f32) (local $sv f32) (local $spix i32)`);
  p(`    (local.set $step (i32.shl (local.get $C) (i32.const 2)))`); // bytes per pixel
  p(`    (local.set $row (i32.mul (local.get $W) (local.get $step)))`);
  p(`    (local.set $plane (i32.mul (local.get $H) (local.get $row)))`);
  p(`    (local.set $b (local.get $b0))`);
  p(`    (local.set $dyp (i32.add (local.get $dy) (i32.mul (local.get $b0) (i32.mul (i32.mul (local.get $oh) (local.get $ow)) (local.get $step)))))`);
  p(`    (block $done (loop $samples`);
  p(`      (br_if $done (i32.ge_u (local.get $b) (local.get $b1)))`);
  p(`      (local.set $xs (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $plane))))`);
  p(`      (local.set $dxs (i32.add (local.get $dx) (i32.mul (local.get $b) (local.get $plane))))`);
  p(`      (local.set $pr (i32.const 0))`);
  p(`      (block $rowsDone (loop $rows`);
  p(`        (br_if $rowsDone (i32.ge_u (local.get $pr) (local.get $oh)))`);
  // window rows [i0, i1) ∩ [0, H)
  p(`        (local.set $i0 (i32.sub (i32.mul (local.get $pr) (local.get $sh)) (local.get $top)))`);
  p(`        (local.set $i1 (i32.add (local.get $i0) (local.get $kh)))`);
  p(`        (if (i32.lt_s (local.get $i0) (i32.const 0)) (then (local.set $i0 (i32.const 0))))`);
  p(`        (if (i32.gt_s (local.get $i1) (local.get $H)) (then (local.set $i1 (local.get $H))))`);
  p(`        (local.set $q (i32.const 0))`);
  p(`        (block $colsDone (loop $cols`);
  p(`          (br_if $colsDone (i32.ge_u (local.get $q) (local.get $ow)))`);
  p(`          (local.set $j0 (i32.sub (i32.mul (local.get $q) (local.get $sw)) (local.get $left)))`);
  p(`          (local.set $j1 (i32.add (local.get $j0) (local.get $kw)))`);
  p(`          (if (i32.lt_s (local.get $j0) (i32.const 0)) (then (local.set $j0 (i32.const 0))))`);
  p(`          (if (i32.gt_s (local.get $j1) (local.get $W)) (then (local.set $j1 (local.get $W))))`);
  p(`          (if (i32.and (i32.lt_s (local.get $i0) (local.get $i1)) (i32.lt_s (local.get $j0) (local.get $j1))) (then`);
  // ---- groups of 4 channels
  p(`            (local.set $ch (i32.const 0))`);
  p(`            (block $vecDone (loop $vec`);
  p(`              (br_if $vecDone (i32.gt_s (i32.add (local.get $ch) (i32.const 4)) (local.get $C)))`);
  p(`              (local.set $cb (i32.shl (local.get $ch) (i32.const 2)))`);
  p(`              (local.set $best (f32x4.splat (f32.const -inf)))`);
  p(`              (local.set $idx (i32x4.splat (i32.add (i32.mul (local.get $i0) (local.get $row)) (i32.mul (local.get $j0) (local.get $step)))))`);
  p(...eachPixel("wi", "wj", 14, [
    `(local.set $v (v128.load (i32.add (i32.add (local.get $xs) (local.get $pix)) (local.get $cb))))`,
    `(local.set $m (f32x4.gt (local.get $v) (local.get $best)))`,
    `(local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))`,
    `(local.set $idx (v128.bitselect (i32x4.splat (local.get $pix)) (local.get $idx) (local.get $m)))`,
  ]));
  p(`              (local.set $g (v128.load (i32.add (local.get $dyp) (local.get $cb))))`);
  // write mode (disjoint windows): every pixel of the window gets dy or 0, vector stores, no zero-fill
  p(`              (if (local.get $write) (then`);
  p(...eachPixel("ri", "rj", 16, [
    `(v128.store (i32.add (i32.add (local.get $dxs) (local.get $pix)) (local.get $cb))`,
    `  (v128.and (local.get $g) (i32x4.eq (local.get $idx) (i32x4.splat (local.get $pix)))))`,
  ]));
  p(`              ) (else`);
  // add mode (overlapping windows): scatter-add at each lane's winner
  for (const k of lanes) {
    p(`                (local.set $a (i32.add (i32.add (local.get $dxs) (i32x4.extract_lane ${k} (local.get $idx))) (i32.add (local.get $cb) (i32.const ${4 * k}))))`);
    p(`                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane ${k} (local.get $g))))`);
  }
  p(`              ))`);
  p(`              (local.set $ch (i32.add (local.get $ch) (i32.const 4)))`);
  p(`              (br $vec)))`);
  // ---- the remaining channels, one by one
  p(`            (block $sDone (loop $sc`);
  p(`              (br_if $sDone (i32.ge_s (local.get $ch) (local.get $C)))`);
  p(`              (local.set $cb (i32.shl (local.get $ch) (i32.const 2)))`);
  p(`              (local.set $sbest (f32.const -inf))`);
  p(`              (local.set $spix (i32.add (i32.mul (local.get $i0) (local.get $row)) (i32.mul (local.get $j0) (local.get $step))))`);
  p(...eachPixel("si", "sj", 14, [
    `(local.set $sv (f32.load (i32.add (i32.add (local.get $xs) (local.get $pix)) (local.get $cb))))`,
    `(if (f32.gt (local.get $sv) (local.get $sbest)) (then`,
    `  (local.set $sbest (local.get $sv))`,
    `  (local.set $spix (local.get $pix))))`,
  ]));
  p(`              (local.set $sv (f32.load (i32.add (local.get $dyp) (local.get $cb))))`);
  p(`              (if (local.get $write) (then`);
  p(...eachPixel("ti", "tj", 16, [
    `(f32.store (i32.add (i32.add (local.get $dxs) (local.get $pix)) (local.get $cb))`,
    `  (select (local.get $sv) (f32.const 0) (i32.eq (local.get $pix) (local.get $spix))))`,
  ]));
  p(`              ) (else`);
  p(`                (local.set $a (i32.add (i32.add (local.get $dxs) (local.get $spix)) (local.get $cb)))`);
  p(`                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (local.get $sv)))))`);
  p(`              (local.set $ch (i32.add (local.get $ch) (i32.const 1)))`);
  p(`              (br $sc)))))`);
  p(`          (local.set $dyp (i32.add (local.get $dyp) (local.get $step)))`);
  p(`          (local.set $q (i32.add (local.get $q) (i32.const 1)))`);
  p(`          (br $cols)))`);
  p(`        (local.set $pr (i32.add (local.get $pr) (i32.const 1)))`);
  p(`        (br $rows)))`);
  p(`      (local.set $b (i32.add (local.get $b) (i32.const 1)))`);
  p(`      (br $samples))))`);
  return L;
}
