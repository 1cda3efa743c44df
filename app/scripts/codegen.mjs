// Generates the program's TypeScript client (src/generated/) from its Anchor IDL with Codama.
//
//   npm run codegen            # reads ../target/idl/portfolio_margin.json (run `bash scripts/idl` first)
//   IDL=path npm run codegen   # another IDL file
//
// Three adaptations, none of them to layouts:
// - the engine's fixed-point type is referenced by its Rust path
//   (`risk_engine::fixed_point::WrappedI80F48`) but defined as `WrappedI80F48`: references use the
//   plain name;
// - an instruction without accounts gets an empty account list (the renderer expects one);
// - the defined type `RiskParamsArgs` is renamed `RiskParamsInput` (see below).
// The program's error list is also written as src/generated/programErrors.json, so error messages
// survive production builds (Codama's error messages are development-only).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { createFromRoot, updateDefinedTypesVisitor } from 'codama';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const idlPath = resolve(appDir, process.env.IDL ?? '../target/idl/portfolio_margin.json');
if (!existsSync(idlPath)) {
  console.error(`codegen: ${idlPath} not found; run \`bash scripts/idl\` at the repository root first`);
  process.exit(1);
}
const idl = JSON.parse(readFileSync(idlPath, 'utf8'));

/** Replaces Rust-path type references (`a::b::Name`) by the defined type's plain name. */
function normalise(node) {
  if (Array.isArray(node)) return node.map(normalise);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === 'defined' && v && typeof v.name === 'string' ? { ...v, name: v.name.split('::').pop() } : normalise(v);
    }
    return out;
  }
  return node;
}

const root = rootNodeFromAnchor(normalise(idl));
// An instruction without accounts (`account_layouts`) comes out of the Anchor importer with no
// `accounts` list at all, which the renderer expects.
const program = { ...root.program, instructions: root.program.instructions.map((ix) => ({ accounts: [], ...ix })) };
const codama = createFromRoot({ ...root, program });
// The instruction argument type `RiskParamsArgs` would collide with the encoder-input type Codama
// derives for `RiskParams` (also `RiskParamsArgs`): render it as `RiskParamsInput`.
codama.update(updateDefinedTypesVisitor({ riskParamsArgs: { name: 'riskParamsInput' } }));
await codama.accept(
  renderVisitor(appDir, {
    generatedFolder: 'src/generated',
    syncPackageJson: false,
    kitImportStrategy: 'rootOnly',
    deleteFolderBeforeRendering: true,
  }),
);

const generated = resolve(appDir, 'src/generated');
mkdirSync(generated, { recursive: true });
const errors = (idl.errors ?? []).map(({ code, name, msg }) => ({ code, name, msg: msg ?? name }));
writeFileSync(resolve(generated, 'programErrors.json'), JSON.stringify({ address: idl.address, errors }, null, 2) + '\n');
console.log(`codegen: ${idlPath} -> src/generated (${idl.instructions.length} instructions, ${idl.accounts.length} accounts, ${errors.length} errors)`);
