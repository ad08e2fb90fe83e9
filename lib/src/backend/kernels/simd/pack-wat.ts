// WebAssembly text of packBT (part of the module ./wat.ts generates): the GEMM's B panels from a B stored
// transposed, [nc rows][kc] (row stride ldb bytes) — e.g. dx = dy·Wᵀ reads W [out, in] as B = Wᵀ. Panel
// j0 (columns j0..j0+7 of B) is rows j0..j0+7 of the stored matrix, written [kc][8]: groups of 4 k's
// are 4×4 transposes by shuffles (8 loads, 16 shuffles, 8 stores per 32 floats); the k's past the last
// group of 4 and a last panel narrower than 8 (zero-padded) go element by element.

/** i8x16.shuffle byte indices picking 32-bit lanes `l` of (a ++ b). */
const lanes = (...l: number[]) => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]).join(" ");
const shuf = (l: number[], a: string, b: string) => `(i8x16.shuffle ${lanes(...l)} (local.get ${a}) (local.get ${b}))`;

/** Functions for the module body: the export "packBT"(b, ldb, kc, nc, dst) (byte offsets). */
export function packBTFuncs(): string[] {
  const L: string[] = [];
  const p = (...s: string[]) => L.push(...s);
  const v = [...Array(8).keys()];
  p(`  (func (export "packBT") (param $b i32) (param $ldb i32) (param $kc i32) (param $nc i32) (param $dst i32)`);
  p(`    (local $j0 i32) (local $k i32) (local $w i32) (local $j i32) (local $src i32) (local $k4 i32)`);
  p(`    ${v.map((i) => `(local $v${i} v128)`).join(" ")} (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)`);
  p(`    (local.set $k4 (i32.and (local.get $kc) (i32.const -4)))`);
  p(`    (loop $panel`);
  p(`      (local.set $w (i32.sub (local.get $nc) (local.get $j0)))`);
  p(`      (local.set $src (i32.add (local.get $b) (i32.mul (local.get $j0) (local.get $ldb))))`);
  p(`      (local.set $k (i32.const 0))`);
  // full panels: 4 k's at a time through two 4×4 transposes (rows 0-3 and 4-7 of the panel)
  p(`      (if (i32.ge_u (local.get $w) (i32.const 8)) (then`);
  p(`        (block $kd (loop $kl`);
  p(`          (br_if $kd (i32.ge_u (local.get $k) (local.get $k4)))`);
  for (const i of v) {
    p(`          (local.set $v${i} (v128.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $ldb) (i32.const ${i}))) (i32.shl (local.get $k) (i32.const 2)))))`);
  }
  for (const h of [0, 4]) {
    const [a, b, c, d] = [`$v${h}`, `$v${h + 1}`, `$v${h + 2}`, `$v${h + 3}`];
    p(`          (local.set $t0 ${shuf([0, 4, 1, 5], a, b)})`);
    p(`          (local.set $t1 ${shuf([2, 6, 3, 7], a, b)})`);
    p(`          (local.set $t2 ${shuf([0, 4, 1, 5], c, d)})`);
    p(`          (local.set $t3 ${shuf([2, 6, 3, 7], c, d)})`);
    // row k+i of the panel, half h: lanes i of a, b, c, d
    p(`          (v128.store offset=${h * 4} (local.get $dst) ${shuf([0, 1, 4, 5], "$t0", "$t2")})`);
    p(`          (v128.store offset=${32 + h * 4} (local.get $dst) ${shuf([2, 3, 6, 7], "$t0", "$t2")})`);
    p(`          (v128.store offset=${64 + h * 4} (local.get $dst) ${shuf([0, 1, 4, 5], "$t1", "$t3")})`);
    p(`          (v128.store offset=${96 + h * 4} (local.get $dst) ${shuf([2, 3, 6, 7], "$t1", "$t3")})`);
  }
  p(`          (local.set $dst (i32.add (local.get $dst) (i32.const 128)))`);
  p(`          (local.set $k (i32.add (local.get $k) (i32.const 4)))`);
  p(`          (br $kl)))))`);
  // the rest of the panel's k's (all of them for a narrow last panel), one row of 8 at a time
  p(`      (block $rd (loop $rl`);
  p(`        (br_if $rd (i32.ge_u (local.get $k) (local.get $kc)))`);
  p(`        (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))`);
  p(`        (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0))`);
  p(`        (local.set $j (i32.const 0))`);
  p(`        (loop $cl`);
  p(`          (f32.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))`);
  p(`            (f32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $ldb))) (i32.shl (local.get $k) (i32.const 2)))))`);
  p(`          (local.set $j (i32.add (local.get $j) (i32.const 1)))`);
  p(`          (br_if $cl (i32.lt_u (local.get $j) (select (i32.const 8) (local.get $w) (i32.ge_u (local.get $w) (i32.const 8))))))`);
  p(`        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))`);
  p(`        (local.set $k (i32.add (local.get $k) (i32.const 1)))`);
  p(`        (br $rl)))`);
  p(`      (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))`);
  p(`      (br_if $panel (i32.lt_u (local.get $j0) (local.get $nc)))))`);
  return L;
}

/**
 * The export "packA4"(a, offs, tiles, k, cs, dst, tstride): the GEMM's A, `tiles` tiles of 4 rows (row i
 * of tile t at a + offs[4t + i] bytes, k steps cs bytes apart) → tile t at dst + t·tstride as [k][4]:
 * the 4 rows of a k at consecutive floats, consecutive k's 16 bytes apart — what $tile4 reads fastest
 * (one pointer, sequential). Rows already at consecutive floats (A read transposed): one v128 per k;
 * rows of consecutive k's (cs = 4): 4×4 transposes; else element by element.
 */
export function packA4Funcs(): string[] {
  const L: string[] = [];
  const p = (...s: string[]) => L.push(...s);
  const r = [0, 1, 2, 3];
  p(`  (func (export "packA4") (param $a i32) (param $offs i32) (param $tiles i32) (param $k i32) (param $cs i32) (param $dst i32) (param $tstride i32)`);
  p(`    (local $t i32) (local $d i32) (local $kk i32) (local $k4 i32) ${r.map((i) => `(local $p${i} i32) (local $x${i} v128)`).join(" ")}`);
  p(`    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)`);
  p(`    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))`);
  p(`    (block $td (loop $tl`);
  p(`      (br_if $td (i32.ge_u (local.get $t) (local.get $tiles)))`);
  for (const i of r) p(`      (local.set $p${i} (i32.add (local.get $a) (i32.load offset=${4 * i} (i32.add (local.get $offs) (i32.shl (local.get $t) (i32.const 4))))))`);
  p(`      (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $t) (local.get $tstride))))`);
  p(`      (local.set $kk (i32.const 0))`);
  p(`      (if (i32.and (i32.eq (local.get $p1) (i32.add (local.get $p0) (i32.const 4)))`);
  p(`            (i32.and (i32.eq (local.get $p2) (i32.add (local.get $p0) (i32.const 8))) (i32.eq (local.get $p3) (i32.add (local.get $p0) (i32.const 12)))))`);
  p(`        (then`);
  p(`          (block $cd (loop $cl`);
  p(`            (br_if $cd (i32.ge_u (local.get $kk) (local.get $k)))`);
  p(`            (v128.store (local.get $d) (v128.load (local.get $p0)))`);
  p(`            (local.set $p0 (i32.add (local.get $p0) (local.get $cs)))`);
  p(`            (local.set $d (i32.add (local.get $d) (i32.const 16)))`);
  p(`            (local.set $kk (i32.add (local.get $kk) (i32.const 1)))`);
  p(`            (br $cl))))`);
  p(`        (else`);
  // rows of consecutive k's: 4 k's of the 4 rows at a time, transposed
  p(`          (if (i32.eq (local.get $cs) (i32.const 4)) (then`);
  p(`            (block $vd (loop $vl`);
  p(`              (br_if $vd (i32.ge_u (local.get $kk) (local.get $k4)))`);
  for (const i of r) p(`              (local.set $x${i} (v128.load (local.get $p${i})))`);
  p(`              (local.set $t0 ${shuf([0, 4, 1, 5], "$x0", "$x1")})`);
  p(`              (local.set $t1 ${shuf([2, 6, 3, 7], "$x0", "$x1")})`);
  p(`              (local.set $t2 ${shuf([0, 4, 1, 5], "$x2", "$x3")})`);
  p(`              (local.set $t3 ${shuf([2, 6, 3, 7], "$x2", "$x3")})`);
  p(`              (v128.store (local.get $d) ${shuf([0, 1, 4, 5], "$t0", "$t2")})`);
  p(`              (v128.store offset=16 (local.get $d) ${shuf([2, 3, 6, 7], "$t0", "$t2")})`);
  p(`              (v128.store offset=32 (local.get $d) ${shuf([0, 1, 4, 5], "$t1", "$t3")})`);
  p(`              (v128.store offset=48 (local.get $d) ${shuf([2, 3, 6, 7], "$t1", "$t3")})`);
  for (const i of r) p(`              (local.set $p${i} (i32.add (local.get $p${i}) (i32.const 16)))`);
  p(`              (local.set $d (i32.add (local.get $d) (i32.const 64)))`);
  p(`              (local.set $kk (i32.add (local.get $kk) (i32.const 4)))`);
  p(`              (br $vl)))))`);
  // the rest (and any other stride): element by element
  p(`          (block $sd (loop $sl`);
  p(`            (br_if $sd (i32.ge_u (local.get $kk) (local.get $k)))`);
  for (const i of r) {
    p(`            (f32.store offset=${4 * i} (local.get $d) (f32.load (local.get $p${i})))`);
    p(`            (local.set $p${i} (i32.add (local.get $p${i}) (local.get $cs)))`);
  }
  p(`            (local.set $d (i32.add (local.get $d) (i32.const 16)))`);
  p(`            (local.set $kk (i32.add (local.get $kk) (i32.const 1)))`);
  p(`            (br $sl)))))`);
  p(`      (local.set $t (i32.add (local.get $t) (i32.const 1)))`);
  p(`      (br $tl))))`);
  return L;
}
