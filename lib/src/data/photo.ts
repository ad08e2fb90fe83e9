// Real photos for the data-augmentation demo of seed 000 part III, and torchvision-style transforms
// on jimp images (`RandomCrop(224)`, `RandomResizedCrop(224)`, `RandomRotation(180)`,
// `RandomHorizontalFlip()`, `Compose`). Each transform returns a new image; the input is untouched.
import * as fs from "fs";
import * as path from "path";
import { Jimp } from "jimp";
import { resizedCropBox } from "./augment";
import { Rng, resolveRng } from "./rng";

export type JimpImage = Awaited<ReturnType<typeof Jimp.read>>;

const SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data";

const PHOTOS = {
  chelsea: { file: "chelsea.png", what: "Chelsea the cat", author: "Stefan van der Walt" },
  coffee: { file: "coffee.png", what: "a cup of coffee", author: "Rachel Michetti" },
};

export type PhotoName = keyof typeof PHOTOS;

export interface Photo {
  image: JimpImage;
  name: PhotoName;
  /** "CC0 1.0 (public domain dedication)": free to use, modify and redistribute. */
  licence: string;
  credit: string;
  file: string;
}

/**
 * A real photograph from scikit-image's sample data (Debian package python3-skimage), released under CC0
 * by its photographer: "chelsea" (451×300, a cat) or "coffee" (600×400, a cup of coffee).
 */
export async function photo(name: PhotoName, dir = SKIMAGE_DATA): Promise<Photo> {
  const info = PHOTOS[name];
  if (!info) throw new Error(`photo: unknown name ${JSON.stringify(name)}; use one of ${Object.keys(PHOTOS).join(", ")}.`);
  const file = path.join(dir, info.file);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found. Fix: install Debian's python3-skimage (apt-get install python3-skimage), or pass the folder holding ${info.file}.`);
  }
  return {
    image: await readPng(file),
    name,
    licence: "CC0 1.0 (public domain dedication)",
    credit: `${info.what}, photo by ${info.author} (scikit-image sample data, CC0)`,
    file,
  };
}

/**
 * Decodes a PNG with jimp's own PNG codec. Not `Jimp.read`: its format sniffing does a dynamic
 * `import()`, which fails inside jest's module sandbox.
 */
async function readPng(file: string): Promise<JimpImage> {
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(0, 8).toString("latin1") !== "\x89PNG\r\n\x1a\n") throw new Error(`${file} is not a PNG file. Fix: reinstall python3-skimage.`);
  const codec = new Jimp({ width: 1, height: 1 }).formats.find((f) => f.mime === "image/png");
  if (!codec?.decode) throw new Error("photo: this jimp build has no PNG decoder.");
  return new Jimp(await codec.decode(bytes)) as JimpImage;
}

/** A random transform of a jimp image. */
export interface ImageTransform {
  apply(image: JimpImage): JimpImage;
}

export interface RandomOptions {
  seed?: number;
  rng?: Rng;
}

function fromRgba(data: Uint8Array, width: number, height: number): JimpImage {
  return new Jimp({ data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height }) as JimpImage;
}

function copyPixel(src: Uint8Array, s: number, dst: Uint8Array, d: number): void {
  dst[d] = src[s];
  dst[d + 1] = src[s + 1];
  dst[d + 2] = src[s + 2];
  dst[d + 3] = src[s + 3];
}

function checkSize(size: number | [number, number], name: string): [number, number] {
  const [h, w] = typeof size === "number" ? [size, size] : size;
  if (!(Number.isInteger(h) && h > 0 && Number.isInteger(w) && w > 0)) throw new Error(`${name}: size must be a positive integer or [height, width], got ${JSON.stringify(size)}.`);
  return [h, w];
}

/** `transforms.RandomCrop(size, padding)`: a random window (padded with black first if `padding` > 0). */
export class RandomCrop implements ImageTransform {
  private readonly size: [number, number];
  private readonly rng: Rng;
  constructor(size: number | [number, number], private readonly opts: RandomOptions & { padding?: number } = {}) {
    this.size = checkSize(size, "RandomCrop");
    this.rng = resolveRng(opts);
  }
  apply(image: JimpImage): JimpImage {
    const [ch, cw] = this.size;
    const pad = this.opts.padding ?? 0;
    const { width: w, height: h, data } = image.bitmap;
    if (ch > h + 2 * pad || cw > w + 2 * pad) {
      throw new Error(`RandomCrop: ${cw}×${ch} is larger than the image (${w}×${h}, padding ${pad}); resize it first or pass a padding.`);
    }
    const ox = this.rng.int(w + 2 * pad - cw + 1) - pad;
    const oy = this.rng.int(h + 2 * pad - ch + 1) - pad;
    const out = new Uint8Array(cw * ch * 4);
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const sx = x + ox;
        const sy = y + oy;
        const o = (y * cw + x) * 4;
        if (sx >= 0 && sx < w && sy >= 0 && sy < h) copyPixel(data, (sy * w + sx) * 4, out, o);
        else out[o + 3] = 255; // opaque black padding
      }
    }
    return fromRgba(out, cw, ch);
  }
}

/** `transforms.RandomResizedCrop(size, scale, ratio)`: a random area and aspect ratio, resized to `size`. */
export class RandomResizedCrop implements ImageTransform {
  private readonly size: [number, number];
  private readonly rng: Rng;
  constructor(size: number | [number, number], private readonly opts: RandomOptions & { scale?: [number, number]; ratio?: [number, number] } = {}) {
    this.size = checkSize(size, "RandomResizedCrop");
    this.rng = resolveRng(opts);
  }
  apply(image: JimpImage): JimpImage {
    const { width, height } = image.bitmap;
    const b = resizedCropBox(height, width, this.rng, this.opts.scale, this.opts.ratio);
    const out = image.clone().crop({ x: b.left, y: b.top, w: b.width, h: b.height });
    return out.resize({ w: this.size[1], h: this.size[0] }) as JimpImage;
  }
}

const { round, floor } = Math; // module-level: global lookups per pixel are slow in vm sandboxes

/** Rotates RGBA pixels about the centre, same size, uncovered pixels opaque black. */
export function rotateRgba(data: Uint8Array, w: number, h: number, degrees: number, interpolation: "nearest" | "bilinear" = "nearest"): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  const t = (degrees * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // inverse map of a counter-clockwise rotation on screen (y down), as in `randomRotation`
      const sx = c * (x - cx) - s * (y - cy) + cx;
      const sy = s * (x - cx) + c * (y - cy) + cy;
      const o = (y * w + x) * 4;
      if (interpolation === "nearest") {
        const ix = round(sx);
        const iy = round(sy);
        if (ix >= 0 && ix < w && iy >= 0 && iy < h) copyPixel(data, (iy * w + ix) * 4, out, o);
        else out[o + 3] = 255;
      } else {
        const x0 = floor(sx);
        const y0 = floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        const taps = [
          [x0, y0, (1 - fx) * (1 - fy)],
          [x0 + 1, y0, fx * (1 - fy)],
          [x0, y0 + 1, (1 - fx) * fy],
          [x0 + 1, y0 + 1, fx * fy],
        ];
        const acc = [0, 0, 0, 0];
        for (const [xx, yy, wgt] of taps) {
          const inside = xx >= 0 && xx < w && yy >= 0 && yy < h;
          const q = (yy * w + xx) * 4;
          for (let k = 0; k < 4; k++) acc[k] += wgt * (inside ? data[q + k] : k === 3 ? 255 : 0);
        }
        for (let k = 0; k < 4; k++) out[o + k] = round(acc[k]);
      }
    }
  }
  return out;
}

/** `transforms.RandomRotation(degrees)`: an angle uniform in [−degrees, degrees], same size, black corners. */
export class RandomRotation implements ImageTransform {
  private readonly range: [number, number];
  private readonly rng: Rng;
  constructor(degrees: number | [number, number], private readonly opts: RandomOptions & { interpolation?: "nearest" | "bilinear" } = {}) {
    this.range = typeof degrees === "number" ? [-Math.abs(degrees), Math.abs(degrees)] : degrees;
    if (!(this.range[0] <= this.range[1])) throw new Error(`RandomRotation: degrees must be a number or [min, max], got ${JSON.stringify(degrees)}.`);
    this.rng = resolveRng(opts);
  }
  apply(image: JimpImage): JimpImage {
    const { width, height, data } = image.bitmap;
    const angle = this.rng.uniform(this.range[0], this.range[1]);
    return fromRgba(rotateRgba(data, width, height, angle, this.opts.interpolation), width, height);
  }
}

/** `transforms.RandomHorizontalFlip(p)`: mirrors the image with probability `p` (default 0.5). */
export class RandomHorizontalFlip implements ImageTransform {
  private readonly rng: Rng;
  constructor(private readonly p = 0.5, opts: RandomOptions = {}) {
    if (!(p >= 0 && p <= 1)) throw new Error(`RandomHorizontalFlip: p must be in [0, 1], got ${p}.`);
    this.rng = resolveRng(opts);
  }
  apply(image: JimpImage): JimpImage {
    const out = image.clone();
    return (this.rng.next() < this.p ? out.flip({ horizontal: true }) : out) as JimpImage;
  }
}

/** `transforms.Compose([...])`: applies the transforms in order. */
export class Compose implements ImageTransform {
  constructor(private readonly transforms: ImageTransform[]) {}
  apply(image: JimpImage): JimpImage {
    return this.transforms.reduce((img, t) => t.apply(img), image.clone() as JimpImage);
  }
}
