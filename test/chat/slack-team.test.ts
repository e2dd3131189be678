/**
 * The team controls on Slack, end to end: the real Bolt app inside the real bot,
 * signed requests to /slack/events, the fake Slack Web API (user groups through
 * usergroups.users.list) and the provider simulator on a ManualClock.
 * `/settings access --allow @group` refuses an unlisted member before anything
 * is reserved and lets a member of the group generate; channel defaults fill
 * what the user left open and lose to what they typed; an 80% warning is posted
 * in the channel `/settings alerts` named; `/cost` sends its chart as a PNG to the asker's direct messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { CHANNEL, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';

const BUDGET_CHANNEL = 'C0BUDGET';

describe('slack: team controls', { concurrency: false }, () => {
  let s: SlackBot;
  const held = async () => (await internalsOf(s.tb.bot.studio).ledger.summary(TENANT, monthOf(s.tb.clock.now()))).total;
  /** Runs a slash command and returns the first thing said through its response_url. */
  const said = async (command: string, text: string, user: string) => {
    const r = await s.slash(command, text, user);
    if (r.ack?.text) return String(r.ack.text);
    await waitReal(() => s.fake.responsesTo(r.responseUrl).length > 0, `the answer to ${command} ${text}`);
    return String(s.fake.responsesTo(r.responseUrl)[0]!.text);
  };

  before(async () => {
    s = await startSlackBot();
    s.fake.users.set('U0ADMIN', { id: 'U0ADMIN', name: 'dana', real_name: 'Dana', is_admin: true });
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
    s.fake.users.set('U0BOB', { id: 'U0BOB', name: 'bob', real_name: 'Bob' });
    s.fake.userGroups.set('S0MAKERS', ['U0ALICE']);
  });
  after(async () => s.stop());

  test('only the allowed user group generates; the unlisted member is refused before anything is reserved', async () => {
    assert.match(await said('/settings', 'access --allow <!subteam^S0MAKERS|@makers>', 'U0ADMIN'), /makers/);
    const refusal = await said('/sora', 'generate a heron in the reeds --seconds 4', 'U0BOB');
    assert.match(refusal, /Only members of @?makers can make videos in this team\. Dana or another admin decides this with \/settings access\. Nothing was spent\./);
    assert.equal((await s.jobs()).length, 0, 'no job');
    assert.equal((await held()).reservedMicros, 0, 'nothing reserved');
    assert.ok(s.fake.callsTo('usergroups.users.list').some((c) => c.args.usergroup === 'S0MAKERS'), 'the membership came from Slack');
  });

  test('a member of the group generates; channel defaults fill what was left open; typed options win', async () => {
    assert.match(await said('/settings', 'channel --orientation portrait --seconds 8', 'U0ADMIN'), /portrait/);
    await s.slash('/sora', 'generate a heron takes off', 'U0ALICE');
    await s.slash('/sora', 'generate a heron lands --seconds 4', 'U0ALICE');
    await waitReal(async () => (await s.jobs()).length === 2, 'two jobs');
    const jobs = await s.jobs();
    const open = jobs.find((j) => j.input.prompt === 'a heron takes off')!;
    const typed = jobs.find((j) => j.input.prompt === 'a heron lands')!;
    assert.deepEqual([open.input.orientation, open.input.seconds], ['portrait', 8], 'the channel defaults');
    assert.deepEqual([typed.input.orientation, typed.input.seconds], ['portrait', 4], '--seconds 4 beats the default of 8');
  });

  test('the 80% warning is posted in the alerts channel', async () => {
    assert.match(await said('/settings', `alerts --channel <#${BUDGET_CHANNEL}|budget>`, 'U0ADMIN'), /budget|C0BUDGET/);
    const used = (await held()).reservedMicros + (await held()).spentMicros; // $1.20 from the two jobs above
    // A cap the next $0.40 video takes past 80%.
    assert.match(await said('/budget', `set ${((used + 400_000) / 0.9 / 1e6).toFixed(2)}`, 'U0ADMIN'), /Budget updated/);
    await s.slash('/sora', 'generate a heron sleeps --seconds 4', 'U0ALICE');
    await waitReal(() => s.fake.messages.some((m) => m.channel === BUDGET_CHANNEL), 'the warning in the alerts channel');
    const warning = s.fake.messages.find((m) => m.channel === BUDGET_CHANNEL)!;
    assert.match(warning.text, /The team has used [89]\d% of the team's \$\d+\.\d\d cap this month/);
    assert.match(warning.text, /j_[0-9a-z]+/, 'names the job that crossed it');
  });

  test("/cost sends the month chart as a PNG, and the CSV, to the asker's direct messages, never the channel", async () => {
    const before = s.fake.uploads.size;
    const r = await s.slash('/cost', '--export csv', 'U0ALICE');
    const uploads = () => [...s.fake.uploads.values()].slice(before);
    await waitReal(() => uploads().filter((u) => u.completed).length === 2, 'the chart and CSV uploads', 120_000);
    const chart = uploads().find((u) => u.filename.endsWith('.png'))!;
    assert.deepEqual([...chart.head!.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG magic bytes');
    assert.ok(chart.bytes! > 0 && chart.bytes === chart.declaredLength);
    // The CSV names members and channels: both files go to Alice's DM with the bot (the fake's `D` + user id).
    for (const upload of uploads()) assert.equal(upload.completed!.channel, 'DU0ALICE', `${upload.filename} went to ${upload.completed!.channel}`);
    assert.ok(!s.fake.messages.some((m) => m.channel === CHANNEL && m.files.some((id) => uploads().some((u) => u.id === id))), 'nothing uploaded in the channel');
    await waitReal(() => s.fake.responsesTo(r.responseUrl).length >= 2, 'the private note saying where the files went');
    assert.match(String(s.fake.responsesTo(r.responseUrl)[1]!.text), /spend-\d{4}-\d\d\.png.*jobs-\d{4}-\d\d\.csv.*direct messages/);
  });
});
