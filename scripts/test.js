// `npm test`: everything CI checks. Set-up (idempotent), type-check, jest, every notebook executed
// headless in the fast profile, the generated student versions, Jupyter's own `nbconvert --execute`
// round trip, and the executed notebooks' Plotly figures drawn in headless Chromium.
//   npm test                       all of it
//   npm test -- --only jest,notebooks,students,nbconvert,browser
"use strict";
require("./cli-args").helpFromHeader(__filename);
const fs = require("fs");
const path = require("path");
const { ROOT, setup, guard, log, run, aptInstall, APT_BROWSER, jupyterEnv, SetupError } = require("./setup");
const { runNotebooks, listNotebooks, OUT_DIR } = require("./run-notebooks");
const { studentVersion, validateStudent } = require("./make-student");

const BUILD = path.join(ROOT, "build");
const CHROMIUM = process.env.TSDL_CHROMIUM || "/usr/bin/chromium";

function parseOnly(argv) {
  const i = argv.findIndex((a) => a === "--only" || a.startsWith("--only="));
  if (i < 0) return null;
  const v = argv[i].includes("=") ? argv[i].split("=")[1] : argv[i + 1];
  return new Set(v.split(","));
}

guard(async () => {
  const only = parseOnly(process.argv.slice(2));
  const want = (s) => !only || only.has(s);
  const t0 = Date.now();
  const jupyter = setup();
  if (want("browser") && !fs.existsSync(CHROMIUM)) aptInstall(APT_BROWSER, "Chromium (browser check of the plots)");
  fs.mkdirSync(BUILD, { recursive: true });
  const steps = []; // {name, passed, failed}
  const count = (name, passed, failed) => {
    steps.push({ name, passed, failed });
    log(`${name}: ${passed} passed, ${failed} failed`);
  };

  // 1. Type-check the tests (the lib was type-checked by its build in setup()).
  if (want("jest")) {
    const tc = run(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tests"], {});
    if (tc.status !== 0) {
      process.stdout.write(tc.stdout + tc.stderr);
      count("type-check of tests", 0, 1);
    } else count("type-check of tests", 1, 0);

    // 2. Unit tests.
    const jestJson = path.join(BUILD, "jest.json");
    fs.rmSync(jestJson, { force: true });
    log("unit tests (jest)…");
    run(path.join(ROOT, "node_modules", ".bin", "jest"), ["--json", `--outputFile=${jestJson}`], { inherit: true });
    let jr = null;
    try {
      jr = JSON.parse(fs.readFileSync(jestJson, "utf8"));
    } catch {
      jr = null;
    }
    if (!jr) count("jest", 0, 1);
    else count("jest", jr.numPassedTests, jr.numFailedTests + (jr.numRuntimeErrorTestSuites || 0));
  }

  // 3. Every notebook, fast profile, executed copies in build/executed/.
  let executed = [];
  if (want("notebooks")) {
    log("notebooks (TSDL_PROFILE=fast)…");
    const res = await runNotebooks({ profile: "fast" });
    executed = res.filter((r) => r.ok).map((r) => r.out);
    count("notebooks", res.filter((r) => r.ok).length, res.filter((r) => !r.ok).length);
  }

  // 4. Student versions: generated, valid nbformat, every marker replaced, TS still parses.
  if (want("students")) {
    const dir = path.join(BUILD, "student");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    let ok = 0;
    let bad = 0;
    for (const nbPath of listNotebooks()) {
      const name = path.basename(nbPath);
      let problems;
      try {
        const s = studentVersion(JSON.parse(fs.readFileSync(nbPath, "utf8")), name);
        fs.writeFileSync(path.join(dir, name), JSON.stringify(s, null, 1));
        problems = validateStudent(s, name);
        const v = run(jupyter.python, ["-c", "import sys,nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path.join(dir, name)]);
        if (v.status !== 0) problems.push(`${name}: not a valid notebook: ${v.stderr.trim().split("\n").pop()}`);
      } catch (e) {
        problems = [String(e.message || e)];
      }
      if (problems.length) {
        bad++;
        console.log(`✗ student version of ${name}:\n  ${problems.join("\n  ")}`);
      } else {
        ok++;
        console.log(`✓ student version of ${name}`);
      }
    }
    count("student versions", ok, bad);
  }

  // 5. Jupyter's own nbconvert --execute from notebooks/ with the project's kernelspec.
  if (want("nbconvert")) {
    const nb = listNotebooks()[0];
    const out = path.join(BUILD, "nbconvert");
    fs.rmSync(out, { recursive: true, force: true });
    const r = run(jupyter.python, ["-m", "nbconvert", "--to", "notebook", "--execute", `--output-dir=${out}`, path.basename(nb)], {
      cwd: path.dirname(nb),
      env: jupyterEnv({ TSDL_PROFILE: "fast" }),
      timeoutMs: 600000,
    });
    if (r.status === 0 && fs.existsSync(path.join(out, path.basename(nb)))) {
      console.log(`✓ jupyter nbconvert --execute ${path.relative(ROOT, nb)} (kernel ${jupyter.python}, JUPYTER_PATH=.jupyter/share/jupyter)`);
      count("nbconvert round trip", 1, 0);
    } else {
      console.log(`✗ jupyter nbconvert --execute ${path.relative(ROOT, nb)} failed:\n${(r.stderr || "").split("\n").slice(-30).join("\n")}`);
      count("nbconvert round trip", 0, 1);
    }
  }

  // 6. The executed notebooks' figures drawn in real headless Chromium.
  if (want("browser")) {
    if (!fs.existsSync(CHROMIUM)) throw new SetupError(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set TSDL_CHROMIUM).`);
    if (!executed.length && fs.existsSync(OUT_DIR)) executed = fs.readdirSync(OUT_DIR).filter((f) => f.endsWith(".ipynb")).map((f) => path.join(OUT_DIR, f));
    const { checkNotebooks } = require("./browser-check");
    const results = await checkNotebooks(executed, { outDir: path.join(BUILD, "html") });
    const passed = results.filter((r) => r.ok).length;
    count("browser check", passed, results.length - passed);
  }

  const passed = steps.reduce((a, s) => a + s.passed, 0);
  const failed = steps.reduce((a, s) => a + s.failed, 0);
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
});
