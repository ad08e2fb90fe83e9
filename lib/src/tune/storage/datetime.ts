// Python's naive `datetime.now().isoformat(timespec="microseconds")` (local time) and back.

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

export function toPyIso(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`;
}

const ISO = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?(Z|[+-]\d\d:?\d\d)?$/;

export function fromPyIso(s: string): Date {
  const m = ISO.exec(s);
  if (!m) throw new Error(`Not an ISO datetime: ${JSON.stringify(s)}`);
  const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const ms = Math.floor(Number((m[7] ?? "0").padEnd(6, "0")) / 1000);
  if (!m[8]) return new Date(y, mo - 1, d, h, mi, sec, ms);
  let offsetMin = 0;
  if (m[8] !== "Z") {
    const t = m[8].replace(":", "");
    offsetMin = (t[0] === "-" ? -1 : 1) * (Number(t.slice(1, 3)) * 60 + Number(t.slice(3, 5)));
  }
  return new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMin * 60000);
}
