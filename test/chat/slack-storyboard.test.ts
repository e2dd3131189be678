/**
 * `/sora storyboard` on Slack: the real Bolt app inside the real bot, signed
 * requests to /slack/events, the fake Slack Web API and the provider
 * simulator; a ManualClock. Three shots naming one character: the sum is held
 * at once, one status message in the board's thread shows a line per shot,
 * one joined MP4 is uploaded into that thread, and the sum is charged.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import type { BoardRecord, JobRecord } from '../../src/core/types.js';
import { CHANNEL, messageText, startSlackBot, TENANT, type SlackBot } from '../fakes/slack/harness.js';
import { actor } from '../helpers/test-bot.js';
import { frameSizes, probeDuration } from '../helpers/video-probe.js';
import { internalsOf } from '../../src/core/studio-internals.js';

describe('slack: a three-shot storyboard with one character', () => {
  let s: SlackBot;
  let first: SlackBot;
  before(async () => {
    s = first = await startSlackBot();
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
    await s.tb.bot.studio.createCharacter(actor(TENANT, 'U0ALICE', true, 'alice'), { name: 'mascot', description: 'a round orange robot', clipPath: SAMPLE_CLIP_PATH });
  });
  after(async () => {
    await s.stop();
    // A restarted bot shares the first one's simulator and fake Slack, which stop with the first.
    if (s !== first) {
      await first.tb.sim.stop();
      await first.fake.stop();
    }
  });

  test('holds the sum, shows a line per shot in one thread, uploads one joined MP4 there and charges the sum', async () => {
    const { status, ms } = await s.slash('/sora', 'storyboard @mascot wakes up | @mascot makes coffee | @mascot walks to the beach --seconds 4');
    assert.equal(status, 200);
    assert.ok(ms < 3000, `ack took ${ms} ms`);
    const studio = s.tb.bot.studio;
    let board: BoardRecord | undefined;
    await s.drive(async () => (board = (await studio.boards.boardStore.recent(TENANT))[0]) !== undefined);
    const shots = (await Promise.all(board!.shots.map((id) => internalsOf(studio).jobs.get(id)))) as JobRecord[];
    const sum = shots.reduce((total, j) => total + j.estimateMicros, 0);
    const month = shots[0]!.ledgerMonth;
    // Held before any shot was made; the simulator's clock has not moved far enough to finish one.
    assert.equal((await internalsOf(studio).ledger.summary(TENANT, month)).total.reservedMicros + (await internalsOf(studio).ledger.summary(TENANT, month)).total.spentMicros, sum);

    await s.drive(async () => (await studio.boards.boardStore.get(board!.id))?.state === 'delivered', 2000);
    const done = (await studio.boards.boardStore.get(board!.id))!;
    const summary = await internalsOf(studio).ledger.summary(TENANT, month);
    assert.equal(summary.total.spentMicros, sum, 'settled: exactly the sum');
    assert.equal(summary.total.reservedMicros, 0);

    const parentTs = String(done.surface.boardParentTs);
    const parent = s.fake.topLevel(CHANNEL).find((m) => m.ts === parentTs);
    assert.match(messageText(parent), /<@U0ALICE> asked for a storyboard of 3 shots/);
    const thread = s.fake.thread(CHANNEL, parentTs);
    const statusMessage = thread.find((m) => m.ts === done.surface.boardStatusTs)!;
    const text = messageText(statusMessage);
    for (const shot of [1, 2, 3]) assert.match(text, new RegExp(`Shot ${shot}: done \\(4s, \\$\\d+\\.\\d{2}\\)`));
    assert.match(text, /sora_board_shots/, 'a Shots button');
    assert.ok(statusMessage.edits >= 1, 'the status message is edited, not reposted');

    const uploads = [...s.fake.uploads.values()].filter((u) => u.completed?.threadTs === parentTs);
    assert.deepEqual(uploads.map((u) => u.filename), [`${done.id}.mp4`], 'one joined video in the thread, no single shots');
    assert.equal(uploads[0]!.bytes, (await stat(done.resultPath!)).size);
    const made = (await Promise.all(done.shots.map((id) => internalsOf(studio).jobs.get(id)))) as JobRecord[];
    const total = (await Promise.all(made.map((j) => probeDuration(j.resultPath!)))).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs((await probeDuration(done.resultPath!)) - total) <= 0.2);
    assert.equal((await frameSizes(done.resultPath!)).size, 1, 'one resolution throughout');

    // "Shots" uploads the single shots into the same thread.
    assert.equal(await s.click({ user: 'U0ALICE', actionId: 'sora_board_shots', value: done.id, messageTs: statusMessage.ts, threadTs: parentTs }), 200);
    await s.drive(() => [...s.fake.uploads.values()].filter((u) => u.completed?.threadTs === parentTs).length === 4);
  });

  test('a restarted process that lost what it posted finds the parent, the status and the joined video instead of posting them again', async () => {
    const board = (await s.tb.bot.studio.boards.boardStore.recent(TENANT))[0]!;
    const counts = () => ({ parents: s.fake.topLevel(CHANNEL).length, thread: s.fake.thread(CHANNEL, String(board.surface.boardParentTs)).length, uploads: s.fake.uploads.size });
    const before = counts();
    s = await s.restart();
    // As if the process had stopped right after posting each, before recording it: the stored ref knows none of them.
    const { boardParentTs: _p, boardStatusTs: _s, boardFileId: _f, ...forgotten } = board.surface as Record<string, unknown>;
    const surface = internalsOf(s.tb.bot.studio).runner.surfaces.get('slack')!;
    const lines = await s.tb.bot.studio.boards.view(actor(TENANT, 'U0ALICE', true, 'alice'), board.id).then((v) => v.lines);
    // The board was marked before its first post; a repeat carries the mark, and only then looks.
    assert.equal(typeof board.deliveryStartedAt, 'number', 'the delivery was marked before posting');
    const repeat = { type: 'finished' as const, path: board.resultPath!, bytes: board.resultBytes!, lines, totalMicros: 0, earlierAttemptAt: board.deliveryStartedAt! };
    const patch = await surface.updateBoard!({ ...board, surface: forgotten as typeof board.surface }, repeat);
    assert.deepEqual(counts(), before, 'no second parent, status message or upload');
    assert.deepEqual(patch, { boardParentTs: board.surface.boardParentTs, boardStatusTs: board.surface.boardStatusTs, boardFileId: board.surface.boardFileId }, 'what was posted is found again');
  });
});
