import { inflateSync } from "zlib";
import { DisplayMessage, PLOTLY_MIME, resetDisplaySession, setDisplaySink } from "tsdl/display";
import {
  COLOR_RIGHT,
  COLOR_WRONG,
  barChart,
  confusionCounts,
  confusionMatrix,
  decisionBoundary,
  encodePng,
  heatmap,
  histogram,
  imageGrid,
  plotHistory,
  plotLines,
  scatterByClass,
  smallMultiples,
} from "tsdl/plot";

const sent: DisplayMessage[] = [];
beforeEach(() => {
  sent.length = 0;
  setDisplaySink((m) => sent.push(m));
});
afterEach(() => {
  setDisplaySink(undefined);
  resetDisplaySession();
});

type Obj = Record<string, unknown>;
const layoutOf = (l: unknown): Obj => l as Obj;

test("plotLines: one trace per series, plain arrays, log axis, shown once", () => {
  const f = plotLines(
    [{ name: "a", y: new Float32Array([0.1, 0.2, 0.3]) }, { name: "b", x: [1, 2], y: [3, 4] }],
    { title: "t", xTitle: "x", yTitle: "y", logY: true },
  );
  expect(f.data).toHaveLength(2);
  expect(f.data[0].x).toEqual([0, 1, 2]);
  expect(f.data[0].y).toEqual([0.1, 0.2, 0.3]); // float32 noise removed, plain array
  expect(Array.isArray(f.data[0].y)).toBe(true);
  expect(layoutOf(f.layout.yaxis).type).toBe("log");
  expect(f.layout.title).toEqual({ text: "t" });
  expect(sent).toHaveLength(1);
  expect((sent[0].data[PLOTLY_MIME] as { data: unknown[] }).data).toHaveLength(2);
});

test("show: false returns the spec without displaying", () => {
  plotLines([{ name: "a", y: [1] }], { show: false });
  expect(sent).toHaveLength(0);
});

test("plotHistory: loss and accuracy subplots, train and validation", () => {
  const h = { epoch: [1, 2, 3], trainLoss: [1, 0.5, 0.3], valLoss: [1.1, 0.6, 0.4], trainAcc: [0.5, 0.8, 0.9], valAcc: [0.5, 0.7, 0.85] };
  const f = plotHistory(h, { show: false });
  expect(f.data).toHaveLength(4);
  expect(f.data.map((t) => [t.name, t.xaxis])).toEqual([["entraînement", "x"], ["validation", "x"], ["entraînement", "x2"], ["validation", "x2"]]);
  expect(f.data.filter((t) => t.showlegend).length).toBe(2);
  expect(f.layout.xaxis2).toBeDefined();
  const lossOnly = plotHistory({ epoch: [1, 2], trainLoss: [1, 0.5] }, { show: false });
  expect(lossOnly.data).toHaveLength(1);
  expect(lossOnly.layout.xaxis2).toBeUndefined();
  expect(plotHistory(h, { metrics: ["accuracy"], show: false }).data.map((t) => t.y)).toEqual([h.trainAcc, h.valAcc]);
});

function decodePng(dataUrl: string): { w: number; h: number; rgb: Buffer } {
  const png = Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ""), "base64");
  expect(png.subarray(1, 4).toString()).toBe("PNG");
  const w = png.readUInt32BE(16), h = png.readUInt32BE(20);
  const idatLen = png.readUInt32BE(33);
  const raw = inflateSync(png.subarray(41, 41 + idatLen));
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) raw.copy(rgb, y * w * 3, y * (w * 3 + 1) + 1, (y + 1) * (w * 3 + 1));
  return { w, h, rgb };
}

test("encodePng writes a valid RGB PNG", () => {
  const png = encodePng(new Uint8Array([255, 0, 0, 0, 255, 0]), 2, 1);
  const d = decodePng(`data:image/png;base64,${png.toString("base64")}`);
  expect([d.w, d.h]).toEqual([2, 1]);
  expect([...d.rgb]).toEqual([255, 0, 0, 0, 255, 0]);
});

test("imageGrid: one image trace, nearest-neighbour upscaled grey digits, colored titles", () => {
  const img = (v: number): Float32Array => new Float32Array(28 * 28).fill(v);
  const titles = ["7", "2", "1"];
  const f = imageGrid([img(0), img(1), img(0.5)], { titles, titleColors: [COLOR_RIGHT, COLOR_WRONG, COLOR_RIGHT], cols: 2, shape: [28, 28, 1] });
  expect(f.data).toHaveLength(1);
  expect(f.data[0].type).toBe("image");
  const { w, h, rgb } = decodePng(f.data[0].source as string);
  // scale 3 → 84 px cells, 4 px padding, 18 px title band
  expect(w).toBe(2 * (84 + 4) + 4);
  expect(h).toBe(2 * (18 + 84 + 4) + 4);
  const pixel = (x: number, y: number): number[] => [...rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
  expect(pixel(4 + 10, 4 + 18 + 10)).toEqual([0, 0, 0]); // image 0 black
  expect(pixel(4 + 88 + 10, 4 + 18 + 10)).toEqual([255, 255, 255]); // image 1 white
  expect(pixel(4 + 10, 4 + 106 + 18 + 10)).toEqual([128, 128, 128]); // image 2 grey
  const ann = f.layout.annotations as Obj[];
  expect(ann.map((a) => a.text)).toEqual(titles);
  expect(ann.map((a) => (a.font as Obj).color)).toEqual([COLOR_RIGHT, COLOR_WRONG, COLOR_RIGHT]);
  expect(f.layout.width).toBe(w + 10);
  expect(sent).toHaveLength(1);
});

test("imageGrid: RGB tensor-like input (NHWC)", () => {
  const n = 4, s = 8;
  const data = new Float32Array(n * s * s * 3);
  for (let i = 0; i < n * s * s; i++) data[i * 3] = 1; // pure red
  const f = imageGrid({ shape: [n, s, s, 3], dataSync: () => data }, { cols: 4, show: false });
  const { w, rgb } = decodePng(f.data[0].source as string);
  const scale = 12; // 96 / 8
  expect(w).toBe(4 * (s * scale + 4) + 4);
  const o = ((4 + 5) * w + 4 + 5) * 3;
  expect([...rgb.subarray(o, o + 3)]).toEqual([255, 0, 0]);
  expect(f.layout.annotations).toEqual([]);
});

test("imageGrid: explains a wrong shape", () => {
  expect(() => imageGrid([new Float32Array(10)], { shape: [28, 28, 1], show: false })).toThrow(/784/);
});

test("imageGrid: jimp images (RGBA bytes) drawn as RGB, alpha dropped; sizes must match", async () => {
  const { Jimp } = await import("jimp");
  const red = new Jimp({ width: 70, height: 50, color: 0xff000080 }); // half-transparent red
  const blue = new Jimp({ width: 70, height: 50, color: 0x0000ffff });
  const f = imageGrid([red, blue], { cols: 2, titles: ["rouge", "bleu"], show: false });
  const { w, h, rgb } = decodePng(f.data[0].source as string);
  expect([w, h]).toEqual([2 * (70 + 4) + 4, 18 + 50 + 2 * 4]); // images over 64 px: scale 1
  const pixel = (x: number, y: number): number[] => [...rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
  expect(pixel(4 + 10, 4 + 18 + 10)).toEqual([255, 0, 0]);
  expect(pixel(4 + 74 + 10, 4 + 18 + 10)).toEqual([0, 0, 255]);
  expect(() => imageGrid([red, new Jimp({ width: 20, height: 20 })], { show: false })).toThrow(/70×50 and 20×20.*resize/);
  expect(() => imageGrid([red, new Float32Array(3)] as never, { show: false })).toThrow(/mixing/);
});

test("plotHistory: epoch markers on one subplot or all, with labels", () => {
  const h = { epoch: [1, 2, 3], trainLoss: [1, 0.5, 0.3], valLoss: [1.1, 0.6, 0.7], trainAcc: [0.5, 0.8, 0.9], valAcc: [0.5, 0.7, 0.85] };
  const f = plotHistory(h, {
    title: "t",
    show: false,
    markers: [
      { epoch: 2, metric: "loss", label: "perte min.", color: "#2ca02c" },
      { epoch: 3, metric: "accuracy", label: "exactitude max." },
      { epoch: 1 },
    ],
  });
  const shapes = f.layout.shapes as Obj[];
  expect(shapes.map((s) => [s.xref, s.x0, s.x1, s.yref])).toEqual([["x", 2, 2, "paper"], ["x", 1, 1, "paper"], ["x2", 3, 3, "paper"], ["x2", 1, 1, "paper"]]);
  expect((shapes[0].line as Obj).color).toBe("#2ca02c");
  const ann = f.layout.annotations as Obj[];
  expect(ann.map((a) => [a.text, a.xref, a.x])).toEqual([["perte min.", "x", 2], ["exactitude max.", "x2", 3]]);
  expect((f.layout.margin as Obj).t).toBeGreaterThan(50); // room for the labels under the title
  expect(plotHistory(h, { show: false }).layout.shapes).toBeUndefined();
  expect(() => plotHistory({ epoch: [1], trainLoss: [1] }, { show: false, markers: [{ epoch: 1, metric: "accuracy" }] })).toThrow(/"accuracy", which is not drawn/);
  expect(() => plotHistory(h, { show: false, markers: [{ epoch: NaN }] })).toThrow(/epoch is NaN/);
});

test("barChart, histogram", () => {
  const b = barChart(["a", "b", "c"], [1, 2, 3], { title: "barres", show: false });
  expect(b.data).toHaveLength(1);
  expect(b.data[0].x).toEqual(["a", "b", "c"]);
  expect(() => barChart(["a"], [1, 2], { show: false })).toThrow(/one label per value/);
  const h1 = histogram([0, 0.1, 0.2, 0.9, 1], { bins: 5, show: false });
  expect(h1.data).toHaveLength(1);
  expect(h1.data[0].y).toEqual([2, 1, 0, 0, 2]);
  const h2 = histogram([{ name: "avant", values: new Float32Array([0, 1]) }, { name: "après", values: [0.5] }], { bins: 4, show: false });
  expect(h2.data.map((t) => t.name)).toEqual(["avant", "après"]);
  expect((h2.data[0].y as number[]).reduce((a, c) => a + c, 0)).toBe(2);
  expect(h2.layout.barmode).toBe("overlay");
});

test("confusionMatrix: heatmap with counts, true classes top to bottom", () => {
  const m = confusionCounts([0, 1, 2, 2, 1], [0, 2, 2, 2, 1], 3);
  expect(m).toEqual([[1, 0, 0], [0, 1, 1], [0, 0, 2]]);
  const f = confusionMatrix(m, ["a", "b", "c"], { show: false });
  expect(f.data).toHaveLength(1);
  expect(f.data[0].type).toBe("heatmap");
  expect(f.data[0].texttemplate).toBe("%{text}");
  expect(f.data[0].text).toEqual(m);
  expect(layoutOf(f.layout.yaxis).autorange).toBe("reversed");
  expect(() => confusionMatrix([[1, 2]], undefined, { show: false })).toThrow(/1×1/);
});

test("scatterByClass: one trace per class", () => {
  const f = scatterByClass([[0, 0], [1, 1], [2, 2]], [1, 0, 1], { classNames: ["zéro", "un"], show: false });
  expect(f.data.map((t) => [t.name, (t.x as number[]).length])).toEqual([["zéro", 1], ["un", 2]]);
});

test("heatmap with points, decisionBoundary", () => {
  const hm = heatmap([[1, 2], [3, 4]], { x: [0, 1], y: [0, 1], points: { xy: [[0, 0]], labels: [0] }, show: false });
  expect(hm.data.map((t) => t.type)).toEqual(["heatmap", "scatter"]);
  const pts: [number, number][] = [[-1, -1], [1, 1], [-1, 1]];
  const f = decisionBoundary((g) => g.map(([x]) => (x > 0 ? 1 : 0)), pts, [0, 1, 0], { resolution: 20, show: false });
  expect(f.data.map((t) => t.type)).toEqual(["heatmap", "scatter", "scatter"]);
  const z = f.data[0].z as number[][];
  expect([z.length, z[0].length]).toEqual([20, 20]);
  expect(z[0][0]).toBe(0);
  expect(z[0][19]).toBe(1);
  expect(f.data[0].showscale).toBe(false);
  const p = decisionBoundary((g) => g.map(() => 0.3), pts, [0, 1, 0], { resolution: 5, show: false });
  expect(p.data[0].showscale).toBe(true);
  expect(() => decisionBoundary(() => [1], pts, [0, 1, 0], { show: false })).toThrow(/one per point/);
});

test("decisionBoundary: a fixed range instead of the points' extent", () => {
  const pts: [number, number][] = [[-0.5, 0.2], [0.4, 0.9]];
  let seen: [number, number][] = [];
  const f = decisionBoundary((g) => ((seen = g), g.map(() => 0)), pts, [0, 1], { resolution: 5, xRange: [-1, 1], yRange: [-2, 2], show: false });
  expect(f.data[0].x).toEqual([-1, -0.5, 0, 0.5, 1]);
  expect(f.data[0].y).toEqual([-2, -1, 0, 1, 2]);
  expect(seen[0]).toEqual([-1, -2]);
  expect(seen[seen.length - 1]).toEqual([1, 2]);
  // one axis fixed, the other from the points (padding 0)
  const g = decisionBoundary(() => Array(25).fill(0), pts, [0, 1], { resolution: 5, yRange: [0, 1], padding: 0, show: false });
  expect([(g.data[0].x as number[])[0], (g.data[0].x as number[])[4]]).toEqual([-0.5, 0.4]);
  expect(() => decisionBoundary(() => [], pts, [0, 1], { xRange: [1, -1], show: false })).toThrow(/xRange = \[1,-1\].*min < max/);
});

test("smallMultiples: 2×3 grid, axes remapped, one legend entry and one colorbar", () => {
  const pts: [number, number][] = [[-1, -1], [1, 1]];
  const figs = Array.from({ length: 6 }, (_, k) =>
    decisionBoundary((g) => g.map(([x]) => (x > k / 6 ? 1 : 0)), pts, [0, 1], { resolution: 10, title: `k=${k}`, show: false }),
  );
  const f = smallMultiples(figs, { cols: 3, title: "Frontières" });
  expect(f.data).toHaveLength(18);
  expect(new Set(f.data.map((t) => t.xaxis))).toEqual(new Set(["x", "x2", "x3", "x4", "x5", "x6"]));
  expect(f.layout.yaxis6).toMatchObject({ anchor: "x6" });
  const d1 = layoutOf(f.layout.xaxis).domain as number[], d3 = layoutOf(f.layout.xaxis3).domain as number[];
  expect(d1[0]).toBe(0);
  expect(d3[1]).toBeCloseTo(1);
  const legend = f.data.filter((t) => t.type === "scatter" && t.showlegend !== false);
  expect(legend.map((t) => t.name)).toEqual(["classe 0", "classe 1"]);
  expect((f.layout.annotations as Obj[]).map((a) => a.text)).toEqual(["k=0", "k=1", "k=2", "k=3", "k=4", "k=5"]);
  expect(sent).toHaveLength(1);
  expect(() => smallMultiples([plotHistory({ epoch: [1], trainLoss: [1], trainAcc: [1] }, { show: false })], { show: false })).toThrow(/single-plot/);
});

test("imageGrid accepts a real tf.Tensor (NHWC) and leaves it alive", async () => {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend("cpu");
  const t = tf.ones([2, 28, 28, 1]);
  const f = imageGrid(t, { cols: 2, titles: ["a", "b"], show: false });
  expect(f.data).toHaveLength(1);
  expect((f.layout.annotations as Obj[]).length).toBe(2);
  expect(t.isDisposed).toBe(false);
  t.dispose();
});

test("a returned figure prints as one line (tslab prints a cell's last value)", () => {
  const { inspect } = require("util") as typeof import("util");
  const f = plotLines([{ name: "a", y: [1, 2] }], { title: "Courbe", show: false });
  expect(inspect(f)).toBe("Figure: Courbe (1 trace)");
  expect(Object.keys(f)).toEqual(["data", "layout"]);
  expect(JSON.parse(JSON.stringify(f))).toEqual({ data: f.data, layout: f.layout });
});
