// Reading event files back, tolerance to torn/corrupt records, and the Plotly views of a log folder.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SummaryWriter, listRuns, makeHistogram, plotHistograms, plotScalars, readEvents, readRun } from "tsdl/log";
import { rebin } from "tsdl/log/plots";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-logr-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  jest.restoreAllMocks();
});

function writeRun(name: string, scale: number, epochs = 5): SummaryWriter {
  const w = new SummaryWriter(tmp, { runName: name, totalSteps: epochs, maxHistograms: epochs });
  for (let e = 0; e < epochs; e++) {
    w.addScalar("loss", scale / (e + 1), e);
    w.addScalars("acc", { train: 0.5 + e / 10, test: 0.4 + e / 10 }, e);
    w.addHistogram("weights", Array.from({ length: 100 }, (_, i) => (i - 50) / (10 * (e + 1))), e);
  }
  w.close();
  return w;
}

test("readRun gives back scalars (float32) and histograms, sorted by step", () => {
  const w = writeRun("a", 1);
  const run = readRun(w.runDir);
  expect([...run.scalars.keys()]).toEqual(["loss"]);
  const loss = run.scalars.get("loss")!;
  expect(loss.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
  expect(loss.map((p) => p.value)).toEqual([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5].map(Math.fround));
  expect(loss[0].wallTime).toBeGreaterThan(1.6e9);
  const h = run.histograms.get("weights")!;
  expect(h.length).toBe(5);
  expect(h[0]).toMatchObject({ step: 0, min: -5, max: 4.9, num: 100 });
  expect(h[0].bucket.reduce((a, b) => a + b, 0)).toBe(100);
  expect(run.warnings).toEqual([]);
});

test("a truncated last record: warning naming file and offset, earlier records kept", () => {
  const w = writeRun("t", 1);
  const full = fs.readFileSync(w.filePath);
  const good = readEvents(w.filePath);
  fs.writeFileSync(w.filePath, full.subarray(0, full.length - 7));
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  const cut = readEvents(w.filePath);
  expect(warn).toHaveBeenCalledTimes(1);
  expect(cut.warnings[0]).toContain(w.filePath);
  expect(cut.warnings[0]).toMatch(/stops at byte \d+ \(truncated record/);
  // Only the last record (the last histogram) is lost.
  expect(cut.scalars.get("loss")!.length).toBe(5);
  expect(cut.histograms.get("weights")!.length).toBe(good.histograms.get("weights")!.length - 1);
});

test("a corrupt byte stops the read at that record (CRC)", () => {
  const w = new SummaryWriter(tmp, { runName: "c" });
  for (let s = 0; s < 10; s++) w.addScalar("x", s, s);
  w.close();
  const buf = fs.readFileSync(w.filePath);
  const recLen = (buf.length - Number(buf.readBigUInt64LE(0)) - 16) / 10; // 10 scalar records after the first
  const offset = buf.length - 4 * recLen; // start of the 7th scalar record
  buf[offset + 14] ^= 0xff; // inside its data
  fs.writeFileSync(w.filePath, buf);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  const r = readEvents(w.filePath);
  expect(r.scalars.get("x")!.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(r.warnings[0]).toContain(`byte ${offset} (bad data CRC)`);
});

test("listRuns finds runs and addScalars sub-runs; plotScalars draws one line per run", () => {
  writeRun("a", 1);
  writeRun("b", 2);
  expect(listRuns(tmp)).toEqual(["a", "a/acc_test", "a/acc_train", "b", "b/acc_test", "b/acc_train"]);
  const one = plotScalars(tmp, { tags: ["loss"], show: false });
  expect(one.data.map((t) => t.name)).toEqual(["a", "b"]);
  expect(one.data[1].y).toEqual([2, 1, 2 / 3, 0.5, 0.4].map((v) => Number(Math.fround(v).toPrecision(7))));
  const grid = plotScalars(tmp, { runs: ["a"], show: false });
  expect(grid.data.map((t) => t.name)).toEqual(["a/acc_test", "a/acc_train", "a"]); // chart "acc", then "loss"
  const smooth = plotScalars(tmp, { tags: ["loss"], runs: ["a"], smoothing: 0.5, show: false });
  expect((smooth.data[0].y as number[])[1]).toBeCloseTo(0.75, 6);
  expect(() => plotScalars(tmp, { tags: ["nope"], show: false })).toThrow(/no scalar tagged nope/);
});

test("plotHistograms: heatmap step × value, lines mode, counts conserved by rebin", () => {
  const w = writeRun("a", 1);
  const fig = plotHistograms(tmp, "weights", { bins: 20, show: false });
  const z = fig.data[0].z as number[][];
  expect(fig.data[0].type).toBe("heatmap");
  expect(z.length).toBe(5);
  expect(z[0].length).toBe(20);
  for (const row of z) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 3);
  const lines = plotHistograms(tmp, "weights", { mode: "lines", show: false });
  expect(lines.data.length).toBe(5);
  const h = readRun(w.runDir).histograms.get("weights")![4];
  const counts = rebin(h, -5, 5, 10);
  expect(counts.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 6);
  expect(counts[0]).toBe(0); // step 4 spans only [-1, 0.98]
  expect(() => plotHistograms(tmp, "nope", { show: false })).toThrow(/no histogram tagged "nope"/);
  writeRun("b", 1, 3);
  const two = plotHistograms(tmp, "weights", { show: false });
  expect(two.data.map((t) => t.type)).toEqual(["heatmap", "heatmap"]);
  expect(two.data[0].zmax).toBe(two.data[1].zmax); // one color scale for both runs
});

test("reads a file written by tensorboardX 2.6.5 (PyTorch's writer format): proto3 zeros omitted", () => {
  // tensorboardX: add_scalar("loss", 0.5, 0); add_scalar("loss", 0.25, 1);
  // add_histogram("h", np.array([0., 1., 2., 3.]), 1, bins=3)
  const TBX =
    "GAAAAAAAAACjf0siCTCKFeIMwdpBGg1icmFpbi5FdmVudDoyUzwZuhgAAAAAAAAAo39LIgl/8RXiDMHaQSoNCgsKBGxvc3MVAAAAP/Ba3esaAAAAAAAAABKb2C0J1zQW4gzB2kEQASoNCgsKBGxvc3MVAACAPiMQqE98AAAAAAAAAMnjx8gJUz8W4gzB2kEQASpvCm0KAWgqaBEAAAAAAAAIQBkAAAAAAAAQQCEAAAAAAAAYQCkAAAAAAAAsQDIgAAAAAAAAAAAAAAAAAADwPwAAAAAAAABAAAAAAAAACEA6IAAAAAAAAAAAAAAAAAAA8D8AAAAAAADwPwAAAAAAAABAimMvRA==";
  const file = path.join(tmp, "events.out.tfevents.1795437500.host.1.0");
  fs.writeFileSync(file, Buffer.from(TBX, "base64"));
  const r = readEvents(file);
  expect(r.warnings).toEqual([]);
  expect(r.scalars.get("loss")!.map((p) => [p.step, p.value])).toEqual([[0, 0.5], [1, 0.25]]);
  const [h] = r.histograms.get("h")!;
  expect(h).toMatchObject({ step: 1, min: 0, max: 3, num: 4, bucketLimit: [0, 1, 2, 3], bucket: [0, 1, 1, 2] });
  // Our bucketing gives the same histogram.
  expect(makeHistogram([0, 1, 2, 3], 3)).toMatchObject({ bucketLimit: h.bucketLimit, bucket: h.bucket });
});
