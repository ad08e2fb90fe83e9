// Randomness of nn (initialisation, dropout masks) draws from the library's one global generator
// (data/rng: the one `manualSeed` reseeds, like torch.manual_seed seeds everything): each tfjs random
// op gets a per-call seed taken from that stream, so a seed reproduces weights, masks and shuffles.
import { globalRng } from "../data/rng";

export { manualSeed } from "../data/rng";

/** Seed for one tfjs random op (`tf.randomUniform(..., seed)`, `tf.dropout(..., seed)`). */
export function nextSeed(): number {
  return globalRng().seed();
}
