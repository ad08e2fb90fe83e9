// The TensorFlow.js namespace that tsdl and its notebooks use: `import { tf } from "tsdl"`.
//
// `@tensorflow/tfjs-core`'s CommonJS bundle (what Node loads) registers NO gradient functions: they live in
// ES-module files (`dist/register_all_gradients.js`) that only the union package `@tensorflow/tfjs` bundles
// for Node. Without them `tf.grad(...)` fails with "gradient function not found for <Kernel>". We load the
// union package once, for that side effect only (same tfjs-core instance: npm dedupes it at 4.22.0).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

export { tf };
// Chained ops (x.mul(3).add(5)) exist at run time once @tensorflow/tfjs is loaded (below). This type-only
// re-export brings their typings; it stays in the emitted .d.ts (notebooks type-check against it) and
// vanishes from the .js (the file is an ES module that Node's require could not load).
export type {} from "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";

const PROBE_GRADIENT = "Conv2D";

/** Registers tfjs' gradient functions if nothing has yet. Throws an Error naming the fix if it cannot. */
export function ensureGradients(): void {
  if (tf.getGradient(PROBE_GRADIENT) != null) return;
  try {
    // Guarded require: a static import would make tsc resolve it; the side effect is all we need.
    require("@tensorflow/tfjs");
  } catch (e) {
    throw new Error(
      "tsdl: tfjs-core registers no gradients under Node and @tensorflow/tfjs (which does) failed to load: " +
        `${(e as Error).message}. Fix: npm install @tensorflow/tfjs@4.22.0`,
    );
  }
  if (tf.getGradient(PROBE_GRADIENT) == null) {
    throw new Error(
      "tsdl: @tensorflow/tfjs loaded but registered no gradients in this tfjs-core: two copies of " +
        "@tensorflow/tfjs-core are installed (npm ls @tensorflow/tfjs-core); pin everything to 4.22.0.",
    );
  }
}

ensureGradients();
