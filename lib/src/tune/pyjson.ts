// Python-compatible JSON, so that tsdl writes the journal byte-for-byte like Optuna's `json.dumps`
// (", " / ": " separators, float repr "10.0" / "1e-05", ensure_ascii, NaN / Infinity tokens).

/** A number that Python holds as a float: always printed with a point or an exponent. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyJson = null | boolean | number | string | PyFloat | PyJson[] | { [key: string]: PyJson | undefined };

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expStr] = x.toExponential().split("e");
  const e = Number(expStr);
  const sign = mant.startsWith("-") ? "-" : "";
  const digits = mant.replace("-", "").replace(".", "");
  if (e >= -4 && e < 16) {
    if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
    const padded = digits.padEnd(e + 1, "0");
    const frac = padded.slice(e + 1);
    return `${sign}${padded.slice(0, e + 1)}.${frac || "0"}`;
  }
  const rest = digits.slice(1);
  const ae = Math.abs(e);
  return `${sign}${digits[0]}${rest ? "." + rest : ""}e${e < 0 ? "-" : "+"}${ae < 10 ? "0" + ae : ae}`;
}

/** `json.dumps(s)` with ensure_ascii: every char outside printable ASCII as \uXXXX. */
function pyString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** `json.dumps(value)`. JS integers print as Python ints, `PyFloat` as Python floats. */
export function pyDumps(value: PyJson): string {
  if (value === null) return "null";
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
    case "string":
      return pyString(value);
  }
  if (Array.isArray(value)) return "[" + value.map(pyDumps).join(", ") + "]";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) if (v !== undefined) parts.push(`${pyString(k)}: ${pyDumps(v)}`);
  return "{" + parts.join(", ") + "}";
}

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const MARK = "\u0000tsdl-num:";

/** `json.loads`: JSON.parse plus Python's NaN / Infinity / -Infinity tokens. */
export function pyLoads(text: string): unknown {
  if (!/NaN|Infinity/.test(text)) return JSON.parse(text);
  // Quote the bare tokens (strings are matched first so their content stays untouched).
  const quoted = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) => (m.startsWith('"') ? m : JSON.stringify(MARK + m)));
  return JSON.parse(quoted, (_k, v: unknown) => (typeof v === "string" && v.startsWith(MARK) ? SPECIAL[v.slice(MARK.length)] : v));
}
