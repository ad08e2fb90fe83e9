// tsdl/tune plots: Plotly specs of Optuna's visualizations (history, contour, slice, parallel coordinates).
import { DisplayMessage, resetDisplaySession, setDisplaySink } from "tsdl/display";
import { RandomSampler, createStudy, plotContour, plotOptimizationHistory, plotParallelCoordinate, plotSlice } from "tsdl/tune";

const sent: DisplayMessage[] = [];
let warn: jest.SpyInstance;
beforeEach(() => {
  sent.length = 0;
  setDisplaySink((m) => sent.push(m));
  warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => {
  setDisplaySink(undefined);
  resetDisplaySession();
  warn.mockRestore();
});

type Obj = Record<string, unknown>;

/** Seed 004's study: accuracy as a function of the init's mean and std (both log-scaled). */
async function seed004() {
  const study = createStudy({ direction: "maximize", sampler: new RandomSampler({ seed: 0 }) });
  await study.optimize((t) => {
    const mean = t.suggestFloat("mean", 0.001, 10, { log: true });
    const std = t.suggestFloat("std", 0.001, 10, { log: true });
    const act = t.suggestCategorical("act", ["relu", "tanh"]);
    if (t.number === 3) throw new Error("diverged"); // FAIL trials are left out of the plots
    return 1 / (1 + Math.log10(mean) ** 2 + Math.log10(std * 10) ** 2) + (act === "relu" ? 0.05 : 0);
  }, { nTrials: 25 });
  return study;
}

test("optimization history: values and best-so-far; shown once", async () => {
  const study = await seed004();
  const f = plotOptimizationHistory(study, { targetName: "Accuracy" });
  expect(sent).toHaveLength(1);
  expect(f.data).toHaveLength(2);
  const ys = f.data[0].y as number[], best = f.data[1].y as number[];
  expect(ys).toHaveLength(24);
  expect((f.data[0].x as number[]).includes(3)).toBe(false);
  expect(best[best.length - 1]).toBe(study.bestValue);
  for (let i = 1; i < best.length; i++) expect(best[i]).toBeGreaterThanOrEqual(best[i - 1]);
  expect((f.layout.yaxis as Obj).title).toEqual({ text: "Accuracy" });
});

test("contour of mean × std: log axes, one z cell per trial, trials drawn on top", async () => {
  const study = await seed004();
  const f = plotContour(study, ["mean", "std"], { targetName: "Accuracy", show: false });
  expect(sent).toHaveLength(0);
  const [contour, pts] = f.data;
  expect(contour.type).toBe("contour");
  expect(contour.connectgaps).toBe(true);
  expect((f.layout.xaxis as Obj).type).toBe("log");
  expect((f.layout.yaxis as Obj).type).toBe("log");
  const z = contour.z as (number | null)[][];
  expect(z).toHaveLength((contour.y as number[]).length);
  expect(z.flat().filter((v) => v !== null)).toHaveLength(24);
  expect(pts.x).toHaveLength(24);
  expect(() => plotContour(study, ["mean", "nope"], { show: false })).toThrow(/"nope" is not in the study/);
});

test("slice: one x axis per parameter, categorical axis for categories", async () => {
  const study = await seed004();
  const f = plotSlice(study, { show: false });
  expect(f.data.map((d) => d.name)).toEqual(["act", "mean", "std"]);
  expect((f.layout.xaxis as Obj).type).toBe("category");
  expect((f.layout.xaxis2 as Obj).type).toBe("log");
  expect(f.data[2].xaxis).toBe("x3");
});

test("parallel coordinates: objective + params, log params on a log10 scale", async () => {
  const study = await seed004();
  const f = plotParallelCoordinate(study, { show: false });
  const dims = f.data[0].dimensions as Obj[];
  expect(dims.map((d) => d.label)).toEqual(["Objective Value", "act", "mean", "std"]);
  expect(dims[1].ticktext).toEqual(["relu", "tanh"]);
  expect(dims[2].range).toEqual([-3, 1]);
  expect(Math.max(...(dims[2].values as number[]))).toBeLessThanOrEqual(1);
});

test("showProgressBar: one live output, updated in place", async () => {
  const study = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  await study.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 3, showProgressBar: true });
  const text = JSON.stringify(sent);
  expect(text).toMatch(/3\/3 trials/);
  expect(new Set(sent.map((m) => m.transient.display_id)).size).toBe(1);
});
