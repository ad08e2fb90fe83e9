// Backend selection: TSDL_BACKEND, errors that name the fix, idempotent init.
import { init, backendInfo } from "tsdl/backend";
import { defaultThreads, parseBackendEnv, parseThreads, xnnPoolThreads } from "tsdl/backend/select";
import { DEBIAN_OPENBLAS, loadBlas, parseBlasEnv } from "tsdl/backend/blas";
import * as fs from "fs";

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

describe("TSDL_BLAS: the native BLAS of the wasm backend's products", () => {
  test("auto by default, off in plain words, else a library file that must exist", () => {
    expect(parseBlasEnv(undefined)).toEqual({ kind: "auto" });
    expect(parseBlasEnv(" ")).toEqual({ kind: "auto" });
    expect(parseBlasEnv("AUTO")).toEqual({ kind: "auto" });
    for (const off of ["off", "0", "none", "False", "no"]) expect(parseBlasEnv(off)).toEqual({ kind: "off" });
    expect(parseBlasEnv(__filename)).toEqual({ kind: "path", path: __filename });
    expect(() => parseBlasEnv("/nowhere/libopenblas.so")).toThrow(/TSDL_BLAS="\/nowhere\/libopenblas.so".*path of an OpenBLAS library.*or unset it/);
  });

  test("off loads nothing; a file that is no library names the fix", () => {
    expect(loadBlas({ kind: "off" }, 2)).toBeNull();
    expect(() => loadBlas({ kind: "path", path: __filename }, 2)).toThrow(/TSDL_BLAS=.*does not load.*OpenBLAS library file, or unset TSDL_BLAS/);
  });

  test("a library without cblas_sgemm is refused by name (libc here)", () => {
    const libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"].find((p) => fs.existsSync(p));
    if (!libc) return console.log("no glibc at Debian's path: skipped");
    expect(() => loadBlas({ kind: "path", path: libc }, 2)).toThrow(/has no cblas_sgemm/);
  });

  test("auto: OpenBLAS when Debian's package is installed (set to the threads asked), else null with the reason", () => {
    const why: string[] = [];
    const timeout = process.env.OPENBLAS_THREAD_TIMEOUT;
    const b = loadBlas({ kind: "auto" }, defaultThreads(), why); // (the process-wide count init() sets too)
    // OpenBLAS reads its idle poll's length when it loads: tsdl's value does not leak to child processes
    expect(process.env.OPENBLAS_THREAD_TIMEOUT).toBe(timeout);
    if (fs.existsSync(DEBIAN_OPENBLAS)) {
      expect(b?.name).toMatch(/^OpenBLAS \d/);
      expect(b?.threads).toBe(defaultThreads());
      // C = Aᵀ·B + C on plain arrays: the transpose flag and the leading dimensions reach cblas_sgemm
      const a = Float32Array.from([1, 2, 3, 4]); // [2, 2]
      const m = Float32Array.from([1, 0, 0, 1, 5, 6]); // B [2, 3]
      const c = Float32Array.from([1, 1, 1, 1, 1, 1]);
      b?.sgemm(true, false, 2, 3, 2, 1, a, 2, m, 3, 1, c, 3);
      expect(Array.from(c)).toEqual([5, 16, 19, 7, 21, 25]);
    } else {
      expect(b === null || /OpenBLAS|Accelerate/.test(b.name)).toBe(true);
      if (!b) expect(why.join(" ")).toMatch(/OpenBLAS|Accelerate|koffi|libopenblas/);
    }
  });
});
