// TFRecord framing of event files: uint64 length (LE) | uint32 masked_crc(length bytes) | data |
// uint32 masked_crc(data). A reader can thus tell a whole record from a torn or corrupt one.
import { maskedCrc32c } from "./crc32c";

const HEADER = 12; // 8 bytes of length + 4 of its CRC
const FOOTER = 4;

/** One framed record, ready to append. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER + data.length + FOOTER);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, HEADER);
  out.writeUInt32LE(maskedCrc32c(data), HEADER + data.length);
  return out;
}

export interface RecordScan {
  records: Buffer[];
  /** Why scanning stopped before the end of the buffer (with the byte offset), or undefined. */
  error?: { offset: number; reason: string };
}

/** Splits a buffer into records, stopping at the first truncated or corrupt one. */
export function scanRecords(buf: Buffer): RecordScan {
  const records: Buffer[] = [];
  let pos = 0;
  const stop = (reason: string): RecordScan => ({ records, error: { offset: pos, reason } });
  while (pos < buf.length) {
    if (buf.length - pos < HEADER) return stop(`truncated header (${buf.length - pos} bytes left)`);
    if (buf.readUInt32LE(pos + 8) !== maskedCrc32c(buf.subarray(pos, pos + 8))) return stop("bad length CRC");
    const len = buf.readBigUInt64LE(pos);
    const end = BigInt(pos + HEADER) + len + BigInt(FOOTER);
    if (end > BigInt(buf.length)) return stop(`truncated record (${len} data bytes announced, ${buf.length - pos - HEADER} present)`);
    const data = buf.subarray(pos + HEADER, pos + HEADER + Number(len));
    if (buf.readUInt32LE(pos + HEADER + data.length) !== maskedCrc32c(data)) return stop("bad data CRC");
    records.push(data);
    pos = Number(end);
  }
  return { records };
}
