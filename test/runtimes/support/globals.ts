// Finds references to host-specific globals (DOM, Node) in bundled JS by parsing it, so words in
// strings and comments (an error message saying "pool window") do not count.
import ts from 'typescript';

export const DOM_GLOBALS = ['document', 'window', 'navigator', 'localStorage', 'sessionStorage', 'HTMLElement', 'HTMLCanvasElement', 'HTMLImageElement', 'HTMLVideoElement', 'OffscreenCanvas', 'Image'];
export const NODE_GLOBALS = ['process', 'Buffer', 'require', '__dirname', '__filename', 'module', 'global'];

/** `typeof process !== 'undefined' && !!process.versions?.node` (any quoting/minified form) is feature detection. */
const GUARDED_NODE_CHECK = /typeof process\s*(?:!==|!=|<)\s*["']u(?:ndefined)?["']\s*&&\s*!!\s*process\.versions\??\.node/g;

/** A binding this code declares (a local of that name shadows the global). */
function isDeclaration(id: ts.Identifier): boolean {
  const p = id.parent;
  const named = ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p) || ts.isClassDeclaration(p) || ts.isClassExpression(p) || ts.isBindingElement(p) || ts.isImportClause(p) || ts.isNamespaceImport(p);
  return (named && p.name === id) || (ts.isImportSpecifier(p) && p.name === id);
}

/** A name that is not a variable reference: `x.window`, `{ window: 1 }`, class members, labels, export/import aliases. */
function isPropertyName(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) || ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) {
    return p.name === id;
  }
  if (ts.isBindingElement(p)) return p.propertyName === id;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return true;
  if (ts.isExportSpecifier(p) || ts.isImportSpecifier(p)) return p.propertyName === id || ts.isExportSpecifier(p);
  return false;
}

/** Each unguarded reference to one of `names` that the code does not declare itself, with context. */
export function hostGlobalRefs(code: string, names: readonly string[]): string[] {
  const src = code.replace(GUARDED_NODE_CHECK, 'false');
  const file = ts.createSourceFile('bundle.js', src, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const wanted = new Set(names);
  const declared = new Set<string>();
  const refs: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && wanted.has(n.text)) {
      if (isDeclaration(n)) declared.add(n.text);
      else if (!isPropertyName(n) && !ts.isTypeOfExpression(n.parent)) refs.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  return refs
    .filter((id) => !declared.has(id.text))
    .map((id) => `${id.text} in …${src.slice(Math.max(0, id.getStart() - 40), id.getEnd() + 40)}…`);
}
