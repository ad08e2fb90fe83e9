// The tfevents format, checked independently of the writer: CRC32C vectors, record framing decoded
// by a bitwise CRC written here, and Event messages decoded with protobufjs.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SummaryWriter, crc32c, maskedCrc32c, makeHistogram } from "tsdl/log";
import { EventType } from "tsdl/log/proto";

tf.env().set("IS_TEST", true);
beforeAll(async () => {
  await tf.setBackend("cpu");
});

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-log-"));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Bit-by-bit CRC32C (no table), to check the library's table-driven one. */
function crcBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number): number => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;

interface Decoded {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: { tag: string; simpleValue?: number; histo?: Record<string, unknown> }[] };
}

/** Independent record decoder: throws on any framing or CRC mismatch. */
function decodeFile(file: string): Decoded[] {
  const buf = fs.readFileSync(file);
  const out: Decoded[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const len = Number(buf.readBigUInt64LE(pos));
    expect(buf.readUInt32LE(pos + 8)).toBe(mask(crcBitwise(buf.subarray(pos, pos + 8))));
    const data = buf.subarray(pos + 12, pos + 12 + len);
    expect(buf.readUInt32LE(pos + 12 + len)).toBe(mask(crcBitwise(data)));
    const msg = EventType.decode(data);
    out.push(EventType.toObject(msg, { longs: Number, arrays: true }) as Decoded);
    pos += 12 + len + 4;
  }
  expect(pos).toBe(buf.length);
  return out;
}

const eventFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.includes("tfevents")).map((f) => path.join(dir, f));

describe("CRC32C", () => {
  const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "ascii"));
  test("known vectors (RFC 3720 / iSCSI)", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });
  test("table-driven = bitwise on random bytes; masked form", () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) & 0xff);
    expect(crc32c(bytes)).toBe(crcBitwise(bytes));
    expect(maskedCrc32c(bytes)).toBe(mask(crcBitwise(bytes)));
    expect(maskedCrc32c(ascii("123456789"))).toBe(mask(0xe3069283));
  });
});

describe("SummaryWriter files", () => {
  test("file name, first record, scalars decode back with protobufjs", () => {
    const w = new SummaryWriter(tmp, { runName: "exp" });
    expect(w.runDir).toBe(path.join(tmp, "exp"));
    const name = path.basename(w.filePath);
    expect(name).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${os.hostname().replace(/\./g, "\\.")}\\.${process.pid}\\.\\d+$`));
    const secs = Number(name.split(".")[3]);
    expect(Math.abs(secs - Date.now() / 1000)).toBeLessThan(60);
    w.addScalar("loss/train", 0.25, 1);
    w.addScalar("loss/train", 0, 2); // a zero must still be written (oneof presence)
    w.addScalar("acc", 0.1, 3_000_000_000); // int64 beyond 2^31
    w.close();
    const events = decodeFile(w.filePath);
    expect(events[0].fileVersion).toBe("brain.Event:2");
    expect(events[0].step ?? 0).toBe(0);
    expect(events[0].wallTime).toBeGreaterThan(1.6e9);
    const scalars = events.slice(1).map((e) => [e.step, e.summary!.value[0].tag, e.summary!.value[0].simpleValue]);
    expect(scalars).toEqual([
      [1, "loss/train", 0.25],
      [2, "loss/train", 0],
      [3_000_000_000, "acc", Math.fround(0.1)],
    ]);
  });

  test("default run folder is runs/<Mon><DD>_<HH>-<MM>-<SS>_<host> like PyTorch", () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const w = new SummaryWriter();
      w.close();
      expect(path.relative(tmp, w.runDir)).toMatch(new RegExp(`^runs/[A-Z][a-z]{2}\\d{2}_\\d{2}-\\d{2}-\\d{2}_${os.hostname().replace(/\./g, "\\.")}$`));
    } finally {
      process.chdir(cwd);
    }
  });

  test("addScalars writes one sub-run per name with the main tag (PyTorch layout)", () => {
    const w = new SummaryWriter(tmp, { runName: "r" });
    w.addScalars("loss/all", { train: 1, test: 2 }, 5);
    w.close();
    const train = decodeFile(eventFiles(path.join(tmp, "r", "loss_all_train"))[0]);
    const test = decodeFile(eventFiles(path.join(tmp, "r", "loss_all_test"))[0]);
    expect(train[1].summary!.value[0]).toEqual({ tag: "loss/all", simpleValue: 1 });
    expect(test[1].summary!.value[0]).toEqual({ tag: "loss/all", simpleValue: 2 });
    expect(test[1].step).toBe(5);
  });

  test("histogram fields decode back; counts sit in their buckets; doubles are packed", () => {
    const values = [-3, -0.5, 0, 0, 1e-3, 0.7, 2, 2, 5.5];
    const w = new SummaryWriter(tmp, { runName: "h", maxHistograms: Infinity });
    expect(w.addHistogram("w", values, 7)).toBe(true);
    w.close();
    const [, e] = decodeFile(w.filePath);
    expect(e.step).toBe(7);
    const h = e.summary!.value[0].histo as { min: number; max: number; num: number; sum: number; sumSquares: number; bucketLimit: number[]; bucket: number[] };
    expect([h.min, h.max, h.num]).toEqual([-3, 5.5, values.length]);
    expect(h.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 12);
    expect(h.sumSquares).toBeCloseTo(values.reduce((a, b) => a + b * b, 0), 12);
    expect(h.bucket.length).toBe(h.bucketLimit.length);
    expect(h.bucket.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(h.bucket[0]).toBe(0); // the leading empty bucket marks the left edge
    for (let i = 1; i < h.bucketLimit.length; i++) expect(h.bucketLimit[i]).toBeGreaterThan(h.bucketLimit[i - 1]);
    for (const v of values) {
      const i = h.bucketLimit.findIndex((lim) => v < lim);
      expect(i).toBeGreaterThan(0);
      expect(v).toBeGreaterThanOrEqual(h.bucketLimit[i - 1]);
      expect(h.bucket[i]).toBeGreaterThan(0);
    }
    // TensorFlow's exponential limits: consecutive positive limits have ratio 1.1.
    const pos = h.bucketLimit.filter((l) => l > 1e-6);
    expect(pos[pos.length - 1] / pos[pos.length - 2]).toBeCloseTo(1.1, 9);
    // Packed repeated double: field 6, wire type 2 → tag byte 0x32, then the byte length as a varint.
    const varint = (n: number): number[] => (n < 128 ? [n] : [(n & 0x7f) | 0x80, ...varint(n >>> 7)]);
    const raw = fs.readFileSync(w.filePath);
    expect(raw.includes(Buffer.from([0x32, ...varint(h.bucketLimit.length * 8)]))).toBe(true);
    expect(raw.includes(Buffer.from([0x3a, ...varint(h.bucket.length * 8)]))).toBe(true);
  });

  test("equal-width bins option and non-finite values", () => {
    const h = makeHistogram([0, 1, 2, 3, NaN, Infinity], 3)!;
    expect(h.num).toBe(4);
    expect(h.bucketLimit).toEqual([0, 1, 2, 3]);
    expect(h.bucket).toEqual([0, 1, 1, 2]);
    expect(makeHistogram([NaN])).toBeNull();
    expect(makeHistogram([4, 4])!.bucket.reduce((a, b) => a + b)).toBe(2);
  });

  test("tensor inputs, no tensor leak", () => {
    const w = new SummaryWriter(tmp, { runName: "t", maxHistograms: Infinity });
    const x = tf.tensor1d([1, 2, 3]);
    const s = tf.scalar(4.5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      w.addScalar("s", s, i);
      w.addHistogram("x", x, i);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => w.addScalar("s", x, 9)).toThrow(/shape \[3\].*single value/);
    expect(() => w.addScalar("s", 1, 1.5)).toThrow(/integer/);
    w.close();
    tf.dispose([x, s]);
    const ev = decodeFile(w.filePath);
    expect(ev.length).toBe(11);
    expect(ev[1].summary!.value[0].simpleValue).toBe(4.5);
  });

  test("an unwritable log directory → error naming it and the fix", () => {
    const blocker = path.join(tmp, "not-a-dir");
    fs.writeFileSync(blocker, "x"); // a file where the folder should be (root ignores chmod)
    expect(() => new SummaryWriter(blocker, { runName: "r" })).toThrow(/cannot write event files in ".*not-a-dir\/r".*writable logDir/);
  });

  test("writing after close is an error; close is idempotent; flush writes whole records", () => {
    const w = new SummaryWriter(tmp, { runName: "c", flushSecs: 1000 });
    w.addScalar("a", 1, 0);
    expect(decodeFile(w.filePath).length).toBe(1); // buffered
    w.flush();
    expect(decodeFile(w.filePath).length).toBe(2);
    w.close();
    w.close();
    expect(() => w.addScalar("a", 1, 1)).toThrow(/closed/);
  });
});

describe("histogram cap", () => {
  const steps = (file: string, tag: string): number[] =>
    decodeFile(file).filter((e) => e.summary?.value[0].tag === tag && e.summary.value[0].histo).map((e) => e.step ?? 0);

  test("with totalSteps: one per slot, written as they come", () => {
    const w = new SummaryWriter(tmp, { runName: "a", totalSteps: 1000, flushSecs: 1000 });
    let due = 0;
    for (let s = 0; s < 1000; s++) {
      if (w.histogramDue("w", s)) due++;
      w.addHistogram("w", [s, s + 1], s);
    }
    w.flush();
    const kept = steps(w.filePath, "w");
    expect(due).toBe(20);
    expect(kept).toEqual(Array.from({ length: 20 }, (_, k) => k * 50));
    w.close();
  });

  test("without totalSteps: at most 20, evenly spaced, written at close", () => {
    const w = new SummaryWriter(tmp, { runName: "b" });
    for (let s = 1; s <= 1000; s++) w.addHistogram("w", [s], s);
    for (let s = 0; s < 7; s++) w.addHistogram("few", [s], s);
    w.flush();
    expect(steps(w.filePath, "w")).toEqual([]);
    w.close();
    const kept = steps(w.filePath, "w");
    expect(kept.length).toBeLessThanOrEqual(20);
    expect(kept.length).toBeGreaterThanOrEqual(10);
    const gaps = new Set(kept.slice(1).map((s, i) => s - kept[i]));
    expect(gaps.size).toBe(1);
    expect(steps(w.filePath, "few")).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test("maxHistograms option", () => {
    const w = new SummaryWriter(tmp, { runName: "c", maxHistograms: 5, totalSteps: 100 });
    for (let s = 0; s < 100; s++) w.addHistogram("w", [s], s);
    w.close();
    expect(steps(w.filePath, "w")).toEqual([0, 20, 40, 60, 80]);
  });
});
