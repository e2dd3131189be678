/**
 * Crash safety with a real process: `node src/main.js` (transpiled once,
 * test/helpers/bot-build.ts, as the Dockerfile runs it) runs the
 * bot against a provider simulator and a fake Slack that this test hosts on
 * 127.0.0.1, and is killed with SIGKILL (no shutdown code runs) at each stage
 * of a job, then started again on the same DATA_DIR and SQLite store.
 *
 * Each stage is reached deterministically, never by timing luck: the fake
 * Slack withholds its answer to the call the bot is making, the simulator
 * holds a route open (`slow` without a deadline), and the simulator's clock is
 * a ManualClock that only this test moves, so a render sits "in progress"
 * until the test lets it finish.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import type { JobRecord } from '../../src/core/types.js';
import { FakeSlack, postSigned, slashCommandPayload } from '../fakes/slack/fake-slack.js';
import { compiledEntry } from '../helpers/bot-build.js';
import { realWait } from '../helpers/drive.js';
import { freePort } from '../helpers/test-bot.js';
import type { Ledger } from '../../src/core/ports.js';
import { readBotData } from '../helpers/bot-tables.js';

const root = path.resolve(import.meta.dirname, '../..');
const SIGNING_SECRET = 'crash-test-signing-secret';
const TEAM = 'T0CRASH';
const CHANNEL = 'C0CRASH';
const TENANT = `slack:${TEAM}`;

interface BotProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await realWait(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('crash safety: SIGKILL at every stage of a job, restart on the same store', { timeout: 900_000 }, () => {
  const simClock = new ManualClock(Date.now());
  let sim: Simulator;
  let fake: FakeSlack;
  let dataDir: string;
  let port: number;
  let current: BotProcess | undefined;

  before(async () => {
    sim = await startSimulator({ clock: simClock, renderMsPerVideoSecond: 1000, render: { ffmpegPath: false } });
    fake = await new FakeSlack({ teamId: TEAM, botToken: 'xoxb-crash-test' }).start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'crash-e2e-'));
    port = await freePort();
  });
  after(async () => {
    current?.child.kill('SIGKILL');
    await current?.exited;
    await fake.stop();
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startBotProcess(): Promise<BotProcess> {
    const child = spawn(process.execPath, [await compiledEntry('src/main.ts')], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        CONSOLE: 'off',
        SIMULATOR: 'off',
        LOG_LEVEL: 'info',
        OPENAI_API_KEY: 'sk-crash-test-key',
        OPENAI_BASE_URL: sim.openaiBaseUrl,
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.apiUrl,
        TENANT_CONCURRENCY: '4',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`bot exited at start:\n${output}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
      } catch {
        return false;
      }
    }, 'the bot process to become ready');
    current = { child, output: () => output, exited };
    return current;
  }

  async function sigkill(bot: BotProcess): Promise<void> {
    bot.child.kill('SIGKILL');
    assert.equal(await bot.exited, null, 'killed by a signal, no exit code');
    current = undefined;
  }

  /** Opens the dead bot's store (only between processes: SQLite has one writer). */
  async function readStore<T>(read: (jobs: JobRecord[], ledger: Ledger) => Promise<T>): Promise<T> {
    return readBotData(dataDir, async ({ jobs, ledger }) => read((await jobs.recent(TENANT)).sort((a, b) => a.createdAt - b.createdAt), ledger));
  }

  const slash = (text: string, user: string) =>
    postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      slashCommandPayload({ command: '/sora', text, user, channel: CHANNEL, team: TEAM, responseUrl: fake.newResponseUrl() }),
      { secret: SIGNING_SECRET },
    );
  const updates = (pattern: RegExp) => fake.callsTo('chat.update').filter((c) => pattern.test(String(c.args.text)) || pattern.test(JSON.stringify(c.args.blocks ?? ''))).length;

  it('every job ends delivered exactly once or failed with its reservation released; no duplicate provider job', async () => {
    // --- 1. After the reservation: the bot has reserved and stored both jobs, and dies while posting them.
    fake.hold('chat.postMessage');
    // One of the two jobs will be blocked by moderation when its render ends: the "failed" ending.
    sim.faults.inject({ protocol: 'openai', fault: 'moderation', route: 'openai.create', times: 1 });
    let bot = await startBotProcess();
    for (const [user, prompt] of [['U0ALICE', 'a lighthouse at dusk'], ['U0BOB', 'a paper boat in the rain']] as const) {
      const ack = await slash(`generate ${prompt} --seconds 4`, user);
      assert.equal(ack.status, 200);
    }
    await waitFor(() => fake.callsTo('chat.postMessage').length >= 2, 'both jobs to reach Slack');
    assert.equal(sim.stats.count('openai.create'), 0, 'nothing was submitted yet');
    await sigkill(bot);
    fake.release('chat.postMessage');

    // --- 2. During submission: the create calls reach the provider and are held open.
    const heldCreate = sim.faults.inject({ protocol: 'openai', fault: 'slow', route: 'openai.create' });
    bot = await startBotProcess();
    await waitFor(() => sim.stats.count('openai.create') >= 2, 'both submissions to reach the provider');
    await sigkill(bot);
    sim.faults.clear(heldCreate.id);
    // The worst case: the provider accepted one of them, but the bot died before storing its id.
    // Replay that acceptance with the key the bot persisted before calling.
    const [firstJob] = await readStore(async (jobs) => jobs);
    assert.equal(firstJob!.state, 'submitting');
    const accepted = await fetch(`${sim.openaiBaseUrl}/videos`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-crash-test-key', 'content-type': 'application/json', 'idempotency-key': `${firstJob!.submissionKey}-openai` },
      body: JSON.stringify({ prompt: firstJob!.renderedPrompt ?? firstJob!.input.prompt, seconds: '4', size: '1280x720' }),
    });
    assert.equal(accepted.status, 200);
    assert.equal(sim.stats.jobsCreated, 1);

    // --- 3. After submission: the provider accepted both; the first status check is held open.
    const heldStatus = sim.faults.inject({ protocol: 'openai', fault: 'slow', route: 'openai.get' });
    bot = await startBotProcess();
    await waitFor(() => sim.stats.jobsCreated === 2 && sim.stats.count('openai.get') >= 1, 'both submissions and a status check');
    await sigkill(bot);
    sim.faults.clear(heldStatus.id);

    // --- 4. While running: the render is a quarter done and stays there (the simulator's clock is ours).
    simClock.set(simClock.now() + 1_000);
    const generatingBefore = updates(/Generating/);
    bot = await startBotProcess();
    await waitFor(() => updates(/Generating/) > generatingBefore, 'the bot to report the running render');
    await sigkill(bot);

    // --- 5. While downloading: the render finishes (one of them blocked); the content route is held.
    simClock.set(simClock.now() + 10_000);
    const heldContent = sim.faults.inject({ protocol: 'openai', fault: 'slow', route: 'openai.content' });
    const contentBefore = sim.stats.count('openai.content');
    bot = await startBotProcess();
    await waitFor(() => sim.stats.count('openai.content') > contentBefore, 'the download to start');
    await sigkill(bot);
    sim.faults.clear(heldContent.id);

    // --- 6. While posting the video: Slack stores the upload in the thread but the bot dies before the answer.
    fake.hold('files.completeUploadExternal', { applied: true });
    bot = await startBotProcess();
    await waitFor(() => fake.callsTo('files.completeUploadExternal').length >= 1, 'the upload to Slack');
    await sigkill(bot);
    fake.release('files.completeUploadExternal');

    // --- Last start: everything left must finish on its own.
    bot = await startBotProcess();
    await waitFor(() => updates(/Done:/) >= 1, 'the delivery to be confirmed');
    bot.child.kill('SIGTERM');
    assert.equal(await bot.exited, 0, bot.output());
    current = undefined;

    // The provider never saw a duplicate submission across six processes.
    assert.equal(sim.stats.jobsCreated, 2);
    // Read the store the processes shared.
    await readStore(async (jobs, ledger) => {
      assert.equal(jobs.length, 2);
      const delivered = jobs.filter((j) => j.state === 'delivered');
      const failed = jobs.filter((j) => j.state === 'failed');
      assert.equal(delivered.length, 1, JSON.stringify(jobs.map((j) => [j.state, j.error])));
      assert.equal(failed.length, 1);
      assert.match(failed[0]!.error!.message, /blocked/);
      // Delivered exactly once: one file in the channel, despite the crash after Slack stored it.
      const completed = [...fake.uploads.values()].filter((u) => u.completed);
      assert.equal(completed.length, 1, 'exactly one video posted');
      assert.equal(completed[0]!.completed!.channel, CHANNEL);
      // Charged once, for the delivered job only; nothing left reserved.
      const summary = await ledger.summary(TENANT, delivered[0]!.ledgerMonth);
      assert.equal(summary.total.reservedMicros, 0, 'no reservation left open');
      assert.equal(summary.total.jobs, 1);
      assert.equal(summary.total.spentMicros, delivered[0]!.priceMicros);
      assert.equal(summary.total.spentMicros, 400_000);
    });
  });
});
