// Set-up shared by `npm start` and `npm test`: idempotent, fast when already done.
// Plain Node with no dependency: it runs before `npm ci` on a fresh clone.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const JUPYTER_DIR = path.join(ROOT, ".jupyter");
const JUPYTER_DATA = path.join(JUPYTER_DIR, "share", "jupyter");
const KERNEL_NAME = "tslab";

// Debian packages: Jupyter (classic notebook; JupyterLab is on PyPI only), the data sets they ship.
const APT_JUPYTER = ["jupyter-notebook", "jupyter-nbconvert", "python3-nbclient", "jupyter-client", "python3-ipykernel"];
const APT_DATA = ["dataset-fashion-mnist", "python3-sklearn", "python3-skimage"];
const APT_BROWSER = ["chromium"];
// OpenBLAS: tsdl's wasm backend runs its matrix products on it when present (lib/src/backend/blas.ts)
const APT_BLAS = ["libopenblas0-pthread"];

class SetupError extends Error {}

function log(msg) {
  process.stderr.write(`[tsdl] ${msg}\n`);
}

/** Runs a command; returns {status, stdout, stderr}. `inherit` streams output to the console. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd || ROOT,
    env: { ...process.env, ...(opts.env || {}) },
    stdio: opts.inherit ? "inherit" : "pipe",
    encoding: "utf8",
    timeout: opts.timeoutMs,
  });
  return { status: r.error ? -1 : r.status, stdout: r.stdout || "", stderr: r.stderr || "", error: r.error };
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

// ---------------------------------------------------------------- npm dependencies
function ensureDeps() {
  const installed = path.join(ROOT, "node_modules", ".package-lock.json");
  const lock = path.join(ROOT, "package-lock.json");
  const linked = fs.existsSync(path.join(ROOT, "node_modules", "tsdl"));
  if (linked && mtime(installed) >= mtime(lock) && mtime(installed) >= mtime(path.join(ROOT, "package.json"))) return;
  log("installing npm dependencies (npm ci)…");
  const r = run("npm", ["ci", "--no-audit", "--no-fund"], { inherit: true });
  if (r.status !== 0) {
    throw new SetupError(
      "npm ci failed (output above): check access to the npm registry (npm config get registry), then run the command again.",
    );
  }
}

// ---------------------------------------------------------------- build of the tsdl package
function ensureBuild() {
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  const r = run(tsc, ["-b", "lib"], {});
  if (r.status !== 0) {
    // Leave no half-built package behind: a stale dist would hide the error in notebooks.
    fs.rmSync(path.join(ROOT, "lib", "dist"), { recursive: true, force: true });
    for (const f of fs.readdirSync(path.join(ROOT, "lib"))) {
      if (f.endsWith(".tsbuildinfo")) fs.rmSync(path.join(ROOT, "lib", f), { force: true });
    }
    throw new SetupError(`building tsdl failed (tsc -b lib):\n${r.stdout}${r.stderr}`);
  }
}

// ---------------------------------------------------------------- Jupyter
function pythonHas(python, modules) {
  const code = modules.map((m) => `import ${m}`).join("; ");
  return run(python, ["-c", code], { timeoutMs: 60000 }).status === 0;
}

/** Pythons to try: $TSDL_PYTHON alone when set, else the python3 on PATH, then Debian's /usr/bin/python3. */
function pythonCandidates() {
  if (process.env.TSDL_PYTHON) return [process.env.TSDL_PYTHON];
  return ["python3", "/usr/bin/python3"];
}

/** A Python with Jupyter: prefers one with JupyterLab. `need` lists the modules required. */
function findJupyter(need = ["notebook", "nbclient", "nbconvert", "jupyter_client"]) {
  const ok = pythonCandidates().filter((p) => pythonHas(p, need));
  const lab = ok.find((p) => pythonHas(p, ["jupyterlab"]));
  if (lab) return { python: lab, lab: true };
  if (ok.length) return { python: ok[0], lab: false };
  return null;
}

function isDebianRoot() {
  return fs.existsSync("/etc/debian_version") && typeof process.getuid === "function" && process.getuid() === 0;
}

function aptMissing(pkgs) {
  return pkgs.filter((p) => {
    const r = run("dpkg-query", ["-W", "-f=${Status}", p]);
    return !(r.status === 0 && r.stdout.includes("install ok installed"));
  });
}

/** Installs Debian packages when we are root on Debian; returns false when we cannot. */
function aptInstall(pkgs, why) {
  if (!fs.existsSync("/etc/debian_version")) return false;
  const missing = aptMissing(pkgs);
  if (missing.length === 0) return true;
  if (!isDebianRoot()) return false;
  log(`installing ${why} with apt: ${missing.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  let r = run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { inherit: true, env });
  if (r.status !== 0) {
    run("apt-get", ["update", "-q"], { inherit: true, env });
    r = run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { inherit: true, env });
  }
  if (r.status !== 0) throw new SetupError(`apt-get install ${missing.join(" ")} failed (output above).`);
  return true;
}

function ensureJupyter() {
  let found = findJupyter();
  if (found) return found;
  if (process.env.TSDL_PYTHON) {
    throw new SetupError(
      `TSDL_PYTHON=${process.env.TSDL_PYTHON} has no Jupyter (modules notebook, nbclient, nbconvert, jupyter_client): ` +
        `install them in it (${process.env.TSDL_PYTHON} -m pip install jupyterlab nbclient), or unset TSDL_PYTHON.`,
    );
  }
  if (aptInstall(APT_JUPYTER, "Jupyter")) found = findJupyter();
  if (found) return found;
  throw new SetupError(
    "Jupyter not found. Install it, then run the command again:\n" +
      "  Debian/Ubuntu: sudo apt-get install " + APT_JUPYTER.join(" ") + "\n" +
      "  elsewhere:     pip install jupyterlab   (or set TSDL_PYTHON to a Python that has Jupyter)",
  );
}

/** Debian's data packages (Fashion-MNIST, sklearn digits, skimage photos): optional, warn if absent. */
function ensureDataPackages() {
  if (!fs.existsSync("/etc/debian_version")) return;
  if (aptInstall(APT_DATA, "the data sets Debian ships")) return;
  log(`optional data packages missing (tsdl will download instead): sudo apt-get install ${aptMissing(APT_DATA).join(" ")}`);
}

/** OpenBLAS for the wasm backend's matrix products: optional (wasm's own GEMM otherwise), say so if absent. */
function ensureBlasPackage() {
  if (!fs.existsSync("/etc/debian_version")) return;
  if (aptInstall(APT_BLAS, "OpenBLAS (the matrix products of the wasm backend)")) return;
  log(`optional: sudo apt-get install ${APT_BLAS.join(" ")} (matrix products on OpenBLAS, 2-4x faster than wasm's)`);
}

// ---------------------------------------------------------------- the tslab kernelspec
function kernelSpecPath() {
  return path.join(JUPYTER_DATA, "kernels", KERNEL_NAME, "kernel.json");
}

/** Registers the tslab kernel in the project (.jupyter/), atomically: built aside, then renamed. */
function ensureKernel(python) {
  const binary = path.join(ROOT, "node_modules", ".bin", "tslab");
  if (!fs.existsSync(binary)) throw new SetupError(`tslab is missing (${binary}): run npm ci.`);
  const spec = kernelSpecPath();
  try {
    const cur = JSON.parse(fs.readFileSync(spec, "utf8"));
    if (cur.argv && cur.argv[0] === binary) return spec;
  } catch {
    /* absent or unreadable: (re)install */
  }
  const tmp = fs.mkdtempSync(path.join(ROOT, ".jupyter-tmp-"));
  try {
    const r = run(path.join(ROOT, "node_modules", ".bin", "tslab"), [
      "install", `--python=${python}`, `--binary=${binary}`, `--prefix=${tmp}`,
    ]);
    const built = path.join(tmp, "share", "jupyter", "kernels", KERNEL_NAME, "kernel.json");
    if (r.status !== 0 || !fs.existsSync(built)) {
      throw new SetupError(`registering the tslab kernel failed:\n${r.stdout}${r.stderr}`);
    }
    const k = JSON.parse(fs.readFileSync(built, "utf8"));
    k.display_name = "TypeScript (tslab, tsdl)";
    fs.writeFileSync(built, JSON.stringify(k, null, 1));
    fs.rmSync(JUPYTER_DATA, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(JUPYTER_DATA), { recursive: true });
    fs.renameSync(path.join(tmp, "share", "jupyter"), JUPYTER_DATA);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`tslab kernel registered in ${path.relative(ROOT, JUPYTER_DATA)} (binary ${binary})`);
  return spec;
}

/** Environment for Jupyter processes: the project's kernelspec first. */
function jupyterEnv(extra = {}) {
  const prev = process.env.JUPYTER_PATH;
  return { ...process.env, JUPYTER_PATH: prev ? `${JUPYTER_DATA}${path.delimiter}${prev}` : JUPYTER_DATA, ...extra };
}

/** Everything but opening the course. Returns the Jupyter found. */
function setup({ data = true } = {}) {
  ensureDeps();
  ensureBuild();
  const jupyter = ensureJupyter();
  if (data) ensureDataPackages();
  ensureBlasPackage();
  ensureKernel(jupyter.python);
  return jupyter;
}

/** Runs `main`, turning a SetupError into one clear line and a non-zero exit. */
function guard(main) {
  Promise.resolve()
    .then(main)
    .then((code) => process.exit(typeof code === "number" ? code : 0))
    .catch((e) => {
      if (e instanceof SetupError) {
        process.stderr.write(`\n[tsdl] ERROR: ${e.message}\n`);
      } else {
        process.stderr.write(`\n[tsdl] ERROR: ${e && e.stack ? e.stack : e}\n`);
      }
      process.exit(1);
    });
}

module.exports = {
  ROOT, JUPYTER_DATA, KERNEL_NAME, APT_BROWSER, SetupError, log, run, setup, guard, ensureDeps, ensureBuild,
  ensureJupyter, ensureKernel, ensureDataPackages, ensureBlasPackage, jupyterEnv, aptInstall, aptMissing, findJupyter, isDebianRoot, os,
};
