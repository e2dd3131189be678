/**
 * The bot as plain JavaScript, for tests that start the real process again and
 * again (kills at random points, crash stages, replicas). Under
 * `node --import tsx` every start pays 1-1.5 s more CPU for the loader alone
 * (its hooks thread resolves and loads every module the bot imports); the
 * Dockerfile runs the compiled build under plain node, and so do these tests.
 * `npm start` itself (tsx) stays covered by the tests that are about it
 * (test/e2e/demo-twice, start-without-keys, dotenv, console).
 *
 * Transpiled file by file with TypeScript's `transpileModule` (no type check:
 * `npm run typecheck` does that), once per state of the sources: the folder
 * under the OS temp dir is named after a hash of every file, so test files
 * running side by side and later runs share it.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './drive.js';

const root = path.resolve(import.meta.dirname, '../..');
/** Everything a spawned bot imports: the bot, its commands, and the one test entry that runs it over IPC. */
const SOURCES = ['src', 'commands', 'test/helpers/cluster-node.ts'];
const ASSETS = ['src/simulator/assets'];

let built: Promise<string> | undefined;

/** The folder holding the transpiled tree (`src/main.js`, `test/helpers/cluster-node.js`, …); built on first use. */
export function compiledBot(): Promise<string> {
  built ??= build();
  return built;
}

/** The transpiled file for `relative`, a .ts path from the repository root (`src/main.ts`). */
export async function compiledEntry(relative: string): Promise<string> {
  return path.join(await compiledBot(), relative.replace(/\.ts$/, '.js'));
}

async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const entry of SOURCES) {
    const full = path.join(root, entry);
    if ((await stat(full)).isFile()) files.push(entry);
    else for (const f of await readdir(full, { recursive: true })) if (f.endsWith('.ts')) files.push(path.join(entry, f));
  }
  return files.sort();
}

async function build(): Promise<string> {
  const files = await sourceFiles();
  const hash = createHash('sha256');
  const texts = await Promise.all(files.map((f) => readFile(path.join(root, f), 'utf8')));
  files.forEach((f, i) => hash.update(`${f}\0${texts[i]}\0`));
  const dir = path.join(os.tmpdir(), `sora-bot-js-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(dir)) return dir;

  // Another test file may be building the same tree: the first to make the lock builds, the others wait.
  const lock = `${dir}.lock`;
  try {
    await mkdir(lock);
  } catch {
    // A lock older than this was left by a process that died while building.
    const stale = () => Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 300_000;
    await waitFor(() => existsSync(dir) || !existsSync(lock) || stale(), 'another test process to transpile the bot', 600_000);
    if (existsSync(dir)) return dir;
    await rm(lock, { recursive: true, force: true });
    return build();
  }
  try {
    const { default: ts } = await import('typescript');
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await Promise.all(
      files.map(async (file, i) => {
        const { outputText } = ts.transpileModule(texts[i]!, {
          fileName: file,
          compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true, esModuleInterop: true },
        });
        const out = path.join(tmp, file.replace(/\.ts$/, '.js'));
        await mkdir(path.dirname(out), { recursive: true });
        await writeFile(out, outputText);
      }),
    );
    for (const asset of ASSETS) await cp(path.join(root, asset), path.join(tmp, asset), { recursive: true });
    await writeFile(path.join(tmp, 'package.json'), JSON.stringify({ type: 'module' }));
    // Packages resolve from the tree's own node_modules, which is the repository's.
    await symlink(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
    await rename(tmp, dir);
    await removeOldTrees(dir);
    return dir;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Trees of earlier source states, once no test can still be running from them. */
async function removeOldTrees(current: string): Promise<void> {
  const tmp = path.dirname(current);
  for (const name of await readdir(tmp)) {
    const full = path.join(tmp, name);
    if (!name.startsWith('sora-bot-js-') || full === current) continue;
    const { mtimeMs } = await stat(full).catch(() => ({ mtimeMs: Date.now() }));
    if (Date.now() - mtimeMs > 3_600_000) await rm(full, { recursive: true, force: true });
  }
}
