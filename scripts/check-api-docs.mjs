#!/usr/bin/env node
// Fails when a name the package exports has no doc comment (/** … */): the API reference
// (`pnpm docs:api`, TypeDoc) is built from those comments. Checks every export of the public
// entry (packages/sepconv/src/index.ts, which every runtime entry re-exports), following re-exports
// to the declaration. TypeDoc's own validation.notDocumented would also demand a comment on every
// interface method and property; this asks it of the exported names.
//
//   node scripts/check-api-docs.mjs [entry.ts]
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(process.argv[2] ?? join(root, 'packages/sepconv/src/index.ts'));

const program = ts.createProgram([entry], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowJs: false, noEmit: true, skipLibCheck: true });
const checker = program.getTypeChecker();
const source = program.getSourceFile(entry);
if (!source) throw new Error(`cannot read ${entry}`);
const moduleSymbol = checker.getSymbolAtLocation(source);
if (!moduleSymbol) throw new Error(`${entry} is not a module`);

/** True when the declaration (or, for a variable, its statement) carries a /** comment with text or tags. */
function documented(decl) {
  return ts.getJSDocCommentsAndTags(decl).some((d) => ts.isJSDoc(d) && (d.comment || d.tags?.length));
}

const missing = [];
const exports = checker.getExportsOfModule(moduleSymbol);
for (const sym of exports) {
  const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  const decls = target.declarations ?? [];
  if (decls.length && !decls.some(documented)) {
    const d = decls[0];
    const { line } = d.getSourceFile().getLineAndCharacterOfPosition(d.getStart());
    missing.push(`${relative(root, d.getSourceFile().fileName)}:${line + 1}  ${sym.name}`);
  }
}
if (missing.length) {
  console.error(`${missing.length} of ${exports.length} exported names have no doc comment (/** … */), which the API reference (pnpm docs:api) is made of:\n  ${missing.sort().join('\n  ')}`);
  process.exit(1);
}
console.log(`API docs: all ${exports.length} exported names have a doc comment`);
