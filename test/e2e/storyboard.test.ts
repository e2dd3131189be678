/**
 * Storyboards and extensions through the core, end to end: real HTTP backends
 * against the simulator (which renders real clips with ffmpeg), a SQLite
 * store, the real media store, a ManualClock. The only stand-in is the test
 * surface that records what a chat platform would show.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, it } from 'node:test';
import type { BoardRecord, JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator } from '../../src/simulator/server.js';
import { ManualClock } from '../../src/core/clock.js';
import { driveUntil } from '../helpers/drive.js';
import { freshSchema, type TestSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { frameSizes, pictureMd5, probeDuration } from '../helpers/video-probe.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const bots: TestBot[] = [];
/** A bot whose simulator renders a real clip of each asked length (ffmpeg), so lengths add up for real. */
async function bot(env: Record<string, string> = {}): Promise<TestBot> {
  const clock = new ManualClock();
  const sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000 });
  const t = await startTestBot(env, { clock, sim, ownsSim: true });
  bots.push(t);
  return t;
}
const schemas: TestSchema[] = [];
afterEach(async () => {
  while (bots.length) await bots.pop()!.stop();
  while (schemas.length) await schemas.pop()!.drop();
});
const hasPostgres = await serviceAvailable('postgres', 'a storyboard on the Postgres tables (test/e2e/storyboard.test.ts)');

const alice = actor('test:A', 'alice', true);
const board = (t: TestBot, id: string) => t.bot.studio.boards.boardStore.get(id) as Promise<BoardRecord>;
const shots = async (t: TestBot, b: BoardRecord) => (await Promise.all(b.shots.map((id) => internalsOf(t.bot.studio).jobs.get(id)))) as JobRecord[];

/** The clock moves in steps; each waits a little real time for ffmpeg (the simulator's and the join), which a busy machine slows. */
async function until(t: TestBot, boardId: string, states: BoardRecord['state'][]): Promise<BoardRecord> {
  await driveUntil(t.clock, async () => states.includes((await board(t, boardId)).state), { stepMs: 500, maxSteps: 2000, realWaitMs: 25 });
  return board(t, boardId);
}

async function withMascot(t: TestBot): Promise<void> {
  await t.bot.studio.createCharacter(alice, { name: 'mascot', description: 'a round orange robot', clipPath: SAMPLE_CLIP_PATH });
}

const request = (prompts: string[], extra: { continuous?: boolean; seconds?: number[] } = {}) => ({
  shots: prompts.map((prompt, i) => ({ prompt, seconds: extra.seconds?.[i] ?? 4 })),
  orientation: 'landscape' as const,
  resolution: '720p' as const, audio: undefined,
  continuous: extra.continuous ?? false,
});

/** The embedded default, and Postgres as replicas run it: ledger and jobs in tables, the cluster's line for slots. */
const engines: Array<[string, () => Promise<TestBot>]> = [['SQLite', () => bot()]];
if (hasPostgres) {
  engines.push([
    'Postgres',
    async () => {
      const schema = await freshSchema('board');
      schemas.push(schema);
      return bot({ STORE_URL: schema.url, TENANT_CONCURRENCY: '2' });
    },
  ]);
}

describe('storyboards end to end', () => {
  for (const [engine, start] of engines) it(`on ${engine}: reserves exactly the sum at once, renders three shots of one character, joins them into one MP4 and charges the sum`, async () => {
    const t = await start();
    await withMascot(t);
    const accepted = await t.bot.studio.boards.request(alice, request(['@mascot wakes up', '@mascot makes coffee', '@mascot walks to the beach']), { platform: 'test' });
    const sum = accepted.shots.reduce((s, j) => s + j.estimateMicros, 0);
    assert.equal(accepted.estimateMicros, sum);
    assert.equal(new Set(accepted.shots.map((j) => j.backend)).size, 1, 'one backend for the whole board');
    const month = accepted.shots[0]!.ledgerMonth;
    let summary = await internalsOf(t.bot.studio).ledger.summary('test:A', month);
    assert.equal(summary.total.reservedMicros, sum, 'the whole sum is held before anything runs');

    await t.bot.studio.boards.start(accepted.board.id);
    const done = await until(t, accepted.board.id, ['delivered', 'failed']);
    assert.equal(done.state, 'delivered');
    summary = await internalsOf(t.bot.studio).ledger.summary('test:A', month);
    assert.equal(summary.total.spentMicros, sum, 'settled: exactly the sum');
    assert.equal(summary.total.reservedMicros, 0);
    assert.equal(t.surface.ofBoard(done.id, 'finished').length, 1, 'one joined video posted');
    assert.equal(t.surface.events.filter((e) => e.event.type === 'finished').length, 0, 'no shot was posted on its own');

    const shotDurations = await Promise.all((await shots(t, done)).map((j) => probeDuration(j.resultPath!)));
    const joined = await probeDuration(done.resultPath!);
    const total = shotDurations.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(joined - total) <= 0.2, `joined ${joined}s, shots add up to ${total}s`);
    assert.equal((await frameSizes(done.resultPath!)).size, 1, 'one resolution throughout');
    const status = t.surface.ofBoard(done.id, 'status');
    assert.ok(status.some((e) => e.type === 'status' && e.lines.length === 3), 'the status shows one line per shot');
  });

  it('delivers the shots that worked with a retry for the one that failed twice, charges only those, and the retry completes the board', async () => {
    const t = await bot();
    await withMascot(t);
    // Shot 2's prompt is blocked by the provider on every try until cleared: its automatic retry fails too.
    t.sim.faults.inject({ fault: 'moderation', bodyIncludes: 'spills the coffee' });
    const accepted = await t.bot.studio.boards.request(alice, request(['@mascot wakes up', '@mascot spills the coffee', '@mascot walks to the beach']), { platform: 'test' });
    await t.bot.studio.boards.start(accepted.board.id);
    const stuck = await until(t, accepted.board.id, ['incomplete']);
    const [incomplete] = t.surface.ofBoard(stuck.id, 'incomplete');
    assert.ok(incomplete?.type === 'incomplete');
    assert.deepEqual(incomplete.delivered.map((d) => d.shot), [1, 3]);
    assert.match(incomplete.reason, /Shot 2 could not be made/);
    assert.equal(stuck.retries[1], 1, 'retried once automatically');
    const made = (await shots(t, stuck)).filter((j) => j.state === 'delivered');
    const month = made[0]!.ledgerMonth;
    let summary = await internalsOf(t.bot.studio).ledger.summary('test:A', month);
    assert.equal(summary.total.spentMicros, made.reduce((s, j) => s + j.priceMicros!, 0), 'only delivered shots are charged');
    assert.equal(summary.total.reservedMicros, 0, 'the failed shot was released');

    t.sim.faults.clear();
    await t.bot.studio.boards.retry(alice, stuck.id, 2);
    summary = await internalsOf(t.bot.studio).ledger.summary('test:A', month);
    assert.ok(summary.total.reservedMicros > 0, 'the retry reserved again');
    const done = await until(t, stuck.id, ['delivered', 'failed']);
    assert.equal(done.state, 'delivered');
    const all = await shots(t, done);
    summary = await internalsOf(t.bot.studio).ledger.summary('test:A', month);
    assert.equal(summary.total.spentMicros, all.reduce((s, j) => s + j.priceMicros!, 0));
    assert.equal(summary.total.reservedMicros, 0);
  });

  it('--continuous renders the shots in turn, each from the last frame of the one before (as the simulator received it)', async () => {
    const t = await bot();
    await withMascot(t);
    const accepted = await t.bot.studio.boards.request(alice, request(['@mascot wakes up', '@mascot makes coffee', '@mascot walks out'], { continuous: true, seconds: [4, 8, 4] }), {
      platform: 'test',
    });
    assert.ok(accepted.shots.every((j) => t.bot.studio.backend(j.backend)!.capabilities.imageInput), 'only backends that take a start image');
    await t.bot.studio.boards.start(accepted.board.id);
    const done = await until(t, accepted.board.id, ['delivered', 'failed']);
    assert.equal(done.state, 'delivered');
    const made = await shots(t, done);
    const simJob = (j: JobRecord) => t.sim.jobs.get(j.providerJobId!)!;
    assert.equal(simJob(made[0]!).inputReferenceSha256, undefined, 'the first shot starts from nothing');
    for (let k = 1; k < made.length; k++) {
      const image = made[k]!.input.imagePath!;
      const sent = createHash('sha256').update(await readFile(image)).digest('hex');
      assert.equal(simJob(made[k]!).inputReferenceSha256, sent, `shot ${k + 1} received the image the bot chose`);
      assert.equal(await pictureMd5(image), await pictureMd5(made[k - 1]!.resultPath!, true), `shot ${k + 1}'s start image is shot ${k}'s last frame`);
      assert.ok(made[k]!.submittedAt! >= made[k - 1]!.completedAt!, `shot ${k + 1} started after shot ${k} was done`);
    }
  });

  it('/sora extend continues a delivered video from its last frame and posts original + extension in its thread', async () => {
    const t = await bot();
    await withMascot(t);
    const first = await t.bot.studio.generate(alice, { prompt: '@mascot waves', seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: undefined, imagePath: undefined, remixOf: undefined }, { platform: 'test', thread: 'T1' });
    await driveUntil(t.clock, async () => (await internalsOf(t.bot.studio).jobs.get(first.job.id))?.state === 'delivered', { stepMs: 500, maxSteps: 2000, realWaitMs: 25 });
    const original = (await internalsOf(t.bot.studio).jobs.get(first.job.id))!;
    const accepted = await t.bot.studio.boards.extend(alice, original.id, { prompt: 'then it jumps', seconds: 8 });
    assert.equal(accepted.board.surface.thread, 'T1', 'posted in the original thread');
    assert.match(accepted.shots[0]!.input.prompt, /@mascot/, 'with the same characters');
    await t.bot.studio.boards.start(accepted.board.id);
    const done = await until(t, accepted.board.id, ['delivered', 'failed']);
    assert.equal(done.state, 'delivered');
    const extension = (await shots(t, done))[0]!;
    assert.equal(t.sim.jobs.get(extension.providerJobId!)!.inputReferenceSha256 !== undefined, true, 'started from an image');
    const expected = (await probeDuration(original.resultPath!)) + (await probeDuration(extension.resultPath!));
    const joined = await probeDuration(done.resultPath!);
    assert.ok(Math.abs(joined - expected) <= 0.2, `joined ${joined}s, original + extension = ${expected}s`);
    assert.ok(Math.abs(joined - 12) <= 0.2);
  });

  it('/sora extend of a delivered storyboard, then of that extension: reserved and settled exactly, each one longer by its new part, in the board\'s thread', async () => {
    const t = await bot();
    await withMascot(t);
    const here = { ...alice, place: { kind: 'channel' as const, id: 'C1' } };
    const accepted = await t.bot.studio.boards.request(here, request(['@mascot wakes up', '@mascot makes coffee']), { platform: 'test', thread: 'T1' });
    await t.bot.studio.boards.start(accepted.board.id);
    const storyboard = await until(t, accepted.board.id, ['delivered', 'failed']);
    assert.equal(storyboard.state, 'delivered');

    // A member of another channel cannot extend what they cannot see, and nothing is reserved for them.
    const outsider = { ...actor('test:A', 'bob'), place: { kind: 'channel' as const, id: 'C2' }, canSee: async () => false };
    await assert.rejects(t.bot.studio.boards.extend(outsider, storyboard.id, { seconds: 4 }), /no storyboard b_\w+ in this team that you can see/);

    let previous = storyboard;
    for (const prompt of ['then it jumps', undefined]) {
      const ledger = internalsOf(t.bot.studio).ledger;
      const month = accepted.shots[0]!.ledgerMonth;
      const before = (await ledger.summary('test:A', month)).total;
      const extension = await t.bot.studio.boards.extend(here, previous.id, { ...(prompt && { prompt }), seconds: 4 });
      assert.equal(extension.board.lead?.jobId, previous.id);
      assert.equal(extension.board.surface.thread, 'T1', "posted in the board's thread");
      assert.match(extension.shots[0]!.input.prompt, /@mascot/, 'with the characters of its shots');
      assert.equal(extension.shots[0]!.input.orientation, 'landscape');
      assert.equal(extension.shots[0]!.input.resolution, '720p');
      const held = (await ledger.summary('test:A', month)).total;
      assert.equal(held.reservedMicros - before.reservedMicros, extension.estimateMicros, 'the extension is held before it runs, exactly');
      assert.equal(held.spentMicros, before.spentMicros);

      await t.bot.studio.boards.start(extension.board.id);
      const done = await until(t, extension.board.id, ['delivered', 'failed']);
      assert.equal(done.state, 'delivered');
      const part = (await shots(t, done))[0]!;
      assert.equal(await pictureMd5(part.input.imagePath!), await pictureMd5(previous.resultPath!, true), "the new part starts from the joined video's last frame");
      const settled = (await ledger.summary('test:A', month)).total;
      assert.equal(settled.reservedMicros, before.reservedMicros, 'nothing left held');
      assert.equal(settled.spentMicros - before.spentMicros, part.priceMicros, 'charged the new part, once');
      const expected = (await probeDuration(previous.resultPath!)) + (await probeDuration(part.resultPath!));
      const joined = await probeDuration(done.resultPath!);
      assert.ok(Math.abs(joined - expected) <= 0.2, `joined ${joined}s, original + extension = ${expected}s`);
      assert.ok(Math.abs(joined - (previous === storyboard ? 12 : 16)) <= 0.2, `got ${joined}s`);
      assert.equal(t.surface.ofBoard(done.id, 'finished').length, 1, 'one longer video posted');
      previous = done;
    }
  });

  it('refuses mixed orientations, unknown characters and a sum over the budget before reserving anything', async () => {
    const t = await bot();
    await withMascot(t);
    const boards = t.bot.studio.boards;
    await assert.rejects(
      boards.request(alice, { ...request(['@mascot a', '@mascot b']), shots: [{ prompt: 'a cat' }, { prompt: 'a dog', orientation: 'portrait' }] }, { platform: 'test' }),
      /mix portrait and landscape/,
    );
    await assert.rejects(boards.request(alice, request(['@mascot a', '@nobody b']), { platform: 'test' }), /nobody/);
    await t.bot.studio.setBudget(alice, { amountMicros: 1_000_000 });
    await assert.rejects(boards.request(alice, request(['@mascot a', '@mascot b', '@mascot c']), { platform: 'test' }), /These 3 shots are estimated at \$1\.20 together, but .* \$1\.00 left/);
    const summary = await internalsOf(t.bot.studio).ledger.summary('test:A', new Date(t.clock.now()).toISOString().slice(0, 7));
    assert.equal(summary.total.reservedMicros, 0);
  });
});
