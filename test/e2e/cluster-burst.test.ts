/**
 * Three bot replicas behind one HTTP entry point, as in docker-compose.yml:
 * one Postgres, one S3-protocol server (s3rver), the fake Slack and the fake
 * Discord in this process, and one provider simulator. 300 `/sora generate`
 * commands arrive round-robin over Slack's signed HTTP and Discord's signed
 * HTTP interactions; one replica is SIGKILLed mid-run and started again.
 *
 * It passes when every job any replica accepted is delivered exactly once
 * (one video upload each), no provider job was created twice, no team's cap is
 * exceeded by a micro-dollar, nothing stays reserved, and `/cost` on each
 * platform equals the sum of the settled jobs.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../src/core/clock.js';
import { formatUsd } from '../../src/core/money.js';
import { startSimulator } from '../../src/simulator/server.js';
import { FakeDiscord, type FakeUser } from '../fakes/discord/fake-discord.js';
import { FakeSlack, postSigned, slashCommandPayload } from '../fakes/slack/fake-slack.js';
import { ClusterNode } from '../helpers/cluster.js';
import { waitFor } from '../helpers/drive.js';
import { startLoadBalancer } from '../helpers/load-balancer.js';
import { freshSchema } from '../helpers/pg-schema.js';
import { startTestS3 } from '../helpers/s3-server.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'the three-replica burst test (test/e2e/cluster-burst.test.ts)');
const REQUESTS = 300;
const SIGNING_SECRET = 'cluster-burst-signing-secret';
const TEAM = 'T0BURST';
const SLACK_CHANNEL = 'C0BURST';
const GUILD = '900000000000000077';
/** $0.40 a video (4 s on the OpenAI-shaped simulator at $0.10/s); each team's cap fits 60 of its 150 requests. */
const PRICE_MICROS = 400_000;
const CAP_USD = 24;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});
/** Jobs whose video reached the chat more than once, asserted empty by the second test. */
const postedTwice: string[] = [];
const owned = <T extends { stop(): Promise<unknown> }>(thing: T): T => (cleanups.push(() => thing.stop()), thing);

describe('three replicas, one Postgres, one S3 server', { skip: !hasPostgres && 'Postgres is not reachable (see the SKIPPED line above)', timeout: 600_000 }, () => {
  it(`${REQUESTS} generate requests over Slack HTTP and Discord HTTP, round-robin, one replica SIGKILLed and restarted: each accepted job delivered, charged once, caps held, /cost = settled`, async () => {
    const schema = await freshSchema('burst');
    cleanups.push(() => schema.drop());
    const s3 = owned(await startTestS3());
    const sim = owned(await startSimulator({ renderMsPerVideoSecond: 250, concurrency: 10_000, render: { ffmpegPath: false } }));
    const slack = owned(await new FakeSlack({ teamId: TEAM, botToken: 'xoxb-cluster-burst' }).start());
    const discord = owned(new FakeDiscord({ clock: systemClock }));
    await discord.start();
    const keys = generateKeyPairSync('ed25519');
    const env = {
      STORE_URL: schema.url,
      ...s3.env('burst'),
      SIMULATOR: 'off',
      OPENAI_API_KEY: 'sk-cluster-burst-0123456789',
      OPENAI_BASE_URL: sim.openaiBaseUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_API_URL: slack.apiUrl,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      DISCORD_TOKEN: 'discord-bot-token-cluster-burst',
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_PUBLIC_KEY: keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'),
      DISCORD_GATEWAY: 'off',
      DEFAULT_MONTHLY_BUDGET_USD: String(CAP_USD),
      DEFAULT_USER_MONTHLY_BUDGET_USD: '1000',
      TENANT_CONCURRENCY: '100',
      BACKEND_CONCURRENCY: '300',
      // Long enough that a replica stalled by a busy machine is not taken for dead; the killed one is, 15 s after.
      REPLICA_TIMEOUT_SECONDS: '15',
      LOG_LEVEL: 'info',
    };
    const replicas = await Promise.all([0, 1, 2].map(() => ClusterNode.start(env)));
    for (const r of replicas) cleanups.push(() => r.stop());
    // CLUSTER_BURST_DEBUG=1 keeps every replica's log in the temp directory.
    if (process.env.CLUSTER_BURST_DEBUG) cleanups.push(async () => replicas.forEach((r, n) => writeFileSync(path.join(os.tmpdir(), `cluster-burst-${n}.log`), r.stderr)));
    const ports = replicas.map((r) => r.port);
    let dead = new Set<number>();
    const lb = owned(await startLoadBalancer(() => ports.filter((p) => !dead.has(p))));
    discord.deliverOverHttp(`${lb.url}/discord/interactions`, keys.privateKey);
    const discordChannel = discord.addChannel(GUILD).id;

    const users: FakeUser[] = Array.from({ length: 10 }, (_, i) => ({ id: `80000000000000010${i}`, username: `member${i}` }));
    const slackAnswers: number[] = [];
    const send = (i: number): Promise<unknown> => {
      const prompt = `burst clip ${i} of a paper lantern drifting`;
      if (i % 2 === 0) {
        const form = slashCommandPayload({ command: '/sora', text: `generate ${prompt} --seconds 4 --backend openai`, user: `U0M${i % 10}`, channel: SLACK_CHANNEL, team: TEAM, responseUrl: slack.newResponseUrl() });
        return postSigned(`${lb.url}/slack/events`, form, { secret: SIGNING_SECRET }).then((r) => slackAnswers.push(r.status), () => slackAnswers.push(0));
      }
      const str = (name: string, value: string) => ({ name, type: 3, value });
      discord.command({ guildId: GUILD, channelId: discordChannel, user: users[i % 10]! }, 'sora', 'generate', [str('prompt', prompt), { name: 'seconds', type: 4, value: 4 }, str('backend', 'openai')]);
      return Promise.resolve();
    };

    // The first third arrives; replica 2 dies while its acceptances, renders and deliveries are in flight.
    const victim = replicas[1]!;
    const firstThird = Array.from({ length: REQUESTS / 3 }, (_, i) => send(i));
    await waitFor(() => victim.logs('job accepted').length >= 10, 'the victim replica to accept jobs', 120_000);
    victim.child.kill('SIGKILL');
    dead.add(victim.port);
    const killedAt = Date.now();
    await Promise.all(firstThird);
    // The second third arrives with one replica down; the load balancer sends it to the others.
    await Promise.all(Array.from({ length: REQUESTS / 3 }, (_, i) => send(REQUESTS / 3 + i)));
    // The victim comes back (a new process, as an orchestrator restarts a pod), and the last third arrives.
    const restartedAt = Date.now();
    const restarted = await ClusterNode.start(env);
    const restartMs = Date.now() - restartedAt;
    cleanups.push(() => restarted.stop());
    replicas.push(restarted);
    ports[1] = restarted.port;
    dead = new Set();
    await Promise.all(Array.from({ length: REQUESTS / 3 }, (_, i) => send((2 * REQUESTS) / 3 + i)));
    await discord.httpSettled();

    const logsAbout = (id: string) => replicas.flatMap((r, n) => r.stderr.split('\n').filter((l) => l.includes(id)).map((l) => `replica ${n}: ${l}`)).join('\n');
    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    cleanups.push(() => db.end());
    const rows = async <T>(text: string) => (await db.query(text)).rows as T[];
    type Row = { id: string; state: string; record: string };
    await waitFor(async () => (await rows<Row>("SELECT id FROM jobs WHERE state NOT IN ('delivered', 'failed', 'cancelled')")).length === 0, 'every accepted job to end', 600_000);
    const jobs = (await rows<Row>('SELECT id, state, record FROM jobs')).map((r) => ({ ...r, ...(JSON.parse(r.record) as { tenant: string; priceMicros?: number; error?: unknown }) }));

    // Every job any replica accepted (durable with its reservation) was delivered, once.
    const videos = new Map<string, number>();
    for (const u of slack.uploads.values()) if (u.completed && u.filename.endsWith('.mp4')) videos.set(u.filename, (videos.get(u.filename) ?? 0) + 1);
    for (const m of discord.messages.values()) for (const a of m.attachments) if (a.name.endsWith('.mp4')) videos.set(a.name, (videos.get(a.name) ?? 0) + 1);
    for (const job of jobs) {
      assert.equal(job.state, 'delivered', `job ${job.id} ended ${job.state}: ${JSON.stringify(job.error)}\n${logsAbout(job.id)}`);
      assert.ok((videos.get(`${job.id}.mp4`) ?? 0) >= 1, `job ${job.id} was never posted`);
      if (videos.get(`${job.id}.mp4`)! > 1) postedTwice.push(`${job.id} (${logsAbout(job.id)})`);
    }
    assert.deepEqual([...videos.keys()].filter((name) => !jobs.some((j) => name === `${j.id}.mp4`)), [], 'no video for a job that does not exist');
    assert.equal(sim.stats.jobsCreated, jobs.length, 'each provider job was created once');

    // Caps: each team accepted exactly what its cap fits, to the micro-dollar, and nothing stays reserved.
    const fits = (CAP_USD * 1_000_000) / PRICE_MICROS;
    const money = await rows<{ tenant: string; reserved: string; spent: string }>('SELECT tenant, reserved, spent FROM ledger_months');
    for (const tenant of [`slack:${TEAM}`, `discord:${GUILD}`]) {
      const mine = jobs.filter((j) => j.tenant === tenant);
      assert.ok(mine.length <= fits, `${tenant} accepted ${mine.length} jobs, over the ${fits} its cap fits`);
      const row = money.find((m) => m.tenant === tenant);
      assert.ok(row, `a ledger row for ${tenant}`);
      assert.equal(Number(row.reserved), 0, `${tenant} still has money reserved`);
      assert.equal(Number(row.spent), mine.reduce((a, j) => a + (j.priceMicros ?? 0), 0), `${tenant} was charged once per delivered job`);
      assert.ok(Number(row.spent) <= CAP_USD * 1_000_000, `${tenant} spent past its cap`);
    }
    assert.deepEqual(await rows('SELECT job_id FROM reservations'), [], 'no reservation is left');

    // /cost, asked of any replica, shows what the settled jobs add up to.
    const settledSlack = Number(money.find((m) => m.tenant === `slack:${TEAM}`)!.spent);
    const costUrl = slack.newResponseUrl();
    const cost = await postSigned(`${lb.url}/slack/events`, slashCommandPayload({ command: '/cost', text: '', user: 'U0M0', channel: SLACK_CHANNEL, team: TEAM, responseUrl: costUrl }), { secret: SIGNING_SECRET });
    const slackCost = cost.body ? cost.body : JSON.stringify(await slack.nextResponseTo(costUrl));
    assert.ok(slackCost.includes(`Team: ${formatUsd(settledSlack)}`), `Slack /cost: ${slackCost}`);
    const settledDiscord = Number(money.find((m) => m.tenant === `discord:${GUILD}`)!.spent);
    const costCommand = discord.command({ guildId: GUILD, channelId: discordChannel, user: users[0]! }, 'cost', undefined, []);
    await discord.httpSettled();
    await waitFor(() => JSON.stringify(discord.calls.filter((c) => c.path.includes(costCommand.token))).includes(`Team: ${formatUsd(settledDiscord)}`) || JSON.stringify(discord.httpAnswers.find((a) => a.interactionId === costCommand.id)?.body).includes(`Team: ${formatUsd(settledDiscord)}`), `Discord /cost to show Team: ${formatUsd(settledDiscord)}`, 60_000);

    const perTenant = [`slack:${TEAM}`, `discord:${GUILD}`].map((t) => `${t} ${jobs.filter((j) => j.tenant === t).length}`).join(', ');
    process.stderr.write(
      `cluster burst: ${REQUESTS} requests over 3 replicas (one SIGKILLed ${Math.round((Date.now() - killedAt) / 1000)} s before the end, restarted in ${Math.round(restartMs / 1000)} s), ${jobs.length} accepted and delivered (${perTenant}; ${postedTwice.length} posted twice); ` +
        `load balancer skipped the dead replica ${lb.skipped} times; Slack answers ${slackAnswers.filter((s) => s === 200).length}/${slackAnswers.length} 200\n`,
    );
  });

  // A replica killed (or taken for dead) between posting a video and recording it leaves the job in
  // `delivering`; the replica that takes it over finds the post instead of posting again: Discord by its
  // nonce and the thread, Slack by the delivery mark and the channel's files (src/chat/slack/earlier-upload.ts).
  it('each video reaches the chat exactly once, even when its replica dies mid-upload', () => {
    assert.deepEqual(postedTwice, []);
  });
});
