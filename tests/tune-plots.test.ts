// tsdl/tune plots: Plotly specs of Optuna's visualizations (history, contour, slice, parallel coordinates),
// and the same figures drawn by headless Chromium (scripts/browser-check.js) when it is installed.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DisplayMessage, resetDisplaySession, setDisplaySink } from "tsdl/display";
import { MaxTrialsCallback, RandomSampler, createStudy, plotContour, plotOptimizationHistory, plotParallelCoordinate, plotSlice } from "tsdl/tune";

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

test("showProgressBar with MaxTrialsCallback: the total is what is left to run", async () => {
  const study = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  await study.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 2 });
  sent.length = 0;
  await study.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 10, callbacks: [new MaxTrialsCallback(5)], showProgressBar: true });
  expect(study.trials).toHaveLength(5);
  expect(JSON.stringify(sent)).toMatch(/3\/3 trials/);
});

interface BrowserFigure {
  types: string[];
  elements: Record<string, number>;
}
interface BrowserResult {
  ok: boolean;
  reason: string;
  expected: number;
  drawn: number;
  figures?: BrowserFigure[];
}
// eslint-disable-next-line @typescript-eslint/no-var-requires -- plain Node CommonJS script
const browserCheck = require("../scripts/browser-check.js") as {
  checkNotebooks(paths: string[], opts: { outDir: string; log: null; screenshot: boolean }): Promise<BrowserResult[]>;
  TRACE_ELEMENTS: Record<string, string>;
};
const CHROMIUM = process.env.TSDL_CHROMIUM || "/usr/bin/chromium";
(fs.existsSync(CHROMIUM) ? test : test.skip)("in headless Chromium: every trace of the four plots is drawn (contour, parcoords)", async () => {
  const study = await seed004();
  const cells = [plotOptimizationHistory, (s: typeof study) => plotContour(s, ["mean", "std"]), plotSlice, plotParallelCoordinate].map((plot, i) => {
    sent.length = 0;
    plot(study);
    const outputs = sent.map((m) => ({ output_type: "display_data", data: m.data, metadata: m.metadata }));
    return { cell_type: "code", execution_count: i + 1, metadata: {}, source: "", outputs, id: `c${i}` };
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-tune-browser-"));
  try {
    const nb = path.join(dir, "tune-plots.ipynb");
    fs.writeFileSync(nb, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
    const [r] = await browserCheck.checkNotebooks([nb], { outDir: dir, log: null, screenshot: false });
    expect(r.reason).toBe("");
    expect([r.ok, r.expected, r.drawn]).toEqual([true, 4, 4]);
    const drawn = (fig: BrowserFigure, type: string): number => fig.elements[browserCheck.TRACE_ELEMENTS[type]];
    const figs = r.figures as BrowserFigure[];
    expect(figs.map((f) => f.types)).toEqual([["scatter", "scatter"], ["contour", "scatter"], ["scatter", "scatter", "scatter"], ["parcoords"]]);
    expect([drawn(figs[1], "contour"), drawn(figs[1], "scatter"), drawn(figs[3], "parcoords")]).toEqual([1, 1, 1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120000);
