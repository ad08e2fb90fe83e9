// Principal component analysis over ml-pca (https://github.com/mljs/pca).
import { PCA } from "ml-pca";
import { MatrixLike, checkInteger, toRows } from "./matrix";

export interface PcaResult {
  /** Coordinates of each point on the first `k` principal components: `[n][k]`. */
  scores: number[][];
  /** Share of the total variance (trace of the covariance) carried by each of the `k` components, decreasing. */
  explainedVarianceRatio: number[];
}

/**
 * Principal component analysis, like scikit-learn's `PCA(n_components=k).fit_transform(x)`: the data are
 * centred (not scaled), projected on the `k` leading eigenvectors of their covariance matrix.
 *
 *   const { scores, explainedVarianceRatio } = pca(features, 2);
 *
 * A component's sign is arbitrary: as scikit-learn does, each is oriented so that its largest loading (in
 * absolute value) is positive, so that the result does not depend on the solver.
 */
export function pca(x: MatrixLike, k = 2): PcaResult {
  const rows = toRows(x, "pca");
  const n = rows.length;
  const d = rows[0].length;
  if (n < 2) throw new Error(`pca(): needs at least 2 points to estimate a covariance, got ${n}.`);
  checkInteger(k, "k (the number of components)", "pca", 1);
  if (k > Math.min(n, d)) {
    throw new Error(`pca(): k = ${k} components asked for ${n} points of ${d} features; k must be at most min(points, features) = ${Math.min(n, d)}.`);
  }
  // Covariance eigendecomposition (d × d) is the cheaper route when there are more points than features.
  const model = new PCA(rows, { method: d <= n ? "covarianceMatrix" : "SVD", center: true, scale: false });
  const scores = model.predict(rows, { nComponents: k }).to2DArray();
  const vectors = model.getEigenvectors();
  for (let j = 0; j < k; j++) {
    const column = vectors.getColumn(j);
    let largest = 0;
    for (let i = 1; i < column.length; i++) if (Math.abs(column[i]) > Math.abs(column[largest])) largest = i;
    if (column[largest] < 0) for (const s of scores) s[j] = -s[j];
  }
  return { scores, explainedVarianceRatio: model.getExplainedVariance().slice(0, k) };
}
