/**
 * The boundaries worth guarding, read with the TypeScript compiler's own parser
 * (a line filter missed an import spread over two lines):
 * - src/core imports nothing from chat adapters, backends, the simulator, stores,
 *   media, the command specs or infrastructure, and no platform, store or logging
 *   library: it talks to its ports only;
 * - chat adapters never import a backend or the simulator: they reach providers
 *   only through the core;
 * - chat adapters and the command modules use the Studio's facade only, never
 *   its parts (src/core/studio-internals.ts is the tests' and benches' port).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');

/** Every module a file names: static imports, `export … from`, `import()` calls and `import('…')` types. */
export function importedModules(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

interface Rule {
  /** Folder (relative to the repository) whose files the rule covers. */
  scope: string;
  /** Folders (relative to the repository) those files must not reach. */
  forbiddenPaths: string[];
  /** Package names those files must not import. */
  forbiddenPackages: RegExp;
}

const RULES: Rule[] = [
  {
    scope: 'src/core',
    forbiddenPaths: [
      'src/chat',
      'src/backends',
      'src/simulator',
      'src/store',
      'src/media',
      'src/webhooks',
      'src/http',
      'src/app.ts',
      'src/main.ts',
      'src/config.ts',
      'src/log.ts',
      'commands',
    ],
    forbiddenPackages: /^(pino|pino-pretty|discord\.js|@discordjs\/.*|@slack\/.*|undici|keyv|@keyv\/.*|pg|ioredis|redis|@aws-sdk\/.*)$/,
  },
  {
    scope: 'src/chat',
    forbiddenPaths: ['src/backends', 'src/simulator', 'src/core/studio-internals.ts'],
    forbiddenPackages: /^$/,
  },
  {
    scope: 'commands',
    forbiddenPaths: ['src/chat', 'src/backends', 'src/simulator', 'src/core/studio-internals.ts'],
    forbiddenPackages: /^(discord\.js|@discordjs\/.*|@slack\/.*)$/,
  },
];

/** The rule violations of one file, as `specifier (reason)` strings. */
export function violations(fileName: string, text: string, rule: Rule): string[] {
  const out: string[] = [];
  for (const specifier of importedModules(fileName, text)) {
    if (specifier.startsWith('.')) {
      const target = path.relative(root, path.resolve(path.dirname(fileName), specifier));
      const hit = rule.forbiddenPaths.find((p) => target === p || target.startsWith(`${p}/`) || target === p.replace(/\.ts$/, '.js'));
      if (hit) out.push(`${specifier} (reaches ${hit})`);
    } else if (!specifier.startsWith('node:') && rule.forbiddenPackages.test(specifier)) {
      out.push(`${specifier} (package)`);
    }
  }
  return out;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
}

describe('architecture', () => {
  for (const rule of RULES) {
    it(`keeps ${rule.scope} inside its boundary`, async () => {
      const files = await sourceFiles(path.join(root, rule.scope));
      assert.ok(files.length > 5, `found the files of ${rule.scope}`);
      const bad: string[] = [];
      for (const file of files) {
        for (const v of violations(file, await readFile(file, 'utf8'), rule)) bad.push(`${path.relative(root, file)}: ${v}`);
      }
      assert.deepEqual(bad, []);
    });
  }

  it('catches the forms a line filter misses (proof that the guard can fail)', () => {
    const scratch = path.join(src, 'core', 'scratch.ts');
    const core = RULES[0]!;
    const multiLine = `import {\n  createDiscordAdapter,\n  type ChatAdapters,\n} from\n  '../chat/index.js';\n`;
    assert.deepEqual(violations(scratch, multiLine, core), ['../chat/index.js (reaches src/chat)']);
    assert.deepEqual(violations(scratch, `const m = await import('../backends/fal.js');`, core), ['../backends/fal.js (reaches src/backends)']);
    assert.deepEqual(violations(scratch, `type L = import('pino').Logger;`, core), ['pino (package)']);
    assert.deepEqual(violations(scratch, `export { x } from '../../commands/sora.js';`, core), ['../../commands/sora.js (reaches commands)']);
    assert.deepEqual(violations(scratch, `import { x } from './ports.js';\n// import { y } from '../chat/index.js';`, core), []);
    const adapter = path.join(src, 'chat', 'slack', 'scratch.ts');
    assert.deepEqual(violations(adapter, `import { createFalBackend } from '../../backends/fal.js';`, RULES[1]!), ['../../backends/fal.js (reaches src/backends)']);
    assert.deepEqual(violations(adapter, `import { internalsOf } from '../../core/studio-internals.js';`, RULES[1]!), ['../../core/studio-internals.js (reaches src/core/studio-internals.ts)']);
  });
});
