// Headless runner: executes notebooks with the project's tslab kernel (nbclient), writes the
// executed copies to build/executed/, checks the figures each notebook reports, and on failure
// prints notebook, cell, the cell's first lines and the kernel's stderr (tslab's error text is empty).
//   node scripts/run-notebooks.js [--profile fast|full] [--timeout S] [notebooks/01-autodiff.ipynb …]
"use strict";
require("./cli-args").helpFromHeader(__filename);
const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");
const { ROOT, guard, jupyterEnv, findJupyter, SetupError } = require("./setup");

const NB_DIR = path.join(ROOT, "notebooks");
const OUT_DIR = path.join(ROOT, "build", "executed");
const REPORT_MIME = "application/vnd.tsdl.report+json";
const MARK = "@@tsdl-cell";

function listNotebooks() {
  return fs
    .readdirSync(NB_DIR)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => path.join(NB_DIR, f));
}

const srcText = (cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source || "");

/** Committed notebooks carry no outputs: returns the problems found. */
function checkNoOutputs(nbPath) {
  const nb = JSON.parse(fs.readFileSync(nbPath, "utf8"));
  const bad = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    if ((c.outputs || []).length) bad.push(`cell ${i} has ${c.outputs.length} output(s)`);
    if (c.execution_count != null) bad.push(`cell ${i} has an execution count`);
  });
  return bad;
}

/** The figures reported by `report()` in an executed notebook, merged in order. */
function reportedFigures(nb) {
  const figures = {};
  for (const c of nb.cells) {
    for (const o of c.outputs || []) {
      const d = o.data && o.data[REPORT_MIME];
      if (!d) continue;
      const payload = typeof d === "string" ? JSON.parse(d) : d;
      Object.assign(figures, payload.figures || payload); // {version, figures} from tsdl's report()
    }
  }
  return figures;
}

/** Checks `metadata.tsdl.checks[profile]`: {name: {min?, max?}} against the reported figures. */
function checkFigures(nb, figures, profile) {
  const checks = ((nb.metadata && nb.metadata.tsdl && nb.metadata.tsdl.checks) || {})[profile] || {};
  const problems = [];
  for (const [name, bound] of Object.entries(checks)) {
    const v = figures[name];
    if (typeof v !== "number" || Number.isNaN(v)) {
      problems.push(`figure "${name}" was not reported`);
      continue;
    }
    if (bound.min != null && v < bound.min) problems.push(`${name} = ${v} < ${bound.min}`);
    if (bound.max != null && v > bound.max) problems.push(`${name} = ${v} > ${bound.max}`);
  }
  return { problems, checked: Object.keys(checks).length };
}

/** Cuts the stderr captured during the run at the markers nbrun.py writes before each cell. */
function stderrOfCell(stderr, cellIndex) {
  const re = new RegExp(`\\n${MARK} (\\d+)\\n`, "g");
  let m;
  let start = -1;
  let end = stderr.length;
  let lastStart = -1;
  while ((m = re.exec(stderr))) {
    if (start >= 0 && end === stderr.length) end = m.index;
    if (Number(m[1]) === cellIndex) start = re.lastIndex;
    lastStart = re.lastIndex;
  }
  if (start < 0) start = lastStart >= 0 ? lastStart : 0;
  return stderr.slice(start, end).trim();
}

function failureReport(nbPath, nb, result, stderr) {
  const lines = [];
  let headline = null;
  const idx = result.cell;
  if (idx != null && nb && nb.cells[idx]) {
    const cell = nb.cells[idx];
    const ordinal = nb.cells.slice(0, idx + 1).filter((c) => c.cell_type === "code").length;
    lines.push(`  cell ${idx} (code cell #${ordinal}), first lines:`);
    for (const l of srcText(cell).split("\n").slice(0, 5)) lines.push(`  | ${l}`);
    const errs = (cell.outputs || []).filter((o) => o.output_type === "error");
    for (const e of errs) {
      const text = [e.ename, e.evalue].filter(Boolean).join(": ");
      if (text.trim()) lines.push(`  error: ${text}`);
    }
    const streamErr = (cell.outputs || [])
      .filter((o) => o.output_type === "stream" && o.name === "stderr")
      .map((o) => srcText({ source: o.text }))
      .join("");
    const kernelErr = (streamErr || stderrOfCell(stderr, idx)).trim();
    headline = kernelErr.split("\n").find((l) => /^\w*(Error|Exception)\b.*:|^\d+:\d+ - /.test(l.trim())) || null;
    if (kernelErr) {
      lines.push("  kernel stderr:");
      for (const l of kernelErr.split("\n").slice(-25)) lines.push(`  ! ${l}`);
    }
  } else if (stderr.trim()) {
    lines.push("  stderr:");
    for (const l of stderr.trim().split("\n").slice(-25)) lines.push(`  ! ${l}`);
  }
  const where = idx != null ? ` cell ${idx}` : "";
  const what = result.status !== "error" || !headline ? (result.message || "").split("\n")[0] : headline.trim();
  return [`✗ ${path.relative(ROOT, nbPath)}:${where} ${result.status}${what ? ` — ${what}` : ""}`, ...lines].join("\n");
}

/** The pids of `pid` and all its descendants (Linux /proc; elsewhere just `pid`). */
function processTree(pid) {
  const children = new Map();
  try {
    for (const d of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (!children.has(ppid)) children.set(ppid, []);
        children.get(ppid).push(Number(d));
      } catch {
        /* process gone */
      }
    }
  } catch {
    return [pid];
  }
  const out = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p) || []));
  }
  return out;
}

function killTree(pid) {
  for (const p of processTree(pid).reverse()) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/** Executes one notebook; resolves {ok, result, figures, out, report, seconds}. */
function runOne(python, nbPath, { profile, timeoutS, outDir }) {
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, path.basename(nbPath));
  const nbSrc = JSON.parse(fs.readFileSync(nbPath, "utf8"));
  const cellTimeout = (nbSrc.metadata && nbSrc.metadata.tsdl && nbSrc.metadata.tsdl.cellTimeout) || 600;
  const env = jupyterEnv({ TSDL_PROFILE: profile, PYTHONUNBUFFERED: "1" });
  return new Promise((resolve) => {
    const t0 = Date.now();
    const args = [path.join(__dirname, "nbrun.py"), nbPath, out, `--timeout=${cellTimeout}`, `--deadline=${timeoutS}`];
    const child = spawn(python, args, {
      cwd: path.dirname(nbPath),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    // Last resort, if nbrun.py's own deadline did not end it: kill it and every process below it
    // (the kernel runs in a session of its own, out of reach of a process-group kill).
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child.pid);
    }, (timeoutS + 60) * 1000);
    child.on("close", () => {
      clearTimeout(timer);
      const seconds = (Date.now() - t0) / 1000;
      let result;
      try {
        result = JSON.parse(stdout.trim().split("\n").pop());
      } catch {
        result = { status: timedOut ? "timeout" : "error", message: timedOut ? `notebook exceeded ${timeoutS} s: raise --timeout or speed it up` : "the runner gave no result" };
      }
      if (timedOut) result = { ...result, status: "timeout", message: `notebook exceeded ${timeoutS} s and did not stop: killed (TSDL_NOTEBOOK_TIMEOUT / --timeout to raise the limit)` };
      let nb = null;
      try {
        nb = JSON.parse(fs.readFileSync(out, "utf8"));
      } catch {
        nb = null;
      }
      const figures = nb ? reportedFigures(nb) : {};
      let ok = result.status === "ok";
      let report;
      if (ok) {
        const { problems, checked } = checkFigures(nbSrc, figures, profile);
        if (problems.length) {
          ok = false;
          report = `✗ ${path.relative(ROOT, nbPath)}: reported figures out of bounds (${profile}): ${problems.join("; ")}`;
        } else {
          const figs = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === "number" ? +v.toFixed(4) : v}`).join(", ");
          report = `✓ ${path.relative(ROOT, nbPath)} (${profile}, ${seconds.toFixed(0)} s, ${result.cells} code cells${checked ? `, ${checked} figure checks` : ""})${figs ? ` — ${figs}` : ""}`;
        }
      } else {
        report = failureReport(nbPath, nb, result, stderr);
      }
      resolve({ ok, result, figures, out, report, seconds, stderr });
    });
  });
}

async function runNotebooks({ notebooks = listNotebooks(), profile = "fast", timeoutS, outDir = OUT_DIR, log = console.log } = {}) {
  const jupyter = findJupyter(["nbclient", "nbformat", "jupyter_client"]);
  if (!jupyter) throw new SetupError("no Python with nbclient found: run `npm test` (it installs Jupyter) or apt-get install python3-nbclient");
  const limit = timeoutS || Number(process.env.TSDL_NOTEBOOK_TIMEOUT) || (profile === "fast" ? 600 : 6 * 3600);
  const results = [];
  for (const nb of notebooks) {
    const problems = checkNoOutputs(nb);
    if (problems.length) {
      const r = { ok: false, nb, report: `✗ ${path.relative(ROOT, nb)}: committed with outputs (${problems.slice(0, 3).join("; ")}): clear them (Jupyter: Edit › Clear All Outputs) before committing` };
      log(r.report);
      results.push(r);
      continue;
    }
    const r = await runOne(jupyter.python, nb, { profile, timeoutS: limit, outDir });
    log(r.report);
    results.push({ ...r, nb });
  }
  return results;
}

module.exports = { runNotebooks, listNotebooks, checkNoOutputs, reportedFigures, checkFigures, stderrOfCell, OUT_DIR };

if (require.main === module) {
  const argv = process.argv.slice(2);
  let profile = process.env.TSDL_PROFILE || "fast";
  let timeoutS;
  const notebooks = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--profile") profile = argv[++i];
    else if (argv[i].startsWith("--profile=")) profile = argv[i].slice(10);
    else if (argv[i] === "--timeout") timeoutS = Number(argv[++i]);
    else if (argv[i].startsWith("--timeout=")) timeoutS = Number(argv[i].slice(10));
    else if (argv[i].startsWith("-")) {
      console.error(`unknown option "${argv[i]}" (see --help)`);
      process.exit(2);
    } else notebooks.push(path.resolve(argv[i]));
  }
  if (!["fast", "full"].includes(profile)) {
    console.error(`unknown profile "${profile}": use --profile fast or --profile full`);
    process.exit(2);
  }
  guard(async () => {
    const res = await runNotebooks({ notebooks: notebooks.length ? notebooks : undefined, profile, timeoutS });
    const failed = res.filter((r) => !r.ok).length;
    console.log(`notebooks: ${res.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  });
}
