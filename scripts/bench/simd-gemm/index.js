// tsdl's experimental wasm SIMD GEMM (scripts/bench/simd-gemm/wat.js), assembled at run time by the npm
// package wabt (a devDependency) and instantiated on the tfjs wasm backend's own memory: it reads the
// tensors in place (their heap offsets) and writes its output into a tensor made by the backend. One thread.
"use strict";
const v8 = require("v8");
const { gemmWat } = require("./wat");

const KC = 256; // K block: a panel of B is KC·32 bytes (8 KB, in L1)
const MC = 256; // row block of A: MC·KC·4 bytes (256 KB, in L2)

let wabtPromise = null;
function wabt() {
  if (!wabtPromise) {
    let factory;
    try {
      factory = require("wabt");
    } catch (e) {
      throw new Error(`the own-kernel experiment needs the devDependency wabt (${e.message}): run npm install`);
    }
    wabtPromise = factory();
  }
  return wabtPromise;
}

/** The tfjs wasm module's WebAssembly.Memory: shared in the threaded build, exported by the plain one. */
function tfjsMemory(backend) {
  const m = backend.wasm.wasmMemory || (backend.wasm.asm && backend.wasm.asm.memory);
  if (!(m instanceof WebAssembly.Memory)) throw new Error("tfjs-backend-wasm's memory not found (not 4.22?)");
  return m;
}

/**
 * `(a, b) => a·b` (2-D float32 tensors on the wasm backend) computed by the own kernel. fma: relaxed
 * SIMD's f32x4.relaxed_madd (the V8 flag is set before compiling; Node 20 ships it off).
 */
async function ownGemm(tf, { fma = false, mr = 4, unroll = 4 } = {}) {
  const backend = tf.backend();
  const { packB, macro } = await compile(backend, { fma, mr, unroll });
  const offset = (t) => heapOffset(backend, t);
  let bpSize = 0;
  let bp = 0;
  const scratch = backend.wasm._malloc(32 * mr);
  return (a, b) => {
    const [M, K] = a.shape;
    const N = b.shape[1];
    if (b.shape[0] !== K) throw new Error(`ownGemm: [${a.shape}]·[${b.shape}]`);
    const need = KC * Math.ceil(N / 8) * 32;
    if (need > bpSize) {
      if (bp) backend.wasm._free(bp);
      bp = backend.wasm._malloc(need);
      bpSize = need;
    }
    const out = backend.makeOutput([M, N], "float32");
    const [pa, pb, pc] = [offset(a), offset(b), offset(out)];
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      packB(pb + k0 * N * 4, N * 4, kc, N, bp);
      for (let i0 = 0; i0 < M; i0 += MC) {
        macro(pa + (i0 * K + k0) * 4, K * 4, Math.min(MC, M - i0), bp, kc, N, pc + i0 * N * 4, N * 4, k0 > 0 ? 1 : 0, scratch);
      }
    }
    return tf.engine().makeTensorFromTensorInfo(out);
  };
}

/** The module's exports, compiled on `backend`'s memory. */
async function compile(backend, { fma, mr, unroll }) {
  if (fma) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  const memory = tfjsMemory(backend);
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const w = await wabt();
  const mod = w.parseWat("gemm.wat", gemmWat({ mr, fma, shared, unroll }), { simd: true, relaxed_simd: fma, threads: shared });
  // (no mod.validate(): wabt.js 1.0.39's validator ignores the threads feature; V8 validates when compiling)
  const { buffer } = mod.toBinary({});
  mod.destroy();
  return (await WebAssembly.instantiate(buffer, { env: { memory } })).instance.exports;
}

/** Byte offset of a wasm-backend tensor's data in the heap. */
const heapOffset = (backend, t) => backend.dataIdMap.get(t.dataId).memoryOffset;

/**
 * `(x, dy) => dW` for a Conv2D of stride s with `pad` [top, left] and a kh × kw filter, NHWC: the
 * filter gradient as an implicit-im2col GEMM (M = kh·kw·ci rows of A read straight from a zero-padded
 * x, N = co, K = n·oh·ow), one sample per K block (dy's rows of that sample packed into panels), output
 * [kh, kw, ci, co] directly. One thread.
 */
async function ownFilterGrad(tf, { fma = false, mr = 4 } = {}) {
  const backend = tf.backend();
  const { packB, macroConv } = await compile(backend, { fma, mr, unroll: 1 });
  const offset = (t) => heapOffset(backend, t);
  const scratch = backend.wasm._malloc(32 * mr);
  return (x, dy, { kh, kw, s = 1, top = 0, left = 0 }) => {
    const [n, H, W, ci] = x.shape;
    const [, oh, ow, co] = dy.shape;
    const Hp = Math.max(H + top, (oh - 1) * s + kh);
    const Wp = Math.max(W + left, (ow - 1) * s + kw);
    return tf.tidy(() => {
      const xp = top || left || Hp > H + top || Wp > W + left
        ? tf.pad(x, [[0, 0], [top, Hp - H - top], [left, Wp - W - left], [0, 0]]) : x;
      const M = kh * kw * ci;
      const Mp = Math.ceil(M / mr) * mr;
      const offs = new Int32Array(Mp);
      for (let m = 0; m < Mp; m++) {
        const mm = Math.min(m, M - 1);
        const [i, j, c] = [Math.floor(mm / (kw * ci)), Math.floor(mm / ci) % kw, mm % ci];
        offs[m] = ((i * Wp + j) * ci + c) * 4;
      }
      const offsPtr = backend.wasm._malloc(offs.byteLength);
      const bpBytes = oh * ow * Math.ceil(co / 8) * 32;
      const bp = backend.wasm._malloc(bpBytes);
      try {
        new Int32Array(backend.wasm.HEAPU8.buffer, offsPtr, Mp).set(offs);
        const out = backend.makeOutput([kh, kw, ci, co], "float32");
        const [px, pdy, pc] = [offset(xp), offset(dy), offset(out)];
        for (let b = 0; b < n; b++) {
          packB(pdy + b * oh * ow * co * 4, co * 4, oh * ow, co, bp);
          macroConv(px + b * Hp * Wp * ci * 4, offsPtr, M, bp, oh, ow, s * ci * 4, s * Wp * ci * 4, co, pc, co * 4, b > 0 ? 1 : 0, scratch);
        }
        return tf.engine().makeTensorFromTensorInfo(out);
      } finally {
        backend.wasm._free(offsPtr);
        backend.wasm._free(bp);
      }
    });
  };
}

module.exports = { ownGemm, ownFilterGrad };
