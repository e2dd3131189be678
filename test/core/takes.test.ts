/**
 * `--takes N` in the core, with the real bot in-process (real HTTP backends against the simulator, the
 * real store and media store, a ManualClock): the N takes are reserved together, each is a job of its
 * own for money, one forced failure releases exactly its share while the others settle, and Keep marks
 * the take that remix, extend and `--from_job` then use. Run on SQLite (keyv documents: one ledger write)
 * and on Postgres (tables: one transaction) when it is there.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { UserFacingError } from '../../src/core/errors.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { describeCost } from '../../src/core/present.js';
import { plainText } from '../../src/core/present.js';
import { finishJobs, generationInput } from '../helpers/jobs.js';
import { freshSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';

const TENANT = 'test:A';
const alice = actor(TENANT, 'alice');
const bob = actor(TENANT, 'bob');
const EACH = 400_000; // 4 s at $0.10/s on OpenAI

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function bot(env: Record<string, string> = {}): Promise<TestBot> {
  const t = await startTestBot(env);
  cleanups.push(() => t.stop());
  return t;
}

const stores: { name: string; env: () => Promise<Record<string, string> | undefined> }[] = [
  { name: 'SQLite (one ledger write)', env: async () => ({}) },
  {
    name: 'Postgres (one transaction)',
    env: async () => {
      if (!(await serviceAvailable('postgres', '--takes on Postgres tables'))) return undefined;
      const schema = await freshSchema('takes');
      cleanups.push(() => schema.drop());
      return { STORE_URL: schema.url };
    },
  },
];

for (const store of stores) {
  describe(`--takes on ${store.name}`, () => {
    it('reserves 3x at once; a forced failure of one take releases exactly its share and the other two settle', async (ctx) => {
      const env = await store.env();
      if (!env) return ctx.skip('postgres unavailable');
      const t = await bot(env);
      // The first create call is blocked by the provider: exactly one take fails, whichever goes first.
      t.sim.faults.inject({ protocol: 'openai', fault: 'moderation', times: 1 });
      const accepted = await t.bot.studio.launch(alice, { surface: { platform: 'test' }, input: generationInput('a red kite over the dunes', { backend: 'openai' }), takes: 3 }, async () => ({}));
      const takes = accepted.takes!;
      assert.equal(takes.length, 3);
      assert.equal(accepted.estimateMicros, 3 * EACH);
      assert.deepEqual(takes.map((j) => j.take?.index), [1, 2, 3]);
      assert.deepEqual(new Set(takes.map((j) => j.take!.ids.join())).size, 1, 'every take names the same siblings');
      const { ledger, jobs } = internalsOf(t.bot.studio);
      const month = takes[0]!.ledgerMonth;
      // Each take holds its own estimate; the team's reservation is the sum.
      for (const take of takes) assert.equal(await ledger.held(TENANT, month, take.id), EACH);
      assert.equal((await ledger.summary(TENANT, month)).total.reservedMicros, 3 * EACH);
      assert.equal(accepted.tenantLeftMicros, 50_000_000 - 3 * EACH);

      const done = await finishJobs(t, takes.map((j) => j.id));
      const failed = done.filter((j) => j.state === 'failed');
      const delivered = done.filter((j) => j.state === 'delivered');
      assert.equal(failed.length, 1, 'one take failed');
      assert.equal(delivered.length, 2, 'the others still delivered');
      assert.match((t.surface.of(failed[0]!.id, 'failed')[0] as { reason: string }).reason, /blocked/);
      assert.equal(await ledger.held(TENANT, month, failed[0]!.id), undefined, "the failed take's share was released");
      const summary = await ledger.summary(TENANT, month);
      assert.equal(summary.total.reservedMicros, 0);
      assert.equal(summary.total.spentMicros, delivered.reduce((s, j) => s + j.priceMicros!, 0));
      assert.equal(summary.total.spentMicros, 2 * EACH, 'exactly the two delivered takes are charged');

      // /cost: takes per request.
      const report = await t.bot.studio.costReport(alice, { period: 'this-month' });
      assert.deepEqual(report.takes.map((l) => [l.requestId, l.takes, l.delivered, l.failed, l.chargedMicros]), [[takes[0]!.id, 3, 2, 1, 2 * EACH]]);
      assert.match(describeCost(report, plainText), new RegExp(`${takes[0]!.id} \\(alice\\): 3 takes, 2 delivered, 1 failed \\(not charged\\), \\$0\\.80 charged, none kept yet`));

      // Keep: only a delivered take, only by the requester or an admin.
      await assert.rejects(t.bot.studio.keep(alice, failed[0]!.id), (e: unknown) => e instanceof UserFacingError && /has no video/.test(e.userMessage));
      await assert.rejects(t.bot.studio.keep(bob, delivered[1]!.id), (e: unknown) => e instanceof UserFacingError && /Only alice or an admin/.test(e.userMessage));
      const kept = await t.bot.studio.keep(alice, delivered[1]!.id);
      assert.equal(kept.take?.kept, true);
      const after = await Promise.all(takes.map((j) => jobs.get(j.id)));
      assert.deepEqual(after.map((j) => j!.take!.kept), takes.map((j) => j.id === delivered[1]!.id), 'exactly one take is kept');
      // An admin may move the mark.
      await t.bot.studio.keep(actor(TENANT, 'root', true), delivered[0]!.id);
      assert.deepEqual((await Promise.all(takes.map((j) => jobs.get(j.id)))).map((j) => j!.take!.kept), takes.map((j) => j.id === delivered[0]!.id));
      assert.equal((await t.bot.studio.costReport(alice, { period: 'this-month' })).takes[0]!.kept, delivered[0]!.take!.index);

      // Remix of the request (named by any take) varies the kept take; --from_job takes it too.
      const remix = await t.bot.studio.launch(alice, { surface: { platform: 'test' }, remixOf: takes[0]!.id === delivered[0]!.id ? takes[1]!.id : takes[0]!.id, prompt: 'the same kite at night' }, async () => ({}));
      assert.equal(remix.job.input.remixOf, delivered[0]!.id);
      assert.equal(remix.takes, undefined, 'a remix without --takes is one video');
      await finishJobs(t, [remix.job.id]);
      const character = await t.bot.studio.createCharacter(alice, { name: 'kite', description: 'a red kite', fromJob: failed[0]!.id });
      assert.deepEqual(character.character.source, { kind: 'job', jobId: delivered[0]!.id });
    });

    it('refuses the whole request, naming what is left, when the caps cannot hold every take; nothing is reserved or kept', async (ctx) => {
      const env = await store.env();
      if (!env) return ctx.skip('postgres unavailable');
      // $1.00 a member: two takes fit, three do not.
      const t = await bot({ ...env, DEFAULT_USER_MONTHLY_BUDGET_USD: '1' });
      const before = await internalsOf(t.bot.studio).jobs.recent(TENANT);
      await assert.rejects(
        t.bot.studio.launch(alice, { surface: { platform: 'test' }, input: generationInput('a red kite over the dunes', { backend: 'openai' }), takes: 3 }, async () => ({})),
        (e: unknown) =>
          e instanceof UserFacingError &&
          e.code === 'budget_exceeded' &&
          e.userMessage.startsWith('3 takes of this video are estimated at $1.20 together ($0.40 each), but you have $1.00 left of your $1.00 monthly cap. Nothing was spent.'),
      );
      const { ledger, jobs } = internalsOf(t.bot.studio);
      assert.equal((await ledger.openReservations()).length, 0);
      assert.deepEqual(await jobs.recent(TENANT), before);
      assert.deepEqual(await jobs.activeIds(), []);
      // Two takes fit.
      const two = await t.bot.studio.launch(alice, { surface: { platform: 'test' }, input: generationInput('a red kite over the dunes', { backend: 'openai' }), takes: 2 }, async () => ({}));
      assert.equal((await ledger.summary(TENANT, two.job.ledgerMonth)).total.reservedMicros, 2 * EACH);
      await finishJobs(t, two.takes!.map((j) => j.id));
    });
  });
}

describe('--takes when the place cannot be opened', () => {
  it('cancels every take and releases all of their money', async () => {
    const t = await bot();
    await assert.rejects(
      t.bot.studio.launch(alice, { surface: { platform: 'test' }, input: generationInput('a red kite', { backend: 'openai' }), takes: 2 }, async () => {
        throw new UserFacingError('no_thread', 'no thread');
      }),
      /no thread/,
    );
    const { ledger, jobs } = internalsOf(t.bot.studio);
    const recent = await jobs.recent(TENANT);
    assert.equal(recent.length, 2);
    assert.ok(recent.every((j) => j.state === 'cancelled'));
    assert.equal((await ledger.summary(TENANT, recent[0]!.ledgerMonth)).total.reservedMicros, 0);
  });
});
