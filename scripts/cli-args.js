// The scripts' command-line flags: `opt("steps", 10)` reads `--steps 20`, `flag("json")` reads `--json`.
// A flag given without a value (or followed by another flag) keeps the default.
"use strict";

function cliArgs(args = process.argv.slice(2)) {
  const opt = (n, d) => {
    const i = args.indexOf("--" + n);
    return i < 0 || i + 1 >= args.length || args[i + 1].startsWith("--") ? d : args[i + 1];
  };
  const flag = (n) => args.includes("--" + n);
  return { args, opt, flag };
}

module.exports = { cliArgs };
