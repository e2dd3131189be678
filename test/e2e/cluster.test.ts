/**
 * Several bot processes on one Postgres (README "Running several replicas").
 * Each test spawns real `node` processes (test/helpers/cluster.ts) that share
 * only a schema of their own in the database and, where a provider is needed,
 * a simulator this test owns.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { WEBHOOK_SAFETY_POLL_MS } from '../../src/core/polling.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { ClusterNode } from '../helpers/cluster.js';
import { waitFor } from '../helpers/drive.js';
import { generationInput } from '../helpers/jobs.js';
import { freshSchema, type TestSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'the cluster tests (test/e2e/cluster.test.ts: two bot processes on one Postgres)');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function schema(): Promise<TestSchema> {
  const s = await freshSchema('cluster');
  cleanups.push(() => s.drop());
  return s;
}

async function nodes(envs: Record<string, string>[]): Promise<ClusterNode[]> {
  const started = await Promise.all(envs.map((env) => ClusterNode.start(env)));
  for (const n of started) cleanups.push(() => n.stop());
  return started;
}

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('two bot processes on one Postgres', { skip: !hasPostgres && 'Postgres is not reachable (see the SKIPPED line above)', timeout: 300_000 }, () => {
  it('200 concurrent requests split over two processes against a team cap that fits 10: exactly 10 accepted', async () => {
    const { url } = await schema();
    // Started together: both run the migrations at once, and the advisory lock lets one do it.
    const env = { STORE_URL: url, SIMULATOR: 'on', DEFAULT_MONTHLY_BUDGET_USD: '4', DEFAULT_USER_MONTHLY_BUDGET_USD: '100' };
    const [a, b] = await nodes([env, env]);
    const requests = (from: number) =>
      Array.from({ length: 100 }, (_, i) => ({ userId: `u${(from + i) % 20}`, input: generationInput(`clip ${from + i}`, { backend: 'openai', seconds: 4 }) }));
    const [ra, rb] = await Promise.all([a!.ask({ type: 'accept', requests: requests(0) }, 'accepted'), b!.ask({ type: 'accept', requests: requests(100) }, 'accepted')]);

    const accepted = [...ra.jobIds, ...rb.jobIds];
    assert.equal(accepted.length, 10, `accepted ${ra.jobIds.length} in one process and ${rb.jobIds.length} in the other`);
    assert.equal(ra.refused.length + rb.refused.length, 190);
    for (const sentence of [...ra.refused, ...rb.refused]) assert.match(sentence, /monthly cap\. Nothing was spent/);

    const [money] = await query<{ reserved: string; spent: string }>(url, 'SELECT reserved, spent FROM ledger_months');
    assert.equal(Number(money!.reserved) + Number(money!.spent), 4_000_000, 'the cap is used to the micro-dollar and not past it');
    const jobs = await query<{ id: string; record: string }>(url, 'SELECT id, record FROM jobs');
    assert.deepEqual(jobs.map((j) => j.id).sort(), accepted.sort(), 'exactly the accepted jobs exist');
    assert.ok(jobs.every((j) => (JSON.parse(j.record) as { estimateMicros: number }).estimateMicros === 400_000));
    const reservations = await query<{ job_id: string }>(url, 'SELECT job_id FROM reservations');
    assert.deepEqual(reservations.map((r) => r.job_id).sort(), accepted.sort(), 'each accepted job holds its reservation');
    const migrations = await query<{ name: string }>(url, 'SELECT name FROM kysely_migration');
    assert.deepEqual(migrations.map((m) => m.name), [...new Set(migrations.map((m) => m.name))], 'migrated once');

    // A cap an admin changes through one process holds in the other at once (no per-process copy of the settings).
    await a!.ask({ type: 'setBudget', amountMicros: 4_400_000 }, 'budgetSet');
    const more = await b!.ask({ type: 'accept', requests: requests(200).slice(0, 3) }, 'accepted');
    assert.equal(more.jobIds.length, 1, 'the raised cap fits exactly one more $0.40 job');
  });

  it('a webhook delivered to the process that does not follow the job completes it at once', async () => {
    const { url } = await schema();
    const sim: Simulator = await startSimulator({ renderMsPerVideoSecond: 100, render: { ffmpegPath: false } });
    cleanups.push(() => sim.stop());
    const provider = { STORE_URL: url, SIMULATOR: 'off', FAL_KEY: 'fal-test-key-0123456789', FAL_QUEUE_URL: sim.falQueueUrl, FAL_WEBHOOK_JWKS_URL: sim.falJwksUrl };
    const [b] = await nodes([{ ...provider, LOG_LEVEL: 'info' }]);
    // A asks the provider to call back at B's address, as a load balancer in front of both could.
    const [a] = await nodes([{ ...provider, PUBLIC_URL: `http://127.0.0.1:${b!.port}` }]);
    const backend = a!.first('ready')!.backends.find((x) => x.webhook)!.id;

    const { jobId } = await a!.ask({ type: 'generate', userId: 'u1', input: generationInput('a lighthouse at dusk', { backend }) }, 'generated');
    const started = Date.now();
    await waitFor(() => a!.first('event', (e) => e.jobId === jobId && e.event === 'finished') !== undefined, 'the job to be delivered by the process that follows it', 60_000);
    const finishedAt = Date.now();
    const tookMs = finishedAt - started;

    const delivery = sim.fal.webhooks.deliveries.find((d) => d.url.startsWith(`http://127.0.0.1:${b!.port}/`));
    assert.ok(delivery, 'the provider called back at the other process');
    assert.equal(delivery.status, 200);
    const received = b!.logs('webhook accepted');
    assert.equal(received.length, 1);
    assert.equal(received[0]!.taken, false, 'B does not follow the job: it relayed the event');
    const state = async () => (await query<{ state: string }>(url, `SELECT state FROM jobs WHERE id = '${jobId}'`))[0]?.state;
    await waitFor(async () => (await state()) === 'delivered', 'the delivered state to be stored', 60_000);
    // The job's own safety poll is minutes away; the relayed event made it ask the provider once, now.
    assert.ok(WEBHOOK_SAFETY_POLL_MS >= 60_000);
    assert.ok(sim.stats.count('fal.status') <= 1, `${sim.stats.count('fal.status')} status polls`);
    assert.ok(tookMs < WEBHOOK_SAFETY_POLL_MS / 5, `delivered ${tookMs} ms after the request`);
    process.stderr.write(`cluster webhook relay: posted ${finishedAt - delivery.at} ms after the webhook reached the other process, ${tookMs} ms after the request (safety poll: ${WEBHOOK_SAFETY_POLL_MS} ms)\n`);
  });

  it('a process killed while its job renders: another takes the job over within the replica timeout, submits nothing twice and delivers once', async () => {
    const { url } = await schema();
    const sim: Simulator = await startSimulator({ renderMsPerVideoSecond: 1500, render: { ffmpegPath: false } });
    cleanups.push(() => sim.stop());
    const env = { STORE_URL: url, SIMULATOR: 'off', OPENAI_API_KEY: 'sk-test-openai-0123456789', OPENAI_BASE_URL: sim.openaiBaseUrl, REPLICA_TIMEOUT_SECONDS: '3', LOG_LEVEL: 'info' };
    const [a, b] = await nodes([env, env]);
    const { jobId } = await a!.ask({ type: 'generate', userId: 'u1', input: generationInput('a slow pan over hills', { backend: 'openai', seconds: 4 }) }, 'generated');
    const stored = async () => (await query<{ state: string; owner: string }>(url, `SELECT state, owner FROM jobs WHERE id = '${jobId}'`))[0];
    await waitFor(async () => (await stored())?.state === 'submitted', 'the provider to hold the job', 60_000);
    const ownerBefore = (await stored())!.owner;

    a!.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => b!.first('event', (e) => e.jobId === jobId && e.event === 'finished') !== undefined, 'the other process to deliver the job', 90_000);
    const tookOverMs = Date.now() - killedAt;
    await waitFor(async () => (await stored())?.state === 'delivered', 'the delivered state to be stored', 60_000);

    assert.notEqual((await stored())!.owner, ownerBefore, 'the job changed owner');
    assert.equal(b!.logs('took over the jobs of a replica that is no longer seen').length, 1);
    assert.equal(a!.first('event', (e) => e.jobId === jobId && e.event === 'finished'), undefined, 'the killed process delivered nothing');
    assert.equal(b!.messages.filter((m) => m.type === 'event' && m.jobId === jobId && m.event === 'finished').length, 1, 'delivered once');
    assert.equal(sim.stats.jobsCreated, 1, 'the provider job was created once');
    assert.deepEqual(await query(url, 'SELECT job_id FROM reservations'), [], 'the reservation was settled');
    assert.equal((await query(url, 'SELECT job_id FROM settlements')).length, 1);
    process.stderr.write(`cluster failover: the job was delivered by the other process ${tookOverMs} ms after SIGKILL (REPLICA_TIMEOUT_SECONDS=3)\n`);
  });
});
