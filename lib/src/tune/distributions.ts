// Optuna 3.1's distributions: same validation, same internal representation, same JSON.
import { PyFloat, pyDumps, pyLoads } from "./pyjson";

export type CategoricalChoice = null | boolean | number | string;
export type ParamValue = CategoricalChoice;

export interface FloatDistribution {
  readonly kind: "float";
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number | null;
}
export interface IntDistribution {
  readonly kind: "int";
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
}
export interface CategoricalDistribution {
  readonly kind: "categorical";
  readonly choices: readonly CategoricalChoice[];
}
export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

const fail = (msg: string): never => {
  throw new Error(msg);
};

/** Decimal-exact `(high - low) mod step` would need big decimals; a relative tolerance is enough here. */
function adjustFloatHigh(low: number, high: number, step: number): number {
  const k = Math.floor((high - low) / step + 1e-9);
  const adjusted = Number((k * step + low).toPrecision(15));
  if (Math.abs(adjusted - high) > 1e-12 * Math.max(1, Math.abs(high))) {
    console.warn(`The range [${low}, ${high}] is not divisible by step=${step}: high is replaced by ${adjusted}.`);
    return adjusted;
  }
  return high;
}

function checkNumber(where: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${where}: \`${name}\` must be a finite number, got ${JSON.stringify(v)}.`);
  return v as number;
}

export function floatDistribution(low: number, high: number, opts: { log?: boolean; step?: number | null } = {}, where = "suggestFloat"): FloatDistribution {
  checkNumber(where, "low", low);
  checkNumber(where, "high", high);
  const log = opts.log ?? false;
  const step = opts.step ?? null;
  if (log && step !== null) fail(`${where}: \`step\` is not supported with \`log: true\`; drop one of them.`);
  if (low > high) fail(`${where}: low must be ≤ high (low=${low}, high=${high}); swap them.`);
  if (log && low <= 0) fail(`${where}: a log distribution needs low > 0 (low=${low}, high=${high}).`);
  if (step !== null && !(checkNumber(where, "step", step) > 0)) fail(`${where}: step must be > 0, got ${step}.`);
  return { kind: "float", low, high: step === null ? high : adjustFloatHigh(low, high, step), log, step };
}

export function intDistribution(low: number, high: number, opts: { log?: boolean; step?: number } = {}, where = "suggestInt"): IntDistribution {
  for (const [n, v] of [["low", low], ["high", high]] as const) {
    if (!Number.isInteger(v)) fail(`${where}: \`${n}\` must be an integer, got ${JSON.stringify(v)}; use suggestFloat for real values.`);
  }
  const log = opts.log ?? false;
  const step = opts.step ?? 1;
  if (!Number.isInteger(step) || step <= 0) fail(`${where}: step must be a positive integer, got ${step}.`);
  if (log && step !== 1) fail(`${where}: \`log: true\` needs step = 1 (got step=${step}).`);
  if (low > high) fail(`${where}: low must be ≤ high (low=${low}, high=${high}); swap them.`);
  if (log && low < 1) fail(`${where}: a log int distribution needs low ≥ 1 (low=${low}, high=${high}).`);
  const r = high - low;
  let h = high;
  if (r % step !== 0) {
    h = Math.floor(r / step) * step + low;
    console.warn(`The range [${low}, ${high}] is not divisible by step=${step}: high is replaced by ${h}.`);
  }
  return { kind: "int", low, high: h, log, step };
}

export function categoricalDistribution(choices: readonly CategoricalChoice[], where = "suggestCategorical"): CategoricalDistribution {
  if (!Array.isArray(choices) || choices.length === 0) fail(`${where}: choices must be a non-empty array.`);
  for (const c of choices) {
    if (c !== null && !["boolean", "number", "string"].includes(typeof c)) {
      fail(`${where}: choices must be null, boolean, number or string (Optuna's storable types), got ${typeof c}; store an index or a name instead.`);
    }
  }
  return { kind: "categorical", choices: [...choices] };
}

/** Does the range hold a single value (then no sampler is asked)? */
export function isSingle(d: Distribution): boolean {
  if (d.kind === "categorical") return d.choices.length === 1;
  if (d.low === d.high) return true;
  if (d.kind === "int") return !d.log && d.high - d.low < d.step;
  return d.step !== null && d.high - d.low < d.step;
}

export function singleValue(d: Distribution): ParamValue {
  return d.kind === "categorical" ? d.choices[0] : d.low;
}

export function toInternal(d: Distribution, value: ParamValue): number {
  if (d.kind === "categorical") {
    const i = d.choices.findIndex((c) => c === value || (Number.isNaN(c) && Number.isNaN(value)));
    if (i < 0) fail(`${JSON.stringify(value)} is not one of the choices ${JSON.stringify(d.choices)}.`);
    return i;
  }
  if (typeof value !== "number" || Number.isNaN(value)) fail(`${JSON.stringify(value)} is not a valid value for a ${d.kind} distribution.`);
  return value as number;
}

export function toExternal(d: Distribution, internal: number): ParamValue {
  if (d.kind === "categorical") return d.choices[Math.trunc(internal)];
  return d.kind === "int" ? Math.trunc(internal) : internal;
}

export function contains(d: Distribution, internal: number): boolean {
  if (d.kind === "categorical") return internal >= 0 && internal < d.choices.length && Number.isInteger(internal);
  if (internal < d.low || internal > d.high) return false;
  if (d.kind === "int") return (internal - d.low) % d.step === 0;
  if (d.step === null) return true;
  const k = (internal - d.low) / d.step;
  return Math.abs(k - Math.round(k)) < 1e-8;
}

const OPTUNA_NAME = { float: "FloatDistribution", int: "IntDistribution", categorical: "CategoricalDistribution" } as const;

/** Exactly Optuna's `distribution_to_json` (attribute order is the Python `__dict__` order). */
export function distributionToJson(d: Distribution): string {
  const f = (x: number) => new PyFloat(x);
  if (d.kind === "float") {
    return pyDumps({ name: OPTUNA_NAME.float, attributes: { step: d.step === null ? null : f(d.step), low: f(d.low), high: f(d.high), log: d.log } });
  }
  if (d.kind === "int") return pyDumps({ name: OPTUNA_NAME.int, attributes: { log: d.log, step: d.step, low: d.low, high: d.high } });
  return pyDumps({ name: OPTUNA_NAME.categorical, attributes: { choices: [...d.choices] } });
}

type Attrs = Record<string, unknown>;
const num = (a: Attrs, k: string): number => checkNumber("distribution JSON", k, a[k]);

/** Optuna's `json_to_distribution`, including the deprecated classes and the abbreviated form. */
export function jsonToDistribution(json: string): Distribution {
  const parsed = pyLoads(json) as Attrs;
  if (parsed === null || typeof parsed !== "object") return fail(`Not a distribution JSON: ${json}`);
  const where = "distribution JSON";
  if (typeof parsed.name === "string") {
    const a = (parsed.attributes ?? {}) as Attrs;
    switch (parsed.name) {
      case "FloatDistribution":
        return floatDistribution(num(a, "low"), num(a, "high"), { log: Boolean(a.log), step: (a.step as number | null) ?? null }, where);
      case "UniformDistribution":
        return floatDistribution(num(a, "low"), num(a, "high"), {}, where);
      case "LogUniformDistribution":
        return floatDistribution(num(a, "low"), num(a, "high"), { log: true }, where);
      case "DiscreteUniformDistribution":
        return floatDistribution(num(a, "low"), num(a, "high"), { step: num(a, "q") }, where);
      case "IntDistribution":
        return intDistribution(num(a, "low"), num(a, "high"), { log: Boolean(a.log), step: (a.step as number) ?? 1 }, where);
      case "IntUniformDistribution":
        return intDistribution(num(a, "low"), num(a, "high"), { step: (a.step as number) ?? 1 }, where);
      case "IntLogUniformDistribution":
        return intDistribution(num(a, "low"), num(a, "high"), { log: true }, where);
      case "CategoricalDistribution":
        return categoricalDistribution(a.choices as CategoricalChoice[], where);
    }
    return fail(`Unknown distribution class: ${parsed.name} (expected FloatDistribution, IntDistribution or CategoricalDistribution).`);
  }
  switch (parsed.type) {
    case "categorical":
      return categoricalDistribution(parsed.choices as CategoricalChoice[], where);
    case "float":
      return floatDistribution(num(parsed, "low"), num(parsed, "high"), { log: Boolean(parsed.log), step: (parsed.step as number | null) ?? null }, where);
    case "int":
      return intDistribution(num(parsed, "low"), num(parsed, "high"), { log: Boolean(parsed.log), step: (parsed.step as number) ?? 1 }, where);
  }
  return fail(`Unknown distribution type: ${JSON.stringify(parsed.type)} (expected "float", "int" or "categorical").`);
}

export function describe(d: Distribution): string {
  if (d.kind === "categorical") return `categorical ${JSON.stringify(d.choices)}`;
  return `${d.kind} [${d.low}, ${d.high}]${d.log ? " log" : ""}${d.step !== null && d.step !== 1 ? ` step ${d.step}` : ""}`;
}

/** Optuna's `check_distribution_compatibility`: same kind, same log flag, same categorical choices. */
export function checkCompatibility(name: string, old: Distribution, neu: Distribution): void {
  const msg = `Parameter "${name}" was suggested as ${describe(old)} and now as ${describe(neu)}`;
  if (old.kind !== neu.kind) fail(`${msg}: a parameter keeps one kind of distribution within a study; use a new name.`);
  if (old.kind !== "categorical" && neu.kind !== "categorical" && old.log !== neu.log) fail(`${msg}: the log flag cannot change; use a new name.`);
  if (old.kind === "categorical" && neu.kind === "categorical") {
    const same = old.choices.length === neu.choices.length && old.choices.every((c, i) => c === neu.choices[i]);
    if (!same) fail(`${msg}: categorical choices cannot change (no dynamic value space); use a new name.`);
  }
}

/** Exact equality (Optuna's `==` on distributions), used by the intersection search space. */
export function sameDistribution(a: Distribution, b: Distribution): boolean {
  if (a.kind === "categorical" || b.kind === "categorical") {
    return a.kind === "categorical" && b.kind === "categorical" && a.choices.length === b.choices.length && a.choices.every((c, i) => c === b.choices[i]);
  }
  return a.kind === b.kind && a.low === b.low && a.high === b.high && a.log === b.log && a.step === b.step;
}
