// Run profiles: `full` (a student's default) reproduces the seeds' protocols,
// `fast` (CI, TSDL_PROFILE=fast) runs every cell on small budgets.

export type Profile = "fast" | "full";

/** The active profile, read from TSDL_PROFILE (default `full`). */
export function profile(): Profile {
  const raw = (process.env.TSDL_PROFILE ?? "full").trim().toLowerCase();
  if (raw === "" || raw === "full") return "full";
  if (raw === "fast") return "fast";
  throw new Error(
    `TSDL_PROFILE="${process.env.TSDL_PROFILE}" is not a profile: use TSDL_PROFILE=fast or TSDL_PROFILE=full (the default).`,
  );
}

/** `byProfile({ fast: 2, full: 30 })` — the value for the active profile. */
export function byProfile<T>(values: { fast: T; full: T }): T {
  return values[profile()];
}

export const isFast = (): boolean => profile() === "fast";
