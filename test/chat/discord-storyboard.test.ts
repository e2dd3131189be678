/**
 * `/sora storyboard` on Discord: the real bot with the real discord.js client
 * against the fake Discord and the provider simulator, on a ManualClock.
 * Three shots naming one character: the sum is held at once, ONE status
 * message in the board's thread shows a line per shot, one joined MP4 is
 * uploaded into that thread, and exactly the sum is charged. Then the form
 * `/sora storyboard` opens without shots, a shot that fails twice with its
 * "Retry shot N" button, and the "Shots" button.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { BoardRecord, JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { alice, GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil, waitFor } from '../helpers/drive.js';
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
    await until(() => /accepted/.test(reply()), 'the acceptance', 60_000);
    assert.match(reply(), /Storyboard `b_[0-9a-z]+` accepted: 3 shots/);
    assert.equal((fake.interactions.get(i.id)!.callback!.data?.flags as number) & 64, 64, 'the acceptance is private');

    const board = (await studio.boards.boardStore.recent(TENANT))[0] as BoardRecord;
    const shots = (await Promise.all(board.shots.map((id) => internalsOf(studio).jobs.get(id)))) as JobRecord[];
    const sum = shots.reduce((total, j) => total + j.estimateMicros, 0);
    const month = shots[0]!.ledgerMonth;
    const held = await internalsOf(studio).ledger.summary(TENANT, month);
    assert.equal(held.total.reservedMicros + held.total.spentMicros, sum, 'the sum is held before any shot is made');

    // Joining the shots takes real time (ffmpeg): each step waits a little for it.
    await driveUntil(clock, async () => (await studio.boards.boardStore.get(board.id))?.state === 'delivered', { stepMs: 1_000, maxSteps: 1_500, realWaitMs: 25 });
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

  const newBoard = async (known: Set<string>) => {
    let board: BoardRecord | undefined;
    await waitFor(async () => (board = (await h.bot.studio.boards.boardStore.recent(TENANT)).find((b) => !known.has(b.id))) !== undefined, 'the new board');
    return board!;
  };
  const boardIds = async () => new Set((await h.bot.studio.boards.boardStore.recent(TENANT)).map((b) => b.id));
  const delivered = (id: string) => driveUntil(h.clock, async () => (await h.bot.studio.boards.boardStore.get(id))?.state === 'delivered', { stepMs: 1_000, maxSteps: 1_500, realWaitMs: 25 });

  test('without shots, /sora storyboard opens a form with five shot fields; its submit makes the board with the options typed', async () => {
    const { fake } = h;
    const channel = fake.addChannel(GUILD).id;
    const known = await boardIds();
    const i = fake.command(target(channel, alice), 'sora', 'storyboard', [int('seconds', 4), str('orientation', 'portrait')]);
    await until(() => fake.interactions.get(i.id)!.callback !== undefined, 'the form', 60_000);
    const form = fake.interactions.get(i.id)!.callback!;
    assert.equal(form.type, 9, 'a modal is the first answer');
    const fields = JSON.stringify(form.data?.components).match(/"custom_id":"(\w+)"/g);
    assert.deepEqual(fields, [1, 2, 3, 4, 5].map((n) => `"custom_id":"shot${n}"`), 'five shot fields');
    assert.equal(await h.bot.studio.boards.boardStore.recent(TENANT).then((b) => b.length), known.size, 'nothing is planned or reserved before the submit');

    const customId = String(form.data?.custom_id);
    const submit = fake.modalSubmit(target(channel, alice), customId, { shot1: '@mascot wakes up', shot2: '@mascot stretches --seconds 8', shot3: '', shot4: '', shot5: '' });
    const reply = () => fake.messages.get(fake.interactions.get(submit.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => /accepted/.test(reply()), 'the acceptance', 60_000);
    assert.match(reply(), /Storyboard `b_[0-9a-z]+` accepted: 2 shots, 12s portrait/, "the command's options and a shot's own length");
    const board = await newBoard(known);
    await delivered(board.id);
    const done = (await h.bot.studio.boards.boardStore.get(board.id))!;
    assert.deepEqual(videosIn(fake, String(done.surface.boardThreadId)).map((m) => m.attachments.map((a) => a.name)), [[`${done.id}.mp4`]]);
  });

  test('a shot that fails twice gets a Retry shot button that completes the board; Shots uploads the single shots', async () => {
    const { fake, sim } = h;
    const studio = h.bot.studio;
    const channel = fake.addChannel(GUILD).id;
    const known = await boardIds();
    // Shot 2 is refused by the provider on every try, the automatic retry included, until cleared.
    sim.faults.inject({ fault: 'moderation', bodyIncludes: 'spills the coffee' });
    fake.command(target(channel, alice), 'sora', 'storyboard', [str('shots', '@mascot wakes up | @mascot spills the coffee | @mascot walks out'), int('seconds', 4)]);
    const board = await newBoard(known);
    await driveUntil(h.clock, async () => (await studio.boards.boardStore.get(board.id))?.state === 'incomplete', { stepMs: 1_000, maxSteps: 1_500, realWaitMs: 25 });
    const stuck = (await studio.boards.boardStore.get(board.id))!;
    const threadId = String(stuck.surface.boardThreadId);
    const statusId = String(stuck.surface.boardStatusMessageId);
    await until(() => /Retry shot 2/.test(JSON.stringify(fake.messages.get(statusId)!.components)), 'the retry button', 60_000);
    const buttons = JSON.stringify(fake.messages.get(statusId)!.components);
    assert.match(buttons, new RegExp(`board:retry:${board.id}:2`));
    assert.doesNotMatch(buttons, /board:retry:[^"]+:[13]"/, 'only the failed shot has a retry');
    assert.match(fake.messages.get(statusId)!.content, /Shot 2 could not be made/);
    const names = () => videosIn(fake, threadId).flatMap((m) => m.attachments.map((a) => a.name));
    await until(() => names().length === 2, 'the shots that worked', 60_000);
    assert.deepEqual(names(), [`${board.id}-shot-1.mp4`, `${board.id}-shot-3.mp4`], 'the shots that worked are in the thread');

    sim.faults.clear();
    const retry = fake.button(target(threadId, alice), statusId, `board:retry:${board.id}:2`);
    const answer = () => fake.messages.get(fake.interactions.get(retry.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => /Shot 2/.test(answer()), 'the retry answer', 60_000);
    assert.equal((fake.interactions.get(retry.id)!.callback!.data?.flags as number) & 64, 64, 'answered privately');
    await delivered(board.id);
    await until(() => names().includes(`${board.id}.mp4`), 'the joined video', 60_000);
    const done = (await studio.boards.boardStore.get(board.id))!;
    assert.equal(done.retries[1], 2, 'the automatic retry and the button');
    const status = fake.messages.get(statusId)!;
    for (const shot of [1, 2, 3]) assert.match(status.content, new RegExp(`Shot ${shot}: done`));

    const shots = fake.button(target(threadId, alice), statusId, `board:shots:${board.id}`);
    await until(() => /single shots/.test(fake.messages.get(fake.interactions.get(shots.id)!.originalMessageId ?? '')?.content ?? ''), 'the Shots answer', 60_000);
    await until(() => names().length === 6, 'three single shots more', 60_000);
    assert.deepEqual(names().slice(3).sort(), [1, 2, 3].map((n) => `${board.id}-shot-${n}.mp4`), 'every shot, the retried one included');
  });
});
