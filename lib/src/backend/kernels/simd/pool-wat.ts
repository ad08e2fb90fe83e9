// WebAssembly text of the own MaxPoolGrad (part of the module ./wat.ts generates), NHWC float32:
// one pass over the windows. For each window and each group of 4 channels, the FIRST maximum in row-major
// order (strict f32x4.gt: a later equal value never wins, as in tfjs cpu and PyTorch) is tracked with its
// pixel offset, then dy goes to dx there: windows that do not overlap ($write) store dy or 0 at each of
// their pixels (vector stores; the caller zero-fills only pixels no window covers), overlapping ones add
// dy at each lane's winner (the caller zero-fills dx first). Padding is never visited (each
// window's rows/columns are clipped to the input); a window that lies wholly in the padding drops its dy,
// as tfjs cpu does. Channels past the last group of 4: the same, scalar. ±∞/NaN inputs: unspecified.

/**
 * The window's pixels, rows [$r0, $r1) × columns [$c0, $c1), row-major: `body` runs with $pix the pixel's
 * byte offset in its sample; loop labels $<i>, $<j>; `pad` spaces of indentation.
 */
function eachPixel(i: string, j: string, pad: number, body: string[]): string[] {
  const s = " ".repeat(pad);
  return [
    `${s}(local.set $i (local.get $r0))`,
    `${s}(loop $${i}`,
    `${s}  (local.set $pix (i32.add (i32.mul (local.get $i) (local.get $row)) (i32.mul (local.get $c0) (local.get $step))))`,
    `${s}  (local.set $j (local.get $c0))`,
    `${s}  (loop $${j}`,
    ...body.map((b) => `${s}    ${b}`),
    `${s}    (local.set $pix (i32.add (local.get $pix) (local.get $step)))`,
    `${s}    (local.set $j (i32.add (local.get $j) (i32.const 1)))`,
    `${s}    (br_if $${j} (i32.lt_s (local.get $j) (local.get $c1))))`,
    `${s}  (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `${s}  (br_if $${i} (i32.lt_s (local.get $i) (local.get $r1))))`,
  ];
}

/**
 * The walk over the pooling windows of samples [$b0, $b1) (params $H $W $C $oh $ow $kh $kw $sh $sw $top
 * $left), each clipped to the input: rows [$r0, $r1), columns [$c0, $c1) (padding is never visited).
 * `perSample` runs at each sample's start ($b), `body` for each window with pixels; $dyp is the window's
 * pixel of $dy (one per window, in order). Sets locals $b $pr $pc $r0 $r1 $c0 $c1 $step $row $plane $dyp;
 * its last line closes the function.
 * Shared by the general MaxPoolGrad below and the disjoint-window AvgPoolGrad (./avgpool-wat.ts).
 */
export function clippedWindows(perSample: string[], body: string[]): string[] {
  return [
    `    (local.set $step (i32.shl (local.get $C) (i32.const 2)))`, // bytes per pixel
    `    (local.set $row (i32.mul (local.get $W) (local.get $step)))`,
    `    (local.set $plane (i32.mul (local.get $H) (local.get $row)))`,
    `    (local.set $b (local.get $b0))`,
    `    (local.set $dyp (i32.add (local.get $dy) (i32.mul (local.get $b0) (i32.mul (i32.mul (local.get $oh) (local.get $ow)) (local.get $step)))))`,
    `    (block $done (loop $samples`,
    `      (br_if $done (i32.ge_u (local.get $b) (local.get $b1)))`,
    ...perSample.map((l) => `      ${l}`),
    `      (local.set $pr (i32.const 0))`,
    `      (block $rowsDone (loop $rows`,
    `        (br_if $rowsDone (i32.ge_u (local.get $pr) (local.get $oh)))`,
    `        (local.set $r0 (i32.sub (i32.mul (local.get $pr) (local.get $sh)) (local.get $top)))`,
    `        (local.set $r1 (i32.add (local.get $r0) (local.get $kh)))`,
    `        (if (i32.lt_s (local.get $r0) (i32.const 0)) (then (local.set $r0 (i32.const 0))))`,
    `        (if (i32.gt_s (local.get $r1) (local.get $H)) (then (local.set $r1 (local.get $H))))`,
    `        (local.set $pc (i32.const 0))`,
    `        (block $colsDone (loop $cols`,
    `          (br_if $colsDone (i32.ge_u (local.get $pc) (local.get $ow)))`,
    `          (local.set $c0 (i32.sub (i32.mul (local.get $pc) (local.get $sw)) (local.get $left)))`,
    `          (local.set $c1 (i32.add (local.get $c0) (local.get $kw)))`,
    `          (if (i32.lt_s (local.get $c0) (i32.const 0)) (then (local.set $c0 (i32.const 0))))`,
    `          (if (i32.gt_s (local.get $c1) (local.get $W)) (then (local.set $c1 (local.get $W))))`,
    `          (if (i32.and (i32.lt_s (local.get $r0) (local.get $r1)) (i32.lt_s (local.get $c0) (local.get $c1))) (then`,
    ...body.map((l) => `            ${l}`),
    `          ))`,
    `          (local.set $dyp (i32.add (local.get $dyp) (local.get $step)))`,
    `          (local.set $pc (i32.add (local.get $pc) (i32.const 1)))`,
    `          (br $cols)))`,
    `        (local.set $pr (i32.add (local.get $pr) (i32.const 1)))`,
    `        (br $rows)))`,
    `      (local.set $b (i32.add (local.get $b) (i32.const 1)))`,
    `      (br $samples))))`,
  ];
}

/**
 * A function over the 2×2 windows of stride 2 of samples [$b0, $b1) (params: `params`, which name $x, $o,
 * $b0, $b1, $H, $W, $C, $oh, $ow): `body` runs per window and 4 channels with $p0…$p3 the byte offsets of
 * the window's pixels in the batch (row-major), $cb the channel byte offset, $op the window's output
 * pixel in $o (one per window, in order).
 */
function windows22(head: string, params: string, locals: string, body: string[]): string[] {
  return [
    `  (func ${head} ${params}`,
    `    (local $b i32) (local $pr i32) (local $q i32) (local $cb i32) (local $step i32) (local $row i32) (local $plane i32)`,
    `    (local $op i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) ${locals}`,
    `    (local.set $step (i32.shl (local.get $C) (i32.const 2)))`,
    `    (local.set $row (i32.mul (local.get $W) (local.get $step)))`,
    `    (local.set $plane (i32.mul (local.get $H) (local.get $row)))`,
    `    (local.set $op (i32.add (local.get $o) (i32.mul (local.get $b0) (i32.mul (i32.mul (local.get $oh) (local.get $ow)) (local.get $step)))))`,
    `    (local.set $b (local.get $b0))`,
    `    (block $done (loop $samples`,
    `      (br_if $done (i32.ge_u (local.get $b) (local.get $b1)))`,
    `      (local.set $pr (i32.const 0))`,
    `      (block $rowsDone (loop $rows`,
    `        (br_if $rowsDone (i32.ge_u (local.get $pr) (local.get $oh)))`,
    `        (local.set $q (i32.const 0))`,
    `        (block $colsDone (loop $cols`,
    `          (br_if $colsDone (i32.ge_u (local.get $q) (local.get $ow)))`,
    `          (local.set $p0 (i32.add (i32.mul (local.get $b) (local.get $plane)) (i32.add`,
    `            (i32.mul (i32.shl (local.get $pr) (i32.const 1)) (local.get $row)) (i32.mul (i32.shl (local.get $q) (i32.const 1)) (local.get $step)))))`,
    `          (local.set $p1 (i32.add (local.get $p0) (local.get $step)))`,
    `          (local.set $p2 (i32.add (local.get $p0) (local.get $row)))`,
    `          (local.set $p3 (i32.add (local.get $p2) (local.get $step)))`,
    `          (local.set $cb (i32.const 0))`,
    `          (loop $vec`,
    ...body.map((l) => `            ${l}`),
    `            (local.set $cb (i32.add (local.get $cb) (i32.const 16)))`,
    `            (br_if $vec (i32.lt_u (local.get $cb) (local.get $step))))`,
    `          (local.set $op (i32.add (local.get $op) (local.get $step)))`,
    `          (local.set $q (i32.add (local.get $q) (i32.const 1)))`,
    `          (br $cols)))`,
    `        (local.set $pr (i32.add (local.get $pr) (i32.const 1)))`,
    `        (br $rows)))`,
    `      (local.set $b (i32.add (local.get $b) (i32.const 1)))`,
    `      (br $samples))))`,
  ];
}

const PARAMS22 = "(param $H i32) (param $W i32) (param $C i32) (param $oh i32) (param $ow i32)";
const px = [0, 1, 2, 3]; // (0,0) (0,1) (1,0) (1,1): row-major, the tie order
const pixel = (base: string, k: number) => `(i32.add (local.get ${base}) (i32.add (local.get $p${k}) (local.get $cb)))`;
const out = "(i32.add (local.get $op) (local.get $cb))";

/**
 * The course's pool (2×2 windows, stride 2, no padding, channels a multiple of 4), unrolled: per window
 * and 4 channels, the four pixels' first maximum from three strict comparisons, then four masked stores
 * ($o: dy). The general loops above spent ~1–2 ns per element on their window bookkeeping (MNIST: 4.5 ms).
 */
function maxPoolGrad22(): string[] {
  return windows22("$maxPoolGrad22", `(param $x i32) (param $o i32) (param $dx i32) (param $b0 i32) (param $b1 i32) ${PARAMS22}`,
    "(local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $best v128) (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $g v128)", [
      ...px.map((k) => `(local.set $v${k} (v128.load ${pixel("$x", k)}))`),
      `(local.set $best (local.get $v0))`,
      `(local.set $m1 (f32x4.gt (local.get $v1) (local.get $best)))`,
      `(local.set $best (v128.bitselect (local.get $v1) (local.get $best) (local.get $m1)))`,
      `(local.set $m2 (f32x4.gt (local.get $v2) (local.get $best)))`,
      `(local.set $best (v128.bitselect (local.get $v2) (local.get $best) (local.get $m2)))`,
      `(local.set $m3 (f32x4.gt (local.get $v3) (local.get $best)))`,
      // winner 3 where m3; else 2 where m2; else 1 where m1; else 0
      `(local.set $g (v128.load ${out}))`,
      `(v128.store ${pixel("$dx", 3)} (v128.and (local.get $g) (local.get $m3)))`,
      `(local.set $g (v128.andnot (local.get $g) (local.get $m3)))`,
      `(v128.store ${pixel("$dx", 2)} (v128.and (local.get $g) (local.get $m2)))`,
      `(local.set $g (v128.andnot (local.get $g) (local.get $m2)))`,
      `(v128.store ${pixel("$dx", 1)} (v128.and (local.get $g) (local.get $m1)))`,
      `(v128.store ${pixel("$dx", 0)} (v128.andnot (local.get $g) (local.get $m1)))`,
    ]);
}

/**
 * The forward pool for the same geometry (export "maxPool22", $o: y): the max of each window's four
 * pixels, 4 channels at a time (f32x4.max: NaN propagates; ±0 ties unspecified).
 */
function maxPool22(): string[] {
  const load = (k: number) => `(v128.load ${pixel("$x", k)})`;
  return windows22(`(export "maxPool22")`, `(param $x i32) (param $o i32) (param $b0 i32) (param $b1 i32) ${PARAMS22}`, "", [
    `(v128.store ${out} (f32x4.max (f32x4.max ${load(0)} ${load(1)}) (f32x4.max ${load(2)} ${load(3)})))`,
  ]);
}

/** Functions for the module body (no imports, no exports of their own beyond "maxPoolGrad" and "maxPool22"). */
export function maxPoolGradFuncs(): string[] {
  const L: string[] = [];
  const p = (...s: string[]) => L.push(...s);
  const lanes = [0, 1, 2, 3];
  p(...maxPoolGrad22(), ...maxPool22());
  // samples [b0, b1) only: threads may split the batch (each sample's dx is its own)
  p(`  (func (export "maxPoolGrad") (param $x i32) (param $dy i32) (param $dx i32) (param $b0 i32) (param $b1 i32)`);
  p(`    (param $H i32) (param $W i32) (param $C i32) (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)`);
  p(`    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32) (param $write i32)`);
  p(`    (local $b i32) (local $pr i32) (local $pc i32) (local $i i32) (local $j i32) (local $r0 i32) (local $r1 i32)`);
  p(`    (local $c0 i32) (local $c1 i32) (local $ch i32) (local $pix i32) (local $cb i32) (local $a i32)`);
  p(`    (local $xs i32) (local $dxs i32) (local $dyp i32) (local $plane i32) (local $row i32) (local $step i32)`);
  p(`    (local $best v128) (local $idx v128) (local $v v128) (local $m v128) (local $g v128)`);
  p(`    (local $sbest f32) (local $sv f32) (local $spix i32)`);
  // 2×2 windows, stride 2, wholly inside x (no padding reached), whole vectors of channels: unrolled
  p(`    (if (i32.and (i32.and (i32.and (i32.eq (local.get $kh) (i32.const 2)) (i32.eq (local.get $kw) (i32.const 2)))`);
  p(`        (i32.and (i32.eq (local.get $sh) (i32.const 2)) (i32.eq (local.get $sw) (i32.const 2))))`);
  p(`      (i32.and (i32.and (i32.and (i32.eqz (local.get $top)) (i32.eqz (local.get $left)))`);
  p(`          (i32.and (i32.le_s (i32.shl (local.get $oh) (i32.const 1)) (local.get $H)) (i32.le_s (i32.shl (local.get $ow) (i32.const 1)) (local.get $W))))`);
  p(`        (i32.eqz (i32.and (local.get $C) (i32.const 3)))))`);
  p(`      (then (call $maxPoolGrad22 (local.get $x) (local.get $dy) (local.get $dx) (local.get $b0) (local.get $b1) (local.get $H)`);
  p(`        (local.get $W) (local.get $C) (local.get $oh) (local.get $ow)) (return)))`);
  const body: string[] = [];
  const w = (...lines: string[]) => body.push(...lines);
  // ---- groups of 4 channels
  w(`            (local.set $ch (i32.const 0))`);
  w(`            (block $vecDone (loop $vec`);
  w(`              (br_if $vecDone (i32.gt_s (i32.add (local.get $ch) (i32.const 4)) (local.get $C)))`);
  w(`              (local.set $cb (i32.shl (local.get $ch) (i32.const 2)))`);
  w(`              (local.set $best (f32x4.splat (f32.const -inf)))`);
  w(`              (local.set $idx (i32x4.splat (i32.add (i32.mul (local.get $r0) (local.get $row)) (i32.mul (local.get $c0) (local.get $step)))))`);
  w(...eachPixel("wi", "wj", 14, [
    `(local.set $v (v128.load (i32.add (i32.add (local.get $xs) (local.get $pix)) (local.get $cb))))`,
    `(local.set $m (f32x4.gt (local.get $v) (local.get $best)))`,
    `(local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))`,
    `(local.set $idx (v128.bitselect (i32x4.splat (local.get $pix)) (local.get $idx) (local.get $m)))`,
  ]));
  w(`              (local.set $g (v128.load (i32.add (local.get $dyp) (local.get $cb))))`);
  // write mode (disjoint windows): every pixel of the window gets dy or 0, vector stores, no zero-fill
  w(`              (if (local.get $write) (then`);
  w(...eachPixel("ri", "rj", 16, [
    `(v128.store (i32.add (i32.add (local.get $dxs) (local.get $pix)) (local.get $cb))`,
    `  (v128.and (local.get $g) (i32x4.eq (local.get $idx) (i32x4.splat (local.get $pix)))))`,
  ]));
  w(`              ) (else`);
  // add mode (overlapping windows): scatter-add at each lane's winner
  for (const k of lanes) {
    w(`                (local.set $a (i32.add (i32.add (local.get $dxs) (i32x4.extract_lane ${k} (local.get $idx))) (i32.add (local.get $cb) (i32.const ${4 * k}))))`);
    w(`                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane ${k} (local.get $g))))`);
  }
  w(`              ))`);
  w(`              (local.set $ch (i32.add (local.get $ch) (i32.const 4)))`);
  w(`              (br $vec)))`);
  // ---- the remaining channels, one by one
  w(`            (block $sDone (loop $sc`);
  w(`              (br_if $sDone (i32.ge_s (local.get $ch) (local.get $C)))`);
  w(`              (local.set $cb (i32.shl (local.get $ch) (i32.const 2)))`);
  w(`              (local.set $sbest (f32.const -inf))`);
  w(`              (local.set $spix (i32.add (i32.mul (local.get $r0) (local.get $row)) (i32.mul (local.get $c0) (local.get $step))))`);
  w(...eachPixel("si", "sj", 14, [
    `(local.set $sv (f32.load (i32.add (i32.add (local.get $xs) (local.get $pix)) (local.get $cb))))`,
    `(if (f32.gt (local.get $sv) (local.get $sbest)) (then`,
    `  (local.set $sbest (local.get $sv))`,
    `  (local.set $spix (local.get $pix))))`,
  ]));
  w(`              (local.set $sv (f32.load (i32.add (local.get $dyp) (local.get $cb))))`);
  w(`              (if (local.get $write) (then`);
  w(...eachPixel("ti", "tj", 16, [
    `(f32.store (i32.add (i32.add (local.get $dxs) (local.get $pix)) (local.get $cb))`,
    `  (select (local.get $sv) (f32.const 0) (i32.eq (local.get $pix) (local.get $spix))))`,
  ]));
  w(`              ) (else`);
  w(`                (local.set $a (i32.add (i32.add (local.get $dxs) (local.get $spix)) (local.get $cb)))`);
  w(`                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (local.get $sv)))))`);
  w(`              (local.set $ch (i32.add (local.get $ch) (i32.const 1)))`);
  w(`              (br $sc)))`);
  p(...clippedWindows([
    `(local.set $xs (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $plane))))`,
    `(local.set $dxs (i32.add (local.get $dx) (i32.mul (local.get $b) (local.get $plane))))`,
  ], body.map((l) => l.replace(/^ {12}/, ""))));
  return L;
}
