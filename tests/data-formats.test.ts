// Parsers and cache safety of tsdl's data module, on generated files (good, corrupt, truncated, unsafe).
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
  downloadFile,
  encodeIdx,
  extractTar,
  idxDataset,
  installCifarArchive,
  md5,
  parseCifarBinary,
  parseIdx,
  readCifarDir,
  readTar,
  writeCifarStandIn,
  STAND_IN_CLASSES,
} from "tsdl/data";
import { fetchVerified } from "tsdl/data/cache";
import { standInRecords } from "tsdl/data/standin";
import { Rng } from "tsdl/data/rng";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsdl-data-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** One tar entry (ustar header + padded data); `name` is written as is, even if unsafe. */
function tarEntry(name: string, data: Uint8Array, type = "0"): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write(type, 156);
  h.write("ustar\0" + "00", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  padded.set(data);
  return Buffer.concat([h, padded]);
}
const tarOf = (...entries: Buffer[]): Buffer => Buffer.concat([...entries, Buffer.alloc(1024)]);

describe("IDX parser", () => {
  const images = encodeIdx([3, 2, 2], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  const labels = encodeIdx([3], Uint8Array.from([5, 0, 9]));

  test("reads raw and gzipped files", () => {
    for (const bytes of [images, zlib.gzipSync(images)]) {
      const a = parseIdx(bytes, "x.idx", 3);
      expect(a.shape).toEqual([3, 2, 2]);
      expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
    const ds = idxDataset({ bytes: zlib.gzipSync(images), file: "i.gz" }, { bytes: labels, file: "l" }, { classes: "0123456789".split(""), name: "t", description: "" });
    expect(ds.sampleShape).toEqual([2, 2, 1]);
    expect(Array.from(ds.y)).toEqual([5, 0, 9]);
  });

  test("rejects wrong magic, wrong rank, truncation, trailing bytes and corrupt gzip, naming the file", () => {
    const wrongMagic = Uint8Array.from(images);
    wrongMagic[2] = 0x0d; // float32 type
    expect(() => parseIdx(wrongMagic, "bad-magic.idx")).toThrow(/bad-magic\.idx: wrong magic number 0x00000d03/);
    expect(() => parseIdx(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), "zip.idx")).toThrow(/zip\.idx: wrong magic/);
    expect(() => parseIdx(labels, "labels.idx", 3)).toThrow(/labels\.idx: IDX file has 1 dimensions, expected 3/);
    expect(() => parseIdx(images.subarray(0, images.length - 1), "short.idx")).toThrow(/short\.idx: IDX file truncated.*needs 12 bytes of data, found 11.*Fix/);
    expect(() => parseIdx(images.subarray(0, 10), "header.idx")).toThrow(/header\.idx: truncated IDX header/);
    expect(() => parseIdx(new Uint8Array(2), "tiny.idx")).toThrow(/tiny\.idx: truncated IDX file/);
    expect(() => parseIdx(Buffer.concat([images, Buffer.from([0])]), "long.idx")).toThrow(/long\.idx: IDX file has trailing bytes/);
    const gz = zlib.gzipSync(images);
    expect(() => parseIdx(gz.subarray(0, gz.length - 6), "cut.gz")).toThrow(/cut\.gz: corrupt or truncated gzip/);
  });

  test("labels and images must agree", () => {
    const two = encodeIdx([2], Uint8Array.from([1, 2]));
    expect(() => idxDataset({ bytes: images, file: "i" }, { bytes: two, file: "l" }, { classes: ["a", "b", "c"], name: "", description: "" })).toThrow(/l: 2 labels for 3 images/);
    expect(() => idxDataset({ bytes: images, file: "i" }, { bytes: labels, file: "l" }, { classes: ["a", "b"], name: "", description: "" })).toThrow(/label 5 at index 0/);
  });
});

describe("tar reader", () => {
  test("lists files of a plain and a gzipped archive, and extracts them", () => {
    const tar = tarOf(tarEntry("dir/", new Uint8Array(0), "5"), tarEntry("dir/a.bin", Uint8Array.from([1, 2, 3])), tarEntry("./dir/b.txt", Buffer.from("hello")));
    for (const bytes of [tar, zlib.gzipSync(tar)]) {
      const entries = readTar(bytes, "t.tar");
      expect(entries.map((e) => [e.name, e.type])).toEqual([["dir/", "directory"], ["dir/a.bin", "file"], ["dir/b.txt", "file"]]);
      expect(Array.from(entries[1].data)).toEqual([1, 2, 3]);
    }
    const dest = path.join(tmp, "extracted");
    extractTar(readTar(tar, "t.tar"), dest);
    expect(fs.readFileSync(path.join(dest, "dir/b.txt"), "utf8")).toBe("hello");
    expect(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  test("rejects entries escaping their folder, absolute paths, links, corrupt headers and truncation", () => {
    expect(() => readTar(tarOf(tarEntry("ok.txt", new Uint8Array(1)), tarEntry("../evil.txt", new Uint8Array(1))), "evil.tar")).toThrow(/evil\.tar: tar entry "\.\.\/evil\.txt" escapes its folder/);
    expect(() => readTar(tarOf(tarEntry("a/../../x", new Uint8Array(1))), "e.tar")).toThrow(/escapes its folder/);
    expect(() => readTar(tarOf(tarEntry("/etc/passwd", new Uint8Array(1))), "abs.tar")).toThrow(/abs\.tar: tar entry "\/etc\/passwd" has an absolute path/);
    expect(() => readTar(tarOf(tarEntry("link", new Uint8Array(0), "2")), "l.tar")).toThrow(/link or special file/);
    const corrupt = tarOf(tarEntry("a", new Uint8Array(10)));
    corrupt[5] ^= 0xff;
    expect(() => readTar(corrupt, "c.tar")).toThrow(/c\.tar: corrupt tar header at byte 0/);
    const cut = tarEntry("a", new Uint8Array(2000)).subarray(0, 1000);
    expect(() => readTar(cut, "cut.tar")).toThrow(/cut\.tar: truncated tar archive/);
    expect(fs.existsSync(path.join(tmp, "..", "evil.txt"))).toBe(false);
  });
});

describe("CIFAR binary parser", () => {
  test("converts CHW records to HWC and reads labels", () => {
    const rec = new Uint8Array(2 * 3073);
    for (let i = 0; i < 2; i++) {
      rec[i * 3073] = i === 0 ? 3 : 9;
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) rec[i * 3073 + 1 + c * 1024 + p] = (c * 50 + p + i) % 256;
    }
    const { x, y } = parseCifarBinary(rec, "b.bin");
    expect(Array.from(y)).toEqual([3, 9]);
    expect(x.length).toBe(2 * 3072);
    // pixel p=5 of sample 1: R, G, B
    expect(Array.from(x.subarray(3072 + 15, 3072 + 18))).toEqual([6, 56, 106]);
    expect(() => parseCifarBinary(rec.subarray(0, 3073 + 100), "short.bin")).toThrow(/short\.bin: 3173 bytes is not a whole number of CIFAR records/);
    const bad = Uint8Array.from(rec);
    bad[3073] = 12;
    expect(() => parseCifarBinary(bad, "lab.bin")).toThrow(/lab\.bin: record 1 has label 12/);
  });

  test("a small stand-in is written atomically in CIFAR format, with balanced classes", () => {
    const dir = path.join(tmp, "standin");
    writeCifarStandIn(dir, { train: 500, test: 100, seed: 1 });
    expect(fs.statSync(path.join(dir, "data_batch_3.bin")).size).toBe(100 * 3073);
    const { x, y, classes } = readCifarDir(dir, true);
    expect(classes).toEqual(STAND_IN_CLASSES);
    expect(y.length).toBe(500);
    expect(x.length).toBe(500 * 3072);
    const counts = new Array(10).fill(0);
    y.forEach((v) => counts[v]++);
    expect(counts).toEqual(new Array(10).fill(50));
    const again = path.join(tmp, "standin2");
    writeCifarStandIn(again, { train: 500, test: 100, seed: 1 });
    expect(md5(fs.readFileSync(path.join(again, "test_batch.bin")))).toBe(md5(fs.readFileSync(path.join(dir, "test_batch.bin"))));
  });
});

test("a CIFAR archive is checked, then extracted atomically, and read by the same parser", () => {
  const rng = new Rng(0);
  const batch = (): Uint8Array => standInRecords(20, rng);
  const names = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"];
  const entries = names.map((n) => tarEntry(`cifar-10-batches-bin/${n}.bin`, batch()));
  const meta = tarEntry("cifar-10-batches-bin/batches.meta.txt", Buffer.from("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"));
  const root = path.join(tmp, "cifar-root");
  const dir = installCifarArchive(zlib.gzipSync(tarOf(meta, ...entries)), root);
  const { y, classes } = readCifarDir(dir, true);
  expect(y.length).toBe(100);
  expect(classes[0]).toBe("airplane");
  const broken = tarOf(meta, ...entries.slice(0, 5), tarEntry("cifar-10-batches-bin/test_batch.bin", batch().subarray(0, 5000)));
  const root2 = path.join(tmp, "cifar-root2");
  expect(() => installCifarArchive(broken, root2)).toThrow(/test_batch\.bin: 5000 bytes is not a whole number of CIFAR records/);
  expect(fs.existsSync(root2)).toBe(false);
});

describe("downloads", () => {
  const payload = Buffer.from("the real file");
  let server: http.Server;
  let base = "";
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/missing") res.writeHead(404).end();
      else res.end(req.url === "/altered" ? Buffer.from("the real filx") : payload);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("checksum mismatch: clear error, nothing left in the cache", async () => {
    const dir = path.join(tmp, "cache1");
    const target = path.join(dir, "f.gz");
    await expect(downloadFile([`${base}/missing`, `${base}/altered`], target, { md5: md5(payload) })).rejects.toThrow(
      /Could not download f\.gz:[\s\S]*missing: HTTP 404[\s\S]*altered: checksum mismatch[\s\S]*Fix/,
    );
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  test("a corrupt cached file is detected and fetched again", async () => {
    const target = path.join(tmp, "cache3", "f.gz");
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, "garbage");
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const data = await fetchVerified([`${base}/good`], target, md5(payload));
      expect(Buffer.from(data)).toEqual(payload);
      expect(warn.mock.calls[0][0]).toMatch(/f\.gz is corrupt \(md5 mismatch\): downloading it again/);
    } finally {
      warn.mockRestore();
    }
    fs.writeFileSync(target, "garbage");
    await expect(fetchVerified([`${base}/altered`], target, md5(payload))).rejects.toThrow(/checksum mismatch/);
    expect(fs.readdirSync(path.dirname(target))).toEqual([]); // the corrupt copy is gone, nothing replaced it
  });

  test("a verified download lands under its final name only", async () => {
    const target = path.join(tmp, "cache2", "f.gz");
    await downloadFile([`${base}/missing`, `${base}/good`], target, { md5: md5(payload) });
    expect(fs.readFileSync(target)).toEqual(payload);
    expect(fs.readdirSync(path.dirname(target))).toEqual(["f.gz"]);
  });
});
