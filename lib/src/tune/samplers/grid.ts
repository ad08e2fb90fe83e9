// Optuna's GridSampler: each trial takes a not-yet-visited grid point (random order); the study
// stops once every point was visited. The point is stored as system attrs `grid_id`/`search_space`.
import type { CategoricalChoice, Distribution, ParamValue } from "../distributions";
import { Rng } from "../rng";
import type { FrozenTrial, Sampler, StudyView } from "../types";

export type GridSearchSpace = Record<string, readonly CategoricalChoice[]>;

export class GridSampler implements Sampler {
  private readonly names: string[];
  private readonly grid: ParamValue[][];
  private readonly rng: Rng;

  constructor(readonly searchSpace: GridSearchSpace, opts: { seed?: number } = {}) {
    this.names = Object.keys(searchSpace).sort();
    for (const n of this.names) {
      if (!Array.isArray(searchSpace[n]) || searchSpace[n].length === 0) throw new Error(`GridSampler: the values of "${n}" must be a non-empty array.`);
    }
    this.grid = [[]];
    for (const n of this.names) this.grid = this.grid.flatMap((g) => searchSpace[n].map((v) => [...g, v]));
    this.rng = new Rng(opts.seed);
  }

  private unvisited(study: StudyView): number[] {
    const used = new Set<number>();
    for (const t of study.getTrials(["RUNNING", "COMPLETE", "PRUNED", "FAIL"])) {
      const id = t.systemAttrs.grid_id;
      if (typeof id === "number" && t.state !== "FAIL") used.add(id);
    }
    return this.grid.map((_, i) => i).filter((i) => !used.has(i));
  }

  beforeTrial(study: StudyView, trial: FrozenTrial): void {
    const free = this.unvisited(study);
    // Every point visited (other workers): re-run a random point, as Optuna does, then stop.
    const pool = free.length ? free : this.grid.map((_, i) => i);
    const id = pool[this.rng.int(pool.length)];
    study.setTrialSystemAttr(trial.trialId, "search_space", Object.fromEntries(this.names.map((n) => [n, [...this.searchSpace[n]]])));
    study.setTrialSystemAttr(trial.trialId, "grid_id", id);
  }

  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, dist: Distribution): ParamValue {
    const col = this.names.indexOf(name);
    if (col < 0) throw new Error(`GridSampler: parameter "${name}" is not in the grid (${this.names.join(", ")}); add it to the search space.`);
    const id = trial.systemAttrs.grid_id;
    if (typeof id !== "number") throw new Error("GridSampler: this trial has no grid point (was it started by another sampler?).");
    const v = this.grid[id][col];
    if (dist.kind !== "categorical" && (typeof v !== "number" || v < dist.low || v > dist.high)) {
      throw new Error(`GridSampler: grid value ${JSON.stringify(v)} of "${name}" is outside the suggested range [${dist.low}, ${dist.high}].`);
    }
    return v;
  }

  afterTrial(study: StudyView): void {
    if (this.unvisited(study).length === 0) study.stop();
  }
}
