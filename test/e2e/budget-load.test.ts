/**
 * Budgets under load, end to end through the Studio, the SQLite ledger, real
 * HTTP to the simulator and the media store: 200 concurrent requests from 20
 * members of 3 teams with team and member caps, and the month boundary.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { UserFacingError } from '../../src/core/errors.js';
import { monthOf } from '../../src/core/ledger.js';
import type { Actor, JobRecord } from '../../src/core/types.js';
import { finishJobs, generationInput } from '../helpers/jobs.js';
import { driveUntil } from '../helpers/drive.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const bots: TestBot[] = [];
afterEach(async () => {
  while (bots.length) await bots.pop()!.stop();
});

describe('budget under load', { timeout: 180_000 }, () => {
  it('200 concurrent requests from 20 members of 3 teams: no cap exceeded by one micro-dollar, ledger = settled jobs', async () => {
    const t = await startTestBot({ ROUTING_POLICY: 'stability', BACKEND_CONCURRENCY: '200', TENANT_CONCURRENCY: '200' });
    bots.push(t);
    const studio = t.bot.studio;
    // Team caps that do not divide evenly into job prices, and member caps in two of the teams.
    const teams = [
      { tenant: 'discord:100', capMicros: 4_900_001, userCapMicros: undefined, members: 7 },
      { tenant: 'slack:T200', capMicros: 6_000_000, userCapMicros: 1_199_999, members: 7 },
      { tenant: 'slack:T300', capMicros: 50_000_000, userCapMicros: 1_600_000, members: 6 },
    ];
    const userCap = new Map<string, number>();
    for (const team of teams) {
      const admin = actor(team.tenant, 'admin', true);
      await studio.setBudget(admin, { amountMicros: team.capMicros });
      for (let m = 0; m < team.members; m++) {
        const cap = team.userCapMicros ?? 10_000_000; // DEFAULT_USER_MONTHLY_BUDGET_USD
        if (team.userCapMicros !== undefined) await studio.setBudget(admin, { amountMicros: cap, userId: `m${m}` });
        userCap.set(`${team.tenant}/m${m}`, cap);
      }
    }
    const members: Actor[] = teams.flatMap((team) => Array.from({ length: team.members }, (_, m) => actor(team.tenant, `m${m}`)));
    assert.equal(members.length, 20);
    const seconds = [4, 8, 12] as const; // $0.40, $0.80, $1.20 on the OpenAI shape
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        studio.generate(members[(i * 7) % 20]!, generationInput(`clip ${i}`, { backend: 'openai', seconds: seconds[i % 3]! }), { platform: 'test' }),
      ),
    );
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    for (const r of refused) {
      assert.ok(r.reason instanceof UserFacingError, String(r.reason));
      assert.match(r.reason.userMessage, /monthly cap\. Nothing was spent/);
    }
    const accepted = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ job: JobRecord }>).value.job);
    assert.ok(accepted.length > 20 && refused.length > 100, `accepted ${accepted.length}, refused ${refused.length}`);
    const month = accepted[0]!.ledgerMonth;

    // Reserved while the jobs run: already within every cap.
    for (const team of teams) {
      const s = await internalsOf(studio).ledger.summary(team.tenant, month);
      assert.ok(s.total.spentMicros + s.total.reservedMicros <= team.capMicros, `${team.tenant} reserved past its cap`);
    }

    const jobs = await finishJobs(t, accepted.map((j) => j.id));
    assert.ok(jobs.every((j) => j.state === 'delivered'), JSON.stringify(jobs.filter((j) => j.state !== 'delivered').map((j) => j.error)));
    for (const team of teams) {
      const s = await internalsOf(studio).ledger.summary(team.tenant, month);
      const settled = jobs.filter((j) => j.tenant === team.tenant);
      assert.equal(s.total.reservedMicros, 0);
      assert.equal(s.total.spentMicros, settled.reduce((sum, j) => sum + j.priceMicros!, 0), 'ledger equals the sum of settled jobs');
      assert.equal(s.total.jobs, settled.length);
      assert.ok(s.total.spentMicros <= team.capMicros, `${team.tenant} spent ${s.total.spentMicros} of ${team.capMicros}`);
      // Capacity is not lost either: what is left is less than the cheapest job, unless members' caps bind first.
      if (team.userCapMicros === undefined) assert.ok(team.capMicros - s.total.spentMicros < 400_000);
      for (const [userId, line] of Object.entries(s.byUser)) {
        assert.ok(line.spentMicros <= userCap.get(`${team.tenant}/${userId}`)!, `${team.tenant}/${userId} over the member cap`);
        assert.equal(line.spentMicros, settled.filter((j) => j.requesterId === userId).reduce((sum, j) => sum + j.priceMicros!, 0));
      }
    }
  });

  it('month roll-over: a job reserved in November and settled in December stays in November; December starts fresh', async () => {
    const t = await startTestBot({ ROUTING_POLICY: 'stability', DEFAULT_MONTHLY_BUDGET_USD: '0.80' });
    bots.push(t);
    t.clock.set(Date.UTC(2026, 10, 30, 23, 59, 58));
    const alice = actor('test:A', 'alice');
    const late = await t.bot.studio.generate(alice, generationInput('the last clip of November', { backend: 'openai', seconds: 8 }), { platform: 'test' });
    assert.equal(late.job.ledgerMonth, '2026-11');
    await assert.rejects(t.bot.studio.generate(alice, generationInput('one more', { backend: 'openai' }), { platform: 'test' }), /monthly cap/);
    await driveUntil(t.clock, () => monthOf(t.clock.now()) === '2026-12', { stepMs: 500 });
    const [job] = await finishJobs(t, [late.job.id]);
    assert.equal(job!.state, 'delivered');
    assert.ok(job!.completedAt! >= Date.UTC(2026, 11, 1), 'finished in December');
    const nov = await internalsOf(t.bot.studio).ledger.summary('test:A', '2026-11');
    const dec = await internalsOf(t.bot.studio).ledger.summary('test:A', '2026-12');
    assert.equal(nov.total.spentMicros, 800_000);
    assert.equal(nov.total.reservedMicros, 0);
    assert.equal(dec.total.spentMicros, 0);
    assert.equal(dec.total.reservedMicros, 0);
    // December has its own cap: two 4-second clips fit, a third does not.
    const a = await t.bot.studio.generate(alice, generationInput('December one', { backend: 'openai' }), { platform: 'test' });
    const b = await t.bot.studio.generate(alice, generationInput('December two', { backend: 'openai' }), { platform: 'test' });
    assert.deepEqual([a.job.ledgerMonth, b.job.ledgerMonth], ['2026-12', '2026-12']);
    await assert.rejects(t.bot.studio.generate(alice, generationInput('December three', { backend: 'openai' }), { platform: 'test' }), /monthly cap/);
    await finishJobs(t, [a.job.id, b.job.id]);
    assert.equal((await internalsOf(t.bot.studio).ledger.summary('test:A', '2026-12')).total.spentMicros, 800_000);
    assert.equal((await internalsOf(t.bot.studio).ledger.summary('test:A', '2026-11')).total.spentMicros, 800_000);
  });
});
