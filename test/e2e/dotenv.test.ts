/**
 * `.env` is read at start (the Quick start tells people to copy .env.example to
 * it), and a variable set in the real environment wins over the file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { applyDotEnv } from '../../src/config.js';

const main = path.resolve(import.meta.dirname, '../../src/main.ts');

/** Runs the real entry point in `cwd` with only the given environment; resolves on "bot ready" or exit. */
function start(cwd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // No NODE_TEST_CONTEXT: this process must behave as `npm start` does.
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let signalled = false;
    const take = (chunk: Buffer) => {
      out += chunk.toString();
      if (!signalled && out.includes('bot ready')) {
        signalled = true; // once: a second SIGTERM is the hard stop
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('.env', () => {
  it('fills unset variables from the file and leaves set ones alone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dotenv-'));
    const file = path.join(dir, '.env');
    await writeFile(file, '# comment\nPORT=9999\nLOG_LEVEL=debug\nDISCORD_TOKEN="quoted token"\n');
    const env: NodeJS.ProcessEnv = { PORT: '8081' };
    assert.deepEqual(applyDotEnv(file, env).sort(), ['DISCORD_TOKEN', 'LOG_LEVEL']);
    assert.deepEqual(env, { PORT: '8081', LOG_LEVEL: 'debug', DISCORD_TOKEN: 'quoted token' });
    assert.deepEqual(applyDotEnv(path.join(dir, 'missing.env'), env), [], 'no file is no error');
  });

  it('the real process reads .env from its working directory, and the environment wins', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dotenv-start-'));
    await writeFile(path.join(dir, '.env'), `PORT=abc\nCONSOLE=off\nDATA_DIR=${path.join(dir, 'data')}\n`);
    const refused = await start(dir, {});
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out, /PORT must be a TCP port \(0–65535\) \(got "abc"\)/, 'PORT=abc in .env is no longer silently ignored');

    const started = await start(dir, { PORT: '0' });
    assert.match(started.out, /bot ready/, started.out);
    assert.match(started.out, /read \.env/);
    assert.equal(started.code, 0, started.out);
  });
});
