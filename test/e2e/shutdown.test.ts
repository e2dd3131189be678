/**
 * Graceful shutdown on the node process itself (what an orchestrator signals):
 * ready means /healthz 200; SIGTERM stops the bot and exits 0, and the job in
 * flight is still in the store, unfinished, for the next start to resume.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../helpers/test-bot.js';
import { readBotData } from '../helpers/bot-tables.js';

const root = path.resolve(import.meta.dirname, '../..');

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    // Real time on purpose: this waits for another process to come up.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('graceful shutdown', () => {
  it('answers /healthz when ready and exits 0 on SIGTERM, leaving the running job to resume', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shutdown-'));
    const port = await freePort();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', CONSOLE: 'on', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '60' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

      const health = await waitFor(async () => {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        return r.status === 200 ? ((await r.json()) as { ok: boolean }) : undefined;
      }, 120_000);
      assert.equal(health.ok, true);
      // A slow job (60 s per video second) is still running when the signal arrives.
      child.stdin.write('/sora generate a glacier calving --seconds 8 --backend openai\n');
      await waitFor(async () => (/\[j_\w+\] sending to/.test(stdout) ? true : undefined), 120_000);

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.match(stderr, /shutting down/);

      await readBotData(dataDir, async (data) => {
        const id = /Job (j_\w+) accepted/.exec(stdout)![1]!;
        const job = await data.jobs.get(id);
        assert.ok(job && ['submitting', 'submitted', 'running'].includes(job.state), `job state ${job?.state}`);
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
