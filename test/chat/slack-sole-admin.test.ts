/**
 * A lone admin approves their own video on Slack: the real Bolt app inside the
 * real bot, signed requests, the fake Slack Web API (users.list served as
 * https://api.slack.com/methods/users.list does, paginated, bots and
 * deactivated users included) and the simulator on a ManualClock. With one
 * admin (a bot and a deactivated admin do not count) the requester-admin's
 * Approve delivers their video; once a second admin exists (seen after the
 * cached list expires on the clock) the same click is refused with the sentence.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import type { JobRecord } from '../../src/core/types.js';
import { CHANNEL, messageText, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';

const WAIT_MS = 60_000;

describe('slack: a lone admin may approve their own video', { concurrency: false }, () => {
  let s: SlackBot;
  const job = async (id: string) => (await internalsOf(s.tb.bot.studio).jobs.get(id)) as JobRecord;
  const held = async () => (await internalsOf(s.tb.bot.studio).ledger.summary(TENANT, monthOf(s.tb.clock.now()))).total;
  const privately = async (user: string, since: number) => {
    await waitReal(() => s.fake.ephemerals.slice(since).some((e) => e.user === user), `a private answer to ${user}`, WAIT_MS);
    return String(s.fake.ephemerals.slice(since).find((e) => e.user === user)!.text);
  };

  /** A 4-second video ($0.40 on openai) by `user`, once its status shows Approve. */
  async function expensive(user: string, words: string) {
    await s.slash('/sora', `generate ${words} --seconds 4`, user);
    await waitReal(async () => (await s.jobs()).some((j) => j.input.prompt === words && j.surface.statusTs !== undefined), 'the waiting job', WAIT_MS);
    const waiting = (await s.jobs()).find((j) => j.input.prompt === words)!;
    const statusTs = String(waiting.surface.statusTs);
    await waitReal(() => /sora_job_approve/.test(messageText(s.fake.message(CHANNEL, statusTs))), 'the Approve button', WAIT_MS);
    return { id: waiting.id, statusTs, parentTs: String(waiting.surface.parentTs) };
  }

  before(async () => {
    s = await startSlackBot();
    s.fake.usersPageMax = 3;
    s.fake.users.set('U0DANA', { id: 'U0DANA', name: 'dana', real_name: 'Dana', is_admin: true });
    // Neither counts as an admin who could decide: a bot app's user and a deactivated admin.
    s.fake.users.set('U0HELPER', { id: 'U0HELPER', name: 'helper', is_admin: true, is_bot: true });
    s.fake.users.set('U0GONE', { id: 'U0GONE', name: 'gone', is_admin: true, deleted: true });
    for (let i = 0; i < 5; i++) s.fake.users.set(`U0M${i}`, { id: `U0M${i}`, name: `member${i}` });
    const set = await s.slash('/budget', 'set --approve-above 0.2', 'U0DANA');
    await waitReal(() => s.fake.responsesTo(set.responseUrl).length > 0, '/budget set', WAIT_MS);
  });
  after(async () => s.stop());

  test("the only admin approves their own video, which is delivered; with a second admin the same click is refused", async () => {
    const own = await expensive('U0DANA', 'a paper boat in the rain');
    let since = s.fake.ephemerals.length;
    await s.click({ user: 'U0DANA', messageTs: own.statusTs, threadTs: own.parentTs, actionId: 'sora_job_approve', value: own.id });
    assert.match(await privately('U0DANA', since), /^Approved job/);
    assert.equal(s.fake.callsTo('users.list').length, 3, 'the member list was read page by page (8 users, 3 a page)');
    await s.drive(async () => (await job(own.id)).state === 'delivered', 2_000);
    assert.equal((await held()).spentMicros, 400_000);

    // Erin is made an admin; the cached list is trusted for a few minutes of the clock, then read again.
    s.fake.users.set('U0ERIN', { id: 'U0ERIN', name: 'erin', real_name: 'Erin', is_owner: true });
    await s.tb.clock.advance(6 * 60_000);
    const second = await expensive('U0DANA', 'a kite in a storm');
    since = s.fake.ephemerals.length;
    await s.click({ user: 'U0DANA', messageTs: second.statusTs, threadTs: second.parentTs, actionId: 'sora_job_approve', value: second.id });
    assert.equal(await privately('U0DANA', since), `Job ${second.id} is your own request: another admin has to approve or deny it.`);
    assert.equal((await job(second.id)).state, 'awaiting_approval');
    since = s.fake.ephemerals.length;
    await s.click({ user: 'U0ERIN', messageTs: second.statusTs, threadTs: second.parentTs, actionId: 'sora_job_deny', value: second.id });
    assert.match(await privately('U0ERIN', since), /^Denied job/);
  });
});
