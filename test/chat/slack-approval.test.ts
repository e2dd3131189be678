/**
 * Approvals on Slack, end to end: the real Bolt app inside the real bot, signed
 * requests to /slack/events, the fake Slack Web API and the provider simulator
 * on a ManualClock. A video above `/budget set --approve-above` waits with its
 * money held and Approve/Deny buttons on its status; a member's click is
 * refused privately, two admins clicking at once decide once, the approved
 * video is delivered and charged, Deny releases, and expiry releases on the clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { JobRecord } from '../../src/core/types.js';
import { driveUntil } from '../helpers/drive.js';
import { CHANNEL, messageText, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';

describe('slack: approval of videos above the threshold', { concurrency: false }, () => {
  let s: SlackBot;
  const job = async (id: string) => (await internalsOf(s.tb.bot.studio).jobs.get(id)) as JobRecord;
  const held = async () => (await internalsOf(s.tb.bot.studio).ledger.summary(TENANT, monthOf(s.tb.clock.now()))).total;
  const privately = async (user: string, since: number) => {
    await waitReal(() => s.fake.ephemerals.slice(since).some((e) => e.user === user), `a private answer to ${user}`);
    return String(s.fake.ephemerals.slice(since).find((e) => e.user === user)!.text);
  };

  /** A 4-second video ($0.40 on openai) by `user`, once its status shows Approve. */
  async function expensive(user: string, words: string) {
    await s.slash('/sora', `generate ${words} --seconds 4`, user);
    await waitReal(async () => (await s.jobs()).some((j) => j.input.prompt === words && j.surface.statusTs !== undefined), 'the waiting job');
    const waiting = (await s.jobs()).find((j) => j.input.prompt === words)!;
    const statusTs = String(waiting.surface.statusTs);
    await waitReal(() => /sora_job_approve/.test(messageText(s.fake.message(CHANNEL, statusTs))), 'the Approve button');
    return { id: waiting.id, statusTs, parentTs: String(waiting.surface.parentTs) };
  }
  const click = (user: string, w: { id: string; statusTs: string; parentTs: string }, actionId: string) =>
    s.click({ user, messageTs: w.statusTs, threadTs: w.parentTs, actionId, value: w.id });

  before(async () => {
    s = await startSlackBot({ env: { SLACK_ADMIN_USER_IDS: 'U0LEAD' } });
    s.fake.users.set('U0ADMIN', { id: 'U0ADMIN', name: 'dana', real_name: 'Dana', is_admin: true });
    s.fake.users.set('U0LEAD', { id: 'U0LEAD', name: 'lee', real_name: 'Lee' });
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
    s.fake.users.set('U0BOB', { id: 'U0BOB', name: 'bob', real_name: 'Bob' });
    const set = await s.slash('/budget', 'set --approve-above 0.2', 'U0ADMIN');
    await waitReal(() => s.fake.responsesTo(set.responseUrl).length > 0, '/budget set');
  });
  after(async () => s.stop());

  test('waits holding its money; a member is refused; two admins at once approve once; delivered and charged', async () => {
    const w = await expensive('U0ALICE', 'a lantern festival over a river');
    assert.equal((await job(w.id)).state, 'awaiting_approval');
    assert.equal((await held()).reservedMicros, 400_000, 'held while it waits');
    assert.match(messageText(s.fake.message(CHANNEL, w.statusTs)), /sora_job_deny/);

    let since = s.fake.ephemerals.length;
    await click('U0BOB', w, 'sora_job_approve');
    assert.match(await privately('U0BOB', since), /Only admins/);
    assert.equal((await job(w.id)).state, 'awaiting_approval', "a member's click changes nothing");

    since = s.fake.ephemerals.length;
    await Promise.all([click('U0ADMIN', w, 'sora_job_approve'), click('U0LEAD', w, 'sora_job_approve')]);
    const answers = [await privately('U0ADMIN', since), await privately('U0LEAD', since)];
    assert.equal(answers.filter((a) => /^Approved job/.test(a)).length, 1, answers.join(' | '));
    const decider = (await job(w.id)).approval!.decision!.byName;
    assert.equal(answers.filter((a) => a.includes(`already approved by ${decider}`)).length, 1, answers.join(' | '));
    const audit = await s.tb.bot.studio.audit.latest(TENANT, { limit: 50 });
    assert.equal(audit.filter((e) => e.action === 'approve' && e.jobId === w.id).length, 1, 'decided and audited once');
    const approvedBy = () => s.fake.callsTo('chat.update').some((c) => c.args.ts === w.statusTs && String(c.args.text).includes(`Approved by ${decider}`));
    await waitReal(approvedBy, 'the status naming who approved');

    await s.drive(async () => (await job(w.id)).state === 'delivered', 2_000);
    assert.ok([...s.fake.uploads.values()].some((u) => u.filename === `${w.id}.mp4` && u.completed?.threadTs === w.parentTs), 'the video in its thread');
    assert.equal((await held()).spentMicros, 400_000);
    assert.equal((await held()).reservedMicros, 0);
  });

  test('Deny by an admin releases the money and the thread says who denied it', async () => {
    const w = await expensive('U0BOB', 'a snail racing a tortoise');
    assert.equal((await held()).reservedMicros, 400_000);
    const since = s.fake.ephemerals.length;
    await click('U0ADMIN', w, 'sora_job_deny');
    assert.match(await privately('U0ADMIN', since), /^Denied job/);
    await waitReal(async () => (await job(w.id)).state === 'cancelled', 'the denial');
    // The state moves first, then the money (job-approval.ts): wait for the release itself.
    await waitReal(async () => (await held()).reservedMicros === 0, 'deny to release the reservation');
    await waitReal(() => /Dana/.test(messageText(s.fake.message(CHANNEL, w.statusTs))), 'the thread names who denied it');
  });

  test('nobody decides: released when the approval timeout passes on the clock', async () => {
    const w = await expensive('U0ALICE', 'fog rolling over a bridge');
    const expiresAt = (await job(w.id)).approval!.expiresAt;
    await driveUntil(s.tb.clock, async () => (await job(w.id)).state === 'cancelled', { stepMs: 30 * 60_000, maxSteps: 60 });
    assert.ok(s.tb.clock.now() >= expiresAt, 'not before its time');
    assert.equal((await job(w.id)).approval!.decision!.outcome, 'expired');
    await waitReal(async () => (await held()).reservedMicros === 0, 'expiry to release the reservation');
  });
});
