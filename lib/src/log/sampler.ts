// Which histogram steps to keep: at most `max` per tag, spread evenly over training.
//  - totalSteps known: [0, totalSteps) is cut into `max` equal slots; the first step logged in each
//    slot is written at once (1000 epochs, max 20 → epochs 0, 50, 100, …, 950).
//  - totalSteps unknown: steps that are multiples of a stride are kept in memory; whenever more than
//    `max` are held the stride doubles and the others are dropped. Between max/2 and max evenly spaced
//    histograms remain; they are written by close() (or at exit), since a later doubling may drop any.

export class HistogramSampler<T> {
  private readonly slots = new Map<string, Set<number>>();
  private readonly strides = new Map<string, number>();
  private readonly held = new Map<string, { step: number; item: T }[]>();

  constructor(readonly max: number, readonly totalSteps?: number) {
    if (!(max >= 1)) throw new Error(`SummaryWriter: maxHistograms must be ≥ 1 (got ${max}); pass Infinity for no limit.`);
    if (totalSteps !== undefined && !(totalSteps > 0))
      throw new Error(`SummaryWriter: totalSteps must be > 0 (got ${totalSteps}): the last step you will log, e.g. the number of epochs.`);
  }

  /** Whether a histogram for `tag` at `step` would be kept (check it before computing one). */
  due(tag: string, step: number): boolean {
    if (this.max === Infinity) return true;
    if (this.totalSteps !== undefined) return !this.slots.get(tag)?.has(this.slot(step));
    return step % (this.strides.get(tag) ?? 1) === 0;
  }

  /** Records a due item: "write" means write it now; "held" means close() will (see drain()). */
  add(tag: string, step: number, item: T): "write" | "held" {
    if (this.max === Infinity) return "write";
    if (this.totalSteps !== undefined) {
      const used = this.slots.get(tag) ?? new Set<number>();
      used.add(this.slot(step));
      this.slots.set(tag, used);
      return "write";
    }
    let list = (this.held.get(tag) ?? []).filter((h) => h.step !== step); // a step logged twice: keep the last
    list.push({ step, item });
    let stride = this.strides.get(tag) ?? 1;
    while (list.length > this.max) {
      stride *= 2;
      list = list.filter((h) => h.step % stride === 0);
    }
    this.strides.set(tag, stride);
    this.held.set(tag, list);
    return "held";
  }

  /** The held items of every tag, in step order; the sampler keeps its strides but forgets the items. */
  drain(): T[] {
    const all = [...this.held.values()].flat().sort((a, b) => a.step - b.step);
    this.held.clear();
    return all.map((h) => h.item);
  }

  private slot(step: number): number {
    const total = this.totalSteps ?? 1;
    return Math.min(this.max - 1, Math.max(0, Math.floor((step * this.max) / total)));
  }
}
