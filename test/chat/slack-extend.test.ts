/**
 * Boards from Slack's forms and extensions: the real Bolt app inside the real
 * bot, signed requests to /slack/events, the fake Slack Web API (views.open
 * and view_submission included) and the provider simulator; a ManualClock.
 * `/sora extend` and the Extend button's form both end in ONE longer video,
 * original + extension, uploaded into the original's thread (ffprobe reads
 * the bytes Slack received); `/sora storyboard` without shots opens a form
 * with five shot fields.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXTEND_VIEW, STORYBOARD_VIEW } from '../../src/chat/slack/board-forms.js';
import { ManualClock } from '../../src/core/clock.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { BoardRecord, JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { CHANNEL, messageText, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';
import { actor } from '../helpers/test-bot.js';
import { probeBytesDuration, probeDuration } from '../helpers/video-probe.js';

describe('slack: extensions and the board forms', { concurrency: false }, () => {
  let s: SlackBot;
  let sim: Simulator;
  let dataDir: string;
  before(async () => {
    // A simulator that renders a real clip of each asked length (ffmpeg), so the lengths add up for real.
    const clock = new ManualClock();
    sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000 });
    dataDir = await mkdtemp(path.join(tmpdir(), 'slack-extend-'));
    s = await startSlackBot({ shared: { clock, sim, dataDir } });
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
    await s.tb.bot.studio.createCharacter(actor(TENANT, 'U0ALICE', true, 'alice'), { name: 'mascot', description: 'a round orange robot', clipPath: SAMPLE_CLIP_PATH });
  });
  after(async () => {
    await s.stop();
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const studio = () => s.tb.bot.studio;
  const boardIds = async () => new Set((await studio().boards.boardStore.recent(TENANT)).map((b) => b.id));
  const ephemeralsTo = (pattern: RegExp) => s.fake.ephemerals.filter((e) => pattern.test(String(e.text)));

  /** A 4-second video of @mascot, delivered in its thread, whose status message shows the Extend button. */
  async function delivered(): Promise<JobRecord> {
    const known = new Set((await s.jobs()).map((j) => j.id));
    await s.slash('/sora', 'generate @mascot waves at the camera --seconds 4');
    let job: JobRecord | undefined;
    await s.drive(async () => (job = (await s.jobs()).find((j) => !known.has(j.id) && j.state === 'delivered')) !== undefined);
    const statusTs = String(job!.surface.statusTs);
    await s.drive(() => messageText(s.fake.messages.find((m) => m.ts === statusTs)).includes('sora_job_extend'));
    return job!;
  }

  /** Drives the new board to delivery; the longer video Slack received in `threadTs`, and its length. */
  async function deliveredBoard(known: Set<string>, threadTs: string | ((board: BoardRecord) => string)): Promise<{ board: BoardRecord; seconds: number }> {
    let board: BoardRecord | undefined;
    await s.drive(async () => {
      board = (await studio().boards.boardStore.recent(TENANT)).find((b) => !known.has(b.id));
      return board !== undefined && (await studio().boards.boardStore.get(board.id))?.state === 'delivered';
    }, 3_000);
    board = (await studio().boards.boardStore.get(board!.id))!;
    const uploads = [...s.fake.uploads.values()].filter((u) => u.filename === `${board!.id}.mp4`);
    assert.equal(uploads.length, 1, 'one longer video');
    assert.equal(uploads[0]!.completed?.threadTs, typeof threadTs === 'string' ? threadTs : threadTs(board), 'in the thread it belongs to');
    return { board, seconds: await probeBytesDuration(uploads[0]!.content!) };
  }

  test('/sora extend posts original + extension as one video in the original thread, reserved first and charged once', async () => {
    const original = await delivered();
    const parentTs = String(original.surface.parentTs);
    const known = await boardIds();
    const spentBefore = (await internalsOf(studio()).ledger.summary(TENANT, original.ledgerMonth)).total.spentMicros;
    const topLevel = s.fake.topLevel(CHANNEL).length;

    await s.slash('/sora', `extend ${original.id} --prompt then it jumps into the sea --seconds 8`);
    await waitReal(() => s.fake.responses.some((r) => /Extension `b_\w+` accepted: 8s more after/.test(String(r.body.text))), 'the acceptance', 60_000);
    const { board, seconds } = await deliveredBoard(known, parentTs);
    const extension = (await internalsOf(studio()).jobs.get(board.shots[0]!))!;
    const expected = (await probeDuration(original.resultPath!)) + (await probeDuration(extension.resultPath!));
    assert.ok(Math.abs(seconds - expected) <= 0.2, `Slack received ${seconds}s; original + extension = ${expected}s`);
    assert.ok(Math.abs(seconds - 12) <= 0.2, `4s + 8s, got ${seconds}s`);
    assert.equal(s.fake.topLevel(CHANNEL).length, topLevel, 'no new parent message: the original thread');
    const settled = await internalsOf(studio()).ledger.summary(TENANT, original.ledgerMonth);
    assert.equal(settled.total.reservedMicros, 0);
    assert.equal(settled.total.spentMicros - spentBefore, extension.priceMicros, 'charged the extension, once');
  });

  test('the Extend button opens a form; a bad length keeps it open, a good submit delivers the longer video in the original thread', async () => {
    const original = await delivered();
    const parentTs = String(original.surface.parentTs);
    const known = await boardIds();
    const opened = s.openedViews().length;
    assert.equal(await s.click({ user: 'U0ALICE', actionId: 'sora_job_extend', value: original.id, messageTs: String(original.surface.statusTs), threadTs: parentTs }), 200);
    await waitReal(() => s.openedViews().length > opened, 'the form', 60_000);
    const form = s.openedViews().at(-1)!;
    assert.equal(form.callback_id, EXTEND_VIEW);
    assert.deepEqual(form.blocks.filter((b) => b.type === 'input').map((b) => b.block_id), ['extend_prompt', 'extend_seconds']);

    const bad = await s.submitView({ user: 'U0ALICE', callbackId: EXTEND_VIEW, privateMetadata: form.private_metadata, values: { extend_prompt: { value: '' }, extend_seconds: { value: 'ten' } } });
    assert.equal(bad?.response_action, 'errors');
    assert.match(JSON.stringify(bad?.errors), /extend_seconds.*The seconds must be a number/);
    assert.deepEqual(await boardIds(), known, 'nothing planned or reserved');

    const good = await s.submitView({ user: 'U0ALICE', callbackId: EXTEND_VIEW, privateMetadata: form.private_metadata, values: { extend_prompt: { value: 'then it takes a bow' }, extend_seconds: { value: '4' } } });
    assert.equal(good, undefined, 'the form closes');
    await waitReal(() => ephemeralsTo(new RegExp(`4s more after \`${original.id}\``)).length > 0, 'the private acceptance', 60_000);
    const { board, seconds } = await deliveredBoard(known, parentTs);
    assert.equal(board.lead?.jobId, original.id);
    assert.ok(Math.abs(seconds - 8) <= 0.2, `4s + 4s, got ${seconds}s`);
  });

  test("a delivered storyboard's Extend button, then the extension's: each longer video arrives in the board's thread, the earlier status left as it was", async () => {
    const known = await boardIds();
    await s.slash('/sora', 'storyboard @mascot wakes up | @mascot makes coffee --seconds 4');
    const { board: storyboard } = await deliveredBoard(known, (board) => String(board.surface.boardParentTs));
    const parentTs = String(storyboard.surface.boardParentTs);
    const topLevel = s.fake.topLevel(CHANNEL).length;

    let previous = storyboard;
    for (const expected of [12, 16]) {
      const statusTs = String(previous.surface.boardStatusTs);
      const status = () => messageText(s.fake.messages.find((m) => m.ts === statusTs));
      assert.match(status(), new RegExp(`sora_job_extend.*${previous.id}|${previous.id}.*sora_job_extend`), 'an Extend button on the delivered video');
      const statusBefore = status();
      const before = await boardIds();
      const opened = s.openedViews().length;
      assert.equal(await s.click({ user: 'U0ALICE', actionId: 'sora_job_extend', value: previous.id, messageTs: statusTs, threadTs: parentTs }), 200);
      await waitReal(() => s.openedViews().length > opened, 'the form', 60_000);
      const form = s.openedViews().at(-1)!;
      assert.equal(form.callback_id, EXTEND_VIEW);
      assert.match(JSON.stringify(form.blocks), new RegExp(`Continues storyboard \`${previous.id}\``));

      const values = { extend_prompt: { value: 'then it dances' }, extend_seconds: { value: '4' } };
      assert.equal(await s.submitView({ user: 'U0ALICE', callbackId: EXTEND_VIEW, privateMetadata: form.private_metadata, values }), undefined);
      await waitReal(() => ephemeralsTo(new RegExp(`4s more after \`${previous.id}\``)).length > 0, 'the private acceptance', 60_000);
      const { board, seconds } = await deliveredBoard(before, parentTs);
      assert.equal(board.lead?.jobId, previous.id);
      assert.ok(Math.abs(seconds - expected) <= 0.2, `${expected - 4}s + 4s, got ${seconds}s`);
      assert.notEqual(board.surface.boardStatusTs, statusTs, 'a status message of its own');
      assert.equal(status(), statusBefore, "the earlier board's status is left as it was");
      assert.equal(s.fake.topLevel(CHANNEL).length, topLevel, "no new parent message: the board's thread");
      previous = board;
    }
  });

  test('without shots, /sora storyboard opens a form with five shot fields; its submit makes the board with the options typed', async () => {
    const known = await boardIds();
    const opened = s.openedViews().length;
    await s.slash('/sora', 'storyboard --seconds 4 --orientation portrait');
    await waitReal(() => s.openedViews().length > opened, 'the form', 60_000);
    const form = s.openedViews().at(-1)!;
    assert.equal(form.callback_id, STORYBOARD_VIEW);
    assert.deepEqual(form.blocks.filter((b) => b.type === 'input').map((b) => b.block_id), [1, 2, 3, 4, 5].map((n) => `shot_${n}`));
    assert.deepEqual(await boardIds(), known, 'nothing planned or reserved before the submit');

    const values = { shot_1: { value: '@mascot wakes up' }, shot_2: { value: '@mascot stretches --seconds 8' }, shot_3: { value: '' }, shot_4: { value: '' }, shot_5: { value: '' } };
    assert.equal(await s.submitView({ user: 'U0ALICE', callbackId: STORYBOARD_VIEW, privateMetadata: form.private_metadata, values }), undefined);
    await waitReal(() => ephemeralsTo(/Storyboard `b_\w+` accepted: 2 shots, 12s portrait/).length > 0, "the private acceptance with the command's options", 60_000);
    const { seconds } = await deliveredBoard(known, (board) => String(board.surface.boardParentTs));
    assert.ok(Math.abs(seconds - 12) <= 0.2, `4s + 8s, got ${seconds}s`);
  });
});
