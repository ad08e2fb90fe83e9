// Backend selection: TSDL_BACKEND, errors that name the fix, idempotent init.
import { init, backendInfo } from "tsdl/backend";
import { parseBackendEnv, parseThreads, xnnPoolThreads } from "tsdl/backend/select";

const saved = { backend: process.env.TSDL_BACKEND, threads: process.env.TSDL_THREADS };
afterAll(() => {
  for (const [k, v] of [["TSDL_BACKEND", saved.backend], ["TSDL_THREADS", saved.threads]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

test("parseBackendEnv: valid names, unset, and a clear error", () => {
  expect(parseBackendEnv(undefined)).toBeUndefined();
  expect(parseBackendEnv(" ")).toBeUndefined();
  expect(parseBackendEnv("WASM")).toBe("wasm");
  expect(parseBackendEnv("node-gpu")).toBe("node-gpu");
  expect(() => parseBackendEnv("gpu")).toThrow(/TSDL_BACKEND="gpu".*node-gpu, node, wasm, cpu/);
});

test("xnnPoolThreads: 1 by default, TSDL_XNN_THREADS capped at the wasm threads, bad values named", () => {
  const saved = process.env.TSDL_XNN_THREADS;
  try {
    delete process.env.TSDL_XNN_THREADS;
    expect(xnnPoolThreads(4)).toBe(1);
    process.env.TSDL_XNN_THREADS = "3";
    expect(xnnPoolThreads(4)).toBe(3);
    expect(xnnPoolThreads(2)).toBe(2);
    process.env.TSDL_XNN_THREADS = "two";
    expect(() => xnnPoolThreads(2)).toThrow(/TSDL_XNN_THREADS=two is not a wasm thread count/);
  } finally {
    if (saved === undefined) delete process.env.TSDL_XNN_THREADS;
    else process.env.TSDL_XNN_THREADS = saved;
  }
});

test("parseThreads: integers 1..8 only (the wasm backend's limit)", () => {
  expect(parseThreads(undefined)).toBeUndefined();
  expect(parseThreads("3")).toBe(3);
  expect(parseThreads(1)).toBe(1);
  expect(parseThreads(8)).toBe(8);
  expect(() => parseThreads("two")).toThrow(/TSDL_THREADS=two.*integer from 1 to 8/);
  expect(() => parseThreads(9)).toThrow(/integer from 1 to 8/);
  expect(() => parseThreads(0, "init({threads})")).toThrow(/init\(\{threads\}\)=0/);
});

test("before init, backendInfo() is null", () => {
  expect(backendInfo()).toBeNull();
});

test("TSDL_BACKEND with a bad value: init rejects, naming the valid values", async () => {
  process.env.TSDL_BACKEND = "tpu";
  await expect(init({ quiet: true })).rejects.toThrow(/node-gpu, node, wasm, cpu/);
  expect(backendInfo()).toBeNull();
});

const noNode = !installed("@tensorflow/tfjs-node");
(noNode ? test : test.skip)("TSDL_BACKEND=node without the package: the error names the install command", async () => {
  process.env.TSDL_BACKEND = "node";
  await expect(init({ quiet: true })).rejects.toThrow(/npm install @tensorflow\/tfjs-node@4\.22\.0/);
  expect(backendInfo()).toBeNull();
});

const noGpu = !installed("@tensorflow/tfjs-node-gpu");
(noGpu ? test : test.skip)("node-gpu without the package: install command, internet and CUDA named", async () => {
  delete process.env.TSDL_BACKEND;
  const p = init({ backend: "node-gpu", quiet: true });
  await expect(p).rejects.toThrow(/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
  await expect(init({ backend: "node-gpu", quiet: true })).rejects.toThrow(/CUDA 11\.2.*cuDNN 8\.1/);
});

test("TSDL_BACKEND=cpu gives cpu, prints one line once; init is idempotent", async () => {
  process.env.TSDL_BACKEND = "cpu";
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    const info = await init();
    expect(info).toEqual({ name: "cpu", tfBackend: "cpu", threads: 1, simd: null });
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0][0])).toMatch(/^tsdl: backend cpu .*TSDL_BACKEND to change/);
    const again = await init();
    expect(again).toBe(info);
    expect(backendInfo()).toBe(info);
    expect(log).toHaveBeenCalledTimes(1);
  } finally {
    log.mockRestore();
  }
});

test("asking for another backend after init is an error that says to restart", async () => {
  await expect(init({ backend: "wasm" })).rejects.toThrow(/already chose backend cpu.*restart/);
  await expect(init({ backend: "cpu" })).resolves.toEqual(backendInfo());
});
