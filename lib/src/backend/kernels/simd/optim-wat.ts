// WebAssembly text of sgdStep (part of the module ./wat.ts generates): one SGD update of a float32
// parameter in one pass, with PyTorch's semantics and tsdl's SGD's operation order (each product and sum
// rounded to float32 as its tf ops do, no fused multiply-add): bit for bit the composed update.
//   g ← g + wd·p (wd ≠ 0);  buf ← first ? g : mom·buf + (1 − damp)·g;  g ← nesterov ? g + mom·buf : buf;
//   p ← p − lr·g
// flags: 1 weight decay, 2 momentum, 4 a previous buffer, 8 nesterov. 4 lanes per step, then one at a time.

import { elementLoops } from "./loop-wat";

/** The update of the vector `v` names (p, g, b locals of type T), as instructions of type `t` (f32x4 or f32). */
function update(t: "f32x4" | "f32", p: string, g: string, b: string, c: (name: string) => string): string[] {
  const get = (n: string) => `(local.get ${n})`;
  return [
    `(if (i32.and (local.get $flags) (i32.const 1)) (then (local.set ${g} (${t}.add ${get(g)} (${t}.mul ${get(p)} ${c("$wd")})))))`,
    `(if (i32.and (local.get $flags) (i32.const 2)) (then`,
    `  (if (i32.and (local.get $flags) (i32.const 4))`,
    `    (then (local.set ${b} (${t}.add (${t}.mul ${get(b)} ${c("$mom")}) (${t}.mul ${get(g)} ${c("$damp1")}))))`,
    `    (else (local.set ${b} ${get(g)})))`,
    `  (if (i32.and (local.get $flags) (i32.const 8))`,
    `    (then (local.set ${g} (${t}.add ${get(g)} (${t}.mul ${get(b)} ${c("$mom")}))))`,
    `    (else (local.set ${g} ${get(b)})))))`,
    `(local.set ${p} (${t}.sub ${get(p)} (${t}.mul ${get(g)} ${c("$lr")})))`,
  ];
}

/** Functions for the module body: the export "sgdStep"(p, g, buf, outP, outBuf, n, lr, mom, damp1, wd, flags). */
export function sgdStepFuncs(): string[] {
  const vec = (n: string) => `(local.get ${n}v)`;
  const sca = (n: string) => `(local.get ${n})`;
  return [
    `  (func (export "sgdStep") (param $p i32) (param $g i32) (param $b i32) (param $op i32) (param $ob i32) (param $n i32)`,
    `    (param $lr f32) (param $mom f32) (param $damp1 f32) (param $wd f32) (param $flags i32)`,
    `    (local $i i32) (local $end i32) (local $pv v128) (local $gv v128) (local $bv v128) (local $ps f32) (local $gs f32) (local $bs f32)`,
    `    (local $lrv v128) (local $momv v128) (local $damp1v v128) (local $wdv v128)`,
    `    (local.set $lrv (f32x4.splat (local.get $lr)))`,
    `    (local.set $momv (f32x4.splat (local.get $mom)))`,
    `    (local.set $damp1v (f32x4.splat (local.get $damp1)))`,
    `    (local.set $wdv (f32x4.splat (local.get $wd)))`,
    ...elementLoops([
      `(local.set $pv (v128.load (i32.add (local.get $p) (local.get $i))))`,
      `(local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))`,
      `(if (i32.and (local.get $flags) (i32.const 4)) (then (local.set $bv (v128.load (i32.add (local.get $b) (local.get $i))))))`,
      ...update("f32x4", "$pv", "$gv", "$bv", vec),
      `(v128.store (i32.add (local.get $op) (local.get $i)) (local.get $pv))`,
      `(if (i32.and (local.get $flags) (i32.const 2)) (then (v128.store (i32.add (local.get $ob) (local.get $i)) (local.get $bv))))`,
    ], [
      `(local.set $ps (f32.load (i32.add (local.get $p) (local.get $i))))`,
      `(local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))`,
      `(if (i32.and (local.get $flags) (i32.const 4)) (then (local.set $bs (f32.load (i32.add (local.get $b) (local.get $i))))))`,
      ...update("f32", "$ps", "$gs", "$bs", sca),
      `(f32.store (i32.add (local.get $op) (local.get $i)) (local.get $ps))`,
      `(if (i32.and (local.get $flags) (i32.const 2)) (then (f32.store (i32.add (local.get $ob) (local.get $i)) (local.get $bs))))`,
    ]),
    `  )`,
  ];
}
