/**
 * Storyboards above the approval threshold wait for an admin, as single jobs do,
 * with the real bot in-process: real HTTP backends against the simulator (real
 * clips rendered with ffmpeg where the board is delivered), the real store and
 * media store, a ManualClock. The whole sum is held while the board waits;
 * approve makes and charges exactly the shots, deny and expiry release every
 * reservation. Run on SQLite and on Postgres (tables) when it is there.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { UserFacingError } from '../../src/core/errors.js';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { Actor, BoardRecord, JobRecord } from '../../src/core/types.js';
import { startSimulator } from '../../src/simulator/server.js';
import { advanceFor, driveUntil } from '../helpers/drive.js';
import { freshSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';
import { startTestBot, type TestBot } from '../helpers/test-bot.js';

const TEAM = 'test:T';
const member = (userId: string, extra: Partial<Actor> = {}): Actor => ({ tenant: TEAM, userId, displayName: userId, isAdmin: false, place: { kind: 'channel', id: 'C1' }, ...extra });
const alice = member('alice');
const boss = member('boss', { isAdmin: true });
const chief = member('chief', { isAdmin: true });
const SHOT = 400_000; // 4 s at $0.10/s on OpenAI

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const stores: { name: string; env: () => Promise<Record<string, string> | undefined> }[] = [
  { name: 'SQLite', env: async () => ({}) },
  {
    name: 'Postgres',
    env: async () => {
      if (!(await serviceAvailable('postgres', 'board approval on Postgres tables'))) return undefined;
      const schema = await freshSchema('boardapproval');
      cleanups.push(() => schema.drop());
      return { STORE_URL: schema.url };
    },
  },
];

/** `render`: the simulator makes real clips, so the shots can be joined and the board delivered. */
async function bot(env: Record<string, string>, render = false): Promise<TestBot> {
  const clock = new ManualClock();
  const sim = render ? await startSimulator({ clock, renderMsPerVideoSecond: 1000 }) : undefined;
  const t = await startTestBot(env, sim ? { clock, sim, ownsSim: true } : { clock });
  cleanups.push(() => t.stop());
  return t;
}

const request = (prompts: string[]) => ({
  shots: prompts.map((prompt) => ({ prompt, seconds: 4 })),
  orientation: 'landscape' as const,
  resolution: '720p' as const,
  audio: undefined,
  backend: 'openai',
  continuous: false,
});

const held = async (t: TestBot) => (await internalsOf(t.bot.studio).ledger.summary(TEAM, monthOf(t.clock.now()))).total;
const boardOf = (t: TestBot, id: string) => t.bot.studio.boards.boardStore.get(id) as Promise<BoardRecord>;
const shotsOf = async (t: TestBot, b: BoardRecord) => (await Promise.all(b.shots.map((id) => internalsOf(t.bot.studio).jobs.get(id)))) as JobRecord[];

/** Three 4-s shots ($1.20) against a $1.00 threshold: each shot is under it, the sum is not. */
async function waitingBoard(t: TestBot): Promise<BoardRecord> {
  await t.bot.studio.setBudget(boss, { approveAboveMicros: 1_000_000 });
  const accepted = await t.bot.studio.boards.request(alice, request(['a fox wakes', 'a fox yawns', 'a fox runs']), { platform: 'test' });
  assert.equal(accepted.estimateMicros, 3 * SHOT);
  assert.equal(accepted.board.state, 'awaiting_approval');
  await t.bot.studio.boards.start(accepted.board.id);
  return boardOf(t, accepted.board.id);
}

for (const store of stores) {
  describe(`a storyboard above the approval threshold, on ${store.name}`, () => {
    it('waits holding the whole sum with its shots unstarted; approve (once, by an admin who is not the requester) delivers and charges exactly the shots', async (ctx) => {
      const env = await store.env();
      if (!env) return ctx.skip('postgres unavailable');
      const t = await bot(env, true);
      const board = await waitingBoard(t);
      assert.equal((await held(t)).reservedMicros, 3 * SHOT, 'the whole sum is held');
      assert.ok((await shotsOf(t, board)).every((j) => j.state === 'queued' && !j.started), 'no shot starts while it waits');
      const waiting = t.surface.ofBoard(board.id, 'awaiting-approval');
      assert.equal(waiting.length, 1);
      assert.equal((waiting[0] as { totalMicros: number }).totalMicros, 3 * SHOT);
      // A minute of the injected clock in one-second steps, with a short real pause after each, so the
      // scheduler's ticks and the store's replies interleave as in a running bot: no shot may start meanwhile.
      await advanceFor(t.clock, 60_000, { stepMs: 1_000 });
      assert.equal(t.sim.stats.jobsCreated, 0, 'nothing was sent to a provider');

      await assert.rejects(t.bot.studio.team.approveBoard(member('bob'), board.id), (e: UserFacingError) => /Only admins/.test(e.message));
      await assert.rejects(t.bot.studio.team.approveBoard({ ...alice, isAdmin: true }, board.id), /Storyboard b_\w+ is your own request: another admin has to approve or deny it\./);
      const clicks = await Promise.allSettled([t.bot.studio.team.approveBoard(boss, board.id), t.bot.studio.team.approveBoard(chief, board.id)]);
      assert.equal(clicks.filter((c) => c.status === 'fulfilled').length, 1, 'two clicks decide once');
      assert.match(((clicks.find((c) => c.status === 'rejected') as PromiseRejectedResult).reason as Error).message, /Storyboard b_\w+ is already approved by (boss|chief)/);
      assert.equal(t.surface.ofBoard(board.id, 'approved').length, 1);

      // Every end the board can come to (incomplete: a shot failed twice), so a failure says which.
      await driveUntil(t.clock, async () => ['delivered', 'failed', 'incomplete'].includes((await boardOf(t, board.id)).state), { stepMs: 500, maxSteps: 2000, realWaitMs: 25 });
      const done = await boardOf(t, board.id);
      assert.equal(done.state, 'delivered', JSON.stringify((await shotsOf(t, done)).map((j) => [j.state, j.error?.message])));
      assert.equal(done.approval?.decision?.outcome, 'approved');
      const total = await held(t);
      assert.deepEqual([total.spentMicros, total.reservedMicros], [3 * SHOT, 0], 'charged exactly the three shots');
      const audit = await t.bot.studio.audit.month(TEAM, monthOf(t.clock.now()));
      assert.deepEqual(audit.filter((e) => e.action === 'approve').map((e) => [e.jobId, e.detail, e.member?.id]), [[board.id, 'approved $1.20', 'alice']]);
    });

    it('deny cancels every shot and releases every reservation; the requester sees who denied it and why', async (ctx) => {
      const env = await store.env();
      if (!env) return ctx.skip('postgres unavailable');
      const t = await bot(env);
      const board = await waitingBoard(t);
      // A shot of a waiting board is not cancelled alone (approved, the board would make it again, reserving anew).
      await assert.rejects(t.bot.studio.cancel(alice, board.shots[1]!), (e: UserFacingError) => e.code === 'board_waiting' && /Deny cancels the whole storyboard/.test(e.message));
      assert.equal((await shotsOf(t, board))[1]!.state, 'queued');
      const { board: denied, totalMicros } = await t.bot.studio.team.denyBoard(boss, board.id, 'too long for a teaser');
      assert.equal(totalMicros, 3 * SHOT);
      assert.equal(denied.approval?.decision?.outcome, 'denied');
      assert.equal((await boardOf(t, board.id)).state, 'cancelled');
      assert.ok((await shotsOf(t, board)).every((j) => j.state === 'cancelled'));
      assert.deepEqual(await held(t), { ...(await held(t)), reservedMicros: 0, spentMicros: 0 });
      assert.deepEqual(t.surface.ofBoard(board.id, 'denied'), [{ type: 'denied', byName: 'boss', reason: 'too long for a teaser', expired: false, totalMicros: 3 * SHOT }]);
      await assert.rejects(t.bot.studio.team.approveBoard(chief, board.id), /Storyboard b_\w+ is already denied by boss/);
      const audit = await t.bot.studio.audit.month(TEAM, monthOf(t.clock.now()));
      assert.equal(audit.filter((e) => e.action === 'deny' && e.jobId === board.id).length, 1);
      assert.equal(audit.filter((e) => e.action === 'release').length, 3, 'each shot released');
    });

    it('expires on the injected clock across a restart, releasing everything; a sole admin may approve their own board', async (ctx) => {
      const env = await store.env();
      if (!env) return ctx.skip('postgres unavailable');
      let t = await bot({ ...env, APPROVAL_TIMEOUT_HOURS: '2' });
      const board = await waitingBoard(t);
      await t.clock.advance(60 * 60_000);
      t = await t.restart();
      cleanups.push(() => t.stop());
      assert.equal((await boardOf(t, board.id)).state, 'awaiting_approval', 'still waiting after the restart');
      assert.equal((await held(t)).reservedMicros, 3 * SHOT);
      await t.clock.advance(60 * 60_000 + 1);
      await driveUntil(t.clock, async () => (await boardOf(t, board.id)).state === 'cancelled', { stepMs: 1000 });
      assert.equal((await boardOf(t, board.id)).approval?.decision?.outcome, 'expired');
      assert.equal((await held(t)).reservedMicros, 0);
      assert.ok((await shotsOf(t, board)).every((j) => j.state === 'cancelled'));
      const audit = await t.bot.studio.audit.month(TEAM, monthOf(t.clock.now()));
      assert.equal(audit.filter((e) => e.action === 'approval-expired' && e.jobId === board.id).length, 1);

      // The team's only admin asks for a board above the threshold and approves it themselves.
      const own = await t.bot.studio.boards.request(boss, request(['a heron', 'a crane', 'a stork']), { platform: 'test' });
      await t.bot.studio.boards.start(own.board.id);
      await assert.rejects(t.bot.studio.team.approveBoard(boss, own.board.id), /your own request/);
      const { board: approved } = await t.bot.studio.team.approveBoard({ ...boss, soleAdmin: true }, own.board.id);
      assert.equal(approved.state, 'rendering');
    });
  });
}
