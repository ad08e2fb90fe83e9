// Learning-rate schedulers: call `step()` once per epoch, after the epoch's optimizer steps (as in
// PyTorch; fit does it for you when given `scheduler`).
import type { Optimizer } from "./optimizer";

export interface LRScheduler {
  step(): void;
  /** The learning rate(s) now in use, as PyTorch's get_last_lr(). */
  getLastLr(): number[];
}

/** Multiplies the lr by `gamma` every `stepSize` epochs (torch.optim.lr_scheduler.StepLR). */
export class StepLR implements LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  /** Epochs completed (PyTorch's last_epoch). */
  lastEpoch = 0;

  constructor(readonly optimizer: Optimizer, { stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }) {
    if (!(Number.isInteger(stepSize) && stepSize > 0)) throw new Error(`StepLR: stepSize must be a positive integer, got ${stepSize}.`);
    this.stepSize = stepSize;
    this.gamma = gamma;
  }

  step(): void {
    this.lastEpoch += 1;
    // PyTorch's chainable form (multiply on each boundary), so trajectories round the same way.
    if (this.lastEpoch % this.stepSize === 0) this.optimizer.lr *= this.gamma;
  }

  getLastLr(): number[] {
    return [this.optimizer.lr];
  }
}
