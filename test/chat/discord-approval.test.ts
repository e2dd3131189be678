/**
 * Approvals on Discord, end to end: the real bot wiring with the real discord.js
 * client against the fake Discord and the provider simulator, on a ManualClock.
 * A video above `/budget set --approve-above` waits with its money held and
 * Approve/Deny buttons in its thread; an admin's Approve delivers it, Deny
 * releases it, a member's click is refused privately, an admin cannot decide on
 * their own video, two admins clicking at once decide once, and a video nobody
 * decides on is released when APPROVAL_TIMEOUT_HOURS pass on the clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { ADMIN_PERMISSIONS, type FakeInteraction, type FakeUser } from '../fakes/discord/fake-discord.js';
import { alice, GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil, waitFor } from '../helpers/drive.js';

const TENANT = `discord:${GUILD}`;
const bob: FakeUser = { id: '800000000000000002', username: 'bob' };
const ada: FakeUser = { id: '800000000000000003', username: 'ada' };
const eve: FakeUser = { id: '800000000000000004', username: 'eve' };
const asAdmin = { memberPermissions: ADMIN_PERMISSIONS };

describe('discord: approval of videos above the threshold', { concurrency: false }, () => {
  let h: Harness;
  let channel: string;
  const callback = (i: FakeInteraction) => h.fake.interactions.get(i.id)!.callback;
  /** A click is answered after a private defer (the member list may be paged): the answer is the edited original. */
  const answer = async (i: FakeInteraction) => {
    const text = () => String(callback(i)?.data?.content ?? h.fake.messages.get(h.fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '');
    await until(() => callback(i) !== undefined && text() !== '', 'the answer to a click');
    return text();
  };
  const held = async () => (await internalsOf(h.bot.studio).ledger.summary(TENANT, monthOf(h.clock.now()))).total;
  const job = async (id: string) => (await internalsOf(h.bot.studio).jobs.get(id))!;

  /** A 4-second openai video ($0.40) by `user`: its thread's status message and job id once it waits. */
  async function expensive(user: FakeUser, extra = {}) {
    const i = h.fake.command(target(channel, user, extra), 'sora', 'generate', [str('prompt', `a kite over the sea for ${user.username}`), int('seconds', 4)]);
    const thread = () => h.fake.interactions.get(i.id)!.originalMessageId;
    const status = () => (thread() ? h.fake.messagesIn(thread()!)[0] : undefined);
    await until(() => /job:approve:/.test(JSON.stringify(status()?.components ?? [])), 'the Approve button in the thread');
    const jobId = /job:approve:(j_[0-9a-z]+)/.exec(JSON.stringify(status()!.components))![1]!;
    return { threadId: thread()!, status: status()!, jobId };
  }

  before(async () => {
    h = await harness({ msPerVideoSecond: 1_000 });
    channel = h.fake.addChannel(GUILD).id;
    const set = h.fake.command(target(channel, ada, asAdmin), 'budget', 'set', [{ name: 'approve-above', type: 10, value: 0.2 }]);
    await until(() => h.fake.interactions.get(set.id)!.originalMessageId !== undefined && (h.fake.messages.get(h.fake.interactions.get(set.id)!.originalMessageId!)?.embeds.length ?? 0) > 0, '/budget set');
  });
  after(async () => h.close());

  test('the job waits holding its money; a member and the requester-admin are refused; two admins at once approve once; it is delivered', async () => {
    const { threadId, status, jobId } = await expensive(alice);
    assert.equal((await job(jobId)).state, 'awaiting_approval');
    assert.match(status.content, /awaiting an admin's approval/);
    assert.match(JSON.stringify(status.components), new RegExp(`job:deny:${jobId}`));
    assert.equal((await held()).reservedMicros, 400_000, 'the estimate is held while it waits');

    const click = h.fake.button(target(threadId, bob), status.id, `job:approve:${jobId}`);
    assert.match(await answer(click), /Only admins/);
    assert.equal(Number(callback(click)!.data!.flags) & 64, 64, 'the refusal is private');

    const own = await expensive(ada, asAdmin);
    const byRequester = await answer(h.fake.button(target(own.threadId, ada, asAdmin), own.status.id, `job:approve:${own.jobId}`));
    assert.match(byRequester, /your own request: another admin has to approve or deny it/);
    assert.equal((await job(own.jobId)).state, 'awaiting_approval');
    assert.equal((await job(jobId)).state, 'awaiting_approval', "the member's click changed nothing");

    // Two admins click Approve at the same moment: one decision, the other is told who made it.
    const first = h.fake.button(target(threadId, ada, asAdmin), status.id, `job:approve:${jobId}`);
    const second = h.fake.button(target(threadId, eve, asAdmin), status.id, `job:approve:${jobId}`);
    const answers = [await answer(first), await answer(second)];
    assert.equal(answers.filter((a) => /^Approved job/.test(a)).length, 1, answers.join(' | '));
    const decider = (await job(jobId)).approval!.decision!.byName;
    assert.equal(answers.filter((a) => a.includes(`already approved by ${decider}`)).length, 1, answers.join(' | '));
    const audit = await h.bot.studio.audit.latest(TENANT, { limit: 50 });
    assert.equal(audit.filter((e) => e.action === 'approve' && e.jobId === jobId).length, 1, 'audited once');

    // The clock runs the render; saving and posting the file take real time (ffprobe), which is waited for, not driven.
    await driveUntil(h.clock, async () => ['downloading', 'delivering', 'delivered'].includes((await job(jobId)).state), { stepMs: 500, maxSteps: 400 });
    await waitFor(async () => (await job(jobId)).state === 'delivered' && videosIn(h.fake, threadId).length > 0, 'the video in the thread');
    const statusNow = h.fake.messages.get(status.id)!;
    assert.ok(statusNow.edits > 0);
    const said = [...h.fake.messages.values()].filter((m) => m.content.includes(`was approved by ${decider}`));
    assert.ok(said.length > 0, 'the requester is told who approved');
    assert.equal((await held()).spentMicros, 400_000, 'the approved video is charged its estimate');

    // Ada's own video: eve decides it (Deny), which releases its money and tells ada who denied it.
    const denied = await answer(h.fake.button(target(own.threadId, eve, asAdmin), own.status.id, `job:deny:${own.jobId}`));
    assert.match(denied, /^Denied job/);
    await until(() => /not approved/.test(h.fake.messages.get(own.status.id)!.content), 'the denial in the thread');
    assert.match(h.fake.messages.get(own.status.id)!.content, /eve/);
    assert.equal((await job(own.jobId)).state, 'cancelled');
    assert.equal((await held()).reservedMicros, 0, 'deny released the reservation');
    assert.equal((await held()).spentMicros, 400_000);
  });

  test('a job nobody decides on is released when the approval timeout passes on the clock', async () => {
    const { jobId, status } = await expensive(bob);
    assert.equal((await held()).reservedMicros, 400_000);
    const expiresAt = (await job(jobId)).approval!.expiresAt;
    assert.equal(expiresAt - (await job(jobId)).createdAt, 24 * 60 * 60_000, 'APPROVAL_TIMEOUT_HOURS defaults to 24');
    await driveUntil(h.clock, async () => (await job(jobId)).state === 'cancelled', { stepMs: 30 * 60_000, maxSteps: 60 });
    assert.ok(h.clock.now() >= expiresAt, 'not before its time');
    assert.equal((await job(jobId)).approval!.decision!.outcome, 'expired');
    // The state moves first, then the money (job-approval.ts): wait for the release itself.
    await waitFor(async () => (await held()).reservedMicros === 0, 'expiry to release the reservation');
    await until(() => /not approved/.test(h.fake.messages.get(status.id)!.content), 'the expiry in the thread');
  });
});
