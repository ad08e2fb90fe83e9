// WebAssembly text of the Winograd F(2×2, 3×3) transforms (part of the module ./wat.ts generates), NHWC
// float32, 4 channels per vector (channel counts a multiple of 4). A 3×3 stride-1 convolution of a padded
// sample becomes, per 2×2 output tile: V = Bᵀ d B of its 4×4 input patch (winoIn), 16 products
// M[ξ] = V[ξ]·U[ξ] over the channels (the GEMM micro-kernel, see ./index.ts), y = Aᵀ M A (winoOut):
// 2.25× fewer multiplications than the direct convolution.
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  Aᵀ = [1 1 1 0; 0 1 −1 −1]
// V layout: [16][tiles][ci]; M: [16][tiles][co]; tiles row-major (th × tw).
// The filter gradient back-propagates through the same algorithm: dM = A dY Aᵀ per tile (winoGradOut,
// written straight into the GEMM's 8-column panel layout), dU[ξ] = V[ξ]ᵀ·dM[ξ] summed over the tiles of
// every sample, dW = Gᵀ dU G (./index.ts).

/** (a ± b) on v128 locals. */
const add = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
const sub = (a: string, b: string) => `(f32x4.sub ${a} ${b})`;
const g = (n: string) => `(local.get ${n})`;

/** Functions for the module body: the exports "winoIn", "winoOut" and "winoGradOut". */
export function winogradFuncs(): string[] {
  const L: string[] = [];
  const p = (...s: string[]) => L.push(...s);
  const ij = [0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => [i, j]));
  // ---- winoIn(x, v, Wp, ci, th, tw): x the padded sample [Hp][Wp][ci] (Hp ≥ 2·th + 2, Wp ≥ 2·tw + 2)
  p(`  (func (export "winoIn") (param $x i32) (param $v i32) (param $Wp i32) (param $ci i32) (param $th i32) (param $tw i32)`);
  p(`    (local $ty i32) (local $tx i32) (local $c i32) (local $row i32) (local $px i32) (local $pv i32) (local $plane i32) (local $base i32)`);
  p(`    ${ij.map(([i, j]) => `(local $d${i}${j} v128)`).join(" ")}`);
  p(`    ${ij.map(([i, j]) => `(local $t${i}${j} v128)`).join(" ")}`);
  p(`    (local.set $row (i32.mul (i32.mul (local.get $Wp) (local.get $ci)) (i32.const 4)))`);
  p(`    (local.set $plane (i32.shl (i32.mul (i32.mul (local.get $th) (local.get $tw)) (local.get $ci)) (i32.const 2)))`); // bytes per ξ
  p(`    (local.set $pv (local.get $v))`); // tile's first ξ, channel 0
  p(`    (local.set $ty (i32.const 0))`);
  p(`    (loop $rows`);
  p(`      (local.set $tx (i32.const 0))`);
  p(`      (loop $cols`);
  p(`        (local.set $base (i32.add (local.get $x) (i32.add (i32.mul (i32.shl (local.get $ty) (i32.const 1)) (local.get $row))`);
  p(`          (i32.shl (i32.mul (i32.shl (local.get $tx) (i32.const 1)) (local.get $ci)) (i32.const 2)))))`);
  p(`        (local.set $c (i32.const 0))`);
  p(`        (loop $ch`);
  p(`          (local.set $px (i32.add (local.get $base) (i32.shl (local.get $c) (i32.const 2))))`);
  for (const [i, j] of ij) {
    p(`          (local.set $d${i}${j} (v128.load (i32.add (local.get $px) (i32.add (i32.mul (i32.const ${i}) (local.get $row)) (i32.shl (i32.mul (i32.const ${j}) (local.get $ci)) (i32.const 2))))))`);
  }
  // t = Bᵀ d (over rows), then V = t B (over columns)
  for (const j of [0, 1, 2, 3]) {
    p(`          (local.set $t0${j} ${sub(g(`$d0${j}`), g(`$d2${j}`))})`);
    p(`          (local.set $t1${j} ${add(g(`$d1${j}`), g(`$d2${j}`))})`);
    p(`          (local.set $t2${j} ${sub(g(`$d2${j}`), g(`$d1${j}`))})`);
    p(`          (local.set $t3${j} ${sub(g(`$d1${j}`), g(`$d3${j}`))})`);
  }
  const vAt = (i: number, j: number) => `(i32.add (i32.add (local.get $pv) (i32.shl (local.get $c) (i32.const 2))) (i32.mul (i32.const ${i * 4 + j}) (local.get $plane)))`;
  for (const i of [0, 1, 2, 3]) {
    p(`          (v128.store ${vAt(i, 0)} ${sub(g(`$t${i}0`), g(`$t${i}2`))})`);
    p(`          (v128.store ${vAt(i, 1)} ${add(g(`$t${i}1`), g(`$t${i}2`))})`);
    p(`          (v128.store ${vAt(i, 2)} ${sub(g(`$t${i}2`), g(`$t${i}1`))})`);
    p(`          (v128.store ${vAt(i, 3)} ${sub(g(`$t${i}1`), g(`$t${i}3`))})`);
  }
  p(`          (local.set $c (i32.add (local.get $c) (i32.const 4)))`);
  p(`          (br_if $ch (i32.lt_u (local.get $c) (local.get $ci))))`);
  p(`        (local.set $pv (i32.add (local.get $pv) (i32.shl (local.get $ci) (i32.const 2))))`);
  p(`        (local.set $tx (i32.add (local.get $tx) (i32.const 1)))`);
  p(`        (br_if $cols (i32.lt_u (local.get $tx) (local.get $tw))))`);
  p(`      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))`);
  p(`      (br_if $rows (i32.lt_u (local.get $ty) (local.get $th)))))`);
  // ---- winoOut(m, y, th, tw, co, oh, ow, bias, relu): y the sample's output [oh][ow][co]
  p(`  (func (export "winoOut") (param $m i32) (param $y i32) (param $th i32) (param $tw i32) (param $co i32) (param $oh i32) (param $ow i32)`);
  p(`    (param $bias i32) (param $relu i32)`);
  p(`    (local $ty i32) (local $tx i32) (local $c i32) (local $pm i32) (local $plane i32) (local $py i32) (local $b v128) (local $r i32) (local $q i32)`);
  p(`    ${ij.map(([i, j]) => `(local $m${i}${j} v128)`).join(" ")}`);
  p(`    ${[0, 1].flatMap((i) => [0, 1, 2, 3].map((j) => `(local $s${i}${j} v128)`)).join(" ")} (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128)`);
  p(`    (local.set $plane (i32.shl (i32.mul (i32.mul (local.get $th) (local.get $tw)) (local.get $co)) (i32.const 2)))`);
  p(`    (local.set $pm (local.get $m))`);
  p(`    (local.set $ty (i32.const 0))`);
  p(`    (loop $rows`);
  p(`      (local.set $tx (i32.const 0))`);
  p(`      (loop $cols`);
  p(`        (local.set $c (i32.const 0))`);
  p(`        (loop $ch`);
  for (const [i, j] of ij) {
    p(`          (local.set $m${i}${j} (v128.load (i32.add (i32.add (local.get $pm) (i32.shl (local.get $c) (i32.const 2))) (i32.mul (i32.const ${i * 4 + j}) (local.get $plane)))))`);
  }
  for (const j of [0, 1, 2, 3]) {
    p(`          (local.set $s0${j} ${add(add(g(`$m0${j}`), g(`$m1${j}`)), g(`$m2${j}`))})`);
    p(`          (local.set $s1${j} ${sub(sub(g(`$m1${j}`), g(`$m2${j}`)), g(`$m3${j}`))})`);
  }
  p(`          (local.set $b (v128.const i32x4 0 0 0 0))`);
  p(`          (if (local.get $bias) (then (local.set $b (v128.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2)))))))`);
  for (const i of [0, 1]) {
    p(`          (local.set $y${i}0 ${add(add(add(g(`$s${i}0`), g(`$s${i}1`)), g(`$s${i}2`)), g("$b"))})`);
    p(`          (local.set $y${i}1 ${add(sub(sub(g(`$s${i}1`), g(`$s${i}2`)), g(`$s${i}3`)), g("$b"))})`);
  }
  p(`          (if (local.get $relu) (then`);
  for (const n of ["$y00", "$y01", "$y10", "$y11"]) p(`            (local.set ${n} (f32x4.max (local.get ${n}) (v128.const i32x4 0 0 0 0)))`);
  p(`          ))`);
  // store the 2×2 outputs that exist (the last tile row/column may hang over an odd output)
  for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
    p(`          (local.set $r (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const ${i})))`);
    p(`          (local.set $q (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const ${j})))`);
    p(`          (if (i32.and (i32.lt_u (local.get $r) (local.get $oh)) (i32.lt_u (local.get $q) (local.get $ow))) (then`);
    p(`            (v128.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $r) (local.get $ow)) (local.get $q)) (local.get $co)) (local.get $c)) (i32.const 2)))`);
    p(`              (local.get $y${i}${j}))))`);
  }
  p(`          (local.set $c (i32.add (local.get $c) (i32.const 4)))`);
  p(`          (br_if $ch (i32.lt_u (local.get $c) (local.get $co))))`);
  p(`        (local.set $pm (i32.add (local.get $pm) (i32.shl (local.get $co) (i32.const 2))))`);
  p(`        (local.set $tx (i32.add (local.get $tx) (i32.const 1)))`);
  p(`        (br_if $cols (i32.lt_u (local.get $tx) (local.get $tw))))`);
  p(`      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))`);
  p(`      (br_if $rows (i32.lt_u (local.get $ty) (local.get $th)))))`);
  // ---- winoGradOut(dy, dm, th, tw, co, oh, ow): dy the sample's [oh][ow][co] (co a multiple of 8); dm
  // [16] × panels [co/8][tiles][8]; dY outside oh × ow is 0. A = [1 0; 1 1; 1 −1; 0 −1]
  p(`  (func (export "winoGradOut") (param $dy i32) (param $dm i32) (param $th i32) (param $tw i32) (param $co i32) (param $oh i32) (param $ow i32)`);
  p(`    (local $ty i32) (local $tx i32) (local $c i32) (local $tile i32) (local $tiles i32) (local $plane i32) (local $at i32) (local $r i32) (local $q i32)`);
  p(`    (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128) ${[0, 1, 2, 3].flatMap((i) => [0, 1].map((b) => `(local $r${i}${b} v128)`)).join(" ")}`);
  p(`    (local.set $tiles (i32.mul (local.get $th) (local.get $tw)))`);
  p(`    (local.set $plane (i32.shl (i32.mul (local.get $tiles) (local.get $co)) (i32.const 2)))`);
  p(`    (local.set $ty (i32.const 0))`);
  p(`    (loop $rows`);
  p(`      (local.set $tx (i32.const 0))`);
  p(`      (loop $cols`);
  p(`        (local.set $tile (i32.add (i32.mul (local.get $ty) (local.get $tw)) (local.get $tx)))`);
  p(`        (local.set $c (i32.const 0))`);
  p(`        (loop $ch`);
  for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
    p(`          (local.set $y${a}${b} (v128.const i32x4 0 0 0 0))`);
    p(`          (local.set $r (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const ${a})))`);
    p(`          (local.set $q (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const ${b})))`);
    p(`          (if (i32.and (i32.lt_u (local.get $r) (local.get $oh)) (i32.lt_u (local.get $q) (local.get $ow))) (then`);
    p(`            (local.set $y${a}${b} (v128.load (i32.add (local.get $dy) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $r) (local.get $ow)) (local.get $q)) (local.get $co)) (local.get $c)) (i32.const 2)))))))`);
  }
  // r = A dY (rows), then dM = r Aᵀ (columns)
  for (const b of [0, 1]) {
    p(`          (local.set $r0${b} (local.get $y0${b}))`);
    p(`          (local.set $r1${b} ${add(g(`$y0${b}`), g(`$y1${b}`))})`);
    p(`          (local.set $r2${b} ${sub(g(`$y0${b}`), g(`$y1${b}`))})`);
    p(`          (local.set $r3${b} (f32x4.neg (local.get $y1${b})))`);
  }
  // panel (c / 8) row `tile`, half (c / 4) mod 2
  p(`          (local.set $at (i32.add (local.get $dm) (i32.add (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $c) (i32.const 3)) (local.get $tiles)) (local.get $tile)) (i32.const 5))`);
  p(`            (i32.shl (i32.and (i32.shr_u (local.get $c) (i32.const 2)) (i32.const 1)) (i32.const 4)))))`);
  const dmAt = (i: number, j: number) => `(i32.add (local.get $at) (i32.mul (i32.const ${i * 4 + j}) (local.get $plane)))`;
  for (const i of [0, 1, 2, 3]) {
    p(`          (v128.store ${dmAt(i, 0)} (local.get $r${i}0))`);
    p(`          (v128.store ${dmAt(i, 1)} ${add(g(`$r${i}0`), g(`$r${i}1`))})`);
    p(`          (v128.store ${dmAt(i, 2)} ${sub(g(`$r${i}0`), g(`$r${i}1`))})`);
    p(`          (v128.store ${dmAt(i, 3)} (f32x4.neg (local.get $r${i}1)))`);
  }
  p(`          (local.set $c (i32.add (local.get $c) (i32.const 4)))`);
  p(`          (br_if $ch (i32.lt_u (local.get $c) (local.get $co))))`);
  p(`        (local.set $tx (i32.add (local.get $tx) (i32.const 1)))`);
  p(`        (br_if $cols (i32.lt_u (local.get $tx) (local.get $tw))))`);
  p(`      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))`);
  p(`      (br_if $rows (i32.lt_u (local.get $ty) (local.get $th)))))`);
  return L;
}
