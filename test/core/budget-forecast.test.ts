/**
 * The forecast (src/core/budget-forecast.ts) picks the order of answer and acceptance: answer first
 * only when the quote fits under both caps with what this process has answered and not yet accepted;
 * otherwise the acceptance comes first. It never decides an outcome: the acceptance does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BudgetForecast, type LeftAfter } from '../../src/core/budget-forecast.js';
import { ManualClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import type { MonthSummary } from '../../src/core/ports.js';
import { QuietTurns } from '../../src/core/quiet-turns.js';
import type { Actor, GenerationInput } from '../../src/core/types.js';

const CAPS = { tenantCapMicros: 10_000_000, userCapMicros: 4_000_000 };
const input: GenerationInput = { prompt: 'a kite', seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: undefined, imagePath: undefined, remixOf: undefined };
const actor = (userId: string): Actor => ({ tenant: 't1', userId, displayName: userId, isAdmin: false });

function setup(used: { team: number; members?: Record<string, number>; readFails?: boolean }, arrivals?: QuietTurns) {
  const clock = new ManualClock(Date.UTC(2026, 11, 3));
  let reads = 0;
  const summary = async (tenant: string, month: string): Promise<MonthSummary> => {
    reads++;
    if (used.readFails) throw new Error('store unavailable');
    const line = (micros: number) => ({ spentMicros: micros, reservedMicros: 0, officialMicros: 0, jobs: 0 });
    return { tenant, month, total: line(used.team), byUser: Object.fromEntries(Object.entries(used.members ?? {}).map(([id, m]) => [id, { ...line(m), name: id }])), byBackend: {} };
  };
  let price = 1_000_000;
  const forecast = new BudgetForecast({
    clock,
    arrivals,
    ledger: { summary },
    quote: async (a) => {
      if (a.userId === 'blocked') throw new UserFacingError('not_allowed', 'You may not spend here.');
      return { estimateMicros: price, caps: CAPS };
    },
  });
  const order: string[] = [];
  const run = (who: Actor, left: LeftAfter | Error = { tenantLeftMicros: 5_000_000, userLeftMicros: 3_000_000 }) =>
    forecast.acceptAnswering(who, input, 1, async () => void order.push(`answer ${who.userId}`), async () => {
      order.push(`accept ${who.userId}`);
      if (left instanceof Error) throw left;
      return left;
    });
  return { forecast, order, run, clock, reads: () => reads, setPrice: (p: number) => (price = p) };
}

describe('budget forecast: answer first only when the request surely fits', () => {
  it('answers before accepting when the quote fits; accepts first when the team or the member has no room', async () => {
    const roomy = setup({ team: 1_000_000 });
    await roomy.run(actor('ann'));
    assert.deepEqual(roomy.order, ['answer ann', 'accept ann']);

    const teamFull = setup({ team: 9_500_000 });
    await teamFull.run(actor('ann'));
    assert.deepEqual(teamFull.order, ['accept ann'], '$9.50 + $1.00 is over the $10 team cap');

    const memberFull = setup({ team: 0, members: { ann: 3_500_000 } });
    await memberFull.run(actor('ann'));
    await memberFull.run(actor('bob'));
    assert.deepEqual(memberFull.order, ['accept ann', 'answer bob', 'accept bob'], 'ann is near her $4 cap, bob is not');
  });

  it('a quote that refuses (a blocked member, an unknown character) leaves the refusal to the acceptance, before any answer', async () => {
    const s = setup({ team: 0 });
    await assert.rejects(s.run(actor('blocked'), new UserFacingError('not_allowed', 'You may not spend here.')));
    assert.deepEqual(s.order, ['accept blocked']);
  });

  it('counts what it answered and has not accepted yet: a burst against the last room answers only as many as fit', async () => {
    const s = setup({ team: 6_000_000 });
    // Acceptances are slow here (each one waits for the test); $4 of room, $1 each.
    const gates: Array<() => void> = [];
    const runs = Array.from({ length: 6 }, (_, i) =>
      s.forecast.acceptAnswering(actor(`m${i}`), input, 1, async () => void s.order.push(`answer m${i}`), async () => {
        await new Promise<void>((resolve) => gates.push(resolve));
        s.order.push(`accept m${i}`);
        return { tenantLeftMicros: 0, userLeftMicros: 0 };
      }),
    );
    while (gates.length < 6) await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.order.filter((o) => o.startsWith('answer')), ['answer m0', 'answer m1', 'answer m2', 'answer m3'], 'four fit: $6 used + 4 × $1 = $10');
    for (const open of gates) open();
    await Promise.all(runs);
    assert.equal(s.reads(), 1, 'one read of the month for the whole burst');
  });

  it('learns from each acceptance, and reads again after a refusal or after its time', async () => {
    const s = setup({ team: 0 });
    await s.run(actor('ann'), { tenantLeftMicros: 500_000, userLeftMicros: 3_000_000 }); // the store says $9.50 is used
    await s.run(actor('bob'));
    assert.deepEqual(s.order.slice(2), ['accept bob'], 'no room left by what the acceptance said');
    assert.equal(s.reads(), 1, 'what ann\'s acceptance said was enough');
    await s.run(actor('cy'));
    assert.equal(s.reads(), 2, 'an acceptance that came first (bob\'s) leaves the figures to be read again');

    const t = setup({ team: 0 });
    await assert.rejects(t.run(actor('ann'), new UserFacingError('budget_exceeded', 'Over the team cap.')));
    assert.deepEqual(t.order, ['answer ann', 'accept ann'], 'answered, then refused: the adapter takes its answer back');
    await t.run(actor('ann'));
    assert.equal(t.reads(), 2, 'read again after the refusal');
    await t.run(actor('ann'));
    assert.equal(t.reads(), 2);
    t.clock.set(t.clock.now() + 10_000);
    await t.run(actor('ann'));
    assert.equal(t.reads(), 3, 'read again once its time is over');
  });

  it('a month it cannot read leaves the order as it was: accept first', async () => {
    const s = setup({ team: 0, readFails: true });
    await s.run(actor('ann'));
    assert.deepEqual(s.order, ['accept ann']);
  });

  it('a failed answer (another replica answered) releases the hold and never accepts', async () => {
    const s = setup({ team: 8_000_000 });
    await assert.rejects(
      s.forecast.acceptAnswering(actor('ann'), input, 1, async () => {
        throw new Error('Interaction has already been acknowledged.');
      }, async () => ({ tenantLeftMicros: 0, userLeftMicros: 0 })),
    );
    await s.run(actor('bob'));
    await s.run(actor('cy'));
    assert.deepEqual(s.order, ['answer bob', 'accept bob', 'answer cy', 'accept cy'], 'the $1 held for ann was given back');
  });

  it('an answered request is accepted once the arrivals pause: every answer of a burst goes out before the acceptances', async () => {
    const arrivals = new QuietTurns();
    const s = setup({ team: 0 }, arrivals);
    const first = s.run(actor('ann'));
    for (let i = 0; i < 10; i++) {
      arrivals.arrived(); // the adapter notes each command as it comes in
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(s.order, ['answer ann'], 'not accepted while commands keep arriving');
    await first;
    assert.deepEqual(s.order, ['answer ann', 'accept ann']);
  });
});
