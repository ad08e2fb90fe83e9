// MaxPoolGrad on wasm, on the bench nets' pool shapes: tsdl's own one-pass wasm kernel ("own", the
// default) against the composition of element-wise kernels it replaces ("composed"). Calls interleaved
// (one of each per round: a background load hits both alike), median over rounds, wall and process CPU ms.
//   node scripts/bench/pool-grad.js [--rounds 15] [--threads N]
// Needs the built lib (npm run build).
"use strict";
require("../cli-args").helpFromHeader(__filename);
const path = require("path");
const { performance } = require("perf_hooks");
const { opt } = require("../cli-args").cliArgs();

const dist = path.join(__dirname, "..", "..", "lib", "dist");
const { tf, init } = require(path.join(dist, "index.js"));
const { poolTuning } = require(path.join(dist, "backend", "kernels", "pool.js"));

// input [n, H, W, c] of each max pool (2×2, stride 2, valid) in scripts/bench's nets
const LAYERS = { mnist: [64, 24, 24, 64], cifar1: [128, 28, 28, 16], cifar2: [128, 10, 10, 32] };
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function main() {
  const threads = opt("threads", undefined);
  const info = await init({ backend: "wasm", quiet: true, threads: threads === undefined ? undefined : Number(threads) });
  const rounds = Number(opt("rounds", 15));
  console.log(`MaxPoolGrad 2×2/2, wasm ${info.threads} thread(s), median of ${rounds} interleaved calls (ms)`);
  for (const [name, shape] of Object.entries(LAYERS)) {
    const x = tf.randomNormal(shape);
    const y = tf.maxPool(x, 2, 2, "valid");
    const dy = tf.randomNormal(y.shape);
    const attrs = { filterSize: [2, 2], strides: [2, 2], pad: "valid", dimRoundingMode: undefined };
    const t = { own: { wall: [], cpu: [] }, composed: { wall: [], cpu: [] } };
    for (let r = 0; r < rounds + 2; r++) {
      for (const v of ["own", "composed"]) {
        poolTuning.own = v === "own";
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        const g = tf.engine().runKernel("MaxPoolGrad", { dy, input: x, output: y }, attrs);
        // wasm kernels are synchronous: no read-back (it would copy the whole dx)
        const w = performance.now() - w0;
        const c = process.cpuUsage(c0);
        g.dispose();
        if (r >= 2) {
          t[v].wall.push(w);
          t[v].cpu.push((c.user + c.system) / 1000);
        }
      }
    }
    poolTuning.own = true;
    const f = (a) => median(a).toFixed(2);
    console.log(`${name.padEnd(7)} x ${shape.join("×")}: own ${f(t.own.wall)} wall / ${f(t.own.cpu)} CPU, ` +
      `composed ${f(t.composed.wall)} / ${f(t.composed.cpu)}`);
    tf.dispose([x, y, dy]);
  }
}

main().catch((e) => {
  console.error("pool-grad:", e && e.message ? e.message : e);
  process.exitCode = 1;
});
