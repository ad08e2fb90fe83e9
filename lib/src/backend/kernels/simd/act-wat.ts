// WebAssembly text of actGrad (part of the module ./wat.ts generates): the gradient through an activation
// from its output y, and optionally the bias gradient, in one pass (the composed form is 3 passes plus a
// Sum: Step, Multiply, Sum for relu; Square, Sub, Multiply for tanh).
//   relu: d = dy · step(y)          (step(y): 1 where y > 0, NaN where y is, else 0: tfjs' fused relu gradient)
//   tanh: d = dy · (1 − y·y)        (tfjs' Tanh gradient, same float32 operations in the same order)
// With acc ≠ 0, acc (P floats, zeroed first) gets Σ d by lane j = element index mod P (P: ./channels.ts
// channelPeriod; chunks start at multiples of P): the caller folds every chunk's acc into the bias gradient.

import { elementLoops } from "./loop-wat";

/** Functions for the module body: the export "actGrad"(dy, y, d, n, act (0 relu, 1 tanh), acc, pBytes). */
export function actGradFuncs(): string[] {
  const one = "(v128.const f32x4 1 1 1 1)";
  const zero = "(v128.const i32x4 0 0 0 0)";
  const vec = [
    `(local.set $v (v128.load (i32.add (local.get $y) (local.get $i))))`,
    `(local.set $v (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $i)))`,
    `  (if (result v128) (local.get $act)`,
    `    (then (f32x4.sub ${one} (f32x4.mul (local.get $v) (local.get $v))))`,
    `    (else (v128.bitselect (local.get $v) (v128.bitselect ${one} ${zero} (f32x4.gt (local.get $v) ${zero}))`,
    `      (f32x4.ne (local.get $v) (local.get $v)))))))`,
    `(v128.store (i32.add (local.get $d) (local.get $i)) (local.get $v))`,
  ];
  const sca = [
    `(local.set $s (f32.load (i32.add (local.get $y) (local.get $i))))`,
    `(local.set $s (f32.mul (f32.load (i32.add (local.get $dy) (local.get $i)))`,
    `  (if (result f32) (local.get $act)`,
    `    (then (f32.sub (f32.const 1) (f32.mul (local.get $s) (local.get $s))))`,
    `    (else (select (local.get $s) (select (f32.const 1) (f32.const 0) (f32.gt (local.get $s) (f32.const 0)))`,
    `      (f32.ne (local.get $s) (local.get $s)))))))`,
    `(f32.store (i32.add (local.get $d) (local.get $i)) (local.get $s))`,
  ];
  // with a sums buffer: acc[j] += the value (j: the lane in the period, ./loop-wat.ts)
  const accumulate = (t: "v128" | "f32", add: string) => [
    `(if (local.get $acc) (then`,
    `  (local.set $a (i32.add (local.get $acc) (local.get $j)))`,
    `  (${t}.store (local.get $a) (${add} (${t}.load (local.get $a)) (local.get ${t === "v128" ? "$v" : "$s"})))))`,
  ];
  return [
    `  (func (export "actGrad") (param $dy i32) (param $y i32) (param $d i32) (param $n i32) (param $act i32) (param $acc i32)`,
    `    (param $pBytes i32) (local $i i32) (local $end i32) (local $j i32) (local $a i32) (local $v v128) (local $s f32)`,
    `    (if (local.get $acc) (then (memory.fill (local.get $acc) (i32.const 0) (local.get $pBytes))))`,
    ...elementLoops([...vec, ...accumulate("v128", "f32x4.add")], [...sca, ...accumulate("f32", "f32.add")], true),
    `  )`,
  ];
}
