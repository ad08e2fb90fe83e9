// tsdl/explore — look at a cloud of points (features, hidden layers) in 2-D: PCA and t-SNE, over kept libraries.
//   import { pca, tsne } from "tsdl";
//   const { scores, explainedVarianceRatio } = pca(hidden, 2);
//   const points = tsne(hidden, { perplexity: 30, seed: 0 });
export { pca } from "./pca";
export type { PcaResult } from "./pca";
export { tsne } from "./tsne";
export type { TsneOptions } from "./tsne";
export type { MatrixLike } from "./matrix";
