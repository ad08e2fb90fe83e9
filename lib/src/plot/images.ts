// A grid of images as ONE Plotly `image` trace: the images are composed into a single mosaic PNG
// (nearest-neighbour upscaled, so 28 px digits stay sharp), titles are colored annotations.
// One PNG draws faster than N subplots, and the layout is sized so one mosaic pixel = one screen pixel.
import type { FigureSpec, PlotlyTrace } from "../display/types";
import { PlotOptions, baseLayout, finish } from "./common";
import { pngDataUrl } from "./png";

/** A tensor, structurally (no tfjs import needed here): NHWC or NHW, values in [0, 1]. */
export interface TensorLike {
  shape: number[];
  dataSync(): ArrayLike<number>;
}

/** A jimp image, structurally (jimp need not be imported here): RGBA bytes, row by row. */
export interface BitmapLike {
  bitmap: { data: ArrayLike<number>; width: number; height: number };
}

export interface ImageGridOptions extends PlotOptions {
  titles?: string[];
  /** CSS color per title, e.g. green for a right prediction, red for a wrong one. */
  titleColors?: string[];
  cols?: number;
  /** [h, w, c] (c = 1 grey or 3 RGB); taken from the tensor when omitted. */
  shape?: [number, number, number];
  /** Upscale factor (default: ≈96 px per image for images ≤ 64 px, else 1). */
  scale?: number;
  /** Stretch each image's own min..max to 0..1 (filters, activations). */
  normalize?: boolean;
}

export const COLOR_RIGHT = "#1a7f37";
export const COLOR_WRONG = "#cf222e";

interface Source { n: number; h: number; w: number; c: number; get(i: number): ArrayLike<number> }

const isBitmap = (im: unknown): im is BitmapLike => typeof im === "object" && im !== null && "bitmap" in im;

/** Jimp images as RGB in [0, 1] (alpha dropped); all of one size, since the grid has one cell size. */
function bitmapSource(list: BitmapLike[]): Source {
  const { width: w, height: h } = list[0].bitmap;
  for (const { bitmap: b } of list) {
    if (b.width !== w || b.height !== h)
      throw new Error(`imageGrid(): images of ${w}×${h} and ${b.width}×${b.height} pixels; resize them to one size first (image.resize) or show them in separate grids.`);
    if (b.data.length !== w * h * 4) throw new Error(`imageGrid(): a ${w}×${h} bitmap holds ${b.data.length} bytes, not ${w * h * 4} (RGBA); pass jimp images.`);
  }
  return {
    n: list.length, h, w, c: 3,
    get: (i) => {
      const data = list[i].bitmap.data;
      const rgb = new Float32Array(w * h * 3);
      for (let p = 0; p < w * h; p++) for (let k = 0; k < 3; k++) rgb[3 * p + k] = data[4 * p + k] / 255;
      return rgb;
    },
  };
}

function source(images: TensorLike | ArrayLike<number>[] | BitmapLike[], shape?: [number, number, number]): Source {
  if (Array.isArray(images) && images.length && isBitmap(images[0])) {
    const list: unknown[] = images;
    if (!list.every(isBitmap)) throw new Error("imageGrid(): a list mixing jimp images and arrays; pass one kind.");
    return bitmapSource(list);
  }
  if (!Array.isArray(images) && "dataSync" in images) {
    const s = images.shape;
    if (s.length !== 3 && s.length !== 4) throw new Error(`imageGrid(): tensor of shape [${s}]; expected [n, h, w, c] or [n, h, w].`);
    const [n, h, w, c] = [s[0], s[1], s[2], s.length === 4 ? s[3] : 1];
    const all = images.dataSync();
    const view = ArrayBuffer.isView(all) ? (all as Float32Array) : Float32Array.from(all);
    const size = h * w * c;
    return { n, h, w, c, get: (i) => view.subarray(i * size, (i + 1) * size) };
  }
  const list = images as ArrayLike<number>[]; // not bitmaps: checked above
  if (shape === undefined) {
    const side = Math.round(Math.sqrt(list[0]?.length ?? 0));
    if (side * side !== (list[0]?.length ?? -1)) throw new Error("imageGrid(): pass opts.shape = [h, w, c] for a list of flat images.");
    shape = [side, side, 1];
  }
  const [h, w, c] = shape;
  for (const im of list) if (im.length !== h * w * c) throw new Error(`imageGrid(): an image has ${im.length} values, shape [${shape}] needs ${h * w * c}.`);
  return { n: list.length, h, w, c, get: (i) => list[i] };
}

/**
 * Show images in a grid with optional colored titles: a tensor [n, h, w, c] or [n, h, w] (values in
 * [0, 1]), a list of flat images (with `shape`), or a list of jimp images of one size (a photo and its
 * augmented copies: `imageGrid([cat.image, flipped], { cols: 2 })`).
 */
export function imageGrid(images: TensorLike | ArrayLike<number>[] | BitmapLike[], opts: ImageGridOptions = {}): FigureSpec {
  const src = source(images, opts.shape);
  if (src.c !== 1 && src.c !== 3) throw new Error(`imageGrid(): ${src.c} channels; expected 1 (grey) or 3 (RGB).`);
  const cols = Math.max(1, Math.min(opts.cols ?? Math.min(src.n, 10), src.n || 1));
  const rows = Math.ceil(src.n / cols);
  const big = Math.max(src.h, src.w);
  let scale = opts.scale ?? (big <= 64 ? Math.max(2, Math.round(96 / big)) : 1);
  const pad = 4;
  const band = opts.titles ? 18 : 0;
  while (scale > 1 && cols * (src.w * scale + pad) > 1200) scale--; // keep wide grids on screen
  const cw = src.w * scale, ch = src.h * scale;
  const W = cols * (cw + pad) + pad, H = rows * (band + ch + pad) + pad;
  const rgb = new Uint8Array(W * H * 3).fill(255);
  const annotations: Record<string, unknown>[] = [];
  for (let i = 0; i < src.n; i++) {
    const px = src.get(i);
    let lo = 0, hi = 1;
    if (opts.normalize) {
      lo = Infinity; hi = -Infinity;
      for (let j = 0; j < px.length; j++) { lo = Math.min(lo, px[j]); hi = Math.max(hi, px[j]); }
      if (hi <= lo) hi = lo + 1;
    }
    const x0 = pad + (i % cols) * (cw + pad);
    const y0 = pad + Math.floor(i / cols) * (band + ch + pad) + band;
    for (let y = 0; y < ch; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < cw; x++) {
        const s = (sy * src.w + Math.floor(x / scale)) * src.c;
        const o = ((y0 + y) * W + x0 + x) * 3;
        for (let k = 0; k < 3; k++) {
          const v = (px[s + (src.c === 3 ? k : 0)] - lo) / (hi - lo);
          rgb[o + k] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0; // NaN → 0
        }
      }
    }
    const title = opts.titles?.[i];
    if (title !== undefined) {
      annotations.push({
        x: x0 + cw / 2 - 0.5, y: y0 - 2, xref: "x", yref: "y", text: title, showarrow: false,
        xanchor: "center", yanchor: "bottom", font: { size: 12, color: opts.titleColors?.[i] ?? "#222" },
      });
    }
  }
  const trace: PlotlyTrace = { type: "image", source: pngDataUrl(rgb, W, H), x0: 0, y0: 0, dx: 1, dy: 1, hoverinfo: "skip" };
  const top = opts.title ? 40 : 5;
  const axis = { visible: false, showgrid: false, zeroline: false };
  const layout = baseLayout(opts, {
    width: W + 10, height: H + top + 5,
    margin: { l: 5, r: 5, t: top, b: 0 },
    xaxis: { ...axis, range: [-0.5, W - 0.5] },
    yaxis: { ...axis, range: [H - 0.5, -0.5], scaleanchor: "x" },
    annotations,
  });
  return finish({ data: [trace], layout, config: { responsive: false } }, opts);
}
