// Real headless Chromium: notebooks whose outputs come from tsdl's display layer, exported by
// nbconvert, must draw every figure without a JavaScript error; broken figures must be reported.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import { promisify } from "util";
import { DisplayMessage, liveOutput, resetDisplaySession, setDisplaySink, showFigure, showTable } from "tsdl/display";
import { report, resetReport } from "tsdl/report";
import {
  COLOR_RIGHT,
  COLOR_WRONG,
  barChart,
  confusionMatrix,
  decisionBoundary,
  histogram,
  imageGrid,
  plotHistory,
  plotLines,
  scatterByClass,
  smallMultiples,
} from "tsdl/plot";

interface CheckResult {
  notebook: string;
  ok: boolean;
  expected: number;
  drawn: number;
  traces: number;
  errors: string[];
  reason: string;
  screenshot?: string;
}
// eslint-disable-next-line @typescript-eslint/no-var-requires -- plain Node CommonJS script
const { checkNotebooks } = require("../scripts/browser-check.js") as {
  checkNotebooks(paths: string[], opts: { outDir: string; timeoutMs?: number; log?: null; chromium?: string }): Promise<CheckResult[]>;
};

const CHROMIUM = process.env.TSDL_CHROMIUM || "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser tests skipped: Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
const maybe = haveChromium ? describe : describe.skip;

type Output = { output_type: string; data: Record<string, unknown>; metadata: Record<string, unknown>; transient?: unknown };

/** Run `body` as one notebook cell: capture its display messages as the outputs a kernel would save. */
function cell(source: string, body: () => void): Record<string, unknown> {
  const outputs: Output[] = [];
  const byId = new Map<string, Output>();
  setDisplaySink((m: DisplayMessage, update: boolean) => {
    const id = m.transient.display_id;
    const existing = id === undefined ? undefined : byId.get(id);
    if (update && existing) existing.data = m.data; // update_display_data: the saved output is the last state
    else {
      const o: Output = { output_type: "display_data", data: m.data, metadata: m.metadata };
      outputs.push(o);
      if (id !== undefined) byId.set(id, o);
    }
  });
  try {
    body();
  } finally {
    setDisplaySink(undefined);
  }
  return { cell_type: "code", execution_count: 1, metadata: {}, source, outputs };
}

function notebook(cells: Record<string, unknown>[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, language_info: { name: "typescript" } },
    cells: cells.map((c, i) => ({ id: `c${i}`, ...c })),
  };
}

/** A 28×28 "digit": a thick stroke, so a screenshot shows whether upscaling stayed sharp. */
function digit(k: number): Float32Array {
  const im = new Float32Array(28 * 28);
  for (let y = 4; y < 24; y++) for (let x = 0; x < 28; x++) {
    const cx = 14 + Math.round(6 * Math.sin((y + k) / 3));
    if (Math.abs(x - cx) <= 2) im[y * 28 + x] = 1;
  }
  return im;
}

const outDir = process.env.TSDL_BROWSER_OUT || fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-browser-"));

maybe("browser check in headless Chromium", () => {
  afterEach(() => resetDisplaySession());

  test("a notebook of every plot helper draws every figure, no JS error", async () => {
    resetDisplaySession();
    resetReport();
    const pts: [number, number][] = Array.from({ length: 60 }, (_, i) => [Math.cos(i) * (1 + (i % 3)), Math.sin(i * 1.3) * 2]);
    const labels = pts.map(([x, y]) => (x * y > 0 ? 1 : 0));
    const cells = [
      cell("plotLines", () => void plotLines([{ name: "sin", y: Array.from({ length: 50 }, (_, i) => Math.sin(i / 5)) }, { name: "cos", y: Array.from({ length: 50 }, (_, i) => Math.cos(i / 5)) }], { title: "Courbes", xTitle: "t" })),
      cell("plotHistory", () => void plotHistory({ epoch: [1, 2, 3, 4], trainLoss: [1, 0.6, 0.4, 0.3], valLoss: [1.1, 0.7, 0.5, 0.45], trainAcc: [0.6, 0.8, 0.88, 0.92], valAcc: [0.55, 0.75, 0.84, 0.86] }, { title: "Historique" })),
      cell("imageGrid", () => void imageGrid(Array.from({ length: 12 }, (_, k) => digit(k)), { shape: [28, 28, 1], cols: 6, titles: Array.from({ length: 12 }, (_, k) => `prédit ${k % 10}`), titleColors: Array.from({ length: 12 }, (_, k) => (k % 4 === 0 ? COLOR_WRONG : COLOR_RIGHT)), title: "Chiffres" })),
      cell("barChart + histogram", () => {
        barChart(["chat", "chien", "oiseau"], [0.91, 0.85, 0.78], { title: "Exactitude par classe" });
        histogram([{ name: "avant", values: pts.map((p) => p[0]) }, { name: "après", values: pts.map((p) => p[1]) }], { bins: 15, title: "Poids" });
      }),
      cell("confusionMatrix + scatter", () => {
        confusionMatrix([[50, 2, 1], [3, 45, 5], [0, 4, 48]], ["a", "b", "c"]);
        scatterByClass(pts, labels, { classNames: ["bleu", "orange"], title: "Points" });
      }),
      cell("decision boundaries", () => {
        decisionBoundary((g) => g.map(([x, y]) => (x * y > 0 ? 1 : 0)), pts, labels, { title: "Frontière", resolution: 60 });
        const figs = [1, 2, 3, 4, 5, 6].map((k) => decisionBoundary((g) => g.map(([x, y]) => 1 / (1 + Math.exp(-k * x * y))), pts, labels, { title: `k=${k}`, resolution: 30, show: false }));
        smallMultiples(figs, { cols: 3, title: "2×3 frontières" });
      }),
      cell("tables, report, live output", () => {
        showTable([{ modèle: "MLP", exactitude: 0.97 }, { modèle: "CNN", exactitude: 0.99 }]);
        report({ "exactitude test": 0.99 });
        const out = liveOutput({ minIntervalMs: 0 });
        for (let e = 1; e <= 3; e++) out.update({ text: `époque ${e}/3` });
        out.close();
      }),
    ];
    const nbPath = path.join(outDir, "tsdl-all-plots.ipynb");
    fs.writeFileSync(nbPath, JSON.stringify(notebook(cells)));
    const [r] = await checkNotebooks([nbPath], { outDir, log: null });
    if (!r.ok) console.error(r.reason);
    expect(r.reason).toBe("");
    expect(r.ok).toBe(true);
    expect(r.expected).toBe(9);
    expect(r.drawn).toBe(9);
    expect(r.traces).toBeGreaterThanOrEqual(10);
    expect(fs.existsSync(r.screenshot as string)).toBe(true);
  });

  test("broken figures are reported: bad trace data, and a figure that never draws", async () => {
    resetDisplaySession();
    const bad = cell("bad data", () => {
      showFigure({ data: [{ type: "scatter", x: [1, 2], y: [3, 4] }], layout: { title: { text: "ok" } } });
      showFigure({ data: [{ type: "heatmap", z: 5 }], layout: { title: { text: "z is not a matrix" } } });
      showFigure({ data: [{ type: "heatmapgl", z: [[1, 2]] }], layout: { title: { text: "removed in plotly v3" } } });
      showFigure({ data: [{ type: "image", source: "data:image/png;base64,AAAA" }], layout: { title: { text: "corrupt PNG" } } });
    });
    // A notebook whose plotly.js output was cleared: later figures wait for window.Plotly forever.
    resetDisplaySession();
    const embedded = cell("embeds plotly", () => void plotLines([{ name: "a", y: [1, 2] }]));
    const orphan = cell("orphan", () => void plotLines([{ name: "b", y: [2, 1] }]));
    const paths = [
      path.join(outDir, "tsdl-broken-data.ipynb"),
      path.join(outDir, "tsdl-no-plotly.ipynb"),
    ];
    fs.writeFileSync(paths[0], JSON.stringify(notebook([bad])));
    fs.writeFileSync(paths[1], JSON.stringify(notebook([orphan]))); // `embedded` left out on purpose
    expect(embedded.outputs).toHaveLength(1);
    const results = await checkNotebooks(paths, { outDir, log: null, timeoutMs: 4000 });
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    const why = results[0].reason;
    expect(why).toMatch(/figure 2 \(cell 0\): trace 0 \(heatmap\) hidden by plotly.js: invalid data/);
    expect(why).toMatch(/figure 3 \(cell 0\): trace 0 "heatmapgl" drawn as "scatter"/);
    expect(why).toMatch(/figure 4 .*not drawn: "Figure non dessinée/);
    expect(why).toMatch(/console error: tsdl: figure tsdl-fig-\w+ failed/);
    expect(why).not.toMatch(/figure 1 /);
    expect(results[1].reason).toMatch(/0\/1 Plotly figures drawn/);
  });

  // End to end: a real tslab kernel (nbconvert --execute) using the built tsdl, then Chromium.
  // Needs the project set-up (`npm test` builds lib/dist and registers the kernel first).
  const ROOT = path.join(__dirname, "..");
  const JUPYTER_DATA = path.join(ROOT, ".jupyter", "share", "jupyter");
  const haveKernel = fs.existsSync(path.join(JUPYTER_DATA, "kernels", "tslab", "kernel.json")) && fs.existsSync(path.join(ROOT, "lib", "dist", "index.js"));
  if (!haveKernel) console.warn("kernel end-to-end test skipped: run the set-up first (tslab kernelspec in .jupyter/, lib/dist built)");
  (haveKernel ? test : test.skip)("real tslab kernel: bundles, merged report, live output updated in place, figures drawn", async () => {
    // Inside the repository, so that the notebook resolves `tsdl` from node_modules (build/ is ignored).
    const dir = fs.mkdtempSync(path.join(ROOT, "build", "display-e2e-"));
    try {
      const src = [
        'import { plotLines, imageGrid, liveOutput, report, confusionMatrix } from "tsdl";',
        'plotLines([{ name: "a", y: [1, 3, 2, 4] }], { title: "Dans le noyau" });',
        'imageGrid([new Float32Array(784).fill(1), new Float32Array(784)], { shape: [28, 28, 1], titles: ["1", "0"] });',
        "const out = liveOutput({ minIntervalMs: 0 });\nfor (let e = 1; e <= 5; e++) out.update({ text: `époque ${e}/5` });\nout.close();",
        'report({ exactitude: 0.98 }, { title: "Bilan" });\nreport({ perte: 0.05 });\nconfusionMatrix([[5, 1], [0, 6]], ["non", "oui"]);',
      ];
      const nb = notebook(src.map((source) => ({ cell_type: "code", execution_count: null, metadata: {}, source, outputs: [] })));
      fs.writeFileSync(path.join(dir, "e2e.ipynb"), JSON.stringify(nb));
      await promisify(execFile)(
        "/usr/bin/python3",
        ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300", "--output-dir", path.join(dir, "out"), path.join(dir, "e2e.ipynb")],
        { env: { ...process.env, JUPYTER_PATH: JUPYTER_DATA }, maxBuffer: 64 * 1024 * 1024 },
      );
      const executed = path.join(dir, "out", "e2e.ipynb");
      const cells = (JSON.parse(fs.readFileSync(executed, "utf8")) as { cells: { outputs: (Output & { name?: string; text?: string | string[] })[] }[] }).cells;
      const outs = cells.map((c) => c.outputs);
      // Each figure: one output with the three MIME types; plotly.js embedded in the first only.
      const html = (o: Output): string => [o.data["text/html"]].flat().join("");
      expect(Object.keys(outs[1][0].data).sort()).toEqual(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
      expect(html(outs[1][0])).toContain("plotly.js v4");
      expect(html(outs[2][0])).not.toContain("plotly.js v4");
      // A returned figure prints one line, not its JSON.
      const streams = outs.flat().filter((o) => o.output_type === "stream").map((o) => [o.text].flat().join(""));
      expect(streams.join("")).not.toContain("data: [");
      // The live output is ONE output holding the last update.
      expect(outs[3]).toHaveLength(1);
      expect([outs[3][0].data["text/plain"]].flat().join("")).toBe("époque 5/5");
      // The report merges.
      const reports = outs[4].filter((o) => o.data && o.data["application/vnd.tsdl.report+json"]);
      expect(reports[1].data["application/vnd.tsdl.report+json"]).toMatchObject({ figures: { exactitude: 0.98, perte: 0.05 } });
      const [r] = await checkNotebooks([executed], { outDir: path.join(dir, "html"), log: null });
      expect(r.reason).toBe("");
      expect(r.drawn).toBe(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
