/**
 * On Slack, a job is seen only where it was made, and a signed request acts
 * once: the real Bolt app inside the real bot, signed HTTP to /slack/events,
 * the fake Slack Web API (conversations.members) and the provider simulator.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { MAX_SLACK_BODY_BYTES } from '../../src/chat/slack/http-events.js';
import { CHANNEL, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';
import { slashCommandPayload } from '../fakes/slack/fake-slack.js';

const PRIVATE = 'G0BOARD';
const DM = 'D0DANA';

describe('slack: a job is seen only where it was made', () => {
  let s: SlackBot;
  let secretJob: string;
  let dmJob: string;
  /** Runs a slash command and returns the text of its (single, ephemeral) answer. */
  const ask = async (text: string, user: string, channel = CHANNEL, command = '/sora') => {
    const sent = await s.slash(command, text, user, channel);
    if (sent.ack) return JSON.stringify(sent.ack);
    await waitReal(() => s.fake.responsesTo(sent.responseUrl).length > 0, `answer to ${command} ${text}`);
    return JSON.stringify(s.fake.responsesTo(sent.responseUrl));
  };
  const jobsWithPrompt = async (text: string) => (await s.jobs()).filter((j) => j.input.prompt.includes(text));

  before(async () => {
    s = await startSlackBot();
    s.fake.users.set('U0DANA', { id: 'U0DANA', name: 'dana', real_name: 'Dana', is_admin: true });
    s.fake.users.set('U0BOB', { id: 'U0BOB', name: 'bob', real_name: 'Bob' });
    s.fake.channelMembers.set(CHANNEL, ['U0DANA', 'U0BOB']);
    s.fake.channelMembers.set(PRIVATE, ['U0DANA']);
    await s.slash('/sora', 'generate SECRET merger plan with the rival studio --seconds 4', 'U0DANA', PRIVATE);
    await s.slash('/sora', 'generate my private diary, read aloud --seconds 4', 'U0DANA', DM);
    await waitReal(async () => (await s.jobs()).filter((j) => j.started).length === 2, 'both jobs started');
    secretJob = (await jobsWithPrompt('SECRET'))[0]!.id;
    dmJob = (await jobsWithPrompt('diary'))[0]!.id;
    await s.drive(async () => (await s.jobs()).every((j) => j.state === 'delivered'));
  });
  after(async () => s.stop());

  test("a member outside a private channel, or outside another member's DM, cannot see, extract, remix or retry its jobs", async () => {
    const list = await ask('status', 'U0BOB');
    assert.doesNotMatch(list, /SECRET|merger|diary/, 'the status list shows neither');
    for (const id of [secretJob, dmJob]) {
      const byId = await ask(`status ${id}`, 'U0BOB');
      assert.match(byId, /no job/i);
      assert.doesNotMatch(byId, /SECRET|diary/);
      assert.match(await ask(`create stolen_${id.slice(-4)} --from_job ${id}`, 'U0BOB', CHANNEL, '/character'), /no job/i);
      assert.match(await ask(`remix ${id} --prompt the same, in public`, 'U0BOB'), /no job/i);
      for (const actionId of ['sora_job_retry', 'sora_job_remix']) {
        const before = s.fake.ephemerals.length;
        await s.click({ user: 'U0BOB', messageTs: '1764000000.000001', actionId, value: id });
        await waitReal(() => s.fake.ephemerals.length > before, `${actionId} refusal`);
        assert.match(String(s.fake.ephemerals.at(-1)!.text), /no job/i, actionId);
      }
    }
    assert.equal(s.fake.callsTo('views.open').length, 0, 'no remix form was opened');
    assert.deepEqual((await s.tb.bot.studio.listCharacters({ tenant: TENANT, userId: 'U0BOB', displayName: 'Bob', isAdmin: false })).map((c) => c.name), []);
    assert.equal((await jobsWithPrompt('in public')).length, 0, 'no remix');
    assert.equal((await jobsWithPrompt('SECRET')).length + (await jobsWithPrompt('diary')).length, 2, 'no retry');
  });

  test('the members of the private channel see its job from anywhere; a DM stays its requester’s; /cost shows totals, never prompts', async () => {
    const fromGeneral = await ask('status', 'U0DANA');
    assert.match(fromGeneral, /SECRET merger plan/);
    assert.match(fromGeneral, /private diary/, 'the requester sees her own DM job');
    const calls = s.fake.callsTo('conversations.members').filter((c) => c.args.channel === PRIVATE).length;
    await ask('status', 'U0DANA');
    assert.equal(s.fake.callsTo('conversations.members').filter((c) => c.args.channel === PRIVATE).length, calls, 'membership is cached');

    // Dana leaves the board channel: within the cache's minute she no longer sees its jobs.
    s.fake.channelMembers.set(PRIVATE, []);
    await s.tb.clock.advance(61_000);
    assert.doesNotMatch(await ask('status', 'U0DANA'), /SECRET/);

    const cost = await ask('', 'U0DANA', CHANNEL, '/cost');
    assert.match(cost, /By member/);
    assert.doesNotMatch(cost, /SECRET|diary/);
  });
});

describe('slack: a signed request acts once, and an oversized body is refused before it is read', () => {
  let s: SlackBot;
  before(async () => {
    s = await startSlackBot();
  });
  after(async () => s.stop());

  test('a correctly signed request replayed inside the 5-minute window creates no second job', async () => {
    const form = slashCommandPayload({ command: '/sora', text: 'generate a replayed lighthouse --seconds 4', user: 'U0ALICE', channel: CHANNEL, team: 'T0TEAM', responseUrl: s.fake.newResponseUrl() });
    const timestamp = Math.floor(Date.now() / 1000);
    assert.equal((await s.post(form, { timestamp })).status, 200);
    await waitReal(async () => (await s.jobs()).some((j) => j.input.prompt.includes('replayed lighthouse')), 'the first job');
    const replay = await s.post(form, { timestamp });
    assert.equal(replay.status, 200, 'the replay gets a plain 200: Slack would stop, an attacker learns nothing');
    // Either the replay is dropped (logged), or it is run and a second job appears.
    await waitReal(
      async () => /dropped as a replay/.test(s.tb.logs.text) || (await s.jobs()).filter((j) => j.input.prompt.includes('replayed lighthouse')).length > 1,
      'the replay to be handled',
    );
    assert.equal((await s.jobs()).filter((j) => j.input.prompt.includes('replayed lighthouse')).length, 1);
    // The same command sent again by the person (a new timestamp, so a new signature) is a new request.
    assert.equal((await s.post(form, { timestamp: timestamp + 1 })).status, 200);
    await waitReal(async () => (await s.jobs()).filter((j) => j.input.prompt.includes('replayed lighthouse')).length === 2, 'a second, genuine request');
  });

  /** Streams `total` bytes of an unsigned body, stopping as soon as the bot answers. */
  function push(total: number, chunked: boolean): Promise<{ status: number; written: number }> {
    const url = new URL(s.eventsUrl);
    return new Promise((resolve, reject) => {
      let written = 0;
      let answered = false;
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(chunked ? {} : { 'content-length': String(total) }) },
      });
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, written });
        req.destroy();
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = (): void => {
        while (!answered && written < total) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
  }

  test('an unsigned body over the cap gets 413 without the bot reading it all', async () => {
    // Under Bolt's own 4 MB limit, so only the bot's cap can refuse it.
    const small = await push(3 * 1024 * 1024, true);
    assert.equal(small.status, 413);
    const declared = await push(64 * 1024 * 1024, false);
    assert.equal(declared.status, 413);
    assert.ok(declared.written < 64 * 1024 * 1024, `the declared 64 MiB body was refused after ${declared.written} bytes were sent`);
    const streamed = await push(64 * 1024 * 1024, true);
    assert.equal(streamed.status, 413);
    assert.ok(streamed.written < 64 * 1024 * 1024, `the chunked body was cut off after ${streamed.written} bytes were sent`);
    // A body under the cap is read, and then refused for its signature.
    const fine = await push(MAX_SLACK_BODY_BYTES - 64 * 1024, false);
    assert.equal(fine.status, 401);
  });
});
