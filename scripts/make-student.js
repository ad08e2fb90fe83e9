// Student versions of the solution notebooks: every marked solution block is replaced by the
// exercise placeholder (as in the seeds' "Complete this part" cells).
//   code:      // BEGIN SOLUTION … // END SOLUTION
//   markdown:  <!-- BEGIN SOLUTION --> … <!-- END SOLUTION -->
// `npm start` writes them to notebooks/exercices/ and never overwrites a copy the student edited.
//   node scripts/make-student.js [output folder]   (default notebooks/exercices/)
"use strict";
require("./cli-args").helpFromHeader(__filename);
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const NB_DIR = path.join(ROOT, "notebooks");
const CODE_BEGIN = /^([ \t]*)\/\/\s*BEGIN SOLUTION\s*$/;
const CODE_END = /^[ \t]*\/\/\s*END SOLUTION\s*$/;
const MD_BEGIN = /^\s*<!--\s*BEGIN SOLUTION\s*-->\s*$/;
const MD_END = /^\s*<!--\s*END SOLUTION\s*-->\s*$/;
const CODE_PLACEHOLDER = "// ####### À compléter ############################################";
const MD_PLACEHOLDER = "*À vous : écrivez ici votre réponse.*";
const MANIFEST = ".generated.json";

const text = (src) => (Array.isArray(src) ? src.join("") : src || "");
const toSource = (s) => s.split(/(?<=\n)/);

/** Replaces solution blocks in one cell's text; returns {text, blocks}. Throws on unbalanced markers. */
function stripCell(src, kind, where) {
  const [begin, end] = kind === "code" ? [CODE_BEGIN, CODE_END] : [MD_BEGIN, MD_END];
  const out = [];
  let inside = false;
  let blocks = 0;
  for (const line of src.split("\n")) {
    const b = line.match(begin);
    if (b) {
      if (inside) throw new Error(`${where}: BEGIN SOLUTION inside another solution block`);
      inside = true;
      blocks++;
      out.push(kind === "code" ? `${b[1]}${CODE_PLACEHOLDER}` : MD_PLACEHOLDER);
      continue;
    }
    if (end.test(line)) {
      if (!inside) throw new Error(`${where}: END SOLUTION without BEGIN SOLUTION`);
      inside = false;
      continue;
    }
    if (!inside) out.push(line);
  }
  if (inside) throw new Error(`${where}: BEGIN SOLUTION is never closed by END SOLUTION`);
  return { text: out.join("\n"), blocks };
}

/** The student version of a solution notebook (a new object). */
function studentVersion(nb, name = "notebook") {
  const copy = JSON.parse(JSON.stringify(nb));
  let exercises = 0;
  copy.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code" && cell.cell_type !== "markdown") return;
    const r = stripCell(text(cell.source), cell.cell_type, `${name}, cell ${i}`);
    if (r.blocks) {
      exercises += r.blocks;
      cell.source = toSource(r.text);
      cell.metadata = { ...(cell.metadata || {}), tsdl_exercise: true };
    }
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
  });
  copy.metadata = { ...(copy.metadata || {}), tsdl: { ...((copy.metadata || {}).tsdl || {}), student: true, exercises } };
  return copy;
}

/** Problems of a student version: markers left, exercise cells without placeholder, TS syntax errors. */
function validateStudent(nb, name = "notebook") {
  const ts = require(path.join(ROOT, "node_modules", "typescript"));
  const problems = [];
  nb.cells.forEach((cell, i) => {
    const src = text(cell.source);
    if (/BEGIN SOLUTION|END SOLUTION/.test(src)) problems.push(`${name} cell ${i}: a solution marker is left`);
    if (cell.metadata && cell.metadata.tsdl_exercise) {
      const ph = cell.cell_type === "code" ? CODE_PLACEHOLDER : MD_PLACEHOLDER;
      if (!src.includes(ph)) problems.push(`${name} cell ${i}: exercise cell without placeholder`);
    }
    if (cell.cell_type === "code") {
      const sf = ts.createSourceFile(`cell${i}.ts`, src, ts.ScriptTarget.ES2021, false, ts.ScriptKind.TS);
      for (const d of sf.parseDiagnostics || []) {
        problems.push(`${name} cell ${i}: TypeScript syntax: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
      }
    }
  });
  if (!nb.metadata || !nb.metadata.tsdl || !nb.metadata.tsdl.exercises) problems.push(`${name}: no exercise found`);
  return problems;
}

const sha = (s) => crypto.createHash("sha256").update(s).digest("hex");

function writeAtomic(file, content) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** Writes the student versions of notebooks/NN-*.ipynb to outDir. With keepEdited, a copy whose
 *  content differs from what was last generated (the student worked in it) is left untouched. */
function makeStudentVersions({ outDir, keepEdited = false, notebooks } = {}) {
  const list = notebooks || fs.readdirSync(NB_DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort().map((f) => path.join(NB_DIR, f));
  fs.mkdirSync(outDir, { recursive: true });
  const manifestPath = path.join(outDir, MANIFEST);
  let manifest = {};
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  } catch {
    manifest = {};
  }
  const written = [];
  const kept = [];
  for (const src of list) {
    const name = path.basename(src);
    const student = studentVersion(JSON.parse(fs.readFileSync(src, "utf8")), name);
    const content = JSON.stringify(student, null, 1) + "\n";
    const dest = path.join(outDir, name);
    if (keepEdited && fs.existsSync(dest)) {
      const current = sha(fs.readFileSync(dest, "utf8"));
      if (current === sha(content)) continue;
      if (manifest[name] !== current) {
        kept.push(dest);
        continue;
      }
    }
    writeAtomic(dest, content);
    manifest[name] = sha(content);
    written.push(dest);
  }
  writeAtomic(manifestPath, JSON.stringify(manifest, null, 1));
  return { written, kept };
}

module.exports = { studentVersion, validateStudent, makeStudentVersions, stripCell, CODE_PLACEHOLDER, MD_PLACEHOLDER };

if (require.main === module) {
  const arg = process.argv[2];
  if (arg && arg.startsWith("-")) {
    console.error(`unknown option "${arg}": the only argument is the output folder (see --help)`);
    process.exit(2);
  }
  const outDir = path.resolve(arg || path.join(NB_DIR, "exercices"));
  const r = makeStudentVersions({ outDir, keepEdited: true });
  for (const f of r.written) console.log(`written ${path.relative(ROOT, f)}`);
  for (const f of r.kept) console.log(`kept (edited by you) ${path.relative(ROOT, f)}`);
}
