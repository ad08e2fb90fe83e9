// WebAssembly text of avgPoolGrad for windows that do not overlap (k ≤ s; part of the module ./wat.ts
// generates), NHWC float32, samples [b0, b1): each window's first row of pixels gets dy·q per channel
// (q = 1 / (kh·kw), tfjs' rule), then `memory.copy` repeats that row segment on the window's other rows.
// Pixels outside every window are the caller's (zero-filled first when there are some).

import { clippedWindows } from "./pool-wat";

/** Functions for the module body: the export "avgPoolGrad". */
export function avgPoolGradFuncs(): string[] {
  return [
    `  (func (export "avgPoolGrad") (param $dy i32) (param $dx i32) (param $b0 i32) (param $b1 i32) (param $H i32) (param $W i32)`,
    `    (param $C i32) (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32)`,
    `    (param $top i32) (param $left i32) (param $q f32)`,
    `    (local $b i32) (local $pr i32) (local $pc i32) (local $r0 i32) (local $r1 i32) (local $c0 i32) (local $c1 i32)`,
    `    (local $row i32) (local $plane i32) (local $step i32) (local $dyp i32) (local $seg i32) (local $len i32) (local $px i32)`,
    `    (local $col i32) (local $ch i32) (local $r i32)`,
    ...clippedWindows([], [
      // the window's first row segment: pixels [c0, c1) of row r0
      `(local.set $seg (i32.add (i32.add (local.get $dx) (i32.mul (local.get $b) (local.get $plane)))`,
      `  (i32.add (i32.mul (local.get $r0) (local.get $row)) (i32.mul (local.get $c0) (local.get $step)))))`,
      `(local.set $px (local.get $seg))`,
      `(local.set $col (local.get $c0))`,
      `(loop $pix`,
      `  (local.set $ch (i32.const 0))`,
      `  (block $vd (loop $vl`,
      `    (br_if $vd (i32.gt_s (i32.add (local.get $ch) (i32.const 4)) (local.get $C)))`,
      `    (v128.store (i32.add (local.get $px) (i32.shl (local.get $ch) (i32.const 2)))`,
      `      (f32x4.mul (v128.load (i32.add (local.get $dyp) (i32.shl (local.get $ch) (i32.const 2)))) (f32x4.splat (local.get $q))))`,
      `    (local.set $ch (i32.add (local.get $ch) (i32.const 4)))`,
      `    (br $vl)))`,
      `  (block $sd (loop $sl`,
      `    (br_if $sd (i32.ge_s (local.get $ch) (local.get $C)))`,
      `    (f32.store (i32.add (local.get $px) (i32.shl (local.get $ch) (i32.const 2)))`,
      `      (f32.mul (f32.load (i32.add (local.get $dyp) (i32.shl (local.get $ch) (i32.const 2)))) (local.get $q)))`,
      `    (local.set $ch (i32.add (local.get $ch) (i32.const 1)))`,
      `    (br $sl)))`,
      `  (local.set $px (i32.add (local.get $px) (local.get $step)))`,
      `  (local.set $col (i32.add (local.get $col) (i32.const 1)))`,
      `  (br_if $pix (i32.lt_s (local.get $col) (local.get $c1))))`,
      // the window's other rows: copies of that segment
      `(local.set $len (i32.mul (i32.sub (local.get $c1) (local.get $c0)) (local.get $step)))`,
      `(local.set $r (i32.add (local.get $r0) (i32.const 1)))`,
      `(block $cd (loop $cl`,
      `  (br_if $cd (i32.ge_s (local.get $r) (local.get $r1)))`,
      `  (memory.copy (i32.add (local.get $seg) (i32.mul (i32.sub (local.get $r) (local.get $r0)) (local.get $row))) (local.get $seg) (local.get $len))`,
      `  (local.set $r (i32.add (local.get $r) (i32.const 1)))`,
      `  (br $cl)))`,
    ]),
  ];
}
