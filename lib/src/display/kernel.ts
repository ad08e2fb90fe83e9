// Finding the tslab kernel this process runs in, and the seam tests use to replace it.
//
// tslab's public `display.raw` sends one MIME type per output; a full bundle needs its internal
// `lastWriteDisplayData` (module `tslab/dist/jupyter`), which tslab re-assigns on each execute
// request. We must use the *kernel's own* tslab module instance (another copy resolved from
// node_modules/tsdl would hold `null`), so we look it up in require.cache at each call.
import * as path from "path";
import type { DisplayMessage, DisplaySink } from "./types";
import { state } from "./state";

interface TslabJupyter {
  lastWriteDisplayData?: unknown;
}
interface TslabDisplay {
  raw(contentType: string, content: string): void;
}
interface TslabPublic {
  newDisplay(): TslabDisplay;
  display: TslabDisplay;
}

const JUPYTER_JS = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/** The folder of the tslab package that started this process, if tslab is the main module. */
function kernelTslabRoot(): string | undefined {
  const main = require.main?.filename;
  if (main === undefined) return undefined;
  const m = /^(.*[\\/]tslab)[\\/](bin[\\/]tslab|dist[\\/]main\.js)$/.exec(main);
  return m?.[1];
}

function cachedJupyterModules(): { file: string; mod: TslabJupyter }[] {
  const out: { file: string; mod: TslabJupyter }[] = [];
  for (const [file, entry] of Object.entries(require.cache)) {
    if (entry !== undefined && JUPYTER_JS.test(file)) out.push({ file, mod: entry.exports as TslabJupyter });
  }
  return out;
}

type WriteDisplayData = (message: DisplayMessage, update: boolean) => void;

/** The kernel's current `lastWriteDisplayData`, or undefined outside an executing tslab kernel. */
function lastWriteDisplayData(): WriteDisplayData | undefined {
  const root = kernelTslabRoot();
  const mods = cachedJupyterModules();
  // Prefer the instance under the tslab that started the process, then any live one.
  if (root !== undefined) mods.sort((a, b) => Number(b.file.startsWith(root)) - Number(a.file.startsWith(root)));
  for (const { mod } of mods) {
    if (typeof mod.lastWriteDisplayData === "function") return mod.lastWriteDisplayData as WriteDisplayData;
  }
  return undefined;
}

/** tslab's public API of the kernel, used when its internal API is missing (another tslab version). */
function kernelPublicApi(): TslabPublic | undefined {
  const root = kernelTslabRoot();
  if (root === undefined) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires -- runtime path, not a build dependency
    const pub = require(path.join(root, "dist", "public.js")) as Partial<TslabPublic>;
    return typeof pub.newDisplay === "function" && pub.display !== undefined ? (pub as TslabPublic) : undefined;
  } catch {
    return undefined;
  }
}

/** Public-API fallback: one MIME type per output (html preferred), display ids kept per output. */
function publicSink(pub: TslabPublic): DisplaySink {
  const byId = new Map<string, TslabDisplay>();
  return (message) => {
    const data = message.data;
    const mime = typeof data["text/html"] === "string" ? "text/html" : "text/plain";
    const content = String(data[mime] ?? "");
    const id = message.transient.display_id;
    if (id === undefined) return pub.display.raw(mime, content);
    let d = byId.get(id);
    if (d === undefined) {
      d = pub.newDisplay();
      byId.set(id, d);
    }
    d.raw(mime, content);
  };
}

let publicFallback: DisplaySink | undefined;

/** Where display messages go now: the test seam, the kernel, or `null` outside a kernel. */
export function currentSink(): DisplaySink | null {
  const s = state();
  if (s.sinkOverride !== undefined) return s.sinkOverride;
  const write = lastWriteDisplayData();
  // Re-read at send time: a sink kept across cells must follow tslab's per-request re-assignment.
  if (write !== undefined) return (message, update) => (lastWriteDisplayData() ?? write)(message, update);
  const pub = kernelPublicApi();
  if (pub !== undefined) return (publicFallback ??= publicSink(pub));
  return null;
}

/** True when outputs go to a notebook (a tslab kernel, or a sink set with `setDisplaySink`). */
export function inKernel(): boolean {
  return currentSink() !== null;
}

/**
 * Test seam: send every display message to `sink` (a fake kernel); `null` behaves as outside a
 * kernel; `undefined` restores detection of the tslab kernel.
 */
export function setDisplaySink(sink: DisplaySink | null | undefined): void {
  state().sinkOverride = sink;
}

/** Forget that plotly.js was sent: the next figure embeds it again (e.g. after its cell was cleared). */
export function resetDisplaySession(): void {
  state().plotlyEmbedded = false;
}
