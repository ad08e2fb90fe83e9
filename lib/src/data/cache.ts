// Where datasets are cached, and how files get there without ever leaving a half-written one:
// everything is written to a temporary name in the same folder, verified, then renamed (atomic on POSIX).
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * The dataset cache folder: `$TSDL_DATA_DIR` if set; else `<repo>/datasets`, the repo being the nearest
 * ancestor of the working directory holding a `package.json` named `tsdl-course` and a `datasets/`
 * folder (notebooks run from `notebooks/`, tests from the root); else `~/.cache/tsdl`.
 */
export function dataDir(): string {
  const env = process.env.TSDL_DATA_DIR;
  if (env) return ensureDir(path.resolve(env));
  let dir = process.cwd();
  for (;;) {
    if (isCourseRoot(dir)) return path.join(dir, "datasets");
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return ensureDir(path.join(os.homedir(), ".cache", "tsdl"));
}

function isCourseRoot(dir: string): boolean {
  try {
    if (!fs.statSync(path.join(dir, "datasets")).isDirectory()) return false;
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown };
    return pkg.name === "tsdl-course";
  } catch {
    return false;
  }
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A unique sibling name for `target`, so concurrent writers never clash. */
export function tempName(target: string): string {
  return `${target}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
}

export function md5(data: Uint8Array): string {
  return crypto.createHash("md5").update(data).digest("hex");
}

/** Writes `data` to `target` through a temporary file and a rename. */
export function writeFileAtomic(target: string, data: Uint8Array | string): void {
  ensureDir(path.dirname(target));
  const tmp = tempName(target);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export interface DownloadOptions {
  /** Expected md5 (hex) of the file: a mismatch rejects the download and leaves nothing in the cache. */
  md5?: string;
  /** Per-URL timeout in ms (default 60 s, `TSDL_DOWNLOAD_TIMEOUT_MS` overrides). */
  timeoutMs?: number;
}

/**
 * Downloads the first of `urls` that answers with the right checksum into `target` (temporary name,
 * checksum, rename). Throws one error listing every URL tried and why it failed.
 */
export async function downloadFile(urls: string | string[], target: string, opts: DownloadOptions = {}): Promise<void> {
  const list = Array.isArray(urls) ? urls : [urls];
  const timeoutMs = opts.timeoutMs ?? (Number(process.env.TSDL_DOWNLOAD_TIMEOUT_MS) || 60000);
  const failures: string[] = [];
  for (const url of list) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      const data = new Uint8Array(await res.arrayBuffer());
      if (opts.md5) {
        const got = md5(data);
        if (got !== opts.md5.toLowerCase()) {
          throw new Error(`checksum mismatch: md5 ${got}, expected ${opts.md5} (truncated or altered download)`);
        }
      }
      writeFileAtomic(target, data);
      return;
    } catch (e) {
      failures.push(`  ${url}: ${describe(e)}`);
    }
  }
  throw new Error(
    `Could not download ${path.basename(target)}:\n${failures.join("\n")}\n` +
      `Fix: check the network, or put a verified copy at ${target}.`,
  );
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}

/**
 * Returns the cached `target` if its md5 matches, else (re)downloads it. A corrupt cached copy is
 * announced and replaced, never used.
 */
export async function fetchVerified(urls: string[], target: string, expectedMd5: string): Promise<Uint8Array> {
  if (fs.existsSync(target)) {
    const data = fs.readFileSync(target);
    if (md5(data) === expectedMd5) return data;
    console.warn(`tsdl: cached ${target} is corrupt (md5 mismatch): downloading it again.`);
    fs.rmSync(target, { force: true });
  }
  await downloadFile(urls, target, { md5: expectedMd5 });
  return fs.readFileSync(target);
}
