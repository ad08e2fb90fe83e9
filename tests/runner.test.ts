// The headless notebook runner and the student-version generator, on small notebooks made here,
// executed by the real tslab kernel through nbclient (a real Jupyter round trip).
import * as fs from "fs";
import * as path from "path";

interface RunResult { ok: boolean; report: string; figures: Record<string, unknown>; result: { status: string; cell?: number } }
interface Runner {
  runNotebooks(o: { notebooks: string[]; profile?: string; timeoutS?: number; outDir?: string; log?: (line: string) => void }): Promise<RunResult[]>;
  checkNoOutputs(p: string): string[];
}
interface Students {
  studentVersion(nb: Notebook, name?: string): Notebook;
  validateStudent(nb: Notebook, name?: string): string[];
  makeStudentVersions(o: { outDir: string; keepEdited?: boolean; notebooks?: string[] }): { written: string[]; kept: string[] };
  CODE_PLACEHOLDER: string;
}
interface Cell { cell_type: string; source: string | string[]; metadata: Record<string, unknown>; outputs?: unknown[]; execution_count?: number | null }
interface Notebook { cells: Cell[]; metadata: Record<string, unknown>; nbformat: number; nbformat_minor: number }

// eslint-disable-next-line @typescript-eslint/no-var-requires
const runner: Runner = require("../scripts/run-notebooks");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const students: Students = require("../scripts/make-student");

const kernelReady = fs.existsSync(path.join(__dirname, "..", ".jupyter", "share", "jupyter", "kernels", "tslab", "kernel.json"));
const withKernel = kernelReady ? describe : describe.skip;
if (!kernelReady) console.warn("runner tests skipped: run `npm test` (it registers the tslab kernel) first");

const quiet = (): void => undefined;
// Inside the repository (build/ is ignored), so that the notebooks resolve `tsdl` from its node_modules: tslab
// type-checks an import against the notebook's folder and its parents only.
fs.mkdirSync(path.join(__dirname, "..", "build"), { recursive: true });
const tmp = fs.mkdtempSync(path.join(__dirname, "..", "build", "tsdl-runner-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function notebook(cells: Array<{ code?: string; md?: string }>, tsdl: Record<string, unknown> = {}): Notebook {
  return {
    cells: cells.map((c) =>
      c.md != null
        ? { cell_type: "markdown", metadata: {}, source: c.md }
        : { cell_type: "code", metadata: {}, source: c.code ?? "", outputs: [], execution_count: null },
    ),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, tsdl },
    nbformat: 4,
    nbformat_minor: 4,
  };
}

/** tslab kernels alive now whose working folder is `dir` (a kernel runs in its notebook's folder, so
 *  kernels of other tests running at the same time are not counted). Linux /proc. */
function kernelsIn(dir: string): number {
  const real = fs.realpathSync(dir);
  let n = 0;
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes("tslab\0kernel") && fs.readlinkSync(`/proc/${d}/cwd`) === real) n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

function write(name: string, nb: Notebook): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, JSON.stringify(nb));
  return p;
}

withKernel("notebook runner (tslab kernel)", () => {
  const outDir = path.join(tmp, "out");

  test("a notebook that runs passes, and its reported figures are checked", async () => {
    const nb = write("10-ok.ipynb", notebook([
      { code: 'const a: number = 20;\nconsole.log("a =", a);' },
      { code: 'import { report } from "tsdl";\nreport({ score: a / 40 });' },
    ], { checks: { fast: { score: { min: 0.4 } } } }));
    const [r] = await runner.runNotebooks({ log: quiet, notebooks: [nb], outDir });
    expect(r.report).toMatch(/✓/);
    expect(r.ok).toBe(true);
    expect(r.figures.score).toBeCloseTo(0.5);
    const executed = JSON.parse(fs.readFileSync(path.join(outDir, "10-ok.ipynb"), "utf8")) as Notebook;
    expect(JSON.stringify(executed.cells[0].outputs)).toContain("a = 20");
  });

  test("a figure below its threshold fails the notebook", async () => {
    const nb = write("11-low.ipynb", notebook([{ code: 'import { report } from "tsdl";\nreport({ score: 0.1 });' }], { checks: { fast: { score: { min: 0.4 }, missing: { min: 0 } } } }));
    const [r] = await runner.runNotebooks({ log: quiet, notebooks: [nb], outDir });
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/score = 0.1 < 0.4/);
    expect(r.report).toMatch(/"missing" was not reported/);
  });

  test("a throwing cell is reported with its number, first lines and the kernel's message", async () => {
    const nb = write("12-throw.ipynb", notebook([{ code: "const x = 1;" }, { code: 'if (x > 0) {\n  throw new Error("boom in cell two");\n}' }, { code: "console.log('never');" }]));
    const [r] = await runner.runNotebooks({ log: quiet, notebooks: [nb], outDir });
    expect(r.ok).toBe(false);
    expect(r.result.cell).toBe(1);
    expect(r.report).toMatch(/cell 1 error — Error: boom in cell two/);
    expect(r.report).toMatch(/\| if \(x > 0\) \{/);
  });

  test("a type error is reported with the compiler's message", async () => {
    const nb = write("13-type.ipynb", notebook([{ code: 'const n: number = "text";' }]));
    const [r] = await runner.runNotebooks({ log: quiet, notebooks: [nb], outDir });
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/Type 'string' is not assignable to type 'number'/);
  });

  test("a kernel that dies is reported as such", async () => {
    const nb = write("14-dies.ipynb", notebook([{ code: "process.exit(3);" }]));
    const [r] = await runner.runNotebooks({ log: quiet, notebooks: [nb], outDir });
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/dead-kernel|died/);
  });

  test("a notebook past its time limit is stopped and reported", async () => {
    const nb = write("15-slow.ipynb", notebook([{ code: "await new Promise((r) => setTimeout(r, 120000));" }]));
    const t0 = Date.now();
    const [r] = await runner.runNotebooks({ log: quiet, notebooks: [nb], outDir, timeoutS: 8 });
    expect(Date.now() - t0).toBeLessThan(30000);
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/timeout — notebook exceeded 8 s/);
    // the kernel was shut down, not orphaned
    await new Promise((res) => setTimeout(res, 1000));
    expect(kernelsIn(tmp)).toBe(0);
  });

  test("a notebook committed with outputs is refused before running", async () => {
    const nb = notebook([{ code: "1 + 1" }]);
    nb.cells[0].outputs = [{ output_type: "stream", name: "stdout", text: "2" }];
    const p = write("16-outputs.ipynb", nb);
    expect(runner.checkNoOutputs(p)).toEqual(["cell 0 has 1 output(s)"]);
    const [r] = await runner.runNotebooks({ log: quiet, notebooks: [p], outDir });
    expect(r.ok).toBe(false);
    expect(r.report).toMatch(/committed with outputs/);
  });
});

describe("student versions", () => {
  const solution = notebook([
    { md: "Exercice : dérivez.\n<!-- BEGIN SOLUTION -->\nLa dérivée vaut 3.\n<!-- END SOLUTION -->" },
    { code: "const f = (x: number) => 3 * x;\n// BEGIN SOLUTION\nconst d = 3;\n// END SOLUTION\nconsole.log(d);" },
    { code: "function g(): number[] {\n  const out: number[] = [];\n  // BEGIN SOLUTION\n  for (let i = 0; i < 3; i++) {\n    out.push(i);\n  }\n  // END SOLUTION\n  return out;\n}" },
  ]);

  test("solution blocks are replaced by the placeholder, and the code still parses", () => {
    const s = students.studentVersion(solution, "x.ipynb");
    const all = JSON.stringify(s.cells);
    expect(all).not.toMatch(/SOLUTION|La dérivée vaut 3|out\.push/);
    expect(s.cells[1].source.toString()).toContain(students.CODE_PLACEHOLDER);
    expect(s.cells[2].source.toString()).toContain(`  ${students.CODE_PLACEHOLDER}`);
    expect(students.validateStudent(s, "x.ipynb")).toEqual([]);
  });

  test("unbalanced markers are an error naming the cell", () => {
    const bad = notebook([{ code: "// BEGIN SOLUTION\nconst a = 1;" }]);
    expect(() => students.studentVersion(bad, "bad.ipynb")).toThrow(/bad.ipynb, cell 0: BEGIN SOLUTION is never closed/);
  });

  test("validation catches a syntax error and a missing placeholder", () => {
    const s = students.studentVersion(solution, "x.ipynb");
    s.cells[1].source = "const = ;";
    expect(students.validateStudent(s, "x.ipynb").join("\n")).toMatch(/cell 1: exercise cell without placeholder[\s\S]*TypeScript syntax/);
  });

  test("a student's edited copy is never overwritten", () => {
    const src = write("20-ex.ipynb", solution);
    const outDir = path.join(tmp, "exercices");
    const first = students.makeStudentVersions({ outDir, keepEdited: true, notebooks: [src] });
    expect(first.written).toHaveLength(1);
    const again = students.makeStudentVersions({ outDir, keepEdited: true, notebooks: [src] });
    expect(again.written).toHaveLength(0);
    fs.appendFileSync(first.written[0], " ");
    const edited = fs.readFileSync(first.written[0], "utf8");
    const third = students.makeStudentVersions({ outDir, keepEdited: true, notebooks: [src] });
    expect(third.kept).toHaveLength(1);
    expect(fs.readFileSync(first.written[0], "utf8")).toBe(edited);
  });
});
