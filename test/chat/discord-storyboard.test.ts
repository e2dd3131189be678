/**
 * `/sora storyboard` on Discord: the real bot with the real discord.js client
 * against the fake Discord and the provider simulator, on a ManualClock.
 * Three shots naming one character: the sum is held at once, ONE status
 * message in the board's thread shows a line per shot, one joined MP4 is
 * uploaded into that thread, and exactly the sum is charged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { BoardRecord, JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { alice, GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil } from '../helpers/drive.js';
import { actor } from '../helpers/test-bot.js';

const TENANT = `discord:${GUILD}`;

describe('discord: a three-shot storyboard with one character', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ msPerVideoSecond: 10_000 });
    await h.bot.studio.createCharacter(actor(TENANT, alice.id, true, 'alice'), { name: 'mascot', description: 'a round orange robot', clipPath: SAMPLE_CLIP_PATH });
  });
  after(async () => h.close());

  test('holds the sum, shows a line per shot in one thread, uploads one joined MP4 there and charges the sum', async () => {
    const { fake, clock } = h;
    const studio = h.bot.studio;
    const channel = fake.addChannel(GUILD).id;
    const i = fake.command(target(channel, alice), 'sora', 'storyboard', [str('shots', '@mascot wakes up | @mascot makes coffee | @mascot walks to the beach'), int('seconds', 4)]);
    const reply = () => fake.messages.get(fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => /accepted/.test(reply()), 'the acceptance');
    assert.match(reply(), /Storyboard `b_[0-9a-z]+` accepted: 3 shots/);
    assert.equal((fake.interactions.get(i.id)!.callback!.data?.flags as number) & 64, 64, 'the acceptance is private');

    const board = (await studio.boards.boardStore.recent(TENANT))[0] as BoardRecord;
    const shots = (await Promise.all(board.shots.map((id) => internalsOf(studio).jobs.get(id)))) as JobRecord[];
    const sum = shots.reduce((total, j) => total + j.estimateMicros, 0);
    const month = shots[0]!.ledgerMonth;
    const held = await internalsOf(studio).ledger.summary(TENANT, month);
    assert.equal(held.total.reservedMicros + held.total.spentMicros, sum, 'the sum is held before any shot is made');

    // Joining the shots takes real time (ffmpeg): each step waits a little for it.
    await driveUntil(clock, async () => (await studio.boards.boardStore.get(board.id))?.state === 'delivered', { stepMs: 1_000, maxSteps: 3_000, realWaitMs: 10 });
    const done = (await studio.boards.boardStore.get(board.id))!;
    const settled = await internalsOf(studio).ledger.summary(TENANT, month);
    assert.equal(settled.total.spentMicros, sum, 'settled: exactly the sum');
    assert.equal(settled.total.reservedMicros, 0);

    const threadId = String(done.surface.boardThreadId);
    assert.equal(fake.channels.get(threadId)!.parent_id, channel, 'the board has its own thread in the channel');
    const status = fake.messages.get(String(done.surface.boardStatusMessageId))!;
    for (const shot of [1, 2, 3]) assert.match(status.content, new RegExp(`Shot ${shot}: done \\(4s, \\$\\d+\\.\\d{2}\\)`));
    assert.ok(status.edits >= 1, 'the status message is edited, not reposted');
    assert.equal(fake.messagesIn(threadId).filter((m) => /Shot 1:/.test(m.content)).length, 1, 'one status message');
    assert.match(JSON.stringify(status.components), new RegExp(`board:shots:${done.id}`), 'a Shots button');

    const videos = videosIn(fake, threadId);
    assert.deepEqual(videos.map((m) => m.attachments.map((a) => a.name)), [[`${done.id}.mp4`]], 'one joined video in the thread, no single shots');
    assert.match(videos[0]!.content, new RegExp(`<@${alice.id}>, your storyboard`));
  });
});
