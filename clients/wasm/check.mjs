// Replays the native answers of `write_fixtures_for_the_wasm_check` in the compiled WebAssembly:
//   node clients/wasm/check.mjs <bindings dir> <fixtures.jsonl>
// Every answer must be the same string (same bits, same decimals, same errors).
import { readFileSync, copyFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const [dir, fixtures] = process.argv.slice(2);
// The bindings are an ES module with a .js name; Node wants .mjs outside a "type": "module" package.
const tmp = mkdtempSync(join(tmpdir(), "risk-wasm-"));
copyFileSync(join(dir, "risk_wasm.js"), join(tmp, "risk_wasm.mjs"));
const m = await import(join(tmp, "risk_wasm.mjs"));
m.initSync({ module: readFileSync(join(dir, "risk_wasm_bg.wasm")) });

let failed = 0;
const lines = readFileSync(fixtures, "utf8").split("\n").filter(Boolean);
for (const [i, line] of lines.entries()) {
  const c = JSON.parse(line);
  const t0 = performance.now();
  const got = m[c.fn](c.request);
  const ms = (performance.now() - t0).toFixed(2);
  if (got !== c.expected) {
    failed++;
    console.error(`case ${i} (${c.fn}): wasm and native differ\n  wasm:   ${got}\n  native: ${c.expected}`);
  } else {
    console.log(`case ${i} (${c.fn}): identical (${ms} ms)`);
  }
}
// Garbage never throws across the boundary.
for (const bad of ["", "null", "{\"group\": 1}"]) {
  for (const fn of ["preview", "max_amount", "decode"]) {
    const v = JSON.parse(m[fn](bad));
    if (v.ok !== false || typeof v.error !== "string") { failed++; console.error(`${fn}(${bad}) -> ${JSON.stringify(v)}`); }
  }
}
if (failed) { console.error(`${failed} mismatches`); process.exit(1); }
console.log(`${lines.length} cases identical in wasm and native`);
