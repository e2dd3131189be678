/**
 * The one boundary worth guarding: src/core imports nothing from chat
 * adapters, specific backends or infrastructure. It talks to ports only.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';

const core = path.resolve(import.meta.dirname, '../src/core');
const FORBIDDEN = /from '\.\.\/(chat|backends|simulator|store|media|webhooks|http|app|main|config)[/.']/;

describe('architecture', () => {
  it('keeps src/core free of adapters, backends and infrastructure', async () => {
    const files = (await readdir(core)).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 10);
    for (const file of files) {
      const text = await readFile(path.join(core, file), 'utf8');
      const bad = text.split('\n').filter((line) => /^\s*(import|export)\b/.test(line) && FORBIDDEN.test(line));
      assert.deepEqual(bad, [], `${file} imports outside the core's ports`);
      assert.doesNotMatch(text, /from '(discord\.js|@slack\/bolt|undici|keyv|@keyv\/[a-z]+)'/, `${file} imports a platform or store library`);
    }
  });
});
