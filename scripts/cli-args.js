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

/**
 * `--help` / `-h`: prints the script's leading comment block (its documentation) and exits 0, so that no
 * script mistakes `--help` for a file name or an option value.
 */
function helpFromHeader(file, args = process.argv.slice(2)) {
  if (!args.includes("--help") && !args.includes("-h")) return;
  const lines = require("fs").readFileSync(file, "utf8").split("\n");
  const doc = [];
  for (const line of lines) {
    if (line.startsWith("#!")) continue;
    if (!line.startsWith("//")) break;
    doc.push(line.replace(/^\/\/ ?/, ""));
  }
  process.stdout.write(doc.join("\n") + "\n");
  process.exit(0);
}

module.exports = { cliArgs, helpFromHeader };
