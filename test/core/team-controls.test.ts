/**
 * Team controls in the core, end to end on the real bot (SQLite file, real HTTP
 * backends against the simulator, ManualClock): approval of expensive videos,
 * who may spend, channel defaults, 80% warnings, and the audit trail adding up
 * to the ledger.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { auditTotals } from '../../src/core/audit-log.js';
import { UserFacingError } from '../../src/core/errors.js';
import { monthOf } from '../../src/core/ledger.js';
import type { Actor, GenerationInput, JobRecord } from '../../src/core/types.js';
import { driveUntil } from '../helpers/drive.js';
import { finishJobs, generationInput } from '../helpers/jobs.js';
import { startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

/** The team controls are checked on one backend, so every estimate is the same known price. */
const input = (prompt: string, extra: Partial<GenerationInput> = {}) => generationInput(prompt, { backend: 'openai', ...extra });

const TEAM = 'test:T';
const member = (userId: string, extra: Partial<Actor> = {}): Actor => ({
  tenant: TEAM,
  userId,
  displayName: userId,
  isAdmin: false,
  place: { kind: 'channel', id: 'C1' },
  ...extra,
});
const alice = member('alice');
const admin = member('boss', { isAdmin: true });
const admin2 = member('chief', { isAdmin: true });

const bots: TestBot[] = [];
async function bot(env: Record<string, string> = {}): Promise<TestBot> {
  const t = await startTestBot(env);
  bots.push(t);
  return t;
}
afterEach(async () => {
  while (bots.length) await bots.pop()!.stop();
});

/** Drives the job to its end with the shared finishJobs and checks that it was delivered. */
async function untilDelivered(t: TestBot, jobId: string): Promise<JobRecord> {
  const [job] = await finishJobs(t, [jobId]);
  assert.equal(job!.state, 'delivered', `job ${jobId} ended ${job!.state}`);
  return job!;
}

const held = async (t: TestBot) => (await internalsOf(t.bot.studio).ledger.summary(TEAM, monthOf(t.clock.now()))).total.reservedMicros;

describe('approval for expensive videos', () => {
  it('waits holding its reservation; non-admins and the requester are refused; an admin approves and it is delivered', async () => {
    const t = await bot();
    await t.bot.studio.setBudget(admin, { approveAboveMicros: 1_000_000 });
    const cheap = await t.bot.studio.generate(alice, input('cheap', { seconds: 4 }), { platform: 'test' });
    assert.equal(cheap.job.state, 'queued', '$0.40 is under the $1.00 threshold');
    const dear = await t.bot.studio.generate(alice, input('dear', { seconds: 12 }), { platform: 'test' });
    assert.equal(dear.job.state, 'awaiting_approval');
    assert.equal(await internalsOf(t.bot.studio).ledger.held(TEAM, dear.job.ledgerMonth, dear.job.id), 1_200_000, 'the money is held');
    assert.equal(t.surface.of(dear.job.id, 'awaiting-approval').length, 1);
    await untilDelivered(t, cheap.job.id);
    assert.equal((await internalsOf(t.bot.studio).jobs.get(dear.job.id))!.state, 'awaiting_approval', 'it does not run while waiting');
    await assert.rejects(t.bot.studio.team.approve(member('bob'), dear.job.id), (e: UserFacingError) => /Only admins/.test(e.message));
    await assert.rejects(t.bot.studio.team.approve({ ...alice, isAdmin: true }, dear.job.id), (e: UserFacingError) => /your own request/.test(e.message));
    // Two admins click at once: one decision.
    const clicks = await Promise.allSettled([t.bot.studio.team.approve(admin, dear.job.id), t.bot.studio.team.approve(admin2, dear.job.id)]);
    assert.equal(clicks.filter((c) => c.status === 'fulfilled').length, 1);
    const refused = clicks.find((c) => c.status === 'rejected') as PromiseRejectedResult;
    assert.match((refused.reason as Error).message, /already approved by (boss|chief)/);
    assert.equal(t.surface.of(dear.job.id, 'approved').length, 1);
    const done = await untilDelivered(t, dear.job.id);
    assert.equal(done.approval?.decision?.outcome, 'approved');
    const audit = await t.bot.studio.audit.month(TEAM, dear.job.ledgerMonth);
    assert.equal(audit.filter((e) => e.action === 'approve').length, 1);
  });

  it('deny releases the reservation and tells the requester who denied it', async () => {
    const t = await bot();
    await t.bot.studio.setBudget(admin, { approveAboveMicros: 1_000_000 });
    const dear = await t.bot.studio.generate(alice, input('dear', { seconds: 12 }), { platform: 'test' });
    assert.equal(await held(t), 1_200_000);
    const denied = await t.bot.studio.team.deny(admin, dear.job.id, 'too long for a test');
    assert.equal(denied.state, 'cancelled');
    assert.equal(await held(t), 0);
    assert.deepEqual(t.surface.of(dear.job.id, 'denied'), [{ type: 'denied', byName: 'boss', reason: 'too long for a test', expired: false }]);
    await assert.rejects(t.bot.studio.team.approve(admin2, dear.job.id), /already denied by boss/);
  });

  it('expires on the injected clock, releasing the money, also across a restart', async () => {
    let t = await bot({ APPROVAL_TIMEOUT_HOURS: '2' });
    await t.bot.studio.setBudget(admin, { approveAboveMicros: 1_000_000 });
    const dear = await t.bot.studio.generate(alice, input('dear', { seconds: 12 }), { platform: 'test' });
    await t.clock.advance(60 * 60_000);
    t = await t.restart();
    bots.splice(0, bots.length, t);
    assert.equal((await internalsOf(t.bot.studio).jobs.get(dear.job.id))!.state, 'awaiting_approval', 'still waiting after the restart');
    assert.equal(await held(t), 1_200_000);
    await t.clock.advance(60 * 60_000 + 1);
    // The requester hears of it after the money is back.
    await driveUntil(t.clock, () => t.surface.of(dear.job.id, 'denied').length === 1, { stepMs: 1000 });
    const expired = (await internalsOf(t.bot.studio).jobs.get(dear.job.id))!;
    assert.equal(expired.state, 'cancelled');
    assert.equal(expired.approval?.decision?.outcome, 'expired');
    assert.equal(await held(t), 0);
  });

  it('an approval given after a restart runs the job', async () => {
    let t = await bot();
    await t.bot.studio.setBudget(admin, { approveAboveMicros: 1_000_000 });
    const dear = await t.bot.studio.generate(alice, input('dear', { seconds: 12 }), { platform: 'test' });
    t = await t.restart();
    bots.splice(0, bots.length, t);
    await t.bot.studio.team.approve(admin, dear.job.id);
    assert.equal((await untilDelivered(t, dear.job.id)).priceMicros, 1_200_000);
  });
});

describe('who may spend and channel defaults', () => {
  it('an unlisted member is refused before anything is reserved; a listed role generates; a blocked member is refused', async () => {
    const t = await bot();
    await t.bot.studio.team.setAccess(admin, { allow: [{ id: 'R1', name: 'video-makers' }], block: [{ id: 'mallory', name: 'mallory' }] });
    await assert.rejects(
      t.bot.studio.generate(alice, input('no'), { platform: 'test' }),
      (e: UserFacingError) => e.message === 'Only members of video-makers can make videos in this team. boss or another admin decides this with /settings access. Nothing was spent.',
    );
    assert.equal(await held(t), 0);
    assert.deepEqual(await internalsOf(t.bot.studio).jobs.recent(TEAM), []);
    await assert.rejects(t.bot.studio.generate(member('mallory', { groups: ['R1'] }), input('no'), { platform: 'test' }), /not allowed to make videos/);
    const ok = await t.bot.studio.generate(member('carol', { groups: ['R1'] }), input('yes'), { platform: 'test' });
    assert.equal(ok.job.state, 'queued');
    // Characters and /cost stay readable for everyone.
    assert.ok(await t.bot.studio.costReport(alice, { period: 'this-month' }));
    assert.deepEqual(await t.bot.studio.listCharacters(alice), []);
  });

  it("applies the channel's defaults, says so, and lets explicit options win", async () => {
    const t = await bot();
    await t.bot.studio.team.setChannel(admin, 'C1', { orientation: 'portrait', seconds: 8 });
    const defaulted = await t.bot.studio.generate(alice, input('a', { seconds: undefined, given: [] }), { platform: 'test' });
    assert.equal(defaulted.job.input.orientation, 'portrait');
    assert.equal(defaulted.job.seconds, 8);
    assert.deepEqual(defaulted.appliedDefaults, [
      { option: 'orientation', value: 'portrait' },
      { option: 'seconds', value: '8' },
    ]);
    const explicit = await t.bot.studio.generate(alice, input('b', { seconds: 4, orientation: 'landscape', given: ['seconds', 'orientation'] }), { platform: 'test' });
    assert.equal(explicit.job.input.orientation, 'landscape');
    assert.equal(explicit.job.seconds, 4);
    assert.deepEqual(explicit.appliedDefaults, []);
    const elsewhere = await t.bot.studio.generate(member('alice', { place: { kind: 'channel', id: 'C2' } }), input('c', { seconds: undefined, given: [] }), { platform: 'test' });
    assert.equal(elsewhere.job.input.orientation, 'landscape', 'another channel has no defaults');
  });

  it('warns once a month in the reply that crossed 80% of a cap', async () => {
    const t = await bot({ DEFAULT_MONTHLY_BUDGET_USD: '50', DEFAULT_USER_MONTHLY_BUDGET_USD: '2' });
    const first = await t.bot.studio.generate(alice, input('a', { seconds: 12 }), { platform: 'test' });
    assert.deepEqual(first.warnings, []);
    const second = await t.bot.studio.generate(alice, input('b', { seconds: 4 }), { platform: 'test' });
    assert.equal(second.warnings?.length, 1);
    assert.equal(second.warnings![0]!.scope, 'member');
    assert.equal(second.warnings![0]!.usedMicros, 1_600_000);
    const third = await t.bot.studio.generate(alice, input('c', { seconds: 4 }), { platform: 'test' });
    assert.deepEqual(third.warnings, [], 'said once this month');
  });
});

describe('the audit trail', () => {
  it('has an entry for every money movement, its sums equal the ledger, and the CSV totals equal /cost', async () => {
    const t = await bot();
    await t.bot.studio.setBudget(admin, { approveAboveMicros: 1_000_000 });
    const delivered = await t.bot.studio.generate(alice, input('one', { seconds: 8 }), { platform: 'test' });
    const cancelled = await t.bot.studio.generate(alice, input('two', { seconds: 4 }), { platform: 'test' });
    await t.bot.studio.cancel(admin, cancelled.job.id);
    const denied = await t.bot.studio.generate(member('dave'), input('three', { seconds: 12 }), { platform: 'test' });
    await t.bot.studio.team.deny(admin, denied.job.id, undefined);
    const open = await t.bot.studio.generate(member('erin'), input('four', { seconds: 12 }), { platform: 'test' });
    await untilDelivered(t, delivered.job.id);

    const month = monthOf(t.clock.now());
    const entries = await t.bot.studio.audit.month(TEAM, month);
    const summary = await internalsOf(t.bot.studio).ledger.summary(TEAM, month);
    assert.deepEqual(auditTotals(entries), { reservedMicros: summary.total.reservedMicros, spentMicros: summary.total.spentMicros });
    assert.equal(summary.total.reservedMicros, 1_200_000, "erin's job still holds its money");
    const money = (action: string) => entries.filter((e) => e.action === action).map((e) => e.jobId).sort();
    assert.deepEqual(money('reserve'), [delivered.job.id, cancelled.job.id, denied.job.id, open.job.id].sort());
    assert.deepEqual(money('settle'), [delivered.job.id]);
    assert.deepEqual(money('release'), [cancelled.job.id, denied.job.id].sort());
    const cancel = entries.find((e) => e.action === 'cancel')!;
    assert.equal(cancel.by.id, 'boss');
    assert.equal(cancel.member?.id, 'alice');
    assert.ok(entries.some((e) => e.action === 'deny' && e.by.id === 'boss'));
    assert.ok(entries.some((e) => e.action === 'budget' && /approval above \$1\.00/.test(e.detail)));
    for (const e of entries) assert.ok(e.at > 0 && e.by.id && e.detail, JSON.stringify(e));

    const exported = await t.bot.studio.exportCsv(admin, 'this-month');
    const report = await t.bot.studio.costReport(admin, { period: 'this-month' });
    assert.equal(exported.chargedMicros, report.summary.total.spentMicros);
    assert.equal(exported.officialMicros, report.summary.total.officialMicros);
    const lines = exported.csv.trim().split('\r\n');
    assert.equal(lines[0], 'id,time,member,channel,backend,seconds,estimate,charged,official price,state,approval');
    assert.equal(lines.length, 5);
    const sum = (col: number) => lines.slice(1).reduce((a, l) => a + Math.round(Number(l.split(',')[col]) * 1_000_000), 0);
    assert.equal(sum(7), report.summary.total.spentMicros);
    assert.equal(sum(8), report.summary.total.officialMicros);
    assert.ok(lines.some((l) => l.startsWith(denied.job.id) && l.endsWith(',cancelled,denied by boss')));

    const trail = await t.bot.studio.team.auditTrail(admin, { limit: 3 });
    assert.equal(trail.length, 3);
    assert.ok(trail[0]!.at >= trail[2]!.at, 'newest first');
  });
});

describe('storyboards under the team rules', () => {
  const board = (prompts: string[]) => ({
    shots: prompts.map((prompt) => ({ prompt, seconds: 4 })),
    orientation: 'landscape' as const,
    resolution: '720p' as const,
    audio: undefined,
    continuous: false,
  });

  it('the approval threshold applies to the sum of the shots: above it, the board waits for an admin holding the sum', async () => {
    const t = await bot();
    const one = await t.bot.studio.boards.request(alice, board(['a fox wakes']), { platform: 'test' });
    const shot = one.estimateMicros;
    const before = await held(t);
    // Every shot is under the threshold; two of them together are not (the flow itself: board-approval.test.ts).
    await t.bot.studio.setBudget(admin, { approveAboveMicros: Math.round(shot * 1.5) });
    const two = await t.bot.studio.boards.request(alice, board(['a fox wakes', 'a fox yawns']), { platform: 'test' });
    assert.equal(two.board.state, 'awaiting_approval');
    assert.equal(await held(t), before + 2 * shot, 'the whole sum is held');
    const under = await t.bot.studio.boards.request(alice, board(['a fox sleeps']), { platform: 'test' });
    assert.equal(under.estimateMicros, shot);
    assert.equal(under.board.state, 'rendering', 'a board whose sum is under the threshold does not wait');
  });

  it('an unlisted or blocked member is refused a storyboard before anything is reserved; a listed one gets it', async () => {
    const t = await bot();
    await t.bot.studio.team.setAccess(admin, { allow: [{ id: 'R1', name: 'video-makers' }], block: [{ id: 'mallory', name: 'mallory' }] });
    await assert.rejects(t.bot.studio.boards.request(alice, board(['a heron', 'a crane']), { platform: 'test' }), /Only members of video-makers can make videos in this team\..*Nothing was spent\./);
    await assert.rejects(t.bot.studio.boards.request(member('mallory', { groups: ['R1'] }), board(['a heron']), { platform: 'test' }), /not allowed to make videos/);
    assert.equal(await held(t), 0);
    assert.deepEqual(await t.bot.studio.boards.boardStore.recent(TEAM), []);
    const ok = await t.bot.studio.boards.request(member('carol', { groups: ['R1'] }), board(['a heron', 'a crane']), { platform: 'test' });
    assert.equal(ok.shots.length, 2);
    assert.equal(await held(t), ok.estimateMicros);
  });
});
