// The loops of an element-wise pass in the module's WebAssembly text (./wat.ts): the own kernels that walk
// float32 arrays element by element (SGD step, activation gradient, per-channel passes) share them.

const ind = (k: number, lines: string[]) => lines.map((l) => " ".repeat(k) + l);

/**
 * `vec` once per 4 elements, then `sca` once per remaining element (n mod 4), over the $n elements of a
 * call; $i is the element's byte offset (the function declares locals $i and $end, i32). With `period`,
 * $j is its byte offset within a period of $pBytes bytes (a multiple of 16; local $j, param $pBytes):
 * the lane of per-channel values expanded to the period (./channels-wat.ts).
 */
export function elementLoops(vec: string[], sca: string[], period = false): string[] {
  const next = (bytes: number) => [
    `(local.set $i (i32.add (local.get $i) (i32.const ${bytes})))`,
    ...(period
      ? [`(local.set $j (i32.add (local.get $j) (i32.const ${bytes})))`,
        `(if (i32.ge_u (local.get $j) (local.get $pBytes)) (then (local.set $j (i32.const 0))))`]
      : []),
  ];
  return [
    `    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))`,
    `    (block $vd (loop $vl`,
    `      (br_if $vd (i32.ge_u (local.get $i) (local.get $end)))`,
    ...ind(6, [...vec, ...next(16)]),
    `      (br $vl)))`,
    `    (local.set $end (i32.shl (local.get $n) (i32.const 2)))`,
    `    (block $sd (loop $sl`,
    `      (br_if $sd (i32.ge_u (local.get $i) (local.get $end)))`,
    ...ind(6, [...sca, ...next(4)]),
    `      (br $sl)))`,
  ];
}
