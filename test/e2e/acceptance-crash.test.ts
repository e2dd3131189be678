/**
 * Acceptance under random kills, with the real process: `node src/main.js`
 * (transpiled once, test/helpers/bot-build.ts, as the Dockerfile runs it) takes bursts of 40 `/sora generate` commands over Slack's
 * signed HTTP (fake Slack on 127.0.0.1) and is killed with SIGKILL at a random
 * point of each burst, at least 20 times, on the same DATA_DIR and SQLite
 * store. A last process then finishes every job. It passes only when `/cost`
 * shows nothing reserved for any team, every accepted job was delivered
 * exactly once (one upload, one parent message), and each team was charged
 * exactly what its delivered jobs cost.
 *
 * The kill points come from events, not sleeps: the test counts the acks it
 * receives and the bot's "job accepted" log lines, and kills the moment the
 * count drawn for the round is reached. With 40 acceptances in flight, that
 * lands at varied instructions of the others. ACCEPTANCE_CRASH_SEED replays a
 * run; ACCEPTANCE_CRASH_KILLS changes the number of kills (20 by default, the
 * issue's minimum; fewer only while debugging); ACCEPTANCE_CRASH_DEBUG=1 writes
 * each bot's log to the temp directory.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobRecord } from '../../src/core/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { FakeSlack, postSigned, slashCommandPayload } from '../fakes/slack/fake-slack.js';
import { compiledEntry } from '../helpers/bot-build.js';
import { freePort } from '../helpers/test-bot.js';
import type { MonthSummary } from '../../src/core/ports.js';
import { readBotData } from '../helpers/bot-tables.js';

const root = path.resolve(import.meta.dirname, '../..');
const SIGNING_SECRET = 'acceptance-crash-signing-secret';
const CHANNEL = 'C0BURST';
const BURST = 40;
const KILLS = Number(process.env.ACCEPTANCE_CRASH_KILLS ?? 20);
const SEED = Number(process.env.ACCEPTANCE_CRASH_SEED ?? 20261202);
/** One Slack team per round keeps each tenant's job list (its last 50) complete for the final check. */
const teamOf = (round: number) => `T0R${String(round).padStart(2, '0')}`;

/** A small seeded generator (LCG), so a failing run replays with its seed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

interface BotProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves when the bot's log has said `msg` `count` times. */
  logged: (msg: string, count: number) => Promise<void>;
  /** Resolves when the bot's output satisfies `test` (checked on each chunk it writes). */
  until: (test: (output: string) => boolean) => Promise<void>;
}

// About a minute on an idle 2-core machine (21 process starts); a start takes 20-45 s when the machine is
// shared by a dozen busy processes, hence the generous bound.
describe(`acceptance survives ${KILLS} SIGKILLs at random points of ${BURST}-command bursts`, { timeout: 1_800_000 }, () => {
  let sim: Simulator;
  let fake: FakeSlack;
  let dataDir: string;
  let port: number;
  let current: BotProcess | undefined;
  let main: string;
  const outputs: string[] = [];

  before(async () => {
    main = await compiledEntry('src/main.ts');
    // Real time, fast renders: jobs from earlier bursts finish (and are killed) while later bursts arrive.
    sim = await startSimulator({ renderMsPerVideoSecond: 100, concurrency: 10_000, render: { ffmpegPath: false } });
    fake = await new FakeSlack({ teamId: teamOf(0), botToken: 'xoxb-acceptance-crash' }).start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'acceptance-crash-'));
    port = await freePort();
  });
  after(async () => {
    current?.child.kill('SIGKILL');
    await current?.exited;
    await fake.stop();
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  function startBotProcess(): Promise<BotProcess> {
    const child = spawn(process.execPath, [main], {
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
        OPENAI_API_KEY: 'sk-acceptance-crash-key',
        OPENAI_BASE_URL: sim.openaiBaseUrl,
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.apiUrl,
        TENANT_CONCURRENCY: '40',
        BACKEND_CONCURRENCY: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const waiters: { test: (output: string) => boolean; resolve: () => void }[] = [];
    const count = (msg: string) => output.split(`"msg":"${msg}"`).length - 1;
    const check = () => {
      for (const w of [...waiters]) {
        if (w.test(output)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      if (process.env.ACCEPTANCE_CRASH_DEBUG) appendFileSync(path.join(os.tmpdir(), `acceptance-crash-bot-${child.pid}.log`), d);
      output += d.toString();
      check();
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const bot: BotProcess = {
      child,
      output: () => output,
      exited,
      until: (test) =>
        new Promise<void>((resolve, reject) => {
          waiters.push({ test, resolve });
          check();
          void exited.then(() => reject(new Error(`bot exited before its log showed what the test waits for:\n${output.slice(-4000)}`)));
        }),
      logged: (msg, n) => bot.until(() => count(msg) >= n),
    };
    current = bot;
    return bot.logged('bot ready', 1).then(() => bot);
  }

  async function sigkill(bot: BotProcess): Promise<void> {
    bot.child.kill('SIGKILL');
    assert.equal(await bot.exited, null, 'killed by a signal, no exit code');
    outputs.push(bot.output());
    current = undefined;
  }

  const slash = (team: string, text: string, user: string, responseUrl = fake.newResponseUrl(), command = '/sora', channel = CHANNEL) =>
    postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      slashCommandPayload({ command, text, user, channel, team, responseUrl }),
      { secret: SIGNING_SECRET },
    );

  it('ends with nothing reserved and every accepted job delivered exactly once', async () => {
    const random = seeded(SEED);
    const started = Date.now();
    const kills: string[] = [];
    for (let round = 0; round < KILLS; round++) {
      const bot = await startBotProcess();
      const team = teamOf(round);
      // Where this round dies: after the k-th ack Slack would see, or after the k-th acceptance.
      const by = random() < 0.5 ? 'ack' : 'accepted';
      const k = Math.floor(random() * (BURST + 1));
      let acks = 0;
      let fireAck!: () => void;
      const ackReached = new Promise<void>((resolve) => (fireAck = resolve));
      if (k === 0) fireAck();
      const burst = Array.from({ length: BURST }, (_, i) =>
        slash(team, `generate burst ${round} clip ${i} of a paper crane --seconds 4`, `U0M${i % 8}`).then(
          (r) => {
            if (r.status === 200 && ++acks >= k) fireAck();
          },
          () => undefined, // the connection died with the process
        ),
      );
      if (process.env.ACCEPTANCE_CRASH_DEBUG) console.error(`round ${round} started, kill by ${by}#${k}`);
      await (by === 'ack' ? ackReached : bot.logged('job accepted', k));
      await sigkill(bot);
      kills.push(`${by}#${k}`);
      await Promise.all(burst);
    }

    // The last process: nothing new arrives; every job it resumes must end.
    const last = await startBotProcess();
    if (process.env.ACCEPTANCE_CRASH_DEBUG) console.error(`last bot pid ${last.child.pid}`);
    const resumed = Number(/"jobs":(\d+),"msg":"resumed unfinished jobs"/.exec(last.output())?.[1] ?? 0);
    // Each resumed job logs exactly one ending (delivered, failed or cancelled) in this process.
    await last.until((output) => (output.match(/"msg":"job (delivered|failed|cancelled)"/g) ?? []).length >= resumed);

    // `/cost` in every team: nothing reserved.
    const costs = await Promise.all(
      Array.from({ length: KILLS }, async (_, round) => {
        const url = fake.newResponseUrl();
        assert.equal((await slash(teamOf(round), '', 'U0M0', url, '/cost')).status, 200);
        return { round, text: await responseText(url) };
      }),
    );
    for (const { round, text } of costs) assert.doesNotMatch(text, /reserved/, `team ${teamOf(round)} still shows money reserved:\n${text}`);

    last.child.kill('SIGTERM');
    assert.equal(await last.exited, 0, last.output().slice(-4000));
    outputs.push(last.output());
    current = undefined;

    // What users were told was accepted (the log line follows the reservation) must all be in the store.
    const acceptedIds = new Set([...outputs.join('\n').matchAll(/"job":"([^"]+)","tenant":"[^"]+","backend":"[^"]+","estimate":\d+,"msg":"job accepted"/g)].map((m) => m[1]!));
    const { jobs, summaries } = await readStore();
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const id of acceptedIds) assert.ok(byId.has(id), `accepted job ${id} has no record`);
    const uploadsPerJob = new Map<string, number>();
    // Videos only: `/cost` above uploads each team's spending chart (a PNG) as well.
    for (const u of fake.uploads.values()) if (u.completed && u.filename.endsWith('.mp4')) uploadsPerJob.set(u.filename, (uploadsPerJob.get(u.filename) ?? 0) + 1);
    const parentsPerJob = new Map<string, number>();
    for (const m of fake.messages) {
      const id = /Job `([^`]+)`/.exec(JSON.stringify(m.blocks))?.[1];
      if (m.threadTs === undefined && id) parentsPerJob.set(id, (parentsPerJob.get(id) ?? 0) + 1);
    }
    for (const job of jobs) {
      assert.equal(job.state, 'delivered', `job ${job.id} ended ${job.state}: ${JSON.stringify(job.error)}`);
      assert.equal(uploadsPerJob.get(`${job.id}.mp4`), 1, `job ${job.id} delivered once`);
      assert.equal(parentsPerJob.get(job.id), 1, `job ${job.id} has one parent message`);
    }
    assert.equal([...uploadsPerJob.values()].reduce((a, b) => a + b, 0), jobs.length, 'no video for a job that does not exist');
    for (const [round, summary] of summaries.entries()) {
      const delivered = jobs.filter((j) => j.tenant === `slack:${teamOf(round)}`);
      assert.equal(summary.total.reservedMicros, 0);
      assert.equal(summary.total.jobs, delivered.length, `team ${teamOf(round)} was charged once per delivered job`);
      assert.equal(summary.total.spentMicros, delivered.reduce((a, j) => a + j.priceMicros!, 0));
    }
    assert.ok(jobs.length > 0);
    console.log(
      `acceptance-crash: seed ${SEED}, ${kills.length} kills (${kills.join(' ')}), ${BURST * KILLS} commands, ${jobs.length} jobs accepted and delivered, ${resumed} resumed by the last start, ${Math.round((Date.now() - started) / 1000)} s`,
    );
  });

  it('a kill in the parent-post window leaves each job one parent message', async () => {
    const team = 'T0PARENT';
    const channel = 'C0PARENT';
    // Slack stores each parent message but the bot dies before it hears the ts (and so before `startJob`).
    fake.hold('chat.postMessage', { applied: true });
    const before = fake.callsTo('chat.postMessage').length;
    const bot = await startBotProcess();
    for (const i of [1, 2, 3]) assert.equal((await slash(team, `generate parent window clip ${i} --seconds 4`, `U0P${i}`, undefined, '/sora', channel)).status, 200);
    await fake.called('chat.postMessage', before + 3);
    await sigkill(bot);
    fake.release('chat.postMessage');
    const posted = fake.topLevel(channel);
    assert.equal(posted.length, 3, 'three parents reached Slack before the kill');

    const next = await startBotProcess();
    await next.logged('job delivered', 3);
    next.child.kill('SIGTERM');
    assert.equal(await next.exited, 0, next.output().slice(-4000));
    current = undefined;
    const parents = fake.topLevel(channel);
    assert.equal(parents.length, 3, `one parent message per job, not ${parents.length}`);
    for (const parent of parents) {
      const thread = fake.thread(channel, parent.ts);
      assert.equal(thread.filter((m) => m.files.length > 0).length, 1, 'the video went into the thread of the first parent');
      assert.equal(thread.filter((m) => m.files.length === 0).length, 1, 'one status message, found again rather than posted twice');
    }
  });

  async function responseText(url: string): Promise<string> {
    return JSON.stringify(await fake.nextResponseTo(url));
  }

  /** Reads the dead bot's store (only between processes: SQLite has one writer). */
  async function readStore(): Promise<{ jobs: JobRecord[]; summaries: MonthSummary[] }> {
    return readBotData(dataDir, async ({ jobs: jobStore, ledger }) => {
      const jobs: JobRecord[] = [];
      const summaries = [];
      for (let round = 0; round < KILLS; round++) {
        const tenant = `slack:${teamOf(round)}`;
        const mine = await jobStore.recent(tenant);
        assert.ok(mine.length < 50, 'the recent list holds every job of the team');
        jobs.push(...mine);
        summaries.push(await ledger.summary(tenant, mine[0]?.ledgerMonth ?? new Date().toISOString().slice(0, 7)));
      }
      assert.deepEqual(await jobStore.activeIds(), [], 'no job left active');
      return { jobs, summaries };
    });
  }
});
