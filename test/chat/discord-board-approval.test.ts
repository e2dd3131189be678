/**
 * Storyboards above the approval threshold on Discord, end to end: the real
 * bot with the real discord.js client against the fake Discord and the
 * provider simulator (real clips, joined with ffmpeg), on a ManualClock. The
 * board waits in its thread holding the whole sum, with Approve and Deny; a
 * member's click is refused; another admin's Approve starts the shots and the
 * joined video is delivered and charged exactly the shots; Deny releases every
 * reservation; a board nobody decides on is released when the timeout passes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { BoardRecord, JobRecord } from '../../src/core/types.js';
import { ADMIN_PERMISSIONS, type FakeInteraction, type FakeUser } from '../fakes/discord/fake-discord.js';
import { alice, GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil, waitFor } from '../helpers/drive.js';

const TENANT = `discord:${GUILD}`;
const bob: FakeUser = { id: '800000000000000002', username: 'bob' };
const ada: FakeUser = { id: '800000000000000003', username: 'ada' };
const asAdmin = { memberPermissions: ADMIN_PERMISSIONS };
const WAIT_MS = 60_000;
const SHOT = 400_000; // 4 s on openai

describe('discord: a storyboard above the approval threshold', { concurrency: false }, () => {
  let h: Harness;
  let channel: string;
  const held = async () => (await internalsOf(h.bot.studio).ledger.summary(TENANT, monthOf(h.clock.now()))).total;
  const board = async (id: string) => (await h.bot.studio.boards.boardStore.get(id)) as BoardRecord;
  const shots = async (b: BoardRecord) => (await Promise.all(b.shots.map((id) => internalsOf(h.bot.studio).jobs.get(id)))) as JobRecord[];
  const answer = async (i: FakeInteraction) => {
    const text = () => h.fake.messages.get(h.fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => text() !== '', 'the answer to a click', WAIT_MS);
    return text();
  };

  /** Three 4-s shots by alice ($1.20 against a $1.00 threshold): the board, its thread and status message once it waits. */
  async function waiting(words: string) {
    const before = new Set((await h.bot.studio.boards.boardStore.recent(TENANT)).map((b) => b.id));
    h.fake.command(target(channel, alice), 'sora', 'storyboard', [str('shots', `${words} wakes | ${words} yawns | ${words} runs`), int('seconds', 4)]);
    let found: BoardRecord | undefined;
    await waitFor(async () => {
      found = (await h.bot.studio.boards.boardStore.recent(TENANT)).find((b) => !before.has(b.id) && b.surface.boardStatusMessageId !== undefined);
      return found !== undefined && /board:approve:/.test(JSON.stringify(h.fake.messages.get(String(found.surface.boardStatusMessageId))?.components ?? []));
    }, 'the Approve button in the board thread', WAIT_MS);
    const b = await board(found!.id);
    return { id: b.id, threadId: String(b.surface.boardThreadId), statusId: String(b.surface.boardStatusMessageId) };
  }

  before(async () => {
    h = await harness({ msPerVideoSecond: 1_000 });
    channel = h.fake.addChannel(GUILD).id;
    const set = h.fake.command(target(channel, ada, asAdmin), 'budget', 'set', [{ name: 'approve-above', type: 10, value: 1 }]);
    await until(() => (h.fake.messages.get(h.fake.interactions.get(set.id)!.originalMessageId ?? '')?.embeds.length ?? 0) > 0, '/budget set', WAIT_MS);
  });
  after(async () => h.close());

  test('waits holding the sum; a member is refused; an admin approves; the joined video is delivered and charged exactly the shots', async () => {
    const w = await waiting('a fox');
    assert.equal((await board(w.id)).state, 'awaiting_approval');
    assert.equal((await held()).reservedMicros, 3 * SHOT, 'the whole sum is held');
    assert.ok((await shots(await board(w.id))).every((j) => j.state === 'queued' && !j.started));
    const status = h.fake.messages.get(w.statusId)!;
    assert.match(status.content, /Estimated \$1\.20 in all, above the \$1\.00 approval threshold; the money is held/);
    assert.match(status.content, /Shot 2: waiting for approval \(\$0\.40\)/);
    assert.match(JSON.stringify(status.components), new RegExp(`board:deny:${w.id}`));

    const refused = await answer(h.fake.button(target(w.threadId, bob), w.statusId, `board:approve:${w.id}`));
    assert.match(refused, /Only admins/);
    assert.equal((await board(w.id)).state, 'awaiting_approval', "the member's click changed nothing");

    assert.match(await answer(h.fake.button(target(w.threadId, ada, asAdmin), w.statusId, `board:approve:${w.id}`)), new RegExp(`^Approved storyboard \`${w.id}\` for alice`));
    await until(() => h.fake.messagesIn(w.threadId).some((m) => m.content.includes(`was approved by ada`)), 'the requester told who approved', WAIT_MS);
    await driveUntil(h.clock, async () => ['delivered', 'failed'].includes((await board(w.id)).state), { stepMs: 1_000, maxSteps: 1_500, realWaitMs: 25 });
    assert.equal((await board(w.id)).state, 'delivered');
    await waitFor(() => videosIn(h.fake, w.threadId).length > 0, 'the joined video in the thread');
    const total = await held();
    assert.deepEqual([total.spentMicros, total.reservedMicros], [3 * SHOT, 0], 'charged exactly the shots');
  });

  test('Deny releases every reservation and tells the requester who denied it', async () => {
    const spent = (await held()).spentMicros;
    const w = await waiting('a heron');
    assert.equal((await held()).reservedMicros, 3 * SHOT);
    assert.match(await answer(h.fake.button(target(w.threadId, ada, asAdmin), w.statusId, `board:deny:${w.id}`)), /^Denied storyboard .* its \$1\.20 went back to the budget/);
    assert.equal((await board(w.id)).state, 'cancelled');
    assert.ok((await shots(await board(w.id))).every((j) => j.state === 'cancelled'));
    assert.deepEqual([(await held()).reservedMicros, (await held()).spentMicros], [0, spent], 'released, nothing charged');
    await until(() => /Denied by ada/.test(h.fake.messages.get(w.statusId)!.content), 'the denial in the status', WAIT_MS);
    assert.ok(h.fake.messagesIn(w.threadId).some((m) => m.content.startsWith(`<@${alice.id}>: Storyboard`) && m.content.includes('was not approved')));
  });

  test('a board nobody decides on is released when the approval timeout passes on the clock', async () => {
    const w = await waiting('a stork');
    const expiresAt = (await board(w.id)).approval!.expiresAt;
    await driveUntil(h.clock, async () => (await board(w.id)).state === 'cancelled', { stepMs: 30 * 60_000, maxSteps: 60 });
    assert.ok(h.clock.now() >= expiresAt, 'not before its time');
    assert.equal((await board(w.id)).approval!.decision!.outcome, 'expired');
    assert.equal((await held()).reservedMicros, 0);
    await until(() => /Nobody approved it in time/.test(h.fake.messages.get(w.statusId)!.content), 'the expiry in the status', WAIT_MS);
  });
});
