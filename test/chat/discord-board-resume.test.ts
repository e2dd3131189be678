/**
 * A Discord storyboard resumed after a crash posts nothing twice: the real bot
 * with the real discord.js client against the fake Discord and the provider
 * simulator, on a ManualClock. A board is delivered; then its stored record is
 * put back to the moment a process died right after posting the joined video,
 * before any of its posts was recorded (state `delivering`, a ref without the
 * thread, status or video ids). A new process, started past the few minutes
 * Discord deduplicates nonces for, resumes it: it finds its anchor, thread,
 * status message and video in the channel instead of posting them again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BoardRecord } from '../../src/core/types.js';
import { alice, GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil, waitFor } from '../helpers/drive.js';

const TENANT = `discord:${GUILD}`;

describe('discord: a storyboard resumed after a crash', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ msPerVideoSecond: 10_000 });
  });
  after(async () => h.close());

  test('finds its earlier anchor, thread, status message and joined video instead of posting them again', async () => {
    const { fake, clock } = h;
    const channel = fake.addChannel(GUILD).id;
    const i = fake.command(target(channel, alice), 'sora', 'storyboard', [str('shots', 'a kite over a hill | the kite lands'), int('seconds', 4)]);
    await until(() => /accepted/.test(fake.messages.get(fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? ''), 'the acceptance', 60_000);
    const id = (await h.bot.studio.boards.boardStore.recent(TENANT))[0]!.id;
    await driveUntil(clock, async () => (await h.bot.studio.boards.boardStore.get(id))?.state === 'delivered', { stepMs: 1_000, maxSteps: 1_500, realWaitMs: 25 });
    const delivered = (await h.bot.studio.boards.boardStore.get(id))!;
    const threadId = String(delivered.surface.boardThreadId);
    const anchors = () => fake.messagesIn(channel).filter((m) => m.content.includes(`(\`${id}\`)`)).length;
    const statuses = () => fake.messagesIn(threadId).filter((m) => m.content.startsWith(`**Storyboard \`${id}\``)).length;
    assert.deepEqual([anchors(), fake.threadsFrom(channel).length, statuses(), videosIn(fake, threadId).length], [1, 1, 1, 1]);

    // The record as a process that died right after posting the joined video left it: nothing it posted recorded.
    const { boardThreadId: _t, boardAnchorId: _a, boardStatusMessageId: _s, boardDeliveryMessageId: _d, ...bare } = delivered.surface;
    const crashed: BoardRecord = { ...delivered, state: 'delivering', surface: bare as BoardRecord['surface'] };
    await h.bot.studio.boards.boardStore.create(crashed);
    await h.bot.stop();
    // Past Discord's nonce window: only the bot's own look-up can keep it from posting again.
    await clock.advance(10 * 60_000, 60_000);
    await h.start();
    await waitFor(async () => (await h.bot.studio.boards.boardStore.get(id))?.state === 'delivered', 'the resumed board delivered', 60_000);

    assert.equal(anchors(), 1, 'one anchor message in the channel');
    assert.equal(fake.threadsFrom(channel).length, 1, 'one thread');
    assert.equal(statuses(), 1, 'one status message');
    assert.equal(videosIn(fake, threadId).length, 1, 'one joined video');
    const resumed = (await h.bot.studio.boards.boardStore.get(id))!;
    assert.equal(resumed.surface.boardThreadId, threadId, 'the thread found again is recorded');
    assert.equal(resumed.surface.boardStatusMessageId, delivered.surface.boardStatusMessageId);
    assert.equal(resumed.surface.boardDeliveryMessageId, delivered.surface.boardDeliveryMessageId);
  });
});
