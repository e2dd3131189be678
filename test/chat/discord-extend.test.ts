/**
 * Extending a delivered video on Discord: the real bot with the real
 * discord.js client against the fake Discord and the provider simulator, on
 * a ManualClock. `/sora extend` and the Extend button's form both end in ONE
 * longer video, original + extension, uploaded into the original's thread;
 * ffprobe reads the very bytes Discord received. The extension is reserved
 * before it runs and charged like a generate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { BoardRecord, JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import type { FakeInteraction } from '../fakes/discord/fake-discord.js';
import { alice, GUILD, harness, int, str, target, until, type Harness } from '../fakes/discord/harness.js';
import { driveUntil } from '../helpers/drive.js';
import { actor } from '../helpers/test-bot.js';
import { probeBytesDuration, probeDuration } from '../helpers/video-probe.js';

const TENANT = `discord:${GUILD}`;

describe('discord: extending a delivered video', { concurrency: false }, () => {
  let h: Harness;
  let channel: string;
  before(async () => {
    h = await harness({ msPerVideoSecond: 10_000 });
    channel = h.fake.addChannel(GUILD).id;
    await h.bot.studio.createCharacter(actor(TENANT, alice.id, true, 'alice'), { name: 'mascot', description: 'a round orange robot', clipPath: SAMPLE_CLIP_PATH });
  });
  after(async () => h.close());

  const jobs = () => internalsOf(h.bot.studio).jobs;
  const reply = (i: FakeInteraction) => h.fake.messages.get(h.fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '';

  /** A 4-second video of @mascot, delivered in its own thread, whose status message shows the Extend button. */
  async function delivered(): Promise<{ threadId: string; statusId: string; original: JobRecord }> {
    const { fake, clock } = h;
    const i = fake.command(target(channel, alice), 'sora', 'generate', [str('prompt', '@mascot waves at the camera'), int('seconds', 4)]);
    await until(() => fake.messagesIn(fake.interactions.get(i.id)!.originalMessageId ?? '').length > 0, 'thread and status message', 60_000);
    const threadId = fake.interactions.get(i.id)!.originalMessageId!;
    const status = fake.messagesIn(threadId)[0]!;
    const jobId = /job:cancel:(j_[0-9a-z]+)/.exec(JSON.stringify(status.components))![1]!;
    // The status message shows its buttons when the video is posted, a moment before the job is recorded as
    // delivered (posted first, then stored): the click comes as soon as they show, and must find the video.
    await driveUntil(clock, () => JSON.stringify(fake.messages.get(status.id)!.components).includes(`job:extend:${jobId}`), { stepMs: 1_000, maxSteps: 400, realWaitMs: 25 });
    return { threadId, statusId: status.id, original: (await jobs().get(jobId))! };
  }

  /** Drives the newest board to delivery and returns it with the joined video Discord received in `threadId` (or the board's own). */
  async function deliveredBoard(thread: string | ((board: BoardRecord) => string), before: Set<string>): Promise<{ board: BoardRecord; seconds: number }> {
    const { fake, clock } = h;
    let board: BoardRecord | undefined;
    await driveUntil(clock, async () => {
      board = (await h.bot.studio.boards.boardStore.recent(TENANT)).find((b) => !before.has(b.id));
      return board !== undefined && (await h.bot.studio.boards.boardStore.get(board.id))?.state === 'delivered';
    }, { stepMs: 1_000, maxSteps: 1_500, realWaitMs: 25 });
    board = (await h.bot.studio.boards.boardStore.get(board!.id))!;
    const threadId = typeof thread === 'string' ? thread : thread(board);
    const videos = fake.messagesIn(threadId).flatMap((m) => m.attachments.filter((a) => a.name === `${board!.id}.mp4`));
    assert.equal(videos.length, 1, 'one longer video in the original thread');
    return { board, seconds: await probeBytesDuration(videos[0]!.data) };
  }

  const boardIds = async () => new Set((await h.bot.studio.boards.boardStore.recent(TENANT)).map((b) => b.id));

  test('/sora extend posts original + extension as one video in the original thread, reserved first and charged like a generate', async () => {
    const { fake } = h;
    const { threadId, original } = await delivered();
    const threads = fake.threadsFrom(channel).length;
    const month = original.ledgerMonth;
    const spentBefore = (await internalsOf(h.bot.studio).ledger.summary(TENANT, month)).total.spentMicros;
    const known = await boardIds();

    const i = fake.command(target(channel, alice), 'sora', 'extend', [str('job', original.id), str('prompt', 'then it jumps into the sea'), int('seconds', 8)]);
    await until(() => /accepted/.test(reply(i)), 'the acceptance', 60_000);
    assert.match(reply(i), new RegExp(`Extension \`b_[0-9a-z]+\` accepted: 8s more after \`${original.id}\` \\(4s\\)`));
    assert.equal((fake.interactions.get(i.id)!.callback!.data?.flags as number) & 64, 64, 'the acceptance is private');
    const accepted = (await h.bot.studio.boards.boardStore.recent(TENANT)).find((b) => !known.has(b.id))!;
    const extension = (await jobs().get(accepted.shots[0]!))!;
    const held = await internalsOf(h.bot.studio).ledger.summary(TENANT, month);
    assert.equal(held.total.reservedMicros + held.total.spentMicros - spentBefore, extension.estimateMicros, 'the extension is held before it runs');
    assert.match(extension.input.prompt, /@mascot/, 'with the same character');

    const { board, seconds } = await deliveredBoard(threadId, known);
    const expected = (await probeDuration(original.resultPath!)) + (await probeDuration((await jobs().get(board.shots[0]!))!.resultPath!));
    assert.ok(Math.abs(seconds - expected) <= 0.2, `Discord received ${seconds}s; original + extension = ${expected}s`);
    assert.ok(Math.abs(seconds - 12) <= 0.2, `4s + 8s, got ${seconds}s`);
    assert.equal(fake.threadsFrom(channel).length, threads, 'no new thread: the original one');
    const settled = await internalsOf(h.bot.studio).ledger.summary(TENANT, month);
    assert.equal(settled.total.reservedMicros, 0);
    assert.equal(settled.total.spentMicros - spentBefore, (await jobs().get(board.shots[0]!))!.priceMicros, 'charged the extension, once');
  });

  test('the Extend button opens a form for the prompt; its submit delivers the longer video in the original thread', async () => {
    const { fake } = h;
    const { threadId, statusId, original } = await delivered();
    const known = await boardIds();
    const click = fake.button(target(threadId, alice), statusId, `job:extend:${original.id}`);
    await until(() => fake.interactions.get(click.id)!.callback !== undefined, 'the form', 60_000);
    const form = fake.interactions.get(click.id)!.callback!;
    assert.equal(form.type, 9, 'a modal is the answer to the click');
    assert.equal(form.data?.custom_id, `job:extend:${original.id}`);
    assert.deepEqual(JSON.stringify(form.data?.components).match(/"custom_id":"(\w+)"/g), ['"custom_id":"prompt"', '"custom_id":"seconds"']);

    const submit = fake.modalSubmit(target(threadId, alice), `job:extend:${original.id}`, { prompt: 'then it takes a bow', seconds: '4' });
    await until(() => /accepted/.test(reply(submit)), 'the acceptance', 60_000);
    assert.match(reply(submit), new RegExp(`4s more after \`${original.id}\``));
    const { board, seconds } = await deliveredBoard(threadId, known);
    assert.equal(board.lead?.jobId, original.id);
    assert.ok(Math.abs(seconds - 8) <= 0.2, `4s + 4s, got ${seconds}s`);
  });

  test("a delivered storyboard's Extend button, then the extension's: each longer video arrives in the board's thread, the earlier status messages untouched", async () => {
    const { fake } = h;
    const known = await boardIds();
    const i = fake.command(target(channel, alice), 'sora', 'storyboard', [str('shots', '@mascot wakes up | @mascot makes coffee'), int('seconds', 4)]);
    await until(() => /accepted/.test(reply(i)), 'the acceptance', 60_000);
    const { board: storyboard } = await deliveredBoard((board) => String(board.surface.boardThreadId), known);
    const threadId = String(storyboard.surface.boardThreadId);
    const threads = fake.threadsFrom(channel).length;

    let previous = storyboard;
    for (const expected of [12, 16]) {
      const statusId = String(previous.surface.boardStatusMessageId);
      const statusBefore = fake.messages.get(statusId)!.content;
      const customId = `board:extend:${previous.id}`;
      assert.match(JSON.stringify(fake.messages.get(statusId)!.components), new RegExp(customId), 'an Extend button on the delivered video');
      const before = await boardIds();
      const click = fake.button(target(threadId, alice), statusId, customId);
      await until(() => fake.interactions.get(click.id)!.callback !== undefined, 'the form', 60_000);
      const form = fake.interactions.get(click.id)!.callback!;
      assert.equal(form.type, 9, 'a modal is the answer to the click');
      assert.equal(form.data?.custom_id, customId);

      const submit = fake.modalSubmit(target(threadId, alice), customId, { prompt: 'then it dances', seconds: '4' });
      await until(() => /accepted/.test(reply(submit)), 'the acceptance', 60_000);
      assert.match(reply(submit), new RegExp(`4s more after \`${previous.id}\``));
      const { board, seconds } = await deliveredBoard(threadId, before);
      assert.equal(board.lead?.jobId, previous.id);
      assert.ok(Math.abs(seconds - expected) <= 0.2, `${expected - 4}s + 4s, got ${seconds}s`);
      assert.notEqual(board.surface.boardStatusMessageId, statusId, 'a status message of its own');
      assert.equal(fake.messages.get(statusId)!.content, statusBefore, "the earlier board's status is left as it was");
      assert.equal(fake.threadsFrom(channel).length, threads, "no new thread: the board's");
      previous = board;
    }
  });

  test('a form with a bad length is refused with a sentence naming the field, and nothing is reserved', async () => {
    const { fake } = h;
    const { threadId, original } = await delivered();
    const reserved = (await internalsOf(h.bot.studio).ledger.summary(TENANT, original.ledgerMonth)).total.reservedMicros;
    const submit = fake.modalSubmit(target(threadId, alice), `job:extend:${original.id}`, { prompt: '', seconds: 'ten' });
    await until(() => fake.interactions.get(submit.id)!.callback !== undefined, 'the refusal', 60_000);
    const answer = fake.interactions.get(submit.id)!.callback!;
    assert.equal(answer.type, 4);
    assert.equal((answer.data!.flags as number) & 64, 64);
    assert.match(String(answer.data!.content), /The seconds must be a number/);
    assert.equal((await internalsOf(h.bot.studio).ledger.summary(TENANT, original.ledgerMonth)).total.reservedMicros, reserved);
  });
});
