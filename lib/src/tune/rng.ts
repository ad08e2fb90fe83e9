// Seeded PRNG (xoshiro128**, seeded by splitmix32): reproducible studies with `seed`.

export class Rng {
  private s = new Uint32Array(4);

  constructor(seed?: number) {
    let x = (seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  private nextU32(): number {
    const s = this.s;
    const r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.random() * n));
  }

  /** Index drawn with probabilities `p` (summing to 1). */
  choice(p: ArrayLike<number>): number {
    const u = this.random();
    let acc = 0;
    for (let i = 0; i < p.length; i++) {
      acc += p[i];
      if (u < acc) return i;
    }
    return p.length - 1;
  }
}
