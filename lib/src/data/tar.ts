// A minimal reader for (ustar / GNU) tar archives: enough for cifar-10-binary.tar.gz, with the safety
// checks an extractor needs — no absolute paths, no `..`, no links, nothing outside the target folder.
import * as fs from "fs";
import * as path from "path";
import { ensureDir, tempName } from "./cache";
import { maybeGunzip } from "./idx";

export interface TarEntry {
  /** Path inside the archive, `/`-separated, validated as relative and not escaping. */
  name: string;
  type: "file" | "directory";
  data: Uint8Array;
}

const BLOCK = 512;

function cString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  return Buffer.from(block.subarray(offset, end)).toString("utf8");
}

function octal(block: Uint8Array, offset: number, length: number, file: string): number {
  const text = cString(block, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`${file}: corrupt tar header (bad octal field "${text}").`);
  return text === "" ? 0 : parseInt(text, 8);
}

/** Rejects names that would escape the extraction folder. */
export function checkEntryName(name: string, file: string): string {
  const unified = name.replace(/\\/g, "/");
  if (unified.startsWith("/") || /^[A-Za-z]:/.test(unified)) {
    throw new Error(`${file}: tar entry "${name}" has an absolute path; refusing to extract it (the archive is unsafe).`);
  }
  if (unified.split("/").includes("..")) {
    throw new Error(`${file}: tar entry "${name}" escapes its folder with ".."; refusing to extract it (the archive is unsafe).`);
  }
  return unified.replace(/^(\.\/)+/, "");
}

/** Lists the entries of a tar archive (gzipped or not). Links and special files are rejected. */
export function readTar(bytes: Uint8Array, file: string): TarEntry[] {
  const tar = maybeGunzip(bytes, file);
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return entries; // end-of-archive marker
    const stored = octal(header, 148, 8, file);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    if (sum !== stored) throw new Error(`${file}: corrupt tar header at byte ${offset} (checksum). Fix: fetch the archive again.`);
    const size = octal(header, 124, 12, file);
    const typeFlag = String.fromCharCode(header[156] || 0x30);
    const prefix = cString(header, 257, 6) === "ustar" ? cString(header, 345, 155) : "";
    let name = longName ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
    longName = null;
    const start = offset + BLOCK;
    if (start + size > tar.length) throw new Error(`${file}: truncated tar archive (entry "${name}"). Fix: fetch the archive again.`);
    const data = tar.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (typeFlag === "L") {
      longName = cString(data, 0, data.length); // GNU long name for the next entry
      continue;
    }
    if (typeFlag === "x" || typeFlag === "g") continue; // pax metadata: not needed here
    name = checkEntryName(name, file);
    if (typeFlag === "0" || typeFlag === "7") entries.push({ name, type: "file", data });
    else if (typeFlag === "5") entries.push({ name, type: "directory", data: new Uint8Array(0) });
    else throw new Error(`${file}: tar entry "${name}" is a link or special file (type ${typeFlag}); refusing to extract it.`);
  }
  if (offset < tar.length) {
    // a partial header block: the archive was cut (an archive without end marker ends exactly here)
    throw new Error(`${file}: truncated tar archive. Fix: fetch the archive again.`);
  }
  return entries;
}

/**
 * Extracts `entries` into `dest` atomically: into a temporary sibling folder first, renamed at the end,
 * so an interrupted extraction never leaves a partial `dest`.
 */
export function extractTar(entries: TarEntry[], dest: string): void {
  const tmp = tempName(dest);
  ensureDir(tmp);
  try {
    for (const e of entries) {
      const target = path.resolve(tmp, e.name);
      if (!target.startsWith(path.resolve(tmp) + path.sep) && target !== path.resolve(tmp)) {
        throw new Error(`tar entry "${e.name}" escapes its folder; refusing to extract it.`);
      }
      if (e.type === "directory") ensureDir(target);
      else {
        ensureDir(path.dirname(target));
        fs.writeFileSync(target, e.data);
      }
    }
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(tmp, dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
