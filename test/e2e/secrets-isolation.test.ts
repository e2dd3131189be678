/**
 * Secrets and tenant isolation through the real Slack adapter. Every token and
 * key has a known value; every log line (debug included) and every message
 * the fake Slack received is searched for each of them. A second team forges
 * button values naming the first team's job.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { FakeSlack } from '../fakes/slack/fake-slack.js';
import { CHANNEL, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const SECRETS = {
  SLACK_SIGNING_SECRET: 'slack-signing-secret-for-tests', // the harness signs with this one
  OPENAI_API_KEY: 'sk-SECRET-openai-3f9a1c',
  APIYI_API_KEY: 'SECRET-apiyi-77b2e0',
  FILE_SIGNING_KEY: 'SECRET-file-signing-key-0123456789',
  OPENAI_WEBHOOK_SECRET: 'whsec_U0VDUkVULXdlYmhvb2stc2VjcmV0',
};
const BOT_TOKEN = 'xoxb-SECRET-bot-token-1234';

describe('secrets never reach logs or chat; other teams cannot touch a job', { timeout: 120_000 }, () => {
  let s: SlackBot;
  let sim: Simulator;
  let other: FakeSlack;
  before(async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, render: { ffmpegPath: false } });
    const fake = await new FakeSlack({ teamId: 'T0TEAM', botToken: BOT_TOKEN }).start();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'secrets-e2e-'));
    s = await startSlackBot({
      fake,
      shared: { clock, sim, dataDir },
      env: {
        ...SECRETS,
        OPENAI_BASE_URL: sim.openaiBaseUrl,
        APIYI_BASE_URL: sim.apiyiBaseUrl,
      },
    });
    other = fake;
  });
  after(async () => {
    await s.stop();
    await other.stop();
    await sim.stop();
  });

  it('a full flow on several backends, with failures, leaks no secret into any log line or chat message', async () => {
    sim.faults.inject({ protocol: 'openai', fault: '500', route: 'openai.get', times: 2 });
    sim.faults.inject({ protocol: 'apiyi', fault: 'moderation', times: 1 });
    const backends = s.tb.bot.backends.map((b) => b.id);
    assert.ok(backends.length >= 2, backends.join(','));
    for (const backend of backends) await s.slash('/sora', `generate a lighthouse at dusk --backend ${backend}`);
    await s.slash('/cost', '');
    await s.slash('/sora', 'generate a cat --backend nope');
    await s.drive(async () => { const jobs = await s.jobs(); return jobs.length > 0 && jobs.every((j) => ['delivered', 'failed'].includes(j.state)); }, 1500);
    const jobs = await s.jobs();
    assert.ok(jobs.some((j) => j.state === 'delivered'));
    assert.ok(jobs.some((j) => j.state === 'failed'));
    // The Web API's own `token` argument is how Slack authenticates the bot, not message content.
    const chat = JSON.stringify([s.fake.calls.map(({ args: { token: _token, ...args } }) => args), s.fake.ephemerals, s.fake.responses]);
    const logs = s.tb.logs.text;
    assert.ok(logs.length > 10_000, 'debug logs were captured');
    for (const [name, value] of Object.entries({ ...SECRETS, SLACK_BOT_TOKEN: BOT_TOKEN })) {
      assert.ok(!logs.includes(value), `${name} appears in the logs`);
      assert.ok(!chat.includes(value), `${name} appears in a chat message`);
      assert.ok(!logs.includes(encodeURIComponent(value)), `${name} appears URL-encoded in the logs`);
    }
    // The file links the bot hands out are signed with the key, never carrying it.
    assert.doesNotMatch(logs, /SECRET-/);
  });

  it("forged button values naming another team's job are refused and change nothing", async () => {
    const victim = (await s.jobs()).find((j) => j.state === 'delivered')!;
    // The same fake workspace API, but the click comes from another team (another tenant).
    const forged = async (actionId: string) => {
      const before = other.ephemerals.length;
      const payload = {
        type: 'block_actions', api_app_id: 'A0APP', token: 't', team: { id: 'T0EVIL', domain: 'evil' },
        user: { id: 'U0MALLORY', username: 'mallory', name: 'mallory', team_id: 'T0EVIL' },
        channel: { id: CHANNEL, name: 'general' },
        container: { type: 'message', message_ts: '1.1', channel_id: CHANNEL, is_ephemeral: false },
        message: { type: 'message', ts: '1.1', text: 'status' }, trigger_id: 'trig', response_url: 'http://127.0.0.1:1/unused',
        actions: [{ type: 'button', action_id: actionId, block_id: `job_${victim.id}`, value: victim.id, action_ts: '1.2' }],
      };
      const res = await s.post({ payload: JSON.stringify(payload) });
      assert.equal(res.status, 200);
      await waitReal(() => other.ephemerals.length > before || other.callsTo('views.open').length > 0, `${actionId} answered`, 3000).catch(() => undefined);
    };
    const viewsBefore = other.callsTo('views.open').length;
    for (const action of ['sora_job_cancel', 'sora_job_retry', 'sora_job_remix']) await forged(action);
    const after = await internalsOf(s.tb.bot.studio).jobs.get(victim.id);
    assert.equal(after!.state, 'delivered');
    assert.equal(other.callsTo('views.open').length, viewsBefore, 'no remix dialog for a foreign job');
    const jobsOfVictimTeam = await s.jobs();
    assert.equal(jobsOfVictimTeam.filter((j) => j.input.remixOf === victim.id || (j.createdAt > victim.createdAt && j.input.prompt === victim.input.prompt && j.id !== victim.id)).length, 0, 'no retry or remix was started from the foreign job');
    assert.deepEqual(await internalsOf(s.tb.bot.studio).jobs.recent('slack:T0EVIL'), []);
    for (const e of other.ephemerals.filter((x) => x.user === 'U0MALLORY')) assert.doesNotMatch(String(e.text), new RegExp(victim.input.prompt));
    assert.equal(TENANT, 'slack:T0TEAM');
  });
});
