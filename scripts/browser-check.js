// Browser check of executed notebooks: export each to HTML with Jupyter's nbconvert, open it in
// headless Debian Chromium (playwright-core, no browser download) and assert that every Plotly
// figure of the notebook drew its traces, with no JavaScript error.
//   node scripts/browser-check.js [--out DIR] [--no-screenshot] [--timeout SECONDS] executed.ipynb...
// Exit status: 0 all good, 1 a notebook failed, 2 set-up problem (no Chromium, no nbconvert).
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const PLOTLY_MIME = "application/vnd.plotly.v1+json";
const DEFAULT_CHROMIUM = process.env.TSDL_CHROMIUM || "/usr/bin/chromium";
const JUPYTER_PYTHON = "/usr/bin/python3"; // the python3 on PATH is a pyenv without Jupyter

class SetupError extends Error {}

/** The Plotly figures a notebook's outputs hold: one entry per output, with its trace count. */
function expectedFigures(nb) {
  const figs = [];
  (nb.cells || []).forEach((cell, c) => {
    for (const out of cell.outputs || []) {
      const fig = out.data && out.data[PLOTLY_MIME];
      if (!fig) continue;
      const data = typeof fig === "string" ? JSON.parse(fig).data : fig.data;
      const types = (data || []).map((t) => (t && t.type) || "scatter");
      const visible = (data || []).map((t) => (t && t.visible === false ? false : true));
      figs.push({ cell: c, traces: types.length, types, visible });
    }
  });
  return figs;
}

function exportHtml(nbPath, outDir, name) {
  const r = spawnSync(
    JUPYTER_PYTHON,
    ["-m", "nbconvert", "--to", "html", "--output-dir", outDir, "--output", name, nbPath],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.error) throw new SetupError(`nbconvert could not start (${r.error.message}): apt-get install jupyter-nbconvert`);
  if (r.status !== 0) {
    const why = (r.stderr || "").trim().split("\n").slice(-3).join(" | ");
    if (/No module named nbconvert/.test(why)) throw new SetupError(`nbconvert missing for ${JUPYTER_PYTHON}: apt-get install jupyter-nbconvert`);
    return { error: `nbconvert failed: ${why}` };
  }
  return { file: path.join(outDir, `${name}.html`) };
}

/**
 * Where plotly.js draws each trace type: one element per drawn trace, by CSS selector. Scatter,
 * bar (histogram), box, violin: an SVG trace group; heatmap: a bitmap; contour (tsdl's tune
 * plots): a group in the contour layer; image: an <image>; parcoords: an SVG group per trace
 * (axes and brushes) over its WebGL lines. A type not listed here is not counted.
 */
const TRACE_ELEMENTS = {
  scatter: ".scatterlayer .trace",
  bar: ".barlayer .trace",
  histogram: ".barlayer .trace",
  box: ".boxlayer .trace",
  violin: ".violinlayer .trace",
  heatmap: ".heatmaplayer .hm image, .heatmaplayer image",
  contour: ".contourlayer .contour",
  image: ".imagelayer .im image, .imagelayer image",
  parcoords: "g.parcoords",
};

/** In the page: the state of every tsdl figure div (drawn or not, drawn elements per selector). */
function pageFigures(traceElements) {
  const figs = [...document.querySelectorAll(".tsdl-figure, .js-plotly-plot")].filter(
    (el, i, all) => all.indexOf(el) === i && !(el.parentElement && el.parentElement.closest(".js-plotly-plot")),
  );
  return figs.map((el) => {
    // A figure whose script failed has its svg replaced by a message (see lib/src/display/figure.ts).
    const drawn = el.classList.contains("js-plotly-plot") && !!el._fullLayout && !!el.querySelector(".main-svg");
    const elements = {};
    for (const sel of new Set(Object.values(traceElements))) elements[sel] = el.querySelectorAll(sel).length;
    const box = el.getBoundingClientRect();
    return {
      id: el.id,
      drawn,
      types: drawn && el._fullData ? el._fullData.map((t) => t.type) : [],
      visible: drawn && el._fullData ? el._fullData.map((t) => t.visible) : [],
      elements,
      // parcoords draws its lines with WebGL: a page without it shows plotly's "WebGL" message.
      noWebGl: !!el.querySelector(".no-webgl, .gl-container .no-webgl") || /WebGL is not supported/.test(el.textContent || ""),
      text: drawn ? "" : (el.textContent || "").trim().slice(0, 200),
      width: Math.round(box.width),
      height: Math.round(box.height),
    };
  });
}

/** Drawn trace elements of a figure, each selector counted once (bar and histogram share one). */
function drawnCount(f) {
  return Object.values(f.elements).reduce((a, n) => a + n, 0);
}

/** Traces of a figure that should be drawn but are missing, by type: "2/3 contour". */
function missingTraces(f, want) {
  const expected = {};
  want.types.forEach((t, k) => {
    if (!TRACE_ELEMENTS[t] || want.visible[k] === false || f.visible[k] !== true) return;
    const sel = TRACE_ELEMENTS[t];
    (expected[sel] = expected[sel] || { n: 0, types: new Set() }).n++;
    expected[sel].types.add(t);
  });
  return Object.entries(expected)
    .filter(([sel, e]) => (f.elements[sel] || 0) < e.n)
    .map(([sel, e]) => `${f.elements[sel] || 0}/${e.n} ${[...e.types].join("/")} drawn`);
}

async function checkOne(browser, nbPath, opts, name) {
  const result = { notebook: nbPath, ok: false, expected: 0, drawn: 0, traces: 0, errors: [], reason: "" };
  let nb;
  try {
    nb = JSON.parse(fs.readFileSync(nbPath, "utf8"));
  } catch (e) {
    result.reason = `cannot read notebook: ${e.message}`;
    return result;
  }
  const expected = expectedFigures(nb);
  result.expected = expected.length;
  const exp = exportHtml(nbPath, opts.outDir, name);
  if (exp.error) {
    result.reason = exp.error;
    return result;
  }
  result.html = exp.file;

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  const firstLine = (t) => String(t).split("\n")[0].slice(0, 300);
  page.on("pageerror", (e) => errors.push(`page error: ${firstLine(e.message)}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${firstLine(m.text())}`);
  });
  // The nbconvert template loads require.js and MathJax from a CDN; we are offline: answer those
  // requests with an empty script, so that only the notebook's own code is judged.
  let stubbed = 0;
  await page.route(/^https?:\/\//, (route) => {
    stubbed++;
    return route.fulfill({ status: 200, contentType: "application/javascript", body: "" });
  });
  try {
    // Parsing the 10 MB of plotly.js takes seconds on a busy machine: the load gets its own limit.
    await page.goto(`file://${path.resolve(exp.file)}`, { waitUntil: "load", timeout: Math.max(120000, opts.timeoutMs) });
    // Wait until every figure is drawn, or has given up (its div then holds a message).
    await page
      .waitForFunction(
        (n) => {
          const divs = document.querySelectorAll(".tsdl-figure");
          const plots = document.querySelectorAll(".js-plotly-plot");
          const settled = [...divs].every((d) => d._fullLayout || (d.textContent || "").trim() !== "");
          return plots.length >= n && settled;
        },
        expected.length,
        { timeout: opts.timeoutMs, polling: 100 },
      )
      .catch(() => {});
    await page.waitForTimeout(200); // let plotly finish its async layout passes
    const figs = await page.evaluate(pageFigures, TRACE_ELEMENTS);
    result.drawn = figs.filter((f) => f.drawn).length;
    result.traces = figs.reduce((a, f) => a + drawnCount(f), 0);
    const problems = [];
    if (figs.length !== expected.length || result.drawn !== expected.length) {
      problems.push(`${result.drawn}/${expected.length} Plotly figures drawn (${figs.length} plot containers in the page)`);
    }
    figs.forEach((f, i) => {
      const want = expected[i];
      if (!f.drawn) {
        problems.push(`figure ${i + 1}${want ? ` (cell ${want.cell})` : ""} not drawn${f.text ? `: "${f.text}"` : ""}`);
        return;
      }
      if (!want) return;
      const where = `figure ${i + 1} (cell ${want.cell})`;
      if (f.types.length !== want.traces) problems.push(`${where}: ${f.types.length}/${want.traces} traces`);
      want.types.forEach((t, k) => {
        // plotly.js turns an unknown type (e.g. heatmapgl, removed in v3) into a scatter.
        if (f.types[k] !== undefined && f.types[k] !== t) problems.push(`${where}: trace ${k} "${t}" drawn as "${f.types[k]}" (unknown trace type to this plotly.js)`);
        else if (f.visible[k] === false && want.visible[k] !== false) problems.push(`${where}: trace ${k} (${t}) hidden by plotly.js: invalid data`);
      });
      if (want.traces > 0 && drawnCount(f) === 0) problems.push(`${where}: no trace element drawn`);
      else for (const m of missingTraces(f, want)) problems.push(`${where}: ${m}`);
      if (f.noWebGl) problems.push(`${where}: plotly.js reports no WebGL (parcoords lines not drawn)`);
      if (f.width === 0 || f.height === 0) problems.push(`figure ${i + 1}: zero size (${f.width}×${f.height})`);
    });
    problems.push(...errors);
    result.errors = errors;
    result.figures = figs;
    result.stubbedRequests = stubbed;
    if (opts.screenshot) {
      result.screenshot = path.join(opts.outDir, `${name}.png`);
      await page.screenshot({ path: result.screenshot, fullPage: true });
    }
    result.ok = problems.length === 0;
    result.reason = problems.join("; ");
  } catch (e) {
    result.reason = `browser: ${e.message.split("\n")[0]}`;
  } finally {
    await page.close();
  }
  return result;
}

function loadPlaywright() {
  try {
    return require("playwright-core");
  } catch {
    throw new SetupError("playwright-core is missing: run `npm ci` at the repository root.");
  }
}

/**
 * Check executed notebooks in headless Chromium. Returns one result per notebook:
 * { notebook, ok, expected, drawn, traces, errors, reason, html, screenshot? }.
 * Throws (SetupError) when Chromium, playwright-core or nbconvert is missing.
 */
async function checkNotebooks(paths, opts = {}) {
  const o = {
    outDir: opts.outDir || path.join(process.cwd(), "build", "html"),
    chromium: opts.chromium || DEFAULT_CHROMIUM,
    screenshot: opts.screenshot !== false,
    timeoutMs: opts.timeoutMs || 30000,
    log: opts.log === undefined ? (s) => console.log(s) : opts.log || (() => {}),
  };
  if (!fs.existsSync(o.chromium)) throw new SetupError(`Chromium not found at ${o.chromium}: apt-get install chromium`);
  const { chromium } = loadPlaywright();
  fs.mkdirSync(o.outDir, { recursive: true });
  const browser = await chromium.launch({ executablePath: o.chromium, headless: true, args: ["--disable-gpu", "--disable-dev-shm-usage"] });
  const results = [];
  const used = new Set();
  try {
    for (const nb of paths) {
      let name = path.basename(nb, ".ipynb");
      for (let i = 2; used.has(name); i++) name = `${path.basename(nb, ".ipynb")}-${i}`;
      used.add(name);
      const r = await checkOne(browser, nb, o, name);
      results.push(r);
      o.log(
        r.ok
          ? `✓ browser ${nb}: ${r.drawn}/${r.expected} figures drawn, ${r.traces} trace elements`
          : `✗ browser ${nb}: ${r.reason}`,
      );
    }
  } finally {
    await browser.close();
  }
  return results;
}

async function main(argv) {
  const paths = [];
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") opts.outDir = argv[++i];
    else if (a === "--no-screenshot") opts.screenshot = false;
    else if (a === "--timeout") opts.timeoutMs = 1000 * Number(argv[++i]);
    else if (a === "--chromium") opts.chromium = argv[++i];
    else if (a === "-h" || a === "--help") {
      console.log("usage: node scripts/browser-check.js [--out DIR] [--no-screenshot] [--timeout S] [--chromium PATH] executed.ipynb...");
      return 0;
    } else paths.push(a);
  }
  if (paths.length === 0) {
    console.error("browser-check: give the executed notebooks (.ipynb) to check.");
    return 2;
  }
  try {
    const results = await checkNotebooks(paths, opts);
    return results.every((r) => r.ok) ? 0 : 1;
  } catch (e) {
    if (e instanceof SetupError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
}

module.exports = { checkNotebooks, expectedFigures, SetupError, TRACE_ELEMENTS };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`browser-check: ${e.stack || e}`);
      process.exit(1);
    },
  );
}
