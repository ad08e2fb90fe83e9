import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  DisplayMessage,
  FigureSpec,
  PLOTLY_MIME,
  liveOutput,
  resetDisplaySession,
  setDisplaySink,
  showFigure,
  showHtml,
  showMarkdown,
  showTable,
} from "tsdl/display";
import { REPORT_MIME, ReportPayload, report, reportedFigures, resetReport } from "tsdl/report";

interface Sent {
  message: DisplayMessage;
  update: boolean;
}

/** A fake kernel: records what tslab's lastWriteDisplayData would receive. */
function fakeKernel(): Sent[] {
  const sent: Sent[] = [];
  setDisplaySink((message, update) => sent.push({ message, update }));
  return sent;
}

const fig = (title: string, n = 2): FigureSpec => ({
  data: Array.from({ length: n }, (_, i) => ({ type: "scatter", x: [0, 1], y: [i, i + 1] })),
  layout: { title: { text: title } },
});

const html = (s: Sent): string => s.message.data["text/html"] as string;
const embedsPlotly = (s: Sent): boolean => html(s).includes("plotly.js v4");

afterEach(() => {
  setDisplaySink(undefined);
  resetDisplaySession();
  delete process.env.TSDL_FIGURE_DIR;
});

describe("figures in a kernel", () => {
  test("one output carries the three MIME types", () => {
    const sent = fakeKernel();
    showFigure(fig("Perte", 3));
    expect(sent).toHaveLength(1);
    const { data } = sent[0].message;
    expect(Object.keys(data).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"].sort());
    const json = data[PLOTLY_MIME] as { data: unknown[]; layout: { title: { text: string } }; config: Record<string, unknown> };
    expect(json.data).toHaveLength(3);
    expect(json.layout.title.text).toBe("Perte");
    expect(json.config.responsive).toBe(true);
    expect(data["text/plain"]).toBe("Figure: Perte (3 traces)");
    expect(sent[0].update).toBe(false);
    expect(html(sent[0])).toMatch(/window\.Plotly/);
    expect(html(sent[0])).toMatch(/Plotly\.newPlot|P\.newPlot/);
  });

  test("plotly.js is embedded once per session, later figures only wait for it", () => {
    const sent = fakeKernel();
    showFigure(fig("a"));
    showFigure(fig("b"));
    showFigure(fig("c"));
    expect(sent.map(embedsPlotly)).toEqual([true, false, false]);
    expect(html(sent[0]).length).toBeGreaterThan(1_000_000);
    expect(html(sent[1]).length).toBeLessThan(5_000);
    resetDisplaySession();
    showFigure(fig("d"));
    expect(embedsPlotly(sent[3])).toBe(true);
  });

  test("figure JSON cannot close the inline script", () => {
    const sent = fakeKernel();
    showFigure(fig("</script><script>alert(1)</script>"));
    showFigure(fig("</script><script>alert(1)</script>"));
    const h = html(sent[1]);
    expect(h.match(/<\/script>/g)).toHaveLength(1);
  });

  test("html, markdown and tables", () => {
    const sent = fakeKernel();
    showHtml("<b>gras</b>");
    showMarkdown("# Titre");
    showTable([{ modèle: "MLP", acc: 0.98123 }, { modèle: "CNN", acc: 0.99, temps: 12 }], { title: "Résultats" });
    expect(sent.map((s) => Object.keys(s.message.data).sort())).toEqual([
      ["text/html", "text/plain"],
      ["text/markdown", "text/plain"],
      ["text/html", "text/plain"],
    ]);
    expect(sent[0].message.data["text/plain"]).toBe("gras");
    const table = sent[2].message.data;
    expect(table["text/html"]).toContain("<th>temps</th>");
    expect(table["text/plain"]).toContain("0.9812");
    expect((table["text/plain"] as string).split("\n")).toHaveLength(5);
  });
});

describe("outside a kernel", () => {
  test("no TSDL_FIGURE_DIR: nothing written, one notice, no crash", () => {
    setDisplaySink(null);
    const spy = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(showFigure(fig("x"))).toBeUndefined();
      expect(showFigure(fig("y"))).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    expect(spy.mock.calls.length).toBeLessThanOrEqual(1); // the notice is printed once per process
  });

  test("TSDL_FIGURE_DIR: a standalone HTML page per figure, plotly.js copied once", () => {
    setDisplaySink(null);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-fig-"));
    process.env.TSDL_FIGURE_DIR = dir;
    const spy = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    let f1: string | undefined, f2: string | undefined;
    try {
      f1 = showFigure(fig("Précision finale"));
      f2 = showFigure(fig("b"));
    } finally {
      spy.mockRestore();
    }
    expect(f1).toMatch(/precision-finale\.html$/);
    const files = fs.readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("plotly-"))).toEqual(["plotly-4.1.1.js"]);
    expect(files.filter((f) => f.endsWith(".html"))).toHaveLength(2);
    const page = fs.readFileSync(f2 as string, "utf8");
    expect(page).toContain('<script type="text/javascript" src="plotly-4.1.1.js"></script>');
    expect(page).toContain("newPlot");
    fs.rmSync(dir, { recursive: true });
  });

  test("tables, html and report print text", () => {
    setDisplaySink(null);
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    try {
      showTable([{ a: 1, b: "x" }]);
      showHtml("<i>x</i>", "texte");
      resetReport();
      report({ "exactitude test": 0.97 });
    } finally {
      spy.mockRestore();
    }
    const text = out.join("");
    expect(text).toContain("a  b");
    expect(text).toContain("texte");
    expect(text).toMatch(/exactitude test\s+0\.97/);
  });
});

describe("liveOutput", () => {
  test("first message creates the output, later ones update the same display_id", () => {
    const sent = fakeKernel();
    const out = liveOutput({ minIntervalMs: 0 });
    out.update({ text: "époque 1" });
    out.update({ text: "époque 2", html: "<b>époque 2</b>" });
    out.update({ text: "époque 3" });
    out.close();
    out.update({ text: "ignored" });
    expect(sent).toHaveLength(3);
    expect(sent.map((s) => s.update)).toEqual([false, true, true]);
    const ids = new Set(sent.map((s) => s.message.transient.display_id));
    expect(ids).toEqual(new Set([out.displayId]));
    expect(sent[1].message.data["text/html"]).toBe("<b>époque 2</b>");
    expect(sent[2].message.data["text/plain"]).toBe("époque 3");
    expect(sent[0].message.data["text/html"]).toContain("<pre");
  });

  test("updates closer than minIntervalMs are coalesced; close sends the last one", () => {
    const sent = fakeKernel();
    const out = liveOutput({ minIntervalMs: 60_000 });
    for (let i = 0; i < 100; i++) out.update({ text: `batch ${i}` });
    out.close();
    expect(sent.map((s) => s.message.data["text/plain"])).toEqual(["batch 0", "batch 99"]);
    expect(sent.map((s) => s.update)).toEqual([false, true]);
  });

  test("two live outputs have different ids", () => {
    fakeKernel();
    expect(liveOutput().displayId).not.toBe(liveOutput().displayId);
  });

  test("terminal without TTY: only the final line, at close", () => {
    setDisplaySink(null);
    const err: string[] = [];
    const isTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, "isTTY", { value: false, configurable: true });
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    try {
      const out = liveOutput({ minIntervalMs: 0 });
      out.update({ text: "a" });
      out.update({ text: "titre\nb" });
      expect(err).toEqual([]);
      out.close();
    } finally {
      spy.mockRestore();
      Object.defineProperty(process.stderr, "isTTY", { value: isTTY, configurable: true });
    }
    expect(err).toEqual(["b\n"]);
  });

  test("terminal TTY: one line rewritten in place", () => {
    setDisplaySink(null);
    const err: string[] = [];
    const isTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, "isTTY", { value: true, configurable: true });
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    try {
      const out = liveOutput({ minIntervalMs: 0 });
      out.update({ text: "a" });
      out.update({ text: "b" });
      out.close();
    } finally {
      spy.mockRestore();
      Object.defineProperty(process.stderr, "isTTY", { value: isTTY, configurable: true });
    }
    expect(err).toEqual(["\ra\x1b[K", "\rb\x1b[K", "\n"]);
  });
});

describe("report", () => {
  test("table + machine-readable JSON in one output; calls merge", () => {
    const sent = fakeKernel();
    resetReport();
    report({ "exactitude MLP": 0.975, époques: 10 }, { title: "MLP" });
    report({ "exactitude CNN": 0.991, "exactitude MLP": 0.976 });
    expect(sent).toHaveLength(2);
    const first = sent[0].message.data;
    expect(Object.keys(first).sort()).toEqual([REPORT_MIME, "text/html", "text/plain"].sort());
    expect((first[REPORT_MIME] as ReportPayload).title).toBe("MLP");
    const second = sent[1].message.data[REPORT_MIME] as ReportPayload;
    expect(second.figures).toEqual({ "exactitude MLP": 0.976, époques: 10, "exactitude CNN": 0.991 });
    expect(second.added).toEqual(["exactitude CNN", "exactitude MLP"]);
    expect(sent[1].message.data["text/html"]).toContain("exactitude CNN");
    expect(sent[1].message.data["text/html"]).not.toContain("époques");
    expect(reportedFigures()["époques"]).toBe(10);
  });

  test("rejects values that are not numbers or strings, naming the key", () => {
    fakeKernel();
    expect(() => report({ acc: [0.9] as unknown as number })).toThrow(/"acc"/);
  });
});

describe("kernel detection (real node process: jest has its own require.cache)", () => {
  // Transpile kernel.ts + state.ts into a fake install whose main module is a fake tslab kernel.
  const ts = require("typescript") as typeof import("typescript");
  function setup(jupyterJs: string | null): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-kernel-"));
    const tslab = path.join(root, "node_modules", "tslab");
    fs.mkdirSync(path.join(tslab, "dist"), { recursive: true });
    fs.mkdirSync(path.join(tslab, "bin"));
    fs.mkdirSync(path.join(root, "tsdl"));
    for (const f of ["kernel", "state"]) {
      const src = fs.readFileSync(path.join(__dirname, "..", "lib", "src", "display", `${f}.ts`), "utf8");
      const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, esModuleInterop: true } });
      fs.writeFileSync(path.join(root, "tsdl", `${f}.js`), js.outputText);
    }
    if (jupyterJs !== null) fs.writeFileSync(path.join(tslab, "dist", "jupyter.js"), jupyterJs);
    // tslab's public API: one MIME type per output.
    fs.writeFileSync(
      path.join(tslab, "dist", "public.js"),
      `const log = (globalThis.PUBLIC = []);
       const mk = (id) => ({ raw: (t, c) => log.push({ id, t, c }) });
       let n = 0; exports.display = mk(undefined); exports.newDisplay = () => mk("d" + ++n);`,
    );
    // The "kernel": loads its own jupyter module, sets lastWriteDisplayData per execute request, runs user code.
    fs.writeFileSync(
      path.join(tslab, "bin", "tslab"),
      `const sent = [];
       let j = null; try { j = require("../dist/jupyter.js"); } catch {}
       const k = require("../../../tsdl/kernel.js");
       if (j) j.lastWriteDisplayData = (m, u) => sent.push(["exec1", m.data["text/html"], u]);
       const sink = k.currentSink();
       sink({ data: { "text/html": "<p>1</p>", "text/plain": "1" }, metadata: {}, transient: {} }, false);
       if (j) j.lastWriteDisplayData = (m, u) => sent.push(["exec2", m.data["text/html"], u]);
       sink({ data: { "text/html": "<p>2</p>" }, metadata: {}, transient: { display_id: "x" } }, false);
       sink({ data: { "text/plain": "3" }, metadata: {}, transient: { display_id: "x" } }, true);
       console.log(JSON.stringify({ sent, pub: globalThis.PUBLIC }));`,
    );
    return root;
  }
  const run = (root: string): { sent: unknown[]; pub: unknown[] } => {
    const out = require("child_process").execFileSync(process.execPath, [path.join(root, "node_modules", "tslab", "bin", "tslab")], { encoding: "utf8" }) as string;
    fs.rmSync(root, { recursive: true });
    return JSON.parse(out) as { sent: unknown[]; pub: unknown[] };
  };

  test("uses the kernel's own lastWriteDisplayData, read at each call (tslab re-assigns it per request)", () => {
    const r = run(setup("exports.lastWriteDisplayData = null;"));
    expect(r.sent).toEqual([["exec1", "<p>1</p>", false], ["exec2", "<p>2</p>", false], ["exec2", null, true]]);
    expect(r.pub).toBeUndefined(); // public.js not even loaded
  });

  test("falls back to tslab's public display when the internal API is missing", () => {
    const r = run(setup(null));
    expect(r.sent).toEqual([]);
    expect(r.pub).toEqual([
      { t: "text/html", c: "<p>1</p>" },
      { id: "d1", t: "text/html", c: "<p>2</p>" },
      { id: "d1", t: "text/plain", c: "3" },
    ]);
  });
});
