/**
 * Provider faults beyond the ones in studio.test.ts: timeouts (the provider
 * accepts the connection and says nothing), connection resets, and an expired
 * result URL that is fetched again through the content endpoint. Each ends in
 * delivery, or in a clear sentence with the reservation released.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { finishJobs, generationInput } from '../helpers/jobs.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const bots: TestBot[] = [];
async function bot(env: Record<string, string> = {}): Promise<TestBot> {
  const t = await startTestBot({ PROVIDER_TIMEOUT_SECONDS: '1', ...env });
  bots.push(t);
  return t;
}
afterEach(async () => {
  while (bots.length) await bots.pop()!.stop();
});

async function ledgerOf(t: TestBot, month: string) {
  return (await internalsOf(t.bot.studio).ledger.summary('test:A', month)).total;
}

describe('provider faults: timeouts, resets and expired links', { timeout: 120_000 }, () => {
  it('a submit that times out twice is retried with the same idempotency key and delivered once', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'openai', fault: 'slow', route: 'openai.create', times: 2 });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('a slow fox', { backend: 'openai' }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id], 4000, 250);
    assert.equal(job!.state, 'delivered', JSON.stringify(job!.error));
    assert.equal(t.sim.stats.count('openai.create'), 3);
    assert.equal(t.sim.stats.jobsCreated, 1);
    assert.equal((await ledgerOf(t, job!.ledgerMonth)).spentMicros, 400_000);
  });

  it('a provider that never answers ends in a sentence and releases the reservation', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'openai', fault: 'slow', route: 'openai.create' });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('a silent fox', { backend: 'openai' }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id], 4000, 250);
    assert.equal(job!.state, 'failed');
    const [failed] = t.surface.of(job!.id, 'failed') as { reason: string }[];
    assert.match(failed!.reason, /OpenAI.*(having trouble|try again)/i);
    assert.doesNotMatch(failed!.reason, /Timeout|UND_ERR|at \w+ \(/);
    const total = await ledgerOf(t, job!.ledgerMonth);
    assert.equal(total.reservedMicros, 0);
    assert.equal(total.spentMicros, 0);
  });

  it('a status check that times out is polled again and the job is delivered', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'openai', fault: 'slow', route: 'openai.get', times: 2 });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('a patient fox', { backend: 'openai' }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id], 4000, 250);
    assert.equal(job!.state, 'delivered', JSON.stringify(job!.error));
  });

  it('connection resets on submit, status and download are retried and the job is delivered once', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'openai', fault: 'reset', route: 'openai.create', times: 2 });
    t.sim.faults.inject({ protocol: 'openai', fault: 'reset', route: 'openai.get', times: 2 });
    t.sim.faults.inject({ protocol: 'openai', fault: 'reset', route: 'openai.cdn', times: 2 });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('a jumpy fox', { backend: 'openai' }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id]);
    assert.equal(job!.state, 'delivered', JSON.stringify(job!.error));
    assert.equal(t.sim.stats.jobsCreated, 1);
    assert.equal(t.surface.of(job!.id, 'finished').length, 1);
    assert.equal((await ledgerOf(t, job!.ledgerMonth)).spentMicros, 400_000);
  });

  it('a reset storm on the download ends in a sentence, uncharged, reservation released', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'openai', fault: 'reset', route: 'openai.cdn' });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('a lost fox', { backend: 'openai' }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id]);
    assert.equal(job!.state, 'failed');
    const [failed] = t.surface.of(job!.id, 'failed') as { reason: string }[];
    assert.match(failed!.reason, /(trouble|could not be downloaded).*(Nothing was charged|try again)/i);
    const total = await ledgerOf(t, job!.ledgerMonth);
    assert.equal(total.reservedMicros, 0);
    assert.equal(total.spentMicros, 0);
  });

  it('an expired download link is fetched again through the content endpoint and delivered', async () => {
    const t = await bot();
    // The signed CDN link answers 403 once, as a stale link does; the content endpoint issues a fresh one.
    t.sim.faults.inject({ protocol: 'openai', fault: 'expired', route: 'openai.cdn', times: 1 });
    const accepted = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('a punctual fox', { backend: 'openai' }), { platform: 'test' });
    const [job] = await finishJobs(t, [accepted.job.id]);
    assert.equal(job!.state, 'delivered', JSON.stringify(job!.error));
    assert.equal(t.sim.stats.count('openai.content'), 2, 'asked the content endpoint for a fresh link');
    assert.equal((await ledgerOf(t, job!.ledgerMonth)).spentMicros, 400_000);
  });

  it('a moderated job says the prompt was blocked; OpenAI does not bill it, the character API does', async () => {
    const t = await bot();
    t.sim.faults.inject({ protocol: 'openai', fault: 'moderation', times: 1 });
    t.sim.faults.inject({ protocol: 'apiyi', fault: 'moderation', times: 1 });
    const a = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('something', { backend: 'openai' }), { platform: 'test' });
    const b = await t.bot.studio.generate(actor('test:A', 'alice'), generationInput('something', { backend: 'apiyi', seconds: 10 }), { platform: 'test' });
    const [ja, jb] = await finishJobs(t, [a.job.id, b.job.id]);
    for (const j of [ja!, jb!]) {
      assert.equal(j.state, 'failed');
      assert.match((t.surface.of(j.id, 'failed')[0] as { reason: string }).reason, /blocked/);
    }
    const total = await internalsOf(t.bot.studio).ledger.summary('test:A', ja!.ledgerMonth);
    assert.equal(total.total.reservedMicros, 0);
    assert.equal(total.byBackend.openai?.spentMicros ?? 0, 0);
    assert.equal(total.byBackend.apiyi!.spentMicros, 120_000);
  });
});
