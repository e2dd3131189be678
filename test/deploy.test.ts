/**
 * The two production entry points run the bot with the same V8 heap flags: the
 * `start` script (tsx) and the Dockerfile's CMD (compiled, plain node). The
 * capacity figures in README "Performance" are measured with them
 * (bench/lib.ts productionHeapFlags reads the start script).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

const root = new URL('../', import.meta.url);
const heapFlags = (args: string[]) => args.filter((arg) => /^--max-(old|semi)-space-size=\d+$/.test(arg));

test('the start script and the Dockerfile CMD pass the same heap flags', async () => {
  const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { scripts: { start: string } };
  const dockerfile = await readFile(new URL('Dockerfile', root), 'utf8');
  const cmd = dockerfile.split('\n').find((line) => line.startsWith('CMD '));
  assert.ok(cmd, 'the Dockerfile has a CMD');
  const fromStart = heapFlags(pkg.scripts.start.split(/\s+/));
  assert.deepEqual(fromStart.map((f) => f.split('=')[0]), ['--max-old-space-size', '--max-semi-space-size']);
  assert.deepEqual(heapFlags(JSON.parse(cmd.slice('CMD '.length)) as string[]), fromStart);
});
