// Notebook wall times for the bench: read from the executed copies in build/executed/ (nbclient records
// each cell's iopub busy/idle times in cell.metadata.execution), or measured by running the runner.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const ROOT = path.join(__dirname, "..", "..");
const NB_DIR = path.join(ROOT, "notebooks");
const EXEC_DIR = path.join(ROOT, "build", "executed");

const listNotebooks = () =>
  fs.readdirSync(NB_DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();

const outputText = (o) => {
  const t = o.text ?? (o.data && o.data["text/plain"]) ?? "";
  return Array.isArray(t) ? t.join("") : String(t);
};

/** Wall time of the cells of one executed notebook (kernel start-up not included). */
function readExecuted(file) {
  const execPath = path.join(EXEC_DIR, file);
  const srcPath = path.join(NB_DIR, file);
  if (!fs.existsSync(execPath)) return { notebook: file, status: "missing" };
  const nb = JSON.parse(fs.readFileSync(execPath, "utf8"));
  const code = nb.cells.filter((c) => c.cell_type === "code");
  let start = Infinity;
  let end = -Infinity;
  let done = 0;
  let error = false;
  let profile = null;
  for (const c of code) {
    const e = (c.metadata && c.metadata.execution) || {};
    const b = Date.parse(e["iopub.status.busy"] || e["iopub.execute_input"] || "");
    const i = Date.parse(e["iopub.status.idle"] || e["shell.execute_reply"] || "");
    if (Number.isFinite(b)) start = Math.min(start, b);
    if (Number.isFinite(i)) {
      end = Math.max(end, i);
      done++;
    }
    for (const o of c.outputs || []) {
      if (o.output_type === "error") error = true;
      // the course notebooks print their profile ("profil : fast {...}")
      const m = /\bprofil(?:e)?\s*:\s*(fast|full)\b/.exec(outputText(o));
      if (m && !profile) profile = m[1];
    }
  }
  const res = {
    notebook: file,
    status: error ? "error" : done < code.length ? "incomplete" : "ok",
    seconds: Number.isFinite(start) && end >= start ? Math.round((end - start) / 100) / 10 : null,
    cells: code.length,
    cellsDone: done,
    profile,
    executedAt: fs.statSync(execPath).mtime.toISOString(),
    stale: fs.existsSync(srcPath) && fs.statSync(srcPath).mtimeMs > fs.statSync(execPath).mtimeMs,
    source: "build/executed (cell times, kernel start not included)",
  };
  return res;
}

/** Runs one notebook with the project's runner (fast profile) and times the whole process. */
function runNotebook(file, log) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "run-notebooks.js"), "--profile", "fast", path.join(NB_DIR, file)], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, TSDL_PROFILE: "fast" },
  });
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  const line = (r.stdout || "").split("\n").find((l) => l.includes(file)) || "";
  log(line || `${file}: runner exit ${r.status}`);
  const cells = readExecuted(file);
  return {
    ...cells,
    status: r.status === 0 ? cells.status : "error",
    seconds,
    cellSeconds: cells.seconds,
    profile: "fast",
    stale: false,
    source: "run-notebooks.js --profile fast (whole process, kernel start included)",
  };
}

function notebookTimes({ run = false, only = null, log = console.error } = {}) {
  const files = listNotebooks().filter((f) => !only || only.some((o) => f.includes(o)));
  return files.map((f) => (run ? runNotebook(f, log) : readExecuted(f)));
}

module.exports = { notebookTimes, listNotebooks };
