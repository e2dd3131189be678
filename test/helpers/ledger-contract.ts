/**
 * What every Ledger must do, whatever it stores in: the key-value documents
 * (test/core/ledger.test.ts) and the tables on SQLite and Postgres
 * (test/store/sql-store.test.ts) run the same cases. Job ids are unique across
 * teams (core/ids.ts), so the cases never reuse one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { monthOf, previousMonth } from '../../src/core/ledger.js';
import type { Ledger, ReservationRequest } from '../../src/core/ports.js';

const caps = { tenantCapMicros: 1_000_000, userCapMicros: 600_000 };
const req = (jobId: string, micros: number, extra: Partial<ReservationRequest> = {}): ReservationRequest => ({
  tenant: 'test:A',
  userId: 'u1',
  userName: 'Alice',
  jobId,
  month: '2026-11',
  micros,
  caps,
  ...extra,
});

/** `open` gives a fresh ledger over an empty store and the function that closes it. */
export function ledgerContract(name: string, open: () => Promise<{ ledger: Ledger; close(): Promise<void> }>): void {
  describe(name, () => {
    let opened: { ledger: Ledger; close(): Promise<void> } | undefined;
    let ledger: Ledger;
    before(async () => {
      opened = await open();
      ledger = opened.ledger;
    });
    after(async () => {
      await opened?.close();
    });

    it('reserves, settles and releases in exact micro-dollars', async () => {
      const r1 = await ledger.reserve(req('j1', 400_000));
      assert.deepEqual(r1, { ok: true, tenantLeftMicros: 600_000, userLeftMicros: 200_000, previousMicros: 0 });
      // Settling below the estimate frees the difference; releasing frees all of it.
      await ledger.settle({ tenant: 'test:A', jobId: 'j1', month: '2026-11', backend: 'openai', priceMicros: 300_001, officialMicros: 400_000 });
      await ledger.reserve(req('j2', 200_000));
      await ledger.release('test:A', '2026-11', 'j2');
      const s = await ledger.summary('test:A', '2026-11');
      assert.equal(s.total.spentMicros, 300_001);
      assert.equal(s.total.reservedMicros, 0);
      assert.equal(s.total.officialMicros, 400_000);
      assert.equal(s.byUser.u1!.spentMicros, 300_001);
      assert.equal(s.byBackend.openai!.jobs, 1);
    });

    it('is idempotent: a second settle or release changes nothing', async () => {
      const t = 'test:idem';
      await ledger.reserve(req('idem1', 100_000, { tenant: t }));
      const settlement = { tenant: t, jobId: 'idem1', month: '2026-11', backend: 'apiyi', priceMicros: 120_000, officialMicros: 0 };
      await ledger.settle(settlement);
      await ledger.settle(settlement);
      await ledger.release(t, '2026-11', 'idem1');
      const s = await ledger.summary(t, '2026-11');
      assert.equal(s.total.spentMicros, 120_000);
      assert.equal(s.total.jobs, 1);
    });

    it('refuses what does not fit, naming the scope and what is left', async () => {
      const t = 'test:refuse';
      assert.equal((await ledger.reserve(req('a', 600_000, { tenant: t }))).ok, true);
      assert.deepEqual(await ledger.reserve(req('b', 1, { tenant: t })), { ok: false, scope: 'user', leftMicros: 0, capMicros: 600_000 });
      assert.equal((await ledger.reserve(req('c', 400_000, { tenant: t, userId: 'u2' }))).ok, true);
      assert.deepEqual(await ledger.reserve(req('d', 1, { tenant: t, userId: 'u3' })), { ok: false, scope: 'tenant', leftMicros: 0, capMicros: 1_000_000 });
    });

    it('reserves several jobs at once, or none of them when their sum does not fit', async () => {
      const month = '2026-05';
      const refused = await ledger.reserveAll([req('s1', 300_000, { month }), req('s2', 200_000, { month }), req('s3', 200_000, { month })]);
      assert.deepEqual(refused, { ok: false, scope: 'user', leftMicros: 600_000, capMicros: 600_000 });
      for (const id of ['s1', 's2', 's3']) assert.equal(await ledger.held('test:A', month, id), undefined, `${id} holds nothing`);
      const held = await ledger.reserveAll([req('s4', 300_000, { month }), req('s5', 200_000, { month })]);
      assert.deepEqual(held, { ok: true, tenantLeftMicros: 500_000, userLeftMicros: 100_000, previousMicros: 0 });
      assert.equal(await ledger.held('test:A', month, 's4'), 300_000);
      assert.equal(await ledger.held('test:A', month, 's5'), 200_000);
      await ledger.release('test:A', month, 's4');
      await ledger.release('test:A', month, 's5');
      assert.equal((await ledger.summary('test:A', month)).total.reservedMicros, 0);
    });

    it('adjusts a reservation for a fallback only when the new amount fits', async () => {
      const t = 'test:adjust';
      await ledger.reserve(req('adj', 500_000, { tenant: t }));
      assert.equal((await ledger.adjust(req('adj', 600_000, { tenant: t }))).ok, true);
      assert.equal((await ledger.adjust(req('adj', 600_001, { tenant: t }))).ok, false);
      assert.equal((await ledger.summary(t, '2026-11')).total.reservedMicros, 600_000);
    });

    it('never overspends under 200 concurrent reservations', async () => {
      const t = 'test:concurrent';
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => ledger.reserve(req(`c${i}`, 30_000, { tenant: t, userId: `u${i % 20}`, caps: { tenantCapMicros: 1_000_000, userCapMicros: 100_000 } }))),
      );
      const accepted = results.filter((r) => r.ok).length;
      // 20 users × 3 reservations of 30_000 under a 100_000 user cap = 60, but the team cap fits 33.
      assert.equal(accepted, 33);
      const s = await ledger.summary(t, '2026-11');
      assert.equal(s.total.reservedMicros, 33 * 30_000);
      assert.ok(s.total.reservedMicros <= 1_000_000);
    });

    it('keeps each month separate: caps start fresh on the first of the month (UTC)', async () => {
      assert.equal(monthOf(Date.UTC(2026, 10, 30, 23, 59, 59)), '2026-11');
      assert.equal(monthOf(Date.UTC(2026, 11, 1, 0, 0, 0)), '2026-12');
      assert.equal(previousMonth('2026-01'), '2025-12');
      const t = 'test:rollover';
      assert.equal((await ledger.reserve(req('nov', 1_000_000, { tenant: t, userId: 'x', caps: { tenantCapMicros: 1_000_000, userCapMicros: 1_000_000 } }))).ok, true);
      assert.equal((await ledger.reserve(req('dec', 1_000_000, { tenant: t, month: '2026-12', userId: 'x', caps: { tenantCapMicros: 1_000_000, userCapMicros: 1_000_000 } }))).ok, true);
    });
  });
}
