// CRC32C (Castagnoli), the checksum of TFRecord/tfevents framing. Table-driven, one byte per step:
// event files are small, so the simple byte-wise table is fast enough and easy to check.
const POLY = 0x82f63b78; // 0x1EDC6F41 bit-reversed (the reflected form used with LSB-first shifting)

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C of `bytes` (crc32c("123456789") = 0xE3069283), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * TFRecord's masked CRC: rotate right by 15 and add a constant, so that a CRC stored inside checked
 * data does not make the checksum of that data degenerate.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
