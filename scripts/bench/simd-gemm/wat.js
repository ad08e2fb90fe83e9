// WebAssembly text of a small SIMD GEMM (C = A·B, or C += A·B), row-major float32, for the experiment in
// scripts/bench/gemm.js. Blocking: the driver (index.js) cuts K in blocks of KC; packB() lays each block of
// B out as panels [kc][8] (zero-padded columns); macro() runs an MR×8 register-tile micro-kernel over every
// (panel, row tile): the panel (kc·32 bytes) stays in L1 while the rows of A stream, unpacked (MR row
// pointers, one splat load per row and k: what XNNPACK's wasm GEMM does too). The micro-kernel's inner
// step is MR·2 multiply-adds: f32x4.mul + f32x4.add, or relaxed SIMD's f32x4.relaxed_madd (one FMA on
// x86 with FMA3: V8 needs --experimental-wasm-relaxed-simd in Node 20).
"use strict";

/** The module's text. `shared`: import the threaded tfjs build's shared memory (else a plain one). */
function gemmWat({ mr = 4, fma = false, shared = false, unroll = 1 } = {}) {
  const madd = (v, b, c) =>
    fma ? `(f32x4.relaxed_madd (local.get ${v}) (local.get ${b}) (local.get ${c}))`
      : `(f32x4.add (local.get ${c}) (f32x4.mul (local.get ${v}) (local.get ${b})))`;
  const rows = [...Array(mr).keys()];
  const L = [];
  L.push(`(module`);
  L.push(`  (import "env" "memory" (memory 1 ${shared ? "65536 shared" : ""}))`);
  // ---- micro-kernels: rows × cols of C (rows ≤ MR, cols ≤ 8). $ukr: kc steps over rows of A (stride
  // $lda). $ukrConv: the implicit im2col of a filter gradient: its MR rows of A start at the offsets in
  // the table at $offs and advance by $cs per k, by $rs per output row (oh rows of ow steps).
  for (const conv of [false, true]) {
  if (!conv) {
    L.push(`  (func $ukr (param $a i32) (param $lda i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldc i32)`);
  } else {
    L.push(`  (func $ukrConv (param $a i32) (param $offs i32) (param $bp i32) (param $oh i32) (param $ow i32) (param $cs i32)`);
    L.push(`    (param $rs i32) (param $c i32) (param $ldc i32)`);
  }
  L.push(`    (param $acc i32) (param $rows i32) (param $cols i32) (param $scratch i32)`);
  L.push(`    (local $end i32) (local $p i32) (local $i i32) (local $j i32) (local $v v128) (local $b0 v128) (local $b1 v128)`);
  for (const i of rows) L.push(`    (local $a${i} i32) (local $c${i}0 v128) (local $c${i}1 v128)`);
  if (conv) {
    for (const i of rows) L.push(`    (local.set $a${i} (i32.add (local.get $a) (i32.load offset=${4 * i} (local.get $offs))))`);
  } else {
    L.push(`    (local.set $a0 (local.get $a))`);
    // rows past the tile read the last valid row again (their results are not stored)
    for (const i of rows.slice(1))
      L.push(`    (local.set $a${i} (select (i32.add (local.get $a${i - 1}) (local.get $lda)) (local.get $a${i - 1}) (i32.gt_u (local.get $rows) (i32.const ${i}))))`);
  }
  // main loop unrolled `unroll` times (constant load offsets), then the kc % unroll remaining steps
  const step = (u) => {
    const S = [];
    S.push(`(local.set $b0 (v128.load offset=${32 * u} (local.get $bp)))`);
    S.push(`(local.set $b1 (v128.load offset=${32 * u + 16} (local.get $bp)))`);
    for (const i of rows) {
      S.push(`(local.set $v (v128.load32_splat offset=${4 * u} (local.get $a${i})))`);
      S.push(`(local.set $c${i}0 ${madd("$v", "$b0", `$c${i}0`)})`);
      S.push(`(local.set $c${i}1 ${madd("$v", "$b1", `$c${i}1`)})`);
    }
    return S.map((x) => "        " + x);
  };
  const advance = (u) => [
    ...rows.map((i) => `        (local.set $a${i} (i32.add (local.get $a${i}) (i32.const ${4 * u})))`),
    `        (local.set $bp (i32.add (local.get $bp) (i32.const ${32 * u})))`,
  ];
  if (conv) {
    // $i counts output rows; $p is the wrap from a row's end to the next row's start
    L.push(`    (local.set $p (i32.sub (local.get $rs) (i32.mul (local.get $ow) (local.get $cs))))`);
    L.push(`    (local.set $i (local.get $oh))`);
    L.push(`    (loop $row`);
    L.push(`      (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $ow) (i32.const 5))))`);
    L.push(`      (loop $q`);
    L.push(...step(0));
    L.push(...rows.map((i) => `        (local.set $a${i} (i32.add (local.get $a${i}) (local.get $cs)))`));
    L.push(`        (local.set $bp (i32.add (local.get $bp) (i32.const 32)))`);
    L.push(`        (br_if $q (i32.lt_u (local.get $bp) (local.get $end))))`);
    L.push(...rows.map((i) => `      (local.set $a${i} (i32.add (local.get $a${i}) (local.get $p)))`));
    L.push(`      (local.set $i (i32.sub (local.get $i) (i32.const 1)))`);
    L.push(`      (br_if $row (local.get $i)))`);
  } else {
    L.push(`    (local.set $end (i32.add (local.get $bp) (i32.shl (i32.sub (local.get $kc) (i32.rem_u (local.get $kc) (i32.const ${unroll}))) (i32.const 5))))`);
    L.push(`    (if (i32.lt_u (local.get $bp) (local.get $end)) (then`);
    L.push(`      (loop $k`);
    for (let u = 0; u < unroll; u++) L.push(...step(u));
    L.push(...advance(unroll));
    L.push(`        (br_if $k (i32.lt_u (local.get $bp) (local.get $end))))))`);
    L.push(`    (local.set $end (i32.add (local.get $end) (i32.shl (i32.rem_u (local.get $kc) (i32.const ${unroll})) (i32.const 5))))`);
    L.push(`    (if (i32.lt_u (local.get $bp) (local.get $end)) (then`);
    L.push(`      (loop $r`);
    L.push(...step(0));
    L.push(...advance(1));
    L.push(`        (br_if $r (i32.lt_u (local.get $bp) (local.get $end))))))`);
  }
  // full-width tile: vector stores (accumulating into C when acc)
  L.push(`    (if (i32.eq (local.get $cols) (i32.const 8)) (then`);
  for (const i of rows) {
    const body = [
      `(local.set $p (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const ${i}))))`,
      `(if (local.get $acc) (then`,
      `  (local.set $c${i}0 (f32x4.add (local.get $c${i}0) (v128.load (local.get $p))))`,
      `  (local.set $c${i}1 (f32x4.add (local.get $c${i}1) (v128.load offset=16 (local.get $p))))))`,
      `(v128.store (local.get $p) (local.get $c${i}0))`,
      `(v128.store offset=16 (local.get $p) (local.get $c${i}1))`,
    ];
    if (i === 0) L.push(...body.map((s) => "      " + s));
    else L.push(`      (if (i32.gt_u (local.get $rows) (i32.const ${i})) (then`, ...body.map((s) => "        " + s), `      ))`);
  }
  L.push(`      (return)))`);
  // partial tile: through a scratch tile, element by element
  for (const i of rows) {
    L.push(`    (v128.store offset=${i * 32} (local.get $scratch) (local.get $c${i}0))`);
    L.push(`    (v128.store offset=${i * 32 + 16} (local.get $scratch) (local.get $c${i}1))`);
  }
  L.push(`    (local.set $i (i32.const 0))`);
  L.push(`    (loop $ri`);
  L.push(`      (local.set $j (i32.const 0))`);
  L.push(`      (loop $cj`);
  L.push(`        (local.set $p (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (i32.shl (local.get $j) (i32.const 2))))`);
  L.push(`        (f32.store (local.get $p) (f32.add`);
  L.push(`          (f32.load (i32.add (local.get $scratch) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $j)) (i32.const 2))))`);
  L.push(`          (select (f32.load (local.get $p)) (f32.const 0) (local.get $acc))))`);
  L.push(`        (local.set $j (i32.add (local.get $j) (i32.const 1)))`);
  L.push(`        (br_if $cj (i32.lt_u (local.get $j) (local.get $cols))))`);
  L.push(`      (local.set $i (i32.add (local.get $i) (i32.const 1)))`);
  L.push(`      (br_if $ri (i32.lt_u (local.get $i) (local.get $rows)))))`);
  }
  // ---- packB: kc rows × nc columns of B (row stride ldb bytes) → ceil(nc/8) panels [kc][8] at dst
  L.push(`  (func (export "packB") (param $b i32) (param $ldb i32) (param $kc i32) (param $nc i32) (param $dst i32)`);
  L.push(`    (local $j0 i32) (local $k i32) (local $src i32) (local $w i32) (local $j i32)`);
  L.push(`    (loop $panel`);
  L.push(`      (local.set $w (i32.sub (local.get $nc) (local.get $j0)))`);
  L.push(`      (local.set $k (i32.const 0))`);
  L.push(`      (local.set $src (i32.add (local.get $b) (i32.shl (local.get $j0) (i32.const 2))))`);
  L.push(`      (loop $row`);
  L.push(`        (if (i32.ge_u (local.get $w) (i32.const 8)) (then`);
  L.push(`          (v128.store (local.get $dst) (v128.load (local.get $src)))`);
  L.push(`          (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src))))`);
  L.push(`        (else`);
  L.push(`          (local.set $j (i32.const 0))`);
  L.push(`          (loop $col`);
  L.push(`            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))`);
  L.push(`              (select (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (f32.const 0)`);
  L.push(`                (i32.lt_u (local.get $j) (local.get $w))))`);
  L.push(`            (local.set $j (i32.add (local.get $j) (i32.const 1)))`);
  L.push(`            (br_if $col (i32.lt_u (local.get $j) (i32.const 8))))))`);
  L.push(`        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))`);
  L.push(`        (local.set $src (i32.add (local.get $src) (local.get $ldb)))`);
  L.push(`        (local.set $k (i32.add (local.get $k) (i32.const 1)))`);
  L.push(`        (br_if $row (i32.lt_u (local.get $k) (local.get $kc))))`);
  L.push(`      (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))`);
  L.push(`      (br_if $panel (i32.lt_u (local.get $j0) (local.get $nc)))))`);
  // ---- macro: C[mc × nc] (row stride ldc) (+)= A[mc × kc] (row stride lda) · packed B panels
  L.push(`  (func (export "macro") (param $a i32) (param $lda i32) (param $mc i32) (param $bp i32) (param $kc i32)`);
  L.push(`    (param $nc i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $scratch i32)`);
  L.push(`    (local $j0 i32) (local $r i32) (local $cols i32) (local $rows i32)`);
  L.push(`    (loop $panel`);
  L.push(`      (local.set $cols (select (i32.const 8) (i32.sub (local.get $nc) (local.get $j0)) (i32.ge_u (i32.sub (local.get $nc) (local.get $j0)) (i32.const 8))))`);
  L.push(`      (local.set $r (i32.const 0))`);
  L.push(`      (loop $tile`);
  L.push(`        (local.set $rows (select (i32.const ${mr}) (i32.sub (local.get $mc) (local.get $r)) (i32.ge_u (i32.sub (local.get $mc) (local.get $r)) (i32.const ${mr}))))`);
  L.push(`        (call $ukr (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $lda))) (local.get $lda) (local.get $bp) (local.get $kc)`);
  L.push(`          (i32.add (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $ldc))) (i32.shl (local.get $j0) (i32.const 2)))`);
  L.push(`          (local.get $ldc) (local.get $acc) (local.get $rows) (local.get $cols) (local.get $scratch))`);
  L.push(`        (local.set $r (i32.add (local.get $r) (i32.const ${mr})))`);
  L.push(`        (br_if $tile (i32.lt_u (local.get $r) (local.get $mc))))`);
  L.push(`      (local.set $bp (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))`);
  L.push(`      (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))`);
  L.push(`      (br_if $panel (i32.lt_u (local.get $j0) (local.get $nc)))))`);
  // ---- macroConv: C[M × nc] (+)= the filter gradient of one sample: every (panel, 4-row tile); the
  // offsets table holds M (padded to a multiple of MR by repeating the last) byte offsets into x
  L.push(`  (func (export "macroConv") (param $a i32) (param $offs i32) (param $m i32) (param $bp i32) (param $oh i32) (param $ow i32)`);
  L.push(`    (param $cs i32) (param $rs i32) (param $nc i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $scratch i32)`);
  L.push(`    (local $j0 i32) (local $r i32) (local $cols i32) (local $rows i32)`);
  L.push(`    (loop $panel`);
  L.push(`      (local.set $cols (select (i32.const 8) (i32.sub (local.get $nc) (local.get $j0)) (i32.ge_u (i32.sub (local.get $nc) (local.get $j0)) (i32.const 8))))`);
  L.push(`      (local.set $r (i32.const 0))`);
  L.push(`      (loop $tile`);
  L.push(`        (local.set $rows (select (i32.const ${mr}) (i32.sub (local.get $m) (local.get $r)) (i32.ge_u (i32.sub (local.get $m) (local.get $r)) (i32.const ${mr}))))`);
  L.push(`        (call $ukrConv (local.get $a) (i32.add (local.get $offs) (i32.shl (local.get $r) (i32.const 2))) (local.get $bp)`);
  L.push(`          (local.get $oh) (local.get $ow) (local.get $cs) (local.get $rs)`);
  L.push(`          (i32.add (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $ldc))) (i32.shl (local.get $j0) (i32.const 2)))`);
  L.push(`          (local.get $ldc) (local.get $acc) (local.get $rows) (local.get $cols) (local.get $scratch))`);
  L.push(`        (local.set $r (i32.add (local.get $r) (i32.const ${mr})))`);
  L.push(`        (br_if $tile (i32.lt_u (local.get $r) (local.get $m))))`);
  L.push(`      (local.set $bp (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $oh) (local.get $ow)) (i32.const 5))))`);
  L.push(`      (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))`);
  L.push(`      (br_if $panel (i32.lt_u (local.get $j0) (local.get $nc)))))`);
  L.push(`)`);
  return L.join("\n");
}

module.exports = { gemmWat };
