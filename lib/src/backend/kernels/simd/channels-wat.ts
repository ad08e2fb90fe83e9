// WebAssembly text of the per-channel passes over NHWC float32 tensors (part of the module ./wat.ts
// generates): channel j of element i is i mod C, and a period of P floats (a multiple of lcm(C, 4), see
// ./channels.ts) holds whole vectors of channels, so per-channel vectors are expanded to P floats and
// element i uses lane i mod P. A call covers one chunk that starts at a multiple of P.
//   chanSum(u, v, n, acc, pBytes, mode, m): acc (P floats, or 2P in mode 2) zeroed, then over the chunk
//     mode 0: acc[j] += u      mode 1: acc[j] += (u − m[j])²      mode 2: acc[j] += u, acc[P + j] += u·(v − m[j])
//   chanAffine(u, v, out, n, a, b, c, m, pBytes, hasU): out = (hasU ? a[j]·u : 0) + b[j]·(v − m[j]) + c[j]
//     (u is read either way: the caller passes v for it when hasU is 0)
// (BatchNorm: the batch moments, the normalisation, and the input gradient A·dy + B·(x − mean) + C.)

import { elementLoops } from "./loop-wat";

const ind = (k: number, lines: string[]) => lines.map((l) => " ".repeat(k) + l);
const at = (base: string) => `(i32.add (local.get ${base}) (local.get $j))`;

/** Functions for the module body: the exports "chanSum" and "chanAffine". */
export function channelFuncs(): string[] {
  const u = (t: string) => `(${t}.load (i32.add (local.get $u) (local.get $i)))`;
  const v = (t: string) => `(${t}.load (i32.add (local.get $v) (local.get $i)))`;
  const acc = (t: string, add: string, value: string, off = "") => [
    `(local.set $a (i32.add ${at("$acc")} ${off || "(i32.const 0)"}))`,
    `(${t}.store (local.get $a) (${add} (${t}.load (local.get $a)) ${value}))`,
  ];
  const sum = (t: "v128" | "f32", f: "f32x4" | "f32") => {
    const d = t === "v128" ? "$dv" : "$ds";
    const m = `(${t}.load ${at("$m")})`;
    return [
      `(if (i32.eqz (local.get $mode)) (then`,
      ...ind(2, acc(t, `${f}.add`, u(t))),
      `) (else (if (i32.eq (local.get $mode) (i32.const 1)) (then`,
      `  (local.set ${d} (${f}.sub ${u(t)} ${m}))`,
      ...ind(2, acc(t, `${f}.add`, `(${f}.mul (local.get ${d}) (local.get ${d}))`)),
      `) (else`,
      `  (local.set ${d} ${u(t)})`,
      ...ind(2, acc(t, `${f}.add`, `(local.get ${d})`)),
      ...ind(2, acc(t, `${f}.add`, `(${f}.mul (local.get ${d}) (${f}.sub ${v(t)} ${m}))`, "(local.get $pBytes)")),
      `))))`,
    ];
  };
  const affine = (t: "v128" | "f32", f: "f32x4" | "f32") => {
    const zero = t === "v128" ? "(v128.const i32x4 0 0 0 0)" : "(f32.const 0)";
    return [
      `(${t}.store (i32.add (local.get $out) (local.get $i)) (${f}.add (${f}.add`,
      `  (select${t === "v128" ? " (result v128)" : ""} (${f}.mul (${t}.load ${at("$pa")}) ${u(t)}) ${zero} (local.get $hasU))`,
      `  (${f}.mul (${t}.load ${at("$pb")}) (${f}.sub ${v(t)} (${t}.load ${at("$m")}))))`,
      `  (${t}.load ${at("$pc")})))`,
    ];
  };
  return [
    `  (func (export "chanSum") (param $u i32) (param $v i32) (param $n i32) (param $acc i32) (param $pBytes i32) (param $mode i32)`,
    `    (param $m i32) (local $i i32) (local $j i32) (local $end i32) (local $a i32) (local $dv v128) (local $ds f32)`,
    `    (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $pBytes) (i32.eq (local.get $mode) (i32.const 2))))`,
    ...elementLoops(sum("v128", "f32x4"), sum("f32", "f32"), true),
    `  )`,
    `  (func (export "chanAffine") (param $u i32) (param $v i32) (param $out i32) (param $n i32) (param $pa i32) (param $pb i32)`,
    `    (param $pc i32) (param $m i32) (param $pBytes i32) (param $hasU i32) (local $i i32) (local $j i32) (local $end i32)`,
    ...elementLoops(affine("v128", "f32x4"), affine("f32", "f32"), true),
    `  )`,
  ];
}
