// tsdl/tune core: distributions, samplers, TPE vs random, pruner, failing objectives, MaxTrialsCallback.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  GridSampler,
  MaxTrialsCallback,
  MedianPruner,
  RandomSampler,
  Sampler,
  TPESampler,
  Trial,
  TrialPruned,
  createStudy,
  defaultGamma,
  defaultWeights,
  distributionToJson,
  floatDistribution,
  intDistribution,
  intersectionSearchSpace,
  jsonToDistribution,
  multivariateGamma,
} from "tsdl/tune";
import { pyDumps, pyFloatRepr, pyLoads, PyFloat } from "tsdl/tune/pyjson";

let warn: jest.SpyInstance;
beforeEach(() => (warn = jest.spyOn(console, "warn").mockImplementation(() => undefined)));
afterEach(() => warn.mockRestore());

describe("Python-compatible JSON", () => {
  test("float repr like Python", () => {
    const cases: [number, string][] = [[1, "1.0"], [10, "10.0"], [1e-5, "1e-05"], [1e-4, "0.0001"], [0.1, "0.1"], [1e16, "1e+16"], [123456.5, "123456.5"], [-2.5e-7, "-2.5e-07"], [1.5e300, "1.5e+300"], [NaN, "NaN"], [-Infinity, "-Infinity"]];
    for (const [x, s] of cases) expect(pyFloatRepr(x)).toBe(s);
  });
  test("dumps/loads: separators, ensure_ascii, NaN tokens", () => {
    expect(pyDumps({ a: [1, new PyFloat(2), null, true], "é": "x\"y" })).toBe('{"a": [1, 2.0, null, true], "\\u00e9": "x\\"y"}');
    expect(pyLoads('{"v": NaN, "w": [Infinity, -Infinity], "s": "NaN"}')).toEqual({ v: NaN, w: [Infinity, -Infinity], s: "NaN" });
  });
});

describe("distributions", () => {
  test("JSON exactly as Optuna's distribution_to_json", () => {
    expect(distributionToJson(floatDistribution(1e-5, 10, { log: true }))).toBe('{"name": "FloatDistribution", "attributes": {"step": null, "low": 1e-05, "high": 10.0, "log": true}}');
    expect(distributionToJson(intDistribution(1, 9, { step: 2 }))).toBe('{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 1, "high": 9}}');
    expect(distributionToJson(floatDistribution(0, 1, { step: 0.25 }))).toBe('{"name": "FloatDistribution", "attributes": {"step": 0.25, "low": 0.0, "high": 1.0, "log": false}}');
    const d = jsonToDistribution('{"name": "CategoricalDistribution", "attributes": {"choices": ["x", 1, null, 2.5]}}');
    expect(d).toEqual({ kind: "categorical", choices: ["x", 1, null, 2.5] });
    expect(jsonToDistribution('{"name": "LogUniformDistribution", "attributes": {"low": 0.1, "high": 1.0}}')).toMatchObject({ kind: "float", log: true });
    expect(jsonToDistribution('{"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 7, "step": 2}}')).toMatchObject({ kind: "int", high: 6 });
  });

  test("bad input: clear messages", () => {
    expect(() => floatDistribution(2, 1)).toThrow(/low must be ≤ high \(low=2, high=1\)/);
    expect(() => floatDistribution(0, 1, { log: true })).toThrow(/log distribution needs low > 0/);
    expect(() => floatDistribution(1, 2, { log: true, step: 0.1 })).toThrow(/step.*not supported with .log: true/);
    expect(() => floatDistribution("a" as unknown as number, 1)).toThrow(/`low` must be a finite number/);
    expect(() => intDistribution(0.5, 3)).toThrow(/must be an integer/);
    expect(() => intDistribution(0, 3, { log: true })).toThrow(/low ≥ 1/);
    expect(() => jsonToDistribution('{"name": "GaussDistribution", "attributes": {}}')).toThrow(/Unknown distribution class: GaussDistribution/);
    expect(() => jsonToDistribution('{"type": "gauss"}')).toThrow(/Unknown distribution type/);
  });

  test("suggest errors fail the trial with the reason; the study goes on", async () => {
    const study = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    await study.optimize((t) => {
      if (t.number === 0) return t.suggestFloat("x", 0, 1);
      if (t.number === 1) return t.suggestInt("x", 0, 1); // x was a float
      if (t.number === 2) return t.suggestFloat("x", 0.1, 1, { log: true }); // log flag changed
      if (t.number === 3) return t.suggestFloat("y", 5, 1);
      return t.suggestFloat("x", 0, 2); // another range of the same kind is fine (as Optuna)
    }, { nTrials: 5 });
    const s = study.trials.map((t) => t.state);
    expect(s).toEqual(["COMPLETE", "FAIL", "FAIL", "FAIL", "COMPLETE"]);
    expect(study.trials[1].failReason).toMatch(/"x" was suggested as float \[0, 1\] and now as int/);
    expect(study.trials[2].failReason).toMatch(/log flag cannot change/);
    expect(study.trials[3].failReason).toMatch(/low must be ≤ high/);
    expect(study.trials[1].params).toEqual({}); // nothing half-written
  });
});

test("objective throwing / NaN / non-number → FAIL with reason, study continues", async () => {
  const study = createStudy({ sampler: new RandomSampler({ seed: 1 }) });
  const seen: string[] = [];
  await study.optimize(
    (t) => {
      const x = t.suggestFloat("x", -1, 1);
      if (t.number === 1) throw new RangeError("diverged");
      if (t.number === 2) return NaN;
      if (t.number === 3) return "0.5" as unknown as number;
      return x * x;
    },
    { nTrials: 6, callbacks: [(_s, ft) => seen.push(ft.state)] },
  );
  expect(seen).toEqual(["COMPLETE", "FAIL", "FAIL", "FAIL", "COMPLETE", "COMPLETE"]);
  const t = study.trials;
  expect(t[1].failReason).toBe("RangeError: diverged");
  expect(t[2].failReason).toMatch(/NaN/);
  expect(t[3].failReason).toMatch(/"0.5" instead of a number/);
  expect(t[1].params.x).toEqual(expect.any(Number)); // params kept
  expect(warn.mock.calls.some((c) => /Trial 1 failed .*diverged/.test(String(c[0])))).toBe(true);
  expect(study.bestTrial.state).toBe("COMPLETE");
  await expect(study.optimize(() => { throw new Error("stop"); }, { nTrials: 3, catch: false })).rejects.toThrow("stop");
  expect(study.trials).toHaveLength(7);
});

test("bestTrial without completed trials names the fix; optimize needs a bound", async () => {
  const study = createStudy();
  expect(() => study.bestValue).toThrow(/no COMPLETE trial yet/);
  await expect(study.optimize(() => 0)).rejects.toThrow(/nTrials or timeout/);
});

describe("samplers respect their space", () => {
  const objective = (t: Trial): number => {
    const vals = [
      t.suggestFloat("f", -3, 2),
      t.suggestFloat("lf", 1e-4, 10, { log: true }),
      t.suggestFloat("sf", 0, 1, { step: 0.1 }),
      t.suggestInt("i", -5, 5),
      t.suggestInt("si", 1, 10, { step: 3 }),
      t.suggestInt("li", 1, 1000, { log: true }),
    ];
    const c = t.suggestCategorical("c", ["relu", "tanh", null]);
    return vals.reduce((a, b) => a + Math.abs(b), c === "relu" ? 0 : 1);
  };
  const check = (study: ReturnType<typeof createStudy>): void => {
    for (const { params: p, state } of study.trials) {
      expect(state).toBe("COMPLETE");
      const f = p.f as number, lf = p.lf as number, sf = p.sf as number;
      expect(f >= -3 && f <= 2).toBe(true);
      expect(lf >= 1e-4 && lf <= 10).toBe(true);
      expect(Math.abs(sf * 10 - Math.round(sf * 10))).toBeLessThan(1e-9);
      expect(sf >= 0 && sf <= 1).toBe(true);
      expect(Number.isInteger(p.i) && (p.i as number) >= -5 && (p.i as number) <= 5).toBe(true);
      expect([1, 4, 7, 10]).toContain(p.si);
      expect(Number.isInteger(p.li) && (p.li as number) >= 1 && (p.li as number) <= 1000).toBe(true);
      expect(["relu", "tanh", null]).toContain(p.c);
    }
  };
  test.each([
    ["random", () => new RandomSampler({ seed: 3 })],
    ["tpe univariate (Optuna 3.1's default)", () => new TPESampler({ seed: 3, nStartupTrials: 5, multivariate: false })],
    ["tpe multivariate (tsdl's default)", () => new TPESampler({ seed: 3, nStartupTrials: 5 })],
  ])("%s", async (_n, make: () => Sampler) => {
    const study = createStudy({ sampler: make() });
    await study.optimize(objective, { nTrials: 40 });
    check(study);
    // The log-int parameter explores several decades.
    const li = study.trials.map((t) => t.params.li as number);
    expect(Math.max(...li) / Math.min(...li)).toBeGreaterThan(10);
  });

  test("multivariate TPE draws the shared parameters jointly, the others independently", async () => {
    const sampler = new TPESampler({ seed: 5, nStartupTrials: 4, multivariate: true });
    const study = createStudy({ sampler });
    await study.optimize((t) => {
      const x = t.suggestFloat("x", -2, 2), y = t.suggestFloat("y", -2, 2);
      const c = t.suggestCategorical("only", [1]); // single value: never sampled
      const extra = t.number % 2 ? t.suggestInt("sometimes", 0, 3) : 0; // not in every trial
      return (x - y) ** 2 + (x + y - 1) ** 2 + c + extra;
    }, { nTrials: 8 });
    expect(intersectionSearchSpace(study.view)).toEqual({ x: floatDistribution(-2, 2), y: floatDistribution(-2, 2) });
    const rel = sampler.sampleRelative(study.view);
    expect(Object.keys(rel)).toEqual(["x", "y"]);
    const t = study.ask(); // the trial uses the joint draw for x and y
    const x = t.suggestFloat("x", -2, 2);
    expect(typeof x).toBe("number");
    expect(Object.keys(new TPESampler({ nStartupTrials: 50, multivariate: true }).sampleRelative(study.view))).toEqual([]);
  });

  test("the default TPE is multivariate with γ = ⌈0.2·n⌉; multivariate: false is Optuna 3.1's default", async () => {
    expect([multivariateGamma(10), multivariateGamma(50), multivariateGamma(500)]).toEqual([2, 10, 25]);
    expect([defaultGamma(10), defaultGamma(50)]).toEqual([1, 5]);
    const run = async (sampler: Sampler): Promise<unknown[]> => {
      const s = createStudy({ sampler });
      await s.optimize(objective, { nTrials: 14 });
      return s.trials.map((t) => t.params);
    };
    const byDefault = await run(new TPESampler({ seed: 2, nStartupTrials: 4 }));
    expect(byDefault).toEqual(await run(new TPESampler({ seed: 2, nStartupTrials: 4, multivariate: true, gamma: multivariateGamma })));
    expect(byDefault).not.toEqual(await run(new TPESampler({ seed: 2, nStartupTrials: 4, multivariate: true, gamma: defaultGamma })));
    expect(byDefault).not.toEqual(await run(new TPESampler({ seed: 2, nStartupTrials: 4, multivariate: false })));
  });

  test("seeded samplers are reproducible", async () => {
    const run = async (): Promise<unknown[]> => {
      const s = createStudy({ sampler: new TPESampler({ seed: 11, nStartupTrials: 3 }) });
      await s.optimize(objective, { nTrials: 12 });
      return s.trials.map((t) => t.params);
    };
    expect(await run()).toEqual(await run());
  });

  test("grid: every point once, then the study stops", async () => {
    const study = createStudy({ sampler: new GridSampler({ lr: [0.1, 0.01], units: [16, 32, 64] }, { seed: 0 }) });
    await study.optimize((t) => t.suggestFloat("lr", 0, 1) * t.suggestInt("units", 1, 100), { nTrials: 50 });
    const pts = study.trials.map((t) => `${t.params.lr}/${t.params.units}`).sort();
    expect(pts).toEqual(["0.01/16", "0.01/32", "0.01/64", "0.1/16", "0.1/32", "0.1/64"]);
    const bad = createStudy({ sampler: new GridSampler({ a: [1] }) });
    await bad.optimize((t) => t.suggestFloat("b", 0, 1), { nTrials: 1 });
    expect(bad.trials[0].failReason).toMatch(/"b" is not in the grid/);
  });
});

test("TPE: Optuna 3.1 weights, and beats random search (median over seeds)", async () => {
  expect(defaultWeights(3)).toEqual([1, 1, 1]);
  const w = defaultWeights(30);
  expect(w).toHaveLength(30);
  expect(w[0]).toBeCloseTo(1 / 30);
  expect(w[4]).toBe(1);
  const f = (t: Trial): number => {
    let s = 0;
    for (let i = 0; i < 3; i++) s += (t.suggestFloat(`x${i}`, -5, 5) - 1.5) ** 2;
    return s + Math.log10(t.suggestFloat("lr", 1e-5, 1, { log: true }) / 1e-3) ** 2;
  };
  const best = async (sampler: Sampler): Promise<number> => {
    const s = createStudy({ sampler });
    await s.optimize(f, { nTrials: 40 });
    return s.bestValue;
  };
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const tpe: number[] = [], uni: number[] = [], rnd: number[] = [];
  for (let seed = 0; seed < 5; seed++) {
    tpe.push(await best(new TPESampler({ seed })));
    uni.push(await best(new TPESampler({ seed, multivariate: false })));
    rnd.push(await best(new RandomSampler({ seed })));
  }
  expect(median(tpe)).toBeLessThan(median(rnd));
  expect(median(uni)).toBeLessThan(median(rnd));
});

describe("MedianPruner", () => {
  /** A study whose COMPLETE trials reported `curves` (one array of per-step values each). */
  const withHistory = (curves: number[][], opts = {}, direction: "minimize" | "maximize" = "minimize") => {
    const study = createStudy({ direction, pruner: new MedianPruner(opts), sampler: new RandomSampler({ seed: 0 }) });
    for (const c of curves) {
      const t = study.ask();
      c.forEach((v, step) => t.report(v, step));
      study.tell(t, c[c.length - 1]);
    }
    return study;
  };
  const five = [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4], [5, 5, 5]]; // median 3 at each step

  test("prunes above the median, keeps below (minimize)", () => {
    const study = withHistory(five);
    const t = study.ask();
    t.report(2.5, 0);
    expect(t.shouldPrune()).toBe(false);
    t.report(3.5, 1); // best so far is still 2.5 < 3
    expect(t.shouldPrune()).toBe(false);
    const u = study.ask();
    u.report(3.5, 0);
    expect(u.shouldPrune()).toBe(true);
  });

  test("maximize compares with the same median the other way", () => {
    const study = withHistory(five, {}, "maximize");
    const t = study.ask();
    t.report(2.5, 0);
    expect(t.shouldPrune()).toBe(true);
    const u = study.ask();
    u.report(3.5, 0);
    expect(u.shouldPrune()).toBe(false);
  });

  test("nStartupTrials, nWarmupSteps, intervalSteps, NaN", () => {
    const few = withHistory(five.slice(0, 4)); // 4 < 5 completed: never prune
    const a = few.ask();
    a.report(100, 0);
    expect(a.shouldPrune()).toBe(false);

    const warm = withHistory(five, { nWarmupSteps: 2 });
    const b = warm.ask();
    b.report(100, 0);
    b.report(100, 1);
    expect(b.shouldPrune()).toBe(false);
    b.report(100, 2);
    expect(b.shouldPrune()).toBe(true);

    const interval = withHistory(five, { intervalSteps: 2 });
    const c = interval.ask();
    c.report(100, 0);
    expect(c.shouldPrune()).toBe(true); // step 0 is checked
    c.report(100, 1);
    expect(c.shouldPrune()).toBe(false); // step 1 is between checks
    c.report(100, 2);
    expect(c.shouldPrune()).toBe(true);

    const nan = withHistory(five);
    const d = nan.ask();
    d.report(NaN, 0);
    expect(d.shouldPrune()).toBe(true);
  });

  test("a pruned trial keeps its last intermediate value and feeds TPE", async () => {
    const study = createStudy({ pruner: new MedianPruner({ nStartupTrials: 2 }), sampler: new TPESampler({ seed: 0, nStartupTrials: 4 }) });
    await study.optimize((t) => {
      const x = t.suggestFloat("x", 0, 10);
      for (let step = 0; step < 3; step++) {
        t.report(x + step, step);
        if (t.shouldPrune()) throw new TrialPruned();
      }
      return x;
    }, { nTrials: 20 });
    const pruned = study.trials.filter((t) => t.state === "PRUNED");
    expect(pruned.length).toBeGreaterThan(0);
    for (const p of pruned) expect(p.value).toBe(p.intermediateValues[Math.max(...Object.keys(p.intermediateValues).map(Number))]);
    expect(study.trials.filter((t) => t.state === "FAIL")).toHaveLength(0);
  });
});

test("timeout stops starting new trials", async () => {
  const study = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  const t0 = Date.now();
  await study.optimize(async (t) => {
    await new Promise((r) => setTimeout(r, 30));
    return t.suggestFloat("x", 0, 1);
  }, { timeout: 0.2 });
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(study.trials.length).toBeGreaterThan(1);
  expect(study.trials.length).toBeLessThan(12);
});

describe("MaxTrialsCallback", () => {
  const f = (t: Trial): number => t.suggestFloat("x", 0, 1);

  test("stops once the study holds n trials in the given states", async () => {
    const study = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    await study.optimize(f, { nTrials: 50, callbacks: [new MaxTrialsCallback(7)] });
    expect(study.trials).toHaveLength(7);
    // Only COMPLETE trials count by default: failures do not use up the budget…
    const flaky = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    const fails = (t: Trial): number => (t.number % 3 === 1 ? NaN : f(t));
    await flaky.optimize(fails, { nTrials: 50, callbacks: [new MaxTrialsCallback(5)] });
    expect(flaky.getTrials(["COMPLETE"])).toHaveLength(5);
    expect(flaky.getTrials(["FAIL"]).length).toBeGreaterThan(0);
    // …unless the states say so (null = every trial).
    const all = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    await all.optimize(fails, { nTrials: 50, callbacks: [new MaxTrialsCallback(5, { states: null })] });
    expect(all.trials).toHaveLength(5);
    // nTrials still bounds one session.
    const capped = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    await capped.optimize(f, { nTrials: 3, callbacks: [new MaxTrialsCallback(10)] });
    expect(capped.trials).toHaveLength(3);
  });

  test("resume: counts earlier sessions and other workers; a full study runs no trial", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-maxtrials-"));
    try {
      const storage = path.join(dir, "study.log");
      const open = () => createStudy({ storage, studyName: "resume", loadIfExists: true, sampler: new TPESampler({ seed: 1, nStartupTrials: 2 }) });
      // Session 1 is interrupted after 3 trials.
      await open().optimize(f, { nTrials: 3, callbacks: [new MaxTrialsCallback(8)] });
      // Session 2, while another worker (a second handle on the file) finishes 2 trials of its own.
      const other = open();
      let calls = 0;
      await open().optimize((t) => {
        if (++calls === 1) for (let k = 0; k < 2; k++) {
          const o = other.ask();
          other.tell(o, o.suggestFloat("x", 0, 1));
        }
        return f(t);
      }, { nTrials: 8, callbacks: [new MaxTrialsCallback(8)] });
      expect(calls).toBe(3); // 3 earlier + 2 by the other worker + 3 here
      expect(open().getTrials(["COMPLETE"])).toHaveLength(8);
      // Session 3: nothing left to do, the objective is never called.
      let called = false;
      await open().optimize(() => ((called = true), 0), { nTrials: 8, callbacks: [new MaxTrialsCallback(8)] });
      expect(called).toBe(false);
      expect(open().trials).toHaveLength(8);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("function callbacks still run after each trial; bad arguments name the fix", async () => {
    const seen: number[] = [];
    const study = createStudy({ sampler: new RandomSampler({ seed: 0 }) });
    await study.optimize(f, { nTrials: 9, callbacks: [(_s, t) => seen.push(t.number), new MaxTrialsCallback(4)] });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(() => new MaxTrialsCallback(-1)).toThrow(/integer ≥ 0/);
    expect(() => new MaxTrialsCallback(2.5)).toThrow(/integer ≥ 0/);
    // @ts-expect-error -- a misspelt state, as plain JavaScript could pass it
    expect(() => new MaxTrialsCallback(3, { states: ["COMPLETED"] })).toThrow(/unknown trial state "COMPLETED".*COMPLETE, PRUNED/);
  });
});
