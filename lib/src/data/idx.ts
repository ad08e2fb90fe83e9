// The IDX format of MNIST / Fashion-MNIST: a big-endian header (magic 0x00000800 | type << 8 | ndim,
// then ndim uint32 sizes) followed by the raw values. Only unsigned bytes (type 0x08) occur in practice.
import * as zlib from "zlib";

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Gunzips `bytes` if they start with the gzip magic (1f 8b), else returns them unchanged. */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return zlib.gunzipSync(bytes);
  } catch (e) {
    throw new Error(
      `${file}: corrupt or truncated gzip data (${(e as Error).message}). Fix: delete the file so it is fetched again.`,
    );
  }
}

/**
 * Parses an IDX file (gzip or raw), checking the magic number, the element type, the expected number of
 * dimensions (when given) and that the payload has exactly the size the header announces.
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims?: number): IdxArray {
  const raw = maybeGunzip(bytes, file);
  const fix = "Fix: delete the file so it is fetched again, or check that it is an IDX file.";
  if (raw.length < 4) throw new Error(`${file}: truncated IDX file (${raw.length} bytes, no header). ${fix}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  const type = (magic >>> 8) & 0xff;
  const ndim = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== UBYTE || ndim === 0) {
    throw new Error(`${file}: wrong magic number 0x${magic.toString(16).padStart(8, "0")}, not an unsigned-byte IDX file. ${fix}`);
  }
  if (expectedDims !== undefined && ndim !== expectedDims) {
    throw new Error(`${file}: IDX file has ${ndim} dimensions, expected ${expectedDims} (images and labels swapped?). ${fix}`);
  }
  const headerSize = 4 + 4 * ndim;
  if (raw.length < headerSize) throw new Error(`${file}: truncated IDX header. ${fix}`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i));
  const size = shape.reduce((a, b) => a * b, 1);
  const payload = raw.length - headerSize;
  if (payload !== size) {
    const what = payload < size ? "truncated" : "has trailing bytes";
    throw new Error(`${file}: IDX file ${what}: header [${shape.join(", ")}] needs ${size} bytes of data, found ${payload}. ${fix}`);
  }
  return { shape, data: raw.subarray(headerSize) };
}

/** Writes an unsigned-byte IDX file (raw), e.g. for tests or exporting a subset. */
export function encodeIdx(shape: number[], data: Uint8Array): Uint8Array {
  const ndim = shape.length;
  const out = new Uint8Array(4 + 4 * ndim + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | ndim);
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s));
  out.set(data, 4 + 4 * ndim);
  return out;
}
