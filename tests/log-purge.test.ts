// Re-running an experiment under the same run name: PyTorch's purge_step (a SessionLog START that
// TensorBoard honours, and readRun too) and `overwrite` (the run's earlier event files deleted).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SummaryWriter, readEvents, readRun } from "tsdl/log";
import { EventType } from "tsdl/log/proto";
import { scanRecords } from "tsdl/log/record";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-purge-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  jest.restoreAllMocks();
});

/** Logs steps [from, to) of "loss" (value = step + offset), "acc" sub-runs and a histogram; closes. */
function log(opts: ConstructorParameters<typeof SummaryWriter>[1], from: number, to: number, offset: number): SummaryWriter {
  const w = new SummaryWriter(tmp, { runName: "exp", maxHistograms: Infinity, ...opts });
  for (let s = from; s < to; s++) {
    w.addScalar("loss", s + offset, s);
    w.addScalars("acc", { train: s + offset }, s);
    w.addHistogram("w", [s + offset], s);
  }
  w.close();
  return w;
}

const eventFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.includes("tfevents"));
const loss = (dir: string): [number, number][] => readRun(dir).scalars.get("loss")!.map((p) => [p.step, p.value]);

test("without purge, a second run under the same name duplicates the steps", () => {
  const w = log({}, 0, 4, 0);
  log({}, 0, 2, 100);
  expect(loss(w.runDir)).toEqual([[0, 0], [0, 100], [1, 1], [1, 101], [2, 2], [3, 3]]);
});

test("purgeStep writes a SessionLog START at that step, right after the file version", () => {
  const w = log({ purgeStep: 7 }, 7, 8, 0);
  const { records } = scanRecords(fs.readFileSync(w.filePath));
  const events = records.slice(0, 2).map((r) => EventType.toObject(EventType.decode(r), { longs: Number }));
  expect(events[0]).toMatchObject({ fileVersion: "brain.Event:2" });
  expect(events[1]).toMatchObject({ step: 7, sessionLog: { status: 1 } }); // SessionLog.START = 1
  expect(() => new SummaryWriter(tmp, { runName: "bad", purgeStep: -1 })).toThrow(/purgeStep must be an integer ≥ 0 \(got -1\)/);
});

test("readRun honours purgeStep like TensorBoard: earlier points at steps ≥ purgeStep dropped, all tags", () => {
  const w = log({}, 0, 10, 0); // crashed after step 9
  log({ purgeStep: 5 }, 5, 8, 100); // resumed from the checkpoint of step 5
  expect(loss(w.runDir)).toEqual([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 105], [6, 106], [7, 107]]);
  expect(readRun(w.runDir).histograms.get("w")!.map((h) => h.max)).toEqual([0, 1, 2, 3, 4, 105, 106, 107]);
  // the addScalars sub-run is a run of its own, purged by its own file
  const sub = readRun(path.join(w.runDir, "acc_train")).scalars.get("acc")!;
  expect(sub.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 105, 106, 107]);
  // TensorBoard's --purge_orphaned_data=false: everything kept
  expect(readRun(w.runDir, { purgeOrphanedData: false }).scalars.get("loss")!.length).toBe(13);
});

test("a purge only drops what was read before it, file by file in creation order", () => {
  const w = log({ purgeStep: 0 }, 0, 3, 100); // the first file's own purge has nothing to drop
  const first = readEvents(w.filePath);
  expect(first.scalars.get("loss")!.map((p) => p.value)).toEqual([100, 101, 102]);
  // the ninth and tenth file of one process: "….10" is read after "….9" (number order, not text order)
  fs.rmSync(w.runDir, { recursive: true });
  const a = log({ purgeStep: 0 }, 0, 1, 9);
  const b = log({ purgeStep: 0 }, 0, 1, 10);
  fs.renameSync(a.filePath, path.join(w.runDir, "events.out.tfevents.1700000000.host.42.9"));
  fs.renameSync(b.filePath, path.join(w.runDir, "events.out.tfevents.1700000000.host.42.10"));
  expect(loss(w.runDir)).toEqual([[0, 10]]);
});

test("overwrite deletes the run's earlier event files, and nothing else", () => {
  const w1 = log({}, 0, 4, 0);
  fs.writeFileSync(path.join(w1.runDir, "notes.txt"), "keep me");
  const nested = new SummaryWriter(w1.runDir, { runName: "nested" }); // a run inside this one
  nested.addScalar("x", 1, 0);
  nested.close();
  const w2 = log({ overwrite: true }, 0, 2, 100);
  expect(eventFiles(w2.runDir)).toEqual([path.basename(w2.filePath)]);
  expect(loss(w2.runDir)).toEqual([[0, 100], [1, 101]]);
  expect(readRun(path.join(w2.runDir, "acc_train")).scalars.get("acc")!.map((p) => p.value)).toEqual([100, 101]);
  expect(eventFiles(path.join(w2.runDir, "acc_train"))).toHaveLength(1);
  expect(fs.readFileSync(path.join(w2.runDir, "notes.txt"), "utf8")).toBe("keep me");
  expect(readRun(nested.runDir).scalars.get("x")).toHaveLength(1);
  // a TensorBoard that had read the old files drops them: the new file purges from step 0
  const { records } = scanRecords(fs.readFileSync(w2.filePath));
  expect(EventType.toObject(EventType.decode(records[1]), { longs: Number })).toMatchObject({ step: 0, sessionLog: { status: 1 } });
});

test("overwrite while an older writer of the run is still open: the older one is silenced, not recreated", () => {
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  const old = new SummaryWriter(tmp, { runName: "exp" });
  old.addScalar("loss", 1, 0); // pending, not flushed yet
  const fresh = log({ overwrite: true }, 0, 1, 100);
  expect(warn).toHaveBeenCalledTimes(1);
  expect(String(warn.mock.calls[0][0])).toMatch(/was overwritten by a newer SummaryWriter.*writer\.close\(\)/);
  old.addScalar("loss", 2, 1);
  expect(() => old.close()).not.toThrow();
  expect(eventFiles(fresh.runDir)).toEqual([path.basename(fresh.filePath)]); // the old file did not come back
  expect(loss(fresh.runDir)).toEqual([[0, 100]]);
});
