// Interop with Debian's Python Optuna 3.1 (skipped when `/usr/bin/python3 -c "import optuna"` fails).
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { RandomSampler, TPESampler, MedianPruner, TrialPruned, createStudy, distributionToJson, floatDistribution, intDistribution, categoricalDistribution, loadStudy } from "tsdl/tune";
import { pyLoads } from "tsdl/tune/pyjson";
import { MultivariateParzenEstimator, ParzenEstimator } from "tsdl/tune/samplers/parzen";
import { defaultWeights } from "tsdl/tune/samplers/tpe";
import { Rng } from "tsdl/tune/rng";

const PY = "/usr/bin/python3";
const hasOptuna = spawnSync(PY, ["-c", "import optuna"]).status === 0;
const maybe = hasOptuna ? describe : describe.skip;

const PRELUDE = `
import json, sys, warnings, optuna
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
def storage(p): return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(p))
def dump(study):
    print(json.dumps({"name": study.study_name, "direction": study.direction.name, "trials": [
        {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params,
         "intermediate": {str(k): v for k, v in t.intermediate_values.items()}, "user_attrs": t.user_attrs,
         "dists": {k: optuna.distributions.distribution_to_json(d) for k, d in t.distributions.items()}}
        for t in study.trials]}))
`;

function python(code: string): unknown {
  const r = spawnSync(PY, ["-c", PRELUDE + code], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return pyLoads(r.stdout.trim().split("\n").pop() as string);
}

interface PyTrial {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, unknown>;
  intermediate: Record<string, number>;
  user_attrs: Record<string, unknown>;
  dists: Record<string, string>;
}

let dir: string;
let warn: jest.SpyInstance;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-optuna-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => (warn = jest.spyOn(console, "warn").mockImplementation(() => undefined)));
afterEach(() => warn.mockRestore());

maybe("Python Optuna 3.1 interop", () => {
  test("distribution JSON is byte-identical to distribution_to_json", () => {
    const ours = [
      floatDistribution(0.001, 10, { log: true }),
      floatDistribution(-1, 1),
      floatDistribution(0, 1, { step: 0.1 }),
      intDistribution(1, 128, { log: true }),
      intDistribution(0, 10, { step: 5 }),
      categoricalDistribution(["adam", "sgd", null, 1, 2.5, true]),
    ].map(distributionToJson);
    const theirs = python(`
from optuna.distributions import *
print(json.dumps([distribution_to_json(d) for d in [FloatDistribution(0.001, 10, log=True), FloatDistribution(-1, 1),
  FloatDistribution(0, 1, step=0.1), IntDistribution(1, 128, log=True), IntDistribution(0, 10, step=5),
  CategoricalDistribution(["adam", "sgd", None, 1, 2.5, True])]]))`);
    expect(ours).toEqual(theirs);
  });

  test("Parzen estimators: the same log densities as Optuna 3.1's, univariate and multivariate", () => {
    // One parameter of each kind; 30 observations (the weights ramp beyond 25), 40 points to score.
    // Univariate: 20 of them. Its bandwidths come from a sort, and numpy's argsort (not stable) orders
    // tied values its own way: with unequal weights (> 25 observations), or a grid value tied with
    // the prior's centre (a step grid whose midpoint is on the grid), the density differs slightly.
    const dists = [floatDistribution(-5, 10), floatDistribution(1e-3, 10, { log: true }), intDistribution(1, 8), floatDistribution(0, 0.95, { step: 0.05 }), categoricalDistribution(["relu", "tanh", "gelu"]), intDistribution(1, 1024, { log: true })];
    const rng = new Rng(7);
    const draw = (): number[] => [rng.uniform(-5, 10), 10 ** rng.uniform(-3, 1), 1 + rng.int(8), 0.05 * rng.int(20), rng.int(3), Math.round(2 ** rng.uniform(0, 10))];
    const obs = Array.from({ length: 30 }, draw), pts = Array.from({ length: 40 }, draw);
    const opts = { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights, logpdfWithScale: false };
    const col = (rows: number[][], j: number): number[] => rows.map((r) => r[j]);
    const ours = {
      multi: new MultivariateParzenEstimator(obs, dists, opts).logPdf(pts),
      uni: dists.map((d, j) => new ParzenEstimator(col(obs.slice(0, 20), j), d, opts).logPdf(col(pts, j))),
    };
    const theirs = python(`
import numpy as np
from optuna.distributions import CategoricalDistribution, json_to_distribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights
dists = [json_to_distribution(d) for d in ${JSON.stringify(dists.map(distributionToJson))}]
obs, pts = np.array(${JSON.stringify(obs)}), np.array(${JSON.stringify(pts)})
def pe(cols, multivariate, n):
    space = {f"p{j}": dists[j] for j in cols}
    est = _ParzenEstimator({f"p{j}": obs[:n, j] for j in cols}, space, _ParzenEstimatorParameters(True, 1.0, True, False, default_weights, multivariate))
    # Candidates reach log_pdf as sample() makes them: category indices as integers.
    return est.log_pdf({f"p{j}": pts[:, j].astype(int) if isinstance(dists[j], CategoricalDistribution) else pts[:, j] for j in cols}).tolist()
print(json.dumps({"multi": pe(range(len(dists)), True, 30), "uni": [pe([j], False, 20) for j in range(len(dists))]}))`) as typeof ours;
    const close = (a: number[], b: number[]): void => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-9 * Math.max(1, Math.abs(b[i]))));
    close(ours.multi, theirs.multi);
    ours.uni.forEach((u, j) => close(u, theirs.uni[j]));
  });

  test("Optuna opens a tsdl-written journal and sees the same trials", async () => {
    const file = path.join(dir, "from-tsdl.log");
    const study = createStudy({ storage: file, studyName: "MNIST", direction: "maximize", sampler: new TPESampler({ seed: 4, nStartupTrials: 4 }), pruner: new MedianPruner({ nStartupTrials: 2 }) });
    await study.optimize((t) => {
      const mean = t.suggestFloat("mean", 0.001, 10, { log: true });
      const std = t.suggestFloat("std", 0.001, 10, { log: true });
      const layers = t.suggestInt("layers", 1, 4);
      const opt = t.suggestCategorical("opt", ["adam", "sgd", null]);
      t.setUserAttr("tag", `run-${t.number}`);
      if (t.number === 5) throw new Error("cuda out of memory");
      for (let e = 0; e < 3; e++) {
        t.report(1 / (1 + Math.abs(Math.log10(mean * std))) - 0.01 * e, e);
        if (t.shouldPrune()) throw new TrialPruned();
      }
      return 1 / (1 + Math.abs(Math.log10(mean * std))) + 0.01 * layers + (opt === "adam" ? 0.01 : 0);
    }, { nTrials: 14 });
    const py = python(`dump(optuna.load_study(study_name="MNIST", storage=storage(${JSON.stringify(file)})))`) as { name: string; direction: string; trials: PyTrial[] };
    expect(py.name).toBe("MNIST");
    expect(py.direction).toBe("MAXIMIZE");
    const ours = study.trials;
    expect(py.trials).toHaveLength(ours.length);
    expect(new Set(ours.map((t) => t.state))).toEqual(new Set(["COMPLETE", "PRUNED", "FAIL"]));
    py.trials.forEach((p, i) => {
      const t = ours[i];
      expect(p.number).toBe(t.number);
      expect(p.state).toBe(t.state);
      expect(p.value).toBe(t.value);
      expect(p.params).toEqual(t.params);
      expect(p.user_attrs).toEqual(t.userAttrs);
      expect(Object.fromEntries(Object.entries(p.intermediate).map(([k, v]) => [Number(k), v]))).toEqual(t.intermediateValues);
      expect(p.dists).toEqual(Object.fromEntries(Object.entries(t.distributions).map(([k, d]) => [k, distributionToJson(d)])));
    });
    // Python can continue the study in the same file, and tsdl sees its trials.
    python(`
s = optuna.load_study(study_name="MNIST", storage=storage(${JSON.stringify(file)}))
s.optimize(lambda t: t.suggest_float("mean", 0.001, 10, log=True) * t.suggest_float("std", 0.001, 10, log=True), n_trials=3)
print(len(s.trials))`);
    expect(loadStudy({ storage: file }).trials).toHaveLength(ours.length + 3);
  });

  test("tsdl opens an Optuna-written journal (TPE, pruning, failures) and continues it", async () => {
    const file = path.join(dir, "from-optuna.log");
    const py = python(`
s = optuna.create_study(study_name="py", direction="minimize", storage=storage(${JSON.stringify(file)}),
    sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5), pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
def obj(t):
    x = t.suggest_float("x", -4, 4); lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    u = t.suggest_int("units", 16, 256, step=16); c = t.suggest_categorical("act", ["relu", "tanh", None, 7])
    t.set_user_attr("note", {"a": [1, 2.5, None], "s": "é"})
    if t.number == 6: raise ValueError("boom")
    for e in range(3):
        t.report(x * x + e, e)
        if t.should_prune(): raise optuna.TrialPruned()
    return x * x + u / 256
s.optimize(obj, n_trials=16, catch=(ValueError,))
dump(s)`) as { trials: PyTrial[] };
    const study = loadStudy({ storage: file, sampler: new RandomSampler({ seed: 0 }) });
    expect(study.studyName).toBe("py");
    expect(study.direction).toBe("minimize");
    const ours = study.trials;
    expect(ours).toHaveLength(16);
    expect(ours[6].state).toBe("FAIL");
    expect(ours.some((t) => t.state === "PRUNED")).toBe(true);
    py.trials.forEach((p, i) => {
      expect(ours[i].state).toBe(p.state);
      expect(ours[i].value).toBe(p.value);
      expect(ours[i].params).toEqual(p.params);
      expect(ours[i].userAttrs).toEqual(p.user_attrs);
      expect(Object.fromEntries(Object.entries(ours[i].distributions).map(([k, d]) => [k, distributionToJson(d)]))).toEqual(p.dists);
    });
    await study.optimize((t) => t.suggestFloat("x", -4, 4) ** 2, { nTrials: 2 });
    const again = python(`dump(optuna.load_study(study_name="py", storage=storage(${JSON.stringify(file)})))`) as { trials: PyTrial[] };
    expect(again.trials).toHaveLength(18);
    expect(again.trials[17].state).toBe("COMPLETE");
  });

  test("a trial left RUNNING by a dead worker: Optuna reads it either way, tsdl marks it FAIL", async () => {
    const file = path.join(dir, "dead.log");
    const study = createStudy({ storage: file, studyName: "dead", sampler: new RandomSampler({ seed: 0 }) });
    await study.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 2 });
    // What a tsdl worker killed mid-trial leaves: CREATE_TRIAL + a param, no state change.
    const dead = `00000000-0000-4000-8000-000000000000-tsdl:${os.hostname()}:2147483646`;
    fs.appendFileSync(file, [
      `{"op_code": 4, "worker_id": "${dead}", "study_id": 0, "datetime_start": "2026-01-01T10:00:00.000000"}`,
      `{"op_code": 5, "worker_id": "${dead}", "trial_id": 2, "param_name": "x", "param_value_internal": 0.5, "distribution": ${JSON.stringify(distributionToJson(floatDistribution(0, 1)))}}`,
    ].join("\n") + "\n");
    const states = (): string[] => (python(`dump(optuna.load_study(study_name="dead", storage=storage(${JSON.stringify(file)})))`) as { trials: PyTrial[] }).trials.map((t) => t.state);
    expect(states()).toEqual(["COMPLETE", "COMPLETE", "RUNNING"]);
    const loaded = loadStudy({ storage: file });
    expect(loaded.trials[2]).toMatchObject({ state: "FAIL", params: { x: 0.5 } });
    expect(states()).toEqual(["COMPLETE", "COMPLETE", "FAIL"]);
  });

  test("a Python worker and a tsdl worker share one journal at the same time", async () => {
    const file = path.join(dir, "mixed.log");
    const build = path.join(dir, "build");
    for (const f of ["pyjson", "distributions", "rng", "erf", "truncnorm", "types", "trial", "pruners", "study", "samplers/random", "samplers/grid", "samplers/parzen", "samplers/tpe", "storage/backend", "storage/datetime", "storage/lock", "storage/replay", "storage/storage"]) {
      const src = fs.readFileSync(path.join(__dirname, "..", "lib", "src", "tune", f + ".ts"), "utf8");
      fs.mkdirSync(path.dirname(path.join(build, f)), { recursive: true });
      fs.writeFileSync(path.join(build, f + ".js"), ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021 } }).outputText);
    }
    python(`optuna.create_study(study_name="mixed", storage=storage(${JSON.stringify(file)}))\nprint(1)`);
    const n = 12;
    const run = (cmd: string, args: string[]): Promise<number | null> =>
      new Promise((res) => {
        const p = spawn(cmd, args, { stdio: "ignore" });
        p.on("close", res);
      });
    const [a, b] = await Promise.all([
      run(PY, ["-c", PRELUDE + `
import time
s = optuna.load_study(study_name="mixed", storage=storage(${JSON.stringify(file)}))
def f(t):
    time.sleep(0.005)
    return t.suggest_float("x", -1, 1) ** 2
s.optimize(f, n_trials=${n})`]),
      run(process.execPath, ["-e", `
const { createStudy } = require(${JSON.stringify(path.join(build, "study.js"))});
const s = createStudy({ storage: ${JSON.stringify(file)}, studyName: "mixed", loadIfExists: true });
s.optimize(async (t) => { await new Promise((r) => setTimeout(r, 5)); return t.suggestFloat("x", -1, 1) ** 2; }, { nTrials: ${n} }).then(() => process.exit(0), () => process.exit(1));`]),
    ]);
    expect([a, b]).toEqual([0, 0]);
    const ours = loadStudy({ storage: file }).trials;
    expect(ours.map((t) => t.number)).toEqual([...Array(2 * n).keys()]);
    expect(ours.every((t) => t.state === "COMPLETE")).toBe(true);
    const theirs = python(`dump(optuna.load_study(study_name="mixed", storage=storage(${JSON.stringify(file)})))`) as { trials: PyTrial[] };
    expect(theirs.trials.map((t) => t.value)).toEqual(ours.map((t) => t.value));
  }, 60000);
});

test("interop suite availability is reported", () => {
  if (!hasOptuna) console.log("Python Optuna not found at /usr/bin/python3: interop tests skipped.");
  expect(typeof hasOptuna).toBe("boolean");
});
