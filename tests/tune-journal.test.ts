// Journal storage: round trip, several worker processes on one file, corrupt lines, dead workers.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { RandomSampler, TPESampler, createStudy, getAllStudyNames, loadStudy } from "tsdl/tune";

const SRC = path.join(__dirname, "..", "lib", "src", "tune");
let dir: string;
let build: string;
let warn: jest.SpyInstance;

/** The storage/study code compiled to plain JS for child processes (no ts-node, no lib build). */
function transpileTune(out: string): void {
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const file of walk(SRC)) {
    if (!file.endsWith(".ts") || /(plots|index)\.ts$/.test(file)) continue;
    const js = ts.transpileModule(fs.readFileSync(file, "utf8"), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021 } }).outputText;
    const dest = path.join(out, path.relative(SRC, file)).replace(/\.ts$/, ".js");
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, js);
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-tune-"));
  build = path.join(dir, "build");
  transpileTune(build);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => (warn = jest.spyOn(console, "warn").mockImplementation(() => undefined)));
afterEach(() => warn.mockRestore());

const workerScript = (journal: string, nTrials: number, seed: number, extra = ""): string => `
const { createStudy } = require(${JSON.stringify(path.join(build, "study.js"))});
const { TPESampler } = require(${JSON.stringify(path.join(build, "samplers", "tpe.js"))});
const study = createStudy({ storage: ${JSON.stringify(journal)}, studyName: "shared", loadIfExists: true,
  sampler: new TPESampler({ seed: ${seed}, nStartupTrials: 4 }) });
study.optimize(async (t) => {
  const x = t.suggestFloat("x", -5, 5), n = t.suggestInt("n", 1, 64, { log: true });
  t.report(x * x, 0);
  ${extra}
  await new Promise((r) => setTimeout(r, 5));
  return x * x + Math.log(n);
}, { nTrials: ${nTrials} }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
`;

function runNode(code: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (c) => resolve({ code: c, stderr }));
  });
}

test("round trip: write with tsdl, read with tsdl", async () => {
  const file = path.join(dir, "rt.log");
  const a = createStudy({ storage: file, studyName: "rt", direction: "maximize", sampler: new TPESampler({ seed: 2, nStartupTrials: 3 }) });
  await a.optimize((t) => {
    const lr = t.suggestFloat("lr", 1e-4, 1, { log: true });
    const act = t.suggestCategorical("act", ["relu", "tanh", null, 3, false]);
    const k = t.suggestInt("k", 2, 20, { step: 3 });
    t.report(lr, 0);
    t.report(lr * 2, 3);
    t.setUserAttr("note", { act, nested: [1, "é"] });
    if (t.number === 4) throw new Error("bad luck");
    return lr * k;
  }, { nTrials: 8 });
  const b = loadStudy({ storage: file });
  const strip = (s: typeof a) => s.trials.map((t) => ({ ...t, datetimeStart: t.datetimeStart?.getTime(), datetimeComplete: t.datetimeComplete?.getTime() }));
  expect(b.studyName).toBe("rt");
  expect(b.direction).toBe("maximize");
  expect(strip(b)).toEqual(strip(a));
  expect(b.bestParams).toEqual(a.bestParams);
  expect(b.trials[4]).toMatchObject({ state: "FAIL", failReason: "Error: bad luck" });
  expect(b.trials[0].intermediateValues).toEqual({ 0: expect.any(Number), 3: expect.any(Number) });
  expect(getAllStudyNames(file)).toEqual(["rt"]);
  // A second study in the same file; same name refused unless loadIfExists.
  createStudy({ storage: file, studyName: "other" });
  expect(() => createStudy({ storage: file, studyName: "rt" })).toThrow(/already exists.*loadIfExists: true/);
  const c = createStudy({ storage: file, studyName: "rt", loadIfExists: true, sampler: new RandomSampler({ seed: 0 }) });
  await c.optimize((t) => t.suggestFloat("lr", 1e-4, 1, { log: true }), { nTrials: 2 });
  expect(loadStudy({ storage: file, studyName: "rt" }).trials).toHaveLength(10);
  expect(() => loadStudy({ storage: file })).toThrow(/holds 2 studies \(rt, other\): pass studyName/);
  expect(() => createStudy({ storage: "sqlite:///x.db" })).toThrow(/journal file format only/);
});

test("two worker processes on one journal: exact trial count, no duplicate numbers", async () => {
  const file = path.join(dir, "shared.log");
  const n = 15;
  const [r1, r2] = await Promise.all([runNode(workerScript(file, n, 1)), runNode(workerScript(file, n, 2))]);
  expect(r1).toEqual({ code: 0, stderr: "" });
  expect(r2).toEqual({ code: 0, stderr: "" });
  const study = loadStudy({ storage: file, studyName: "shared" });
  const trials = study.trials;
  expect(trials).toHaveLength(2 * n);
  expect(trials.map((t) => t.number)).toEqual([...Array(2 * n).keys()]);
  expect(new Set(trials.map((t) => t.trialId)).size).toBe(2 * n);
  expect(trials.every((t) => t.state === "COMPLETE" && t.intermediateValues[0] === (t.params.x as number) ** 2)).toBe(true);
  expect(fs.existsSync(file + ".lock")).toBe(false);
  const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
  expect(lines.filter((l) => JSON.parse(l).op_code === 0)).toHaveLength(1); // one study, created once
  expect(new Set(lines.map((l) => JSON.parse(l).worker_id)).size).toBe(2); // the loader wrote nothing
}, 60000);

test("a stale lock file is broken; a live one is waited for", () => {
  const file = path.join(dir, "lock.log");
  fs.writeFileSync(file + ".lock", "");
  const old = new Date(Date.now() - 120_000);
  fs.utimesSync(file + ".lock", old, old);
  const s = createStudy({ storage: file, studyName: "l" });
  expect(s.trials).toEqual([]);
  expect(warn.mock.calls.some((c) => /stale journal lock/.test(String(c[0])))).toBe(true);
  fs.writeFileSync(file + ".lock", "");
  expect(() => createStudy({ storage: file, studyName: "m", lock: { timeoutMs: 200 } })).toThrow(/Could not lock the journal: .*lock.log.lock/);
  fs.unlinkSync(file + ".lock");
});

test("a corrupt line is skipped with a warning naming it; the rest is kept", async () => {
  const file = path.join(dir, "corrupt.log");
  const s = createStudy({ storage: file, studyName: "c", sampler: new RandomSampler({ seed: 0 }) });
  await s.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 3 });
  const lines = fs.readFileSync(file, "utf8").split("\n");
  // Damage the 2nd param line of trial 1 region: insert garbage and an unknown op after line 5.
  lines.splice(5, 0, '{"op_code": 5, "worker_id": "x", "trial_id": 1, "par', '{"op_code": 42, "worker_id": "x"}');
  fs.writeFileSync(file, lines.join("\n"));
  const r = loadStudy({ storage: file });
  expect(r.trials.map((t) => t.state)).toEqual(["COMPLETE", "COMPLETE", "COMPLETE"]);
  expect(r.trials.map((t) => t.params)).toEqual(s.trials.map((t) => t.params));
  const msgs = warn.mock.calls.map((c) => String(c[0]));
  expect(msgs.some((m) => /corrupt line 6 of the journal file/.test(m))).toBe(true);
  expect(msgs.some((m) => /line 7 .*unknown op_code 42/.test(m))).toBe(true);
  // The study stays writable after the bad lines.
  await r.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 1 });
  expect(loadStudy({ storage: file }).trials).toHaveLength(4);
});

test("a worker killed mid-trial: its RUNNING trial becomes FAIL on load, the study goes on", async () => {
  const file = path.join(dir, "killed.log");
  const r = await runNode(workerScript(file, 5, 3, "if (t.number === 2) process.kill(process.pid, 'SIGKILL');"));
  expect(r.code).toBeNull(); // killed by the signal
  const before = fs.readFileSync(file, "utf8");
  const study = loadStudy({ storage: file, studyName: "shared", sampler: new TPESampler({ seed: 0 }) });
  expect(study.trials.map((t) => t.state)).toEqual(["COMPLETE", "COMPLETE", "FAIL"]);
  expect(study.trials[2].failReason).toMatch(/died while the trial was RUNNING/);
  expect(warn.mock.calls.some((c) => /trials 2 were RUNNING in a dead process/.test(String(c[0])))).toBe(true);
  expect(fs.readFileSync(file, "utf8").startsWith(before)).toBe(true); // append-only
  await study.optimize((t) => t.suggestFloat("x", -5, 5) ** 2, { nTrials: 2 });
  expect(study.trials).toHaveLength(5);
  // A RUNNING trial of a live process (this one) is left alone.
  study.ask();
  expect(loadStudy({ storage: file, studyName: "shared" }).trials[5].state).toBe("RUNNING");
}, 30000);
