import type { Tensor } from "@tensorflow/tfjs-core";

/** What `pca` and `tsne` accept: a rank-2 tensor `[n, d]` or rows of plain numbers. */
export type MatrixLike = Tensor | number[][];

/**
 * Rows of `x` as plain arrays (a tensor is read with `arraySync`, not disposed), after checking that it is
 * a non-empty rectangular matrix of finite numbers. `fn` names the caller in error messages.
 */
export function toRows(x: MatrixLike, fn: string): number[][] {
  let rows: number[][];
  if (Array.isArray(x)) {
    rows = x;
  } else if (x !== null && typeof x === "object" && typeof (x as Tensor).arraySync === "function") {
    const t = x as Tensor;
    if (t.rank !== 2) {
      throw new Error(`${fn}(): expected a rank-2 tensor [points, features], got shape [${t.shape.join(", ")}]; ` + `flatten each point first, e.g. tf.reshape(x, [x.shape[0], -1]).`);
    }
    rows = t.arraySync() as number[][];
  } else {
    throw new Error(`${fn}(): expected a tf.Tensor2D or an array of rows (number[][]), got ${x === null ? "null" : typeof x}.`);
  }
  if (rows.length === 0) throw new Error(`${fn}(): no points: pass at least 2 rows.`);
  const d = Array.isArray(rows[0]) ? rows[0].length : -1;
  if (d <= 0) throw new Error(`${fn}(): each point must be a non-empty array of numbers (rows of a [points, features] matrix).`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Array.isArray(r) || r.length !== d) {
      throw new Error(`${fn}(): row ${i} has ${Array.isArray(r) ? r.length : "no"} values, row 0 has ${d}: every point needs the same number of features.`);
    }
    for (let j = 0; j < d; j++) {
      if (typeof r[j] !== "number" || !Number.isFinite(r[j])) {
        throw new Error(`${fn}(): x[${i}][${j}] is ${r[j]}: all values must be finite numbers (look for NaN from a diverged model).`);
      }
    }
  }
  return rows;
}

export function checkInteger(value: number, name: string, fn: string, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${fn}(): ${name} must be an integer ≥ ${min}, got ${value}.`);
}
