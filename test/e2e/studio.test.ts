/**
 * The core end to end: real HTTP backends against the simulator, a real
 * SQLite store, the real media store, a ManualClock. No module of ours is
 * replaced; the only stand-in is the test surface that records events.
 */
import assert from 'node:assert/strict';
import { open, rm } from 'node:fs/promises';
import { after, afterEach, describe, it } from 'node:test';
import { UserFacingError } from '../../src/core/errors.js';
import { describeRouteReason } from '../../src/core/present.js';
import type { JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { driveUntil } from '../helpers/drive.js';
import { finishJobs, generationInput } from '../helpers/jobs.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const input = generationInput;

async function isMp4(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(12);
  await handle.read(head, 0, 12, 0);
  await handle.close();
  return head.subarray(4, 8).toString('latin1') === 'ftyp';
}


const bots: TestBot[] = [];
async function bot(env: Record<string, string> = {}): Promise<TestBot> {
  const t = await startTestBot(env);
  bots.push(t);
  return t;
}
afterEach(async () => {
  while (bots.length) await bots.pop()!.stop();
});
after(() => rm('/tmp/never-created', { force: true }));

describe('generation end to end', () => {
  it('reserves, submits, follows progress, downloads a real MP4, settles and delivers', async () => {
    const t = await bot({ ROUTING_POLICY: 'stability' });
    const alice = actor('test:A', 'alice');
    const accepted = await t.bot.studio.generate(alice, input('a paper boat on a rainy street', { seconds: 12 }), { platform: 'test' });
    assert.equal(accepted.job.backend, 'openai');
    assert.equal(accepted.estimateMicros, 1_200_000); // 12 s × $0.10
    assert.equal(accepted.tenantLeftMicros, 50_000_000 - 1_200_000);
    assert.match(describeRouteReason(accepted.reason), /most stable/);
    const [job] = await finishJobs(t, [accepted.job.id]);
    assert.equal(job!.state, 'delivered');
    assert.equal(job!.priceMicros, 1_200_000);
    assert.ok(await isMp4(job!.resultPath!), 'result is an MP4');
    const progress = t.surface.of(job!.id, 'progress') as { progress: number }[];
    assert.ok(progress.some((p) => p.progress > 0 && p.progress < 100), 'intermediate progress was shown');
    assert.equal(t.surface.of(job!.id, 'finished').length, 1);
    const summary = await internalsOf(t.bot.studio).ledger.summary('test:A', job!.ledgerMonth);
    assert.equal(summary.total.spentMicros, 1_200_000);
    assert.equal(summary.total.reservedMicros, 0);
    assert.equal(summary.byUser.alice!.jobs, 1);
    // Adaptive polling: a 12-second render needs only a handful of status calls.
    assert.ok(t.sim.stats.count('openai.get') <= 5, `polls: ${t.sim.stats.count('openai.get')}`);
  });

  it('binds characters per backend: OpenAI gets the name verbatim plus ids, the character API gets @char_id', async () => {
    const t = await bot();
    const admin = actor('test:A', 'alice', true);
    await t.bot.studio.createCharacter(admin, { name: 'Mascot', description: 'a round orange robot', clipPath: SAMPLE_CLIP_PATH });
    await t.bot.studio.createCharacter(admin, { name: 'robo', description: 'a tall silver robot', clipPath: SAMPLE_CLIP_PATH });

    const one = await t.bot.studio.generate(admin, input('@mascot waves at the camera', { backend: 'openai' }), { platform: 'test' });
    await finishJobs(t, [one.job.id]);
    const create = t.sim.lastRequest('openai.create')!;
    const body = create.json as { prompt: string; characters: { id: string }[] };
    assert.equal(body.prompt, 'Mascot waves at the camera');
    assert.equal(body.characters.length, 1);
    assert.match(body.characters[0]!.id, /^char_/);

    const two = await t.bot.studio.generate(admin, input('@robo chases @MASCOT', { backend: 'apiyi', seconds: 10 }), { platform: 'test' });
    const [done] = await finishJobs(t, [two.job.id]);
    assert.equal(done!.state, 'delivered', JSON.stringify(done!.error));
    const generate = t.sim.lastRequest('apiyi.generate')!.json as { prompt: string };
    assert.match(generate.prompt, /^@char_\w+ chases @char_\w+$/);
    // The provider-side character is created once per backend and reused.
    const again = await t.bot.studio.generate(admin, input('@mascot bows', { backend: 'openai' }), { platform: 'test' });
    await finishJobs(t, [again.job.id]);
    assert.equal(t.sim.stats.count('openai.character.create'), 1);
    const view = await t.bot.studio.showCharacter(admin, 'mascot');
    assert.deepEqual(view.readiness.map((r) => [r.backend, r.state]), [['openai', 'ready'], ['apiyi', 'ready']]);
  });

  it('accepts exactly 10 of 50 concurrent requests against a cap that fits 10, and the ledger balances', async () => {
    // 4 s × $0.10 = $0.40 each; a $4.00 team cap fits 10.
    const t = await bot({ DEFAULT_MONTHLY_BUDGET_USD: '4', DEFAULT_USER_MONTHLY_BUDGET_USD: '100', ROUTING_POLICY: 'stability', BACKEND_CONCURRENCY: '50', TENANT_CONCURRENCY: '50' });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => t.bot.studio.generate(actor('test:A', `u${i % 7}`), input(`clip number ${i}`, { backend: 'openai' }), { platform: 'test' })),
    );
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(accepted.length, 10);
    assert.ok(refused.every((r) => r.reason instanceof UserFacingError && /left of the team's \$4\.00 monthly cap\. Nothing was spent/.test(r.reason.userMessage)));
    const ids = accepted.map((o) => (o as PromiseFulfilledResult<{ job: JobRecord }>).value.job.id);
    const jobs = await finishJobs(t, ids);
    const summary = await internalsOf(t.bot.studio).ledger.summary('test:A', jobs[0]!.ledgerMonth);
    assert.equal(summary.total.spentMicros, jobs.reduce((sum, j) => sum + (j.priceMicros ?? 0), 0));
    assert.equal(summary.total.spentMicros, 4_000_000);
    assert.equal(summary.total.reservedMicros, 0);
  });

  it('resumes after a restart mid-job: delivers exactly once, submits once, charges once', async () => {
    const first = await startTestBot();
    const accepted = await first.bot.studio.generate(actor('test:A', 'alice'), input('a lighthouse at dusk', { seconds: 8, backend: 'openai' }), { platform: 'test' });
    await driveUntil(first.clock, async () => (await internalsOf(first.bot.studio).jobs.get(accepted.job.id))?.state === 'running', { stepMs: 500 });
    const second = await first.restart();
    bots.push(second);
    const [job] = await finishJobs(second, [accepted.job.id]);
    assert.equal(job!.state, 'delivered');
    assert.equal(first.surface.of(job!.id, 'finished').length + second.surface.of(job!.id, 'finished').length, 1);
    assert.equal(second.sim.stats.jobsCreated, 1);
    const summary = await internalsOf(second.bot.studio).ledger.summary('test:A', job!.ledgerMonth);
    assert.equal(summary.total.spentMicros, 800_000);
    assert.equal(summary.total.jobs, 1);
  });

  it('resubmits a job that crashed mid-submission with the same idempotency key, creating no second provider job', async () => {
    const first = await startTestBot();
    const accepted = await internalsOf(first.bot.studio).accept(actor('test:A', 'alice'), input('a kite', { backend: 'openai' }), { platform: 'test' });
    // Simulate a crash after the provider accepted the job but before its id was stored.
    const key = `${accepted.job.submissionKey}-openai`;
    const response = await fetch(`${first.sim.openaiBaseUrl}/videos`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-openai-0123456789', 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ prompt: 'a kite', seconds: '4', size: '1280x720' }),
    });
    assert.equal(response.status, 200);
    await internalsOf(first.bot.studio).jobs.save({ ...accepted.job, state: 'submitting', started: true });
    const second = await first.restart();
    bots.push(second);
    const [job] = await finishJobs(second, [accepted.job.id]);
    assert.equal(job!.state, 'delivered');
    assert.equal(second.sim.stats.jobsCreated, 1);
  });
});

describe('provider failures end in a clear message and release the reservation', () => {
  const cases: { name: string; fault: Parameters<TestBot['sim']['faults']['inject']>[0]; env?: Record<string, string>; expect: RegExp; state?: string }[] = [
    { name: '401 expired key', fault: { protocol: 'openai', fault: '401' }, expect: /refused the bot's credentials/ },
    { name: 'moderation block', fault: { protocol: 'openai', fault: 'moderation' }, expect: /blocked this request under its content policy/ },
    { name: 'stall at 99%', fault: { protocol: 'openai', fault: 'stall' }, env: { JOB_DEADLINE_MINUTES: '3' }, expect: /did not finish the video within 3 minutes/ },
    { name: 'expired result URL', fault: { protocol: 'openai', fault: 'expired' }, expect: /download link for the video expired/ },
    { name: '500 storm on status', fault: { protocol: 'openai', fault: '500', route: 'openai.get' }, env: { JOB_DEADLINE_MINUTES: '5' }, expect: /is having trouble right now|did not finish the video/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = await bot({ ...c.env });
      t.sim.faults.inject(c.fault);
      const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), input('a red balloon', { backend: 'openai' }), { platform: 'test' });
      const [job] = await finishJobs(t, [accepted.job.id]);
      assert.equal(job!.state, 'failed');
      const failed = t.surface.of(job!.id, 'failed') as { reason: string }[];
      assert.equal(failed.length, 1);
      assert.match(failed[0]!.reason, c.expect);
      assert.doesNotMatch(failed[0]!.reason, /sk-|Bearer|stack|at \w+ \(/);
      const summary = await internalsOf(t.bot.studio).ledger.summary('test:A', job!.ledgerMonth);
      assert.equal(summary.total.reservedMicros, 0, 'no leaked reservation');
      assert.equal(summary.total.spentMicros, 0, 'OpenAI-shaped failures are not charged');
    });
  }

  it('falls back to the next backend after a 500 storm on submit, and trips the circuit breaker', async () => {
    const t = await bot({ ROUTING_POLICY: 'stability' });
    t.sim.faults.inject({ protocol: 'openai', fault: '500', route: 'openai.create' });
    const alice = actor('test:A', 'alice');
    const accepted = await t.bot.studio.generate(alice, input('a windmill'), { platform: 'test' });
    assert.equal(accepted.job.backend, 'openai');
    const [job] = await finishJobs(t, [accepted.job.id]);
    assert.equal(job!.state, 'delivered');
    assert.equal(job!.backend, 'apiyi');
    assert.deepEqual(job!.triedBackends, ['openai']);
    assert.match(describeRouteReason(job!.routeReason), /OpenAI.*failed \(transient\), so the next backend ran/);
    // The ledger follows the backend that ran: the per-video price, not the estimate on openai.
    const summary = await internalsOf(t.bot.studio).ledger.summary('test:A', job!.ledgerMonth);
    assert.equal(summary.byBackend.apiyi!.spentMicros, 120_000);
    // Two more failures open the circuit: the next job is routed past openai up front.
    for (let i = 0; i < 2; i++) {
      const next = await t.bot.studio.generate(alice, input(`a windmill ${i}`), { platform: 'test' });
      // Only until openai's failure is recorded (the job then moves to the next backend): driving on to the
      // delivery moves the clock by however long the render takes in real time, past the breaker's cooldown on a busy machine.
      await driveUntil(t.clock, async () => ((await internalsOf(t.bot.studio).jobs.get(next.job.id))?.triedBackends ?? []).includes('openai'), { stepMs: 500, maxSteps: 4000 });
    }
    const routed = await t.bot.studio.generate(alice, input('a windmill again'), { platform: 'test' });
    assert.equal(routed.job.backend, 'apiyi');
    assert.match(describeRouteReason(routed.reason), /skipped OpenAI.* after recent failures/);
  });

  it('waits out a 429 with retry-after and still delivers', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'openai', fault: '429', route: 'openai.create', times: 2, retryAfterSeconds: 3 });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), input('a fox', { backend: 'openai' }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id]);
    assert.equal(job!.state, 'delivered');
    assert.equal(t.sim.stats.count('openai.create'), 3);
  });

  it('charges a moderated job on a backend whose policy bills it', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'apiyi', fault: 'moderation' });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), input('something', { backend: 'apiyi', seconds: 10 }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id]);
    assert.equal(job!.state, 'failed');
    const summary = await internalsOf(t.bot.studio).ledger.summary('test:A', job!.ledgerMonth);
    assert.equal(summary.total.spentMicros, 120_000);
    assert.equal(summary.total.reservedMicros, 0);
  });

  it('cancel stops following the job and releases the reservation, never DELETEs a running video', async () => {
    const t = await bot();
    const alice = actor('test:A', 'alice');
    const accepted = await t.bot.studio.generate(alice, input('a slow sunrise', { backend: 'openai', seconds: 12 }), { platform: 'test' });
    await driveUntil(t.clock, async () => (await internalsOf(t.bot.studio).jobs.get(accepted.job.id))?.state === 'running', { stepMs: 500 });
    await assert.rejects(t.bot.studio.cancel(actor('test:A', 'bob'), accepted.job.id), /Only alice or an admin can cancel/);
    const cancelled = await t.bot.studio.cancel(alice, accepted.job.id);
    assert.equal(cancelled.state, 'cancelled');
    // The OpenAI shape has no cancel for a running video: the provider renders on to the end,
    // and the bot neither downloads it nor sends DELETE (which only cleans up finished videos).
    const providerJob = t.sim.jobs.get(cancelled.providerJobId!)!;
    await driveUntil(t.clock, () => t.sim.jobs.get(providerJob.id)?.status === 'completed', { stepMs: 500 });
    assert.equal(t.sim.stats.count('openai.delete'), 0);
    assert.equal(t.sim.stats.count('openai.content'), 0);
    assert.equal((await internalsOf(t.bot.studio).jobs.get(accepted.job.id))!.state, 'cancelled');
    const summary = await internalsOf(t.bot.studio).ledger.summary('test:A', cancelled.ledgerMonth);
    assert.equal(summary.total.reservedMicros, 0);
    assert.equal(summary.total.spentMicros, 0);
    assert.equal(t.surface.of(accepted.job.id, 'cancelled').length, 1);
  });
});

describe('tenant isolation', () => {
  it('keeps characters, jobs and spend of one tenant invisible to another', async () => {
    const t = await bot();
    const a = actor('discord:111', 'alice', true);
    const b = actor('slack:T222', 'mallory', true);
    await t.bot.studio.createCharacter(a, { name: 'mascot', description: '', clipPath: SAMPLE_CLIP_PATH });
    const accepted = await t.bot.studio.generate(a, input('@mascot waves', { backend: 'openai' }), { platform: 'test' });
    await finishJobs(t, [accepted.job.id]);

    await assert.rejects(t.bot.studio.generate(b, input('@mascot waves'), { platform: 'test' }), /no character called @mascot/);
    await assert.rejects(t.bot.studio.showCharacter(b, 'mascot'), /no character called @mascot/);
    await assert.rejects(t.bot.studio.deleteCharacter(b, 'mascot'), /no character called @mascot/);
    assert.deepEqual(await t.bot.studio.suggestCharacters('slack:T222', 'mas'), []);
    assert.deepEqual(await t.bot.studio.listCharacters(b), []);
    await assert.rejects(t.bot.studio.job(b, accepted.job.id), /no job/);
    await assert.rejects(t.bot.studio.cancel(b, accepted.job.id), /no job/);
    await assert.rejects(t.bot.studio.launch(b, { surface: { platform: 'test' }, remixOf: accepted.job.id, prompt: 'again' }, async () => ({})), /no job/);
    await assert.rejects(t.bot.studio.createCharacter(b, { name: 'stolen', description: '', fromJob: accepted.job.id }), /no job/);
    assert.deepEqual(await t.bot.studio.recentJobs(b), []);
    const cost = await t.bot.studio.costReport(b, { period: 'this-month' });
    assert.equal(cost.summary.total.spentMicros, 0);
    assert.equal((await t.bot.studio.costReport(a, { period: 'this-month' })).summary.total.spentMicros, 400_000);
  });
});
