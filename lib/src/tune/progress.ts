// `showProgressBar`: one line updated in place (notebook output or terminal), as Optuna's tqdm bar.
import { liveOutput } from "../display/live";
import type { FrozenTrial } from "./types";

export interface Progress {
  update(done: number, trial: FrozenTrial, best: FrozenTrial | undefined): void;
  close(): void;
}

export function startProgress(nTrials: number | undefined, timeout: number | undefined): Progress {
  const out = liveOutput();
  const t0 = Date.now();
  return {
    update(done, trial, best) {
      const total = nTrials !== undefined ? `/${nTrials}` : "";
      const time = timeout !== undefined ? ` · ${Math.round((Date.now() - t0) / 1000)}/${timeout} s` : "";
      const bestText = best ? ` · best #${best.number}: ${best.value}` : "";
      const text = `${done}${total} trials${time} · #${trial.number} ${trial.state}${trial.value !== null ? ` ${trial.value}` : ""}${bestText}`;
      out.update({ text });
    },
    close: () => out.close(),
  };
}
