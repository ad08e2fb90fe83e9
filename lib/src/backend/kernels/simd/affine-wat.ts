// WebAssembly text of affineU8 (part of the module ./wat.ts generates): a batch of uint8 pixels → float32,
// y = x·scale[k] + shift[k] with k = element index mod p (a per-channel pattern of p elements, p a
// multiple of 4 and of the channel count). Computed in float64 and rounded once to float32: bit for bit
// what the JavaScript loader computes (Float32Array store of raw·a + b). 4 elements per step.

/** Functions for the module body: the export "affineU8"(src, dst, n, scale, shift, p) (byte offsets). */
export function affineU8Funcs(): string[] {
  const cvt = (v: string) => `(f64x2.convert_low_i32x4_u ${v})`;
  const affine = (v: string, off: number) =>
    `(f32x4.demote_f64x2_zero (f64x2.add (f64x2.mul ${v} (v128.load offset=${off} (local.get $ps))) (v128.load offset=${off} (local.get $pb))))`;
  return [
    `  (func (export "affineU8") (param $src i32) (param $dst i32) (param $n i32) (param $sc i32) (param $sh i32) (param $p i32)`,
    `    (local $end i32) (local $k i32) (local $ps i32) (local $pb i32) (local $w v128)`,
    `    (local.set $end (i32.add (local.get $src) (i32.and (local.get $n) (i32.const -4))))`,
    `    (block $vd (loop $vl`,
    `      (br_if $vd (i32.ge_u (local.get $src) (local.get $end)))`,
    `      (local.set $ps (i32.add (local.get $sc) (i32.shl (local.get $k) (i32.const 3))))`,
    `      (local.set $pb (i32.add (local.get $sh) (i32.shl (local.get $k) (i32.const 3))))`,
    // 4 bytes → 4 × i32
    `      (local.set $w (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $src)))))`,
    `      (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23`,
    `        ${affine(cvt("(local.get $w)"), 0)}`,
    `        ${affine(cvt("(i8x16.shuffle 8 9 10 11 12 13 14 15 0 0 0 0 0 0 0 0 (local.get $w) (local.get $w))"), 16)}))`,
    `      (local.set $k (i32.add (local.get $k) (i32.const 4)))`,
    `      (if (i32.ge_u (local.get $k) (local.get $p)) (then (local.set $k (i32.const 0))))`,
    `      (local.set $src (i32.add (local.get $src) (i32.const 4)))`,
    `      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))`,
    `      (br $vl)))`,
    // the last n mod 4 elements
    `    (local.set $end (i32.add (local.get $end) (i32.and (local.get $n) (i32.const 3))))`,
    `    (block $sd (loop $sl`,
    `      (br_if $sd (i32.ge_u (local.get $src) (local.get $end)))`,
    `      (f32.store (local.get $dst) (f32.demote_f64 (f64.add`,
    `        (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $src))) (f64.load (i32.add (local.get $sc) (i32.shl (local.get $k) (i32.const 3)))))`,
    `        (f64.load (i32.add (local.get $sh) (i32.shl (local.get $k) (i32.const 3)))))))`,
    `      (local.set $k (i32.add (local.get $k) (i32.const 1)))`,
    `      (if (i32.ge_u (local.get $k) (local.get $p)) (then (local.set $k (i32.const 0))))`,
    `      (local.set $src (i32.add (local.get $src) (i32.const 1)))`,
    `      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))`,
    `      (br $sl))))`,
  ];
}
