/**
 * The moment between posting a video and recording its job as delivered. A chat surface shows Remix,
 * Extend and Keep with the posted video, and the job is recorded as delivered right after (posted
 * first, so a crash finds the post instead of posting twice): a click in between must find the video.
 * The real bot in-process (HTTP backends against the simulator, SQLite, a ManualClock) holds its
 * surface's post open while the job is `delivering`, and asks for each.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { JobRecord } from '../../src/core/types.js';
import { driveUntil } from '../helpers/drive.js';
import { finishJobs, generationInput } from '../helpers/jobs.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';

const TENANT = 'test:A';
const alice = actor(TENANT, 'alice');

let t: TestBot | undefined;
// A held post is let go before the bot stops, whether the test passed or not.
let release: () => void = () => {};
afterEach(async () => {
  release();
  await t?.stop();
  t = undefined;
});

describe('a video being posted', () => {
  it('is already there for Keep, Remix, Extend and a character from it', async () => {
    t = await startTestBot();
    const bot = t;
    let held: JobRecord | undefined;
    const posted = new Promise<void>((resolve) => (release = resolve));
    bot.surface.beforeFinished = async (job) => {
      held ??= job;
      await posted;
    };
    const accepted = await bot.bot.studio.launch(alice, { surface: { platform: 'test' }, input: generationInput('a red kite over the dunes', { backend: 'openai' }), takes: 2 }, async () => ({}));
    await driveUntil(bot.clock, () => held !== undefined, { stepMs: 500, maxSteps: 2_000 });
    const { jobs } = internalsOf(bot.bot.studio);
    const id = held!.id;
    assert.equal((await jobs.get(id))?.state, 'delivering', 'the post is held open before the job is recorded as delivered');

    const kept = await bot.bot.studio.keep(alice, id);
    assert.equal(kept.take?.kept, true);
    const remix = await bot.bot.studio.launch(alice, { surface: { platform: 'test' }, remixOf: id, prompt: 'the same kite at night' }, async () => ({}));
    assert.equal(remix.job.input.remixOf, id);
    const extension = await bot.bot.studio.boards.extend(alice, id, { seconds: 4 });
    assert.equal(extension.board.kind, 'extension');
    const character = await bot.bot.studio.createCharacter(alice, { name: 'kite', description: 'a red kite', fromJob: id });
    assert.deepEqual(character.character.source, { kind: 'job', jobId: id });

    release();
    const done = await finishJobs(bot, [...accepted.takes!.map((j) => j.id), remix.job.id]);
    assert.deepEqual(done.map((j) => j.state), ['delivered', 'delivered', 'delivered']);
  });
});
