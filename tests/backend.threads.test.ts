// wasm threads under Node: version pin, patch markers, thread count, flat memory, clean exit.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { tf, init } from "tsdl/backend";
import {
  WASM_VERSION, checkWasmVersion, patchWorkerScript, unrefPthreadWorkers, wasmThreadsCacheDir, writeFileAtomic,
} from "tsdl/backend/threads";
import { Slot, closeJob, joinJob, openJob } from "tsdl/backend/kernels/simd/workers";
import { kernelThreads } from "tsdl/backend/kernels/simd";
import { blasTuning } from "tsdl/backend/kernels/blas-gemm";
import { DEBIAN_OPENBLAS } from "tsdl/backend/blas";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

jest.setTimeout(60000);

const ROOT = path.resolve(__dirname, "..");

/** A child script's preamble: require() of the lib's TypeScript sources, transpiled on the fly. */
const TS_REQUIRE = `const fs = require("fs"), ts = require("typescript");
require.extensions[".ts"] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, "utf8"), {
  fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, esModuleInterop: true },
}).outputText, file);`;

/** Runs `script` in a child Node (killed after `ms`): its exit code, output, and when it exited. */
async function runChild(script: string, env: Record<string, string>, ms: number): Promise<{ code: number | null; out: string; err: string; exitedAt: number }> {
  const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), ms);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  clearTimeout(killer);
  return { code, out, err, exitedAt: Date.now() };
}

test("the shim is pinned to tfjs-backend-wasm 4.22.0 and says so loudly otherwise", () => {
  expect(WASM_VERSION).toBe("4.22.0");
  expect(() => checkWasmVersion()).not.toThrow();
  expect(() => checkWasmVersion("4.23.0")).toThrow(/4\.22\.0 internals, but 4\.23\.0 is installed.*TSDL_THREADS=1/);
});

test("patch markers: the worker patch fails loudly when its text is gone", () => {
  const worker =
    'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';
  expect(patchWorkerScript(worker, "/x/main.js")).toContain('importScripts("/x/main.js")');
  expect(() => patchWorkerScript("importScripts(somethingElse)", "/x")).toThrow(/layout changed.*TSDL_THREADS=1/);
  expect(() => unrefPthreadWorkers(undefined)).toThrow(/no Emscripten PThread.*keep Node alive/);
});

test("job protocol: a worker joins only the open job of its generation; the caller waits for those that joined", () => {
  const c = new Int32Array(new SharedArrayBuffer(4 * (Slot.THREAD + 1)));
  const start = () => {
    openJob(c);
    Atomics.add(c, Slot.GEN, 1);
    return Atomics.load(c, Slot.GEN); // as a worker reads it
  };
  const g1 = start();
  expect(joinJob(c, g1 - 1)).toBe(false); // woken for an older job: not this one
  expect(joinJob(c, g1)).toBe(true);
  expect(joinJob(c, g1)).toBe(true);
  expect(closeJob(c)).toBe(2);
  expect(joinJob(c, g1)).toBe(false); // late: the caller already closed it and did the samples
  const g2 = start();
  expect(closeJob(c)).toBe(0); // nobody joined in time: the caller does not wait
  expect([joinJob(c, g2), joinJob(c, g1)]).toEqual([false, false]);
  // the generation wraps with the int32 counter, and JOIN keeps only its low bits: still exact
  c[Slot.GEN] = 0x7fffffff;
  const g3 = start();
  expect(g3).toBe(-0x80000000);
  expect([joinJob(c, 0x7fffffff), joinJob(c, g3)]).toEqual([false, true]);
  expect(closeJob(c)).toBe(1);
});

test("a job reaches the workers whether they poll for it, sleep, or were parked (notified only when asleep)", async () => {
  await init({ quiet: true });
  const threads = kernelThreads(tf.backend() as unknown as BackendWasm);
  if (!threads || threads.threads < 2) return console.log("one thread here: nothing to wake");
  const workers = threads.threads - 1;
  const c = threads.control;
  const spin0 = threads.workerSpinMs;
  blasTuning.use = false; // the products on the own GEMM's jobs (not the native BLAS)
  const a = tf.randomNormal([256, 384]);
  const b = tf.randomNormal([384, 256]);
  const want = tf.tidy(() => tf.matMul(a, b).dataSync());
  const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Whether `f` holds within `ms` (polled: a loaded machine schedules the workers late). */
  const within = async (f: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !f() && Date.now() < end; ) await sleepMs(2);
    return f();
  };
  const product = () => {
    const got = tf.tidy(() => tf.matMul(a, b).dataSync());
    let same = got.length === want.length;
    for (let j = 0; same && j < got.length; j++) same = got[j] === want[j];
    expect(same).toBe(true);
  };
  const spy = jest.spyOn(threads, "run");
  try {
    // no poll: after a job every worker sleeps (counted), and the next job wakes them
    threads.workerSpinMs = 0;
    product();
    expect(await within(() => Atomics.load(c, Slot.SLEEPERS) === workers, 2000)).toBe(true);
    spy.mockClear();
    for (let i = 0; i < 10; i++) product();
    // woken: a worker took samples in some of these jobs (a join can miss one: the caller then does it all)
    const tookPart = () => spy.mock.results.some((r) => (r.value as number[]).slice(1).some((n) => n > 0));
    expect(tookPart()).toBe(true);
    // a long poll: after a job the workers poll instead of sleeping (none counted), and take the next job
    threads.workerSpinMs = 2000;
    product();
    expect(await within(() => Atomics.load(c, Slot.SLEEPERS) === 0, 2000)).toBe(true);
    spy.mockClear();
    for (let i = 0; i < 10; i++) {
      product();
      await sleepMs(1);
    }
    expect(tookPart()).toBe(true);
    // park(): polling workers sleep at once, long before their 2 s poll ends, and the next job wakes them
    expect(Atomics.load(c, Slot.SLEEPERS)).toBe(0);
    threads.park();
    expect(await within(() => Atomics.load(c, Slot.SLEEPERS) === workers, 500)).toBe(true);
    spy.mockClear();
    for (let i = 0; i < 10; i++) product();
    expect(tookPart()).toBe(true);
    expect(Atomics.load(c, Slot.PARK)).toBe(0);
  } finally {
    spy.mockRestore();
    blasTuning.use = true;
    threads.workerSpinMs = spin0;
    tf.tidy(() => tf.matMul(a, b)); // a last job: the workers read the default poll again
    tf.dispose([a, b]);
  }
});

test("writeFileAtomic writes through a temporary name and leaves none behind", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-atomic-"));
  const f = path.join(dir, "a.js");
  writeFileAtomic(f, "one");
  writeFileAtomic(f, "one");
  writeFileAtomic(f, "two");
  expect(fs.readFileSync(f, "utf8")).toBe("two");
  expect(fs.readdirSync(dir)).toEqual(["a.js"]);
  fs.rmSync(dir, { recursive: true });
});

test("init() defaults to wasm with one thread per core (2 on the course machine), SIMD", async () => {
  delete process.env.TSDL_BACKEND;
  delete process.env.TSDL_THREADS;
  const info = await init({ quiet: true });
  // node-gpu / node come first when installed; this checkout has neither
  expect(info.name).toBe("wasm");
  expect(info.threads).toBe(Math.min(os.cpus().length, 8));
  expect(info.simd).toBe(true);
  // XNNPACK's own pool: one thread beside the own kernels' threads (its spinning threads would slow them)
  expect(info.xnnThreads).toBe(info.threads > 1 && !process.env.TSDL_XNN_THREADS ? 1 : info.threads);
  console.log(`wasm threads: ${info.threads} (XNNPACK ${info.xnnThreads}) on ${os.cpus().length} cores`);
  expect(await init({ threads: info.threads })).toBe(info);
  await expect(init({ threads: info.threads + 1 })).rejects.toThrow(/already runs \d thread.*restart/);
  const files = fs.readdirSync(wasmThreadsCacheDir());
  expect(files).toEqual(expect.arrayContaining(["tfjs-backend-wasm-threaded-simd.main.js", "tfjs-backend-wasm-threaded-simd.worker.js"]));
  expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
});

test("tf.memory().numTensors and the wasm buffers stay flat over training steps", async () => {
  await init({ quiet: true });
  const v = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.1));
  const p = { c1: v([3, 3, 1, 8]), b1: v([8]), c2: v([3, 3, 8, 16]), d: v([16 * 2 * 2, 10]), bd: v([10]) };
  const opt = tf.train.sgd(0.05);
  const x = tf.randomNormal([16, 14, 14, 1]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], "int32"), 10);
  const loss = () =>
    tf.tidy(() => {
      let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, p.c1 as tf.Tensor4D, 1, "same"), p.b1)) as tf.Tensor4D;
      h = tf.maxPool(h, 2, 2, "valid");
      h = tf.tanh(tf.conv2d(h, p.c2 as tf.Tensor4D, 2, "same"));
      h = tf.avgPool(h, 2, 2, "same");
      const logits = tf.add(tf.matMul(tf.reshape(h, [16, -1]), p.d), p.bd);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    });
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const counts: Array<[number, number]> = [];
  const losses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const { value, grads } = tf.variableGrads(loss);
    opt.applyGradients(grads);
    losses.push(value.dataSync()[0]);
    tf.dispose([value, ...Object.values(grads)]);
    counts.push([tf.memory().numTensors, backend.numDataIds()]);
  }
  expect(new Set(counts.slice(1).map((c) => c.join())).size).toBe(1);
  expect(losses[7]).toBeLessThan(losses[0]);
  opt.dispose();
  tf.dispose([x, y, ...Object.values(p)]);
});

test("a script that trains on wasm with 2 threads exits by itself (no process.exit)", async () => {
  const script = `${TS_REQUIRE}
const { tf, init } = require(${JSON.stringify(path.join(ROOT, "lib/src/backend/index.ts"))});
const simd = require(${JSON.stringify(path.join(ROOT, "lib/src/backend/kernels/simd/index.ts"))});
simd.ownKernelTuning.flopsPerThread = 0; // the own dW kernel's worker threads take part even in this small net
(async () => {
  const info = await init({ backend: "wasm", threads: 2 });
  const kt = simd.kernelThreads(tf.backend());
  const runs = [];
  const run = kt.run.bind(kt);
  const KIND = require(${JSON.stringify(path.join(ROOT, "lib/src/backend/kernels/simd/workers.ts"))}).Slot.KIND;
  kt.run = (k, picked) => { const kind = kt.control[KIND]; const c = run(k, picked); runs.push({ kind, c }); return c; };
  const w = tf.variable(tf.randomNormal([3, 3, 1, 4], 0, 0.1)), d = tf.variable(tf.randomNormal([4 * 7 * 7, 10], 0, 0.1));
  const x = tf.randomNormal([8, 14, 14, 1]), y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32"), 10);
  const opt = tf.train.sgd(0.1);
  for (let i = 0; i < 3; i++) {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.reshape(
      tf.maxPool(tf.relu(tf.conv2d(x, w, 1, "same")), 2, 2, "valid"), [8, -1]), d)));
  }
  console.log("WORKERS " + JSON.stringify(runs));
  console.log("DONE " + Date.now() + " " + JSON.stringify(info));
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;
  const t0 = Date.now();
  const { code, out, err, exitedAt } = await runChild(script, { TSDL_BACKEND: "", TSDL_THREADS: "", TSDL_XNN_THREADS: "" }, 40000);
  const m = /DONE (\d+) (.*)/.exec(out);
  expect({ code, err: code === 0 ? "" : err, done: !!m }).toEqual({ code: 0, err: "", done: true });
  const info = JSON.parse((m as RegExpExecArray)[2]);
  // the own kernels' worker thread shared the 8 samples of each of the 3 steps' filter gradients (KIND 0)
  // and forward convolutions (KIND 1), and did not keep the child alive
  const runs = JSON.parse((/WORKERS (.*)/.exec(out) as RegExpExecArray)[1]) as Array<{ kind: number; c: number[] }>;
  expect(runs.filter((r) => r.kind === 0).length).toBe(3);
  expect(runs.filter((r) => r.kind === 1).length).toBeGreaterThanOrEqual(3);
  // per-sample jobs (dW, conv, MaxPoolGrad) shared the 8 samples; the GEMMs (KIND 3) their row blocks
  expect(runs.filter((r) => r.kind !== 3).every((r) => r.c.length === 2 && r.c[0] + r.c[1] === 8)).toBe(true);
  expect(runs.some((r) => r.kind === 4)).toBe(true);
  expect(info).toMatchObject({ name: "wasm", threads: 2, simd: true, xnnThreads: 1 });
  // with OpenBLAS installed its threads run the products, and do not keep the child alive either
  expect(out).toMatch(/tsdl: backend wasm \(threads: 2, SIMD(, products on OpenBLAS [^)]*)?\) — TSDL_BACKEND to change/);
  if (fs.existsSync(DEBIAN_OPENBLAS)) expect(info.blas).toMatch(/^OpenBLAS /);
  const lingered = exitedAt - Number((m as RegExpExecArray)[1]);
  console.log(`child: ${exitedAt - t0} ms in all, exited ${lingered} ms after its last line`);
  expect(lingered).toBeLessThan(10000);
});

test("TSDL_XNN_THREADS=2 gives XNNPACK's pool both threads (the own kernels keep theirs), and trains", async () => {
  const script = `${TS_REQUIRE}
const { tf, init } = require(${JSON.stringify(path.join(ROOT, "lib/src/backend/index.ts"))});
init({ quiet: true, threads: 2 }).then((info) => {
  const w = tf.variable(tf.randomNormal([3, 3, 4, 8], 0, 0.1));
  const x = tf.randomNormal([4, 8, 8, 4]);
  const loss = () => tf.mean(tf.square(tf.conv2d(x, w, 1, "same")));
  const before = loss().dataSync()[0];
  for (let i = 0; i < 5; i++) tf.train.sgd(0.5).minimize(loss);
  console.log("INFO " + JSON.stringify(info) + " " + (loss().dataSync()[0] < before));
});
`;
  const { code, out } = await runChild(script, { TSDL_BACKEND: "wasm", TSDL_XNN_THREADS: "2" }, 30000);
  expect(code).toBe(0);
  const m = /INFO (\{.*\}) (.*)/.exec(out);
  expect(m).not.toBeNull();
  expect(JSON.parse((m as RegExpExecArray)[1])).toMatchObject({ name: "wasm", threads: 2, xnnThreads: 2 });
  expect((m as RegExpExecArray)[2]).toBe("true");
});

test("TSDL_THREADS=1 runs the plain SIMD build on one thread (the documented fallback)", async () => {
  const script = `${TS_REQUIRE}
const { tf, init } = require(${JSON.stringify(path.join(ROOT, "lib/src/backend/index.ts"))});
init({ quiet: true }).then((info) => console.log("INFO " + JSON.stringify(info) + " " + tf.sum(tf.ones([100, 3]), 0).dataSync().join()));
`;
  const { code, out } = await runChild(script, { TSDL_BACKEND: "wasm", TSDL_THREADS: "1" }, 30000);
  expect(code).toBe(0);
  const m = /INFO (\{.*\}) (.*)/.exec(out);
  expect(m).not.toBeNull();
  const info = JSON.parse((m as RegExpExecArray)[1]);
  expect(info).toMatchObject({ name: "wasm", tfBackend: "wasm", threads: 1, simd: true, xnnThreads: 1 });
  expect(Object.keys(info).sort()).toEqual(["blas", "name", "simd", "tfBackend", "threads", "xnnThreads"]);
  expect((m as RegExpExecArray)[2]).toBe("100,100,100");
});

test("the plain build (TSDL_THREADS=1) trains a conv net with BatchNorm, ReLU, 2×2 max pool and tanh on the own kernels as the threaded one does", async () => {
  // the own kernels on the build whose memory is not shared (a heap view goes stale when the memory
  // grows there; growth inside a kernel is not provoked here); same seeds, same data: the same losses
  const script = `${TS_REQUIRE}
const { tf, init } = require(${JSON.stringify(path.join(ROOT, "lib/src/backend/index.ts"))});
const nn = require(${JSON.stringify(path.join(ROOT, "lib/src/nn/index.ts"))});
const { SGD } = require(${JSON.stringify(path.join(ROOT, "lib/src/optim/index.ts"))});
const { crossEntropy } = require(${JSON.stringify(path.join(ROOT, "lib/src/train/losses.ts"))});
init({ quiet: true }).then((info) => {
  nn.manualSeed(3);
  const model = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(),
    new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8 * 16 * 16, 32), new nn.Tanh(), new nn.Linear(32, 10));
  const params = model.parameters();
  const opt = new SGD(params, { lr: 0.05, momentum: 0.9 });
  const x = tf.tensor4d(Float32Array.from({ length: 64 * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37) + 0.5), [64, 32, 32, 3]);
  const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => (i * 7) % 10), "int32");
  const kernels = new Set();
  const run = tf.engine().runKernel.bind(tf.engine());
  tf.engine().runKernel = (name, ...rest) => { kernels.add(name); return run(name, ...rest); };
  const losses = [];
  for (let s = 0; s < 4; s++) {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y), params);
    opt.step(grads);
    losses.push(value.dataSync()[0]);
    tf.dispose([value, ...Object.values(grads)]);
  }
  console.log("RESULT " + JSON.stringify({ threads: info.threads, losses, kernels: [...kernels].filter((k) => k.startsWith("Tsdl")).sort() }));
});
`;
  const result = async (threads: string) => {
    const { code, out, err } = await runChild(script, { TSDL_BACKEND: "wasm", TSDL_THREADS: threads }, 60000);
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
    return JSON.parse((/RESULT (.*)/.exec(out) as RegExpExecArray)[1]) as { threads: number; losses: number[]; kernels: string[] };
  };
  const [plain, threaded] = [await result("1"), await result("2")];
  expect([plain.threads, threaded.threads]).toEqual([1, 2]);
  expect(plain.kernels).toEqual(["TsdlActGrad", "TsdlBatchNormGrad", "TsdlBatchNormTrain", "TsdlSGDStep", "TsdlSoftmaxCrossEntropy", "TsdlSoftmaxCrossEntropyGrad"]);
  expect(plain.losses.every(Number.isFinite)).toBe(true);
  expect(plain.losses[3]).toBeLessThan(plain.losses[0]);
  plain.losses.forEach((l, i) => expect(Math.abs(l - threaded.losses[i])).toBeLessThan(1e-4 * Math.abs(l)));
});

test("TSDL_BLAS=off keeps the products on wasm (said by init()); a TSDL_BLAS path that is not there stops init with the fix", async () => {
  const script = `${TS_REQUIRE}
const { tf, init } = require(${JSON.stringify(path.join(ROOT, "lib/src/backend/index.ts"))});
init().then((info) => console.log("INFO " + JSON.stringify(info) + " " + tf.matMul(tf.ones([3, 4]), tf.ones([4, 2])).dataSync().join()))
  .catch((e) => { console.log("ERROR " + e.message); process.exitCode = 1; });
`;
  const off = await runChild(script, { TSDL_BACKEND: "wasm", TSDL_BLAS: "off" }, 30000);
  expect(off.code).toBe(0);
  const m = /INFO (\{.*\}) (.*)/.exec(off.out) as RegExpExecArray;
  expect(JSON.parse(m[1]).blas).toBeNull();
  expect(m[2]).toBe("4,4,4,4,4,4");
  expect(off.out).toMatch(/tsdl: backend wasm \(threads: \d+, SIMD\) — TSDL_BACKEND to change/);
  const bad = await runChild(script, { TSDL_BACKEND: "wasm", TSDL_BLAS: "/nowhere/libopenblas.so.0" }, 30000);
  expect(bad.code).toBe(1);
  expect(bad.out).toMatch(/ERROR TSDL_BLAS="\/nowhere\/libopenblas.so.0" is neither.*unset it/);
});
