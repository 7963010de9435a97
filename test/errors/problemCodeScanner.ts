/**
 * Finds every place `src/` makes a problem: `new KexinError('CODE', message, status?)` and
 * `super('CODE', message, status?)` inside a class that extends KexinError (directly or through
 * another such class). Read with the TypeScript parser, so messages with commas, template strings and
 * nested calls cannot fool it. A code or status that is not a literal is reported as unreadable: the
 * registry test then fails, because a code it cannot see is a code nobody can hold to one status.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface ProblemSite {
  readonly file: string;
  readonly line: number;
  readonly code: string | undefined;
  /** `undefined` when the argument is not a numeric literal; 400 when omitted (KexinError's default). */
  readonly status: number | undefined;
  readonly text: string;
}

const DEFAULT_STATUS = 400;

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

function literalString(node: ts.Expression | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

function literalStatus(node: ts.Expression | undefined): number | undefined {
  if (node === undefined) return DEFAULT_STATUS;
  return ts.isNumericLiteral(node) ? Number(node.text) : undefined;
}

/** Every problem-making call under `srcDir`. */
export function scanProblemSites(srcDir: string): ProblemSite[] {
  const files = [...tsFiles(srcDir)].map((f) => ({ f, sf: ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true) }));
  // Classes that are KexinErrors: KexinError itself, and (to a fixed point) whatever extends one.
  const errorClasses = new Set(['KexinError']);
  for (let grew = true; grew;) {
    grew = false;
    for (const { sf } of files) {
      sf.forEachChild(function visit(node): void {
        if (ts.isClassDeclaration(node) && node.name && !errorClasses.has(node.name.text)) {
          const base = node.heritageClauses?.flatMap((h) => h.types).find((t) => ts.isIdentifier(t.expression) && errorClasses.has(t.expression.text));
          if (base) {
            errorClasses.add(node.name.text);
            grew = true;
          }
        }
        node.forEachChild(visit);
      });
    }
  }
  const sites: ProblemSite[] = [];
  for (const { f, sf } of files) {
    const add = (node: ts.Node, args: ts.NodeArray<ts.Expression> | undefined) => {
      sites.push({
        file: relative(srcDir, f), line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1,
        code: literalString(args?.[0]), status: literalStatus(args?.[2]), text: node.getText().slice(0, 120),
      });
    };
    const visit = (node: ts.Node, inErrorClass: boolean): void => {
      if (ts.isClassDeclaration(node)) {
        const base = node.heritageClauses?.flatMap((h) => h.types).find((t) => ts.isIdentifier(t.expression) && errorClasses.has(t.expression.text));
        node.forEachChild((c) => visit(c, base !== undefined));
        return;
      }
      // KexinError's own constructor (errors.ts) forwards its parameters: not a site.
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'KexinError') add(node, node.arguments);
      if (inErrorClass && ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword) add(node, node.arguments);
      node.forEachChild((c) => visit(c, inErrorClass));
    };
    visit(sf, false);
  }
  return sites;
}
