/**
 * Storyboards above the approval threshold on Slack: the real Bolt app inside
 * the real bot, signed requests, the fake Slack Web API and the simulator
 * (real clips, joined with ffmpeg) on a ManualClock. The board waits holding
 * its sum with Approve and Deny (the job actions, valued with the board id) on
 * its status in the board's thread; the requester-admin is refused, another
 * admin's Approve delivers the joined video charged exactly its shots, and
 * Deny releases every reservation and tells the requester who denied it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { BoardRecord } from '../../src/core/types.js';
import { CHANNEL, messageText, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';

const WAIT_MS = 60_000;
const SHOT = 400_000; // 4 s on openai

describe('slack: a storyboard above the approval threshold', { concurrency: false }, () => {
  let s: SlackBot;
  const held = async () => (await internalsOf(s.tb.bot.studio).ledger.summary(TENANT, monthOf(s.tb.clock.now()))).total;
  const board = async (id: string) => (await s.tb.bot.studio.boards.boardStore.get(id)) as BoardRecord;
  const privately = async (user: string, since: number) => {
    await waitReal(() => s.fake.ephemerals.slice(since).some((e) => e.user === user), `a private answer to ${user}`, WAIT_MS);
    return String(s.fake.ephemerals.slice(since).find((e) => e.user === user)!.text);
  };

  /** Three 4-s shots by `user` ($1.20 against $1.00): the board once its status shows Approve. */
  async function waiting(user: string, words: string) {
    const known = new Set((await s.tb.bot.studio.boards.boardStore.recent(TENANT)).map((b) => b.id));
    await s.slash('/sora', `storyboard ${words} wakes | ${words} yawns | ${words} runs --seconds 4 --backend openai`, user);
    let found: BoardRecord | undefined;
    await waitReal(async () => {
      found = (await s.tb.bot.studio.boards.boardStore.recent(TENANT)).find((b) => !known.has(b.id) && b.surface.boardStatusTs !== undefined);
      return found !== undefined && /sora_job_approve/.test(messageText(s.fake.message(CHANNEL, String(found.surface.boardStatusTs))));
    }, 'the Approve button on the board', WAIT_MS);
    return { id: found!.id, statusTs: String(found!.surface.boardStatusTs), parentTs: String(found!.surface.boardParentTs) };
  }
  const click = (user: string, w: { id: string; statusTs: string; parentTs: string }, actionId: string) =>
    s.click({ user, messageTs: w.statusTs, threadTs: w.parentTs, actionId, value: w.id });

  before(async () => {
    s = await startSlackBot();
    s.fake.users.set('U0DANA', { id: 'U0DANA', name: 'dana', real_name: 'Dana', is_admin: true });
    s.fake.users.set('U0ERIN', { id: 'U0ERIN', name: 'erin', real_name: 'Erin', is_admin: true });
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
    const set = await s.slash('/budget', 'set --approve-above 1', 'U0DANA');
    await waitReal(() => s.fake.responsesTo(set.responseUrl).length > 0, '/budget set', WAIT_MS);
  });
  after(async () => s.stop());

  test('waits holding the sum; the requester-admin is refused; another admin approves; delivered and charged exactly the shots', async () => {
    const w = await waiting('U0DANA', 'a fox');
    assert.equal((await board(w.id)).state, 'awaiting_approval');
    assert.equal((await held()).reservedMicros, 3 * SHOT);
    const status = messageText(s.fake.message(CHANNEL, w.statusTs));
    assert.match(status, /Estimated \$1\.20 in all, above the \$1\.00 approval threshold/);
    assert.match(status, /sora_job_deny/);

    let since = s.fake.ephemerals.length;
    await click('U0DANA', w, 'sora_job_approve');
    assert.equal(await privately('U0DANA', since), `Storyboard ${w.id} is your own request: another admin has to approve or deny it.`);
    since = s.fake.ephemerals.length;
    await click('U0ERIN', w, 'sora_job_approve');
    assert.match(await privately('U0ERIN', since), new RegExp(`^Approved storyboard \`${w.id}\` for Dana`));
    await waitReal(() => s.fake.thread(CHANNEL, w.parentTs).some((m) => m.text.includes('<@U0DANA>: Storyboard') && m.text.includes('approved by Erin')), 'the requester told who approved', WAIT_MS);
    await s.drive(async () => ['delivered', 'failed'].includes((await board(w.id)).state), 3_000);
    assert.equal((await board(w.id)).state, 'delivered');
    assert.ok([...s.fake.uploads.values()].some((u) => u.filename === `${w.id}.mp4` && u.completed?.threadTs === w.parentTs), 'the joined video in its thread');
    const total = await held();
    assert.deepEqual([total.spentMicros, total.reservedMicros], [3 * SHOT, 0]);
  });

  test('Deny releases every reservation and the thread says who denied it', async () => {
    const spent = (await held()).spentMicros;
    const w = await waiting('U0ALICE', 'a heron');
    assert.equal((await held()).reservedMicros, 3 * SHOT);
    const since = s.fake.ephemerals.length;
    await click('U0ERIN', w, 'sora_job_deny');
    assert.match(await privately('U0ERIN', since), /^Denied storyboard .* its \$1\.20 went back to the budget/);
    await waitReal(async () => (await board(w.id)).state === 'cancelled', 'the denial', WAIT_MS);
    assert.deepEqual([(await held()).reservedMicros, (await held()).spentMicros], [0, spent]);
    await waitReal(() => /Denied by Erin/.test(messageText(s.fake.message(CHANNEL, w.statusTs))), 'the status names who denied it', WAIT_MS);
  });
});
