/**
 * A storyboard survives SIGKILL: the console bot (`node src/main.js`,
 * transpiled once by test/helpers/bot-build.ts, its script on stdin) accepts a three-shot board against a
 * provider simulator this test hosts, and is killed with SIGKILL (no shutdown
 * code runs) while the shots render, which they do until this test moves the
 * simulator's ManualClock. A second process on the same DATA_DIR and SQLite
 * store resumes the board: it is delivered once and charged once, and the
 * provider made each shot once (the persisted idempotency keys).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { monthOf } from '../../src/core/ledger.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { compiledEntry } from '../helpers/bot-build.js';
import { realWait, waitFor } from '../helpers/drive.js';
import { probeDuration } from '../helpers/video-probe.js';
import { readBotData } from '../helpers/bot-tables.js';

const root = path.resolve(import.meta.dirname, '../..');

interface BotProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

describe('storyboard crash safety: SIGKILL mid-board, restart on the same store', { timeout: 600_000 }, () => {
  const simClock = new ManualClock(Date.now());
  let sim: Simulator;
  let dataDir: string;
  let current: BotProcess | undefined;
  let main: string;

  before(async () => {
    main = await compiledEntry('src/main.ts');
    sim = await startSimulator({ clock: simClock, renderMsPerVideoSecond: 1000, render: { ffmpegPath: false } });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'board-crash-'));
  });
  after(async () => {
    current?.child.kill('SIGKILL');
    await current?.exited;
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  function startBot(script: string): BotProcess {
    const child = spawn(process.execPath, [main], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: '0',
        HTTP_HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SIMULATOR: 'off',
        LOG_LEVEL: 'warn',
        USER: 'alice',
        OPENAI_API_KEY: 'sk-board-crash-key',
        OPENAI_BASE_URL: sim.openaiBaseUrl,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdin!.end(script);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    current = { child, output: () => output, exited };
    return current;
  }

  it('is delivered once and charged once after a SIGKILL while its shots render', async () => {
    const first = startBot(
      [
        '/character create mascot --video src/simulator/assets/sample.mp4 --description "a round orange robot"',
        '/sora storyboard @mascot wakes up | @mascot makes coffee | @mascot walks to the beach --seconds 4',
      ].join('\n'),
    );
    // Two shots are with the provider (the team's concurrency is 2), none finished (the simulator's clock
    // has not moved), the third waits in the bot's queue.
    await waitFor(() => sim.jobs.list('openai').length === 2 || first.child.exitCode !== null, 'two shots submitted', 180_000);
    const boardId = /Storyboard (b_\w+) accepted/.exec(first.output())?.[1];
    assert.ok(boardId, first.output());
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed by a signal');

    const second = startBot('');
    let code: number | null | undefined;
    void second.exited.then((c) => (code = c));
    // Let the renders finish on the simulator's clock; the restarted bot resumes, joins and posts, then exits.
    while (code === undefined) {
      await simClock.advance(1_000, 1_000);
      await realWait(20);
    }
    assert.equal(code, 0, second.output());
    const output = first.output() + second.output();
    assert.equal(output.match(new RegExp(`\\[${boardId}\\] done:`, 'g'))?.length, 1, `delivered once:\n${output}`);
    assert.equal(sim.jobs.list('openai').length, 3, 'each shot made once by the provider');

    await readBotData(dataDir, async (data) => {
      const shots = (await data.jobs.recent('console:local')).filter((j) => j.board?.id === boardId);
      assert.equal(shots.length, 3);
      assert.ok(shots.every((j) => j.state === 'delivered'));
      const summary = await data.ledger.summary('console:local', monthOf(shots[0]!.createdAt));
      assert.equal(summary.total.spentMicros, shots.reduce((s, j) => s + j.priceMicros!, 0), 'charged once: the sum of the shots');
      assert.equal(summary.total.jobs, 3, 'three settlements, one per shot');
      assert.equal(summary.total.reservedMicros, 0);
      const total = (await Promise.all(shots.map((j) => probeDuration(j.resultPath!)))).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs((await probeDuration(path.join(dataDir, 'videos', `${boardId}.mp4`))) - total) <= 0.2);
    });
  });
});
