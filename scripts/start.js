// `npm start`: set everything up, then open the course in JupyterLab (or the classic notebook),
// bound to 127.0.0.1 with a token, rooted at notebooks/.
"use strict";
require("./cli-args").helpFromHeader(__filename);
const path = require("path");
const { spawn } = require("child_process");
const { ROOT, setup, guard, log, jupyterEnv } = require("./setup");
const { makeStudentVersions } = require("./make-student");

guard(async () => {
  const jupyter = setup();
  const made = makeStudentVersions({ outDir: path.join(ROOT, "notebooks", "exercices"), keepEdited: true });
  if (made.written.length) log(`student versions written: ${made.written.map((f) => path.basename(f)).join(", ")}`);
  if (made.kept.length) log(`edited student versions kept as they are: ${made.kept.map((f) => path.basename(f)).join(", ")}`);

  const app = jupyter.lab ? "jupyterlab" : "notebook";
  const args = ["-m", app, "--ip=127.0.0.1", `--notebook-dir=${path.join(ROOT, "notebooks")}`];
  if (process.env.TSDL_NO_BROWSER || process.env.CI) args.push("--no-browser");
  if (process.env.TSDL_PORT) args.push(`--port=${process.env.TSDL_PORT}`);
  // Jupyter refuses to run as root without this (containers, CI machines often are root).
  if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--allow-root");
  log(`opening the course with ${jupyter.lab ? "JupyterLab" : "the classic Jupyter notebook"} (${jupyter.python}); the URL below carries the access token.`);
  if (!jupyter.lab) log("JupyterLab is not installed: `pip install jupyterlab` to get it (npm start then prefers it).");

  const child = spawn(jupyter.python, args, { cwd: ROOT, env: jupyterEnv(), stdio: "inherit" });
  const stop = (sig) => child.kill(sig);
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return await new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
});
