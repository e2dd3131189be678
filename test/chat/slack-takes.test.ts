/**
 * `/sora generate … --takes 3` on Slack: the real Bolt app inside the real bot, signed requests, the fake
 * Slack Web API and the provider simulator on a ManualClock. The provider blocks one take: one thread
 * holds a numbered status message per take, the two videos are uploaded into it, the blocked take says
 * it failed and holds nothing, and the Keep block action marks one take (refused to another member).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../src/core/studio-internals.js';
import { TERMINAL_STATES } from '../../src/core/types.js';
import { CHANNEL, messageText, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';

describe('slack: three takes of one request', () => {
  let s: SlackBot;
  before(async () => {
    s = await startSlackBot();
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
    s.fake.users.set('U0BOB', { id: 'U0BOB', name: 'bob', real_name: 'Bob' });
  });
  after(async () => s.stop());

  test('one thread, a numbered status per take, two videos uploaded, the blocked take released, Keep marks one', async () => {
    s.tb.sim.faults.inject({ protocol: 'openai', fault: 'moderation', times: 1 });
    const { status } = await s.slash('/sora', 'generate a red kite over the dunes --seconds 4 --backend openai --takes 3');
    assert.equal(status, 200);
    await s.drive(async () => {
      const jobs = await s.jobs();
      return jobs.length === 3 && jobs.every((j) => TERMINAL_STATES.has(j.state));
    }, 2_000);
    const takes = (await s.jobs()).sort((a, b) => a.take!.index - b.take!.index);
    const failed = takes.filter((j) => j.state === 'failed');
    const delivered = takes.filter((j) => j.state === 'delivered');
    assert.equal(failed.length, 1);
    assert.equal(delivered.length, 2);

    const parentTs = String(takes[0]!.surface.parentTs);
    assert.ok(takes.every((j) => j.surface.parentTs === parentTs), 'every take lives in the one thread');
    assert.match(messageText(s.fake.message(CHANNEL, parentTs)), /3 takes\*, estimated \$1\.20 together \(\$0\.40 each\)/);
    for (const take of takes) {
      const statusMessage = s.fake.message(CHANNEL, String(take.surface.statusTs));
      assert.match(messageText(statusMessage), new RegExp(`\\*Take ${take.take!.index}/3\\* · `));
      if (take.state === 'failed') assert.match(messageText(statusMessage), /blocked/);
      else assert.match(messageText(statusMessage), new RegExp(`"action_id":"sora_job_keep","text":\\{"type":"plain_text","text":"Keep"\\},"value":"${take.id}"`));
    }
    const uploads = [...s.fake.uploads.values()].filter((u) => u.completed?.threadTs === parentTs);
    assert.deepEqual(uploads.map((u) => u.filename).sort(), delivered.map((j) => `${j.id}.mp4`).sort(), 'the two videos, in the thread');
    for (const take of delivered) {
      const upload = uploads.find((u) => u.filename === `${take.id}.mp4`)!;
      assert.match(upload.completed?.comment ?? '', new RegExp(`your video \\(take ${take.take!.index}/3\\)`));
    }
    const { ledger } = internalsOf(s.tb.bot.studio);
    const month = takes[0]!.ledgerMonth;
    assert.equal(await ledger.held(TENANT, month, failed[0]!.id), undefined);
    const summary = await ledger.summary(TENANT, month);
    assert.equal(summary.total.reservedMicros, 0);
    assert.equal(summary.total.spentMicros, 800_000);

    const chosen = delivered[0]!;
    const statusTs = String(chosen.surface.statusTs);
    const ephemerals = s.fake.ephemerals.length;
    await s.click({ user: 'U0BOB', messageTs: statusTs, threadTs: parentTs, actionId: 'sora_job_keep', value: chosen.id });
    await waitReal(() => s.fake.ephemerals.length > ephemerals, 'the refusal to bob');
    assert.match(String(s.fake.ephemerals.at(-1)!.text), /Only Alice or an admin can choose which take/);

    await s.click({ user: 'U0ALICE', messageTs: statusTs, threadTs: parentTs, actionId: 'sora_job_keep', value: chosen.id });
    await waitReal(() => s.fake.thread(CHANNEL, parentTs).some((m) => /Kept take/.test(m.text)), 'the keep said in the thread');
    assert.match(s.fake.thread(CHANNEL, parentTs).find((m) => /Kept take/.test(m.text))!.text, new RegExp(`Kept take ${chosen.take!.index}/3 \\(job \`${chosen.id}\`\\)`));
    const after = await Promise.all(takes.map((j) => internalsOf(s.tb.bot.studio).jobs.get(j.id)));
    assert.deepEqual(after.map((j) => j!.take!.kept), takes.map((j) => j.id === chosen.id));
  });
});
