// erf / erfc: fdlibm's rational approximations (the ones Optuna 3.1 ports in samplers/_tpe/_erf.py);
// JS has no Math.erf and TPE's truncated normals need ~1e-16 accuracy in the tails.
const erx = 8.45062911510467529297e-1, efx = 1.28379167095512586316e-1;
const pp = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const qq = [1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
const pa = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3];
const qa = [1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
const ra = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592];
const sa = [1, 1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2];
const rb = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2];
const sb = [1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

const poly = (c: number[], x: number): number => {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + c[i];
  return r;
};

/** erfc(a) / exp(-a²) pieces for a ≥ 1.25: returns erfc(a). */
function erfcTail(a: number): number {
  if (a >= 28) return 0;
  const s = 1 / (a * a);
  const rs = a < 1 / 0.35 ? poly(ra, s) / poly(sa, s) : poly(rb, s) / poly(sb, s);
  // Split a² as fdlibm does (z = a with the low word cleared) for accuracy far in the tail.
  const z = Math.fround(a);
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + rs)) / a;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2 ** -28) return x + efx * x;
  if (a < 0.84375) {
    const z = x * x;
    return x + (x * poly(pp, z)) / poly(qq, z);
  }
  if (a < 1.25) return Math.sign(x) * (erx + poly(pa, a - 1) / poly(qa, a - 1));
  if (a >= 6) return Math.sign(x);
  return Math.sign(x) * (1 - erfcTail(a));
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 0.84375) return 1 - erf(x);
  if (a < 1.25) {
    const v = erx + poly(pa, a - 1) / poly(qa, a - 1);
    return x > 0 ? 1 - v : 1 + v;
  }
  const t = erfcTail(a);
  return x > 0 ? t : 2 - t;
}
