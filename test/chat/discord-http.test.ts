/**
 * Discord over HTTP interactions: the real bot (`startBot`, real discord.js
 * REST client) with DISCORD_PUBLIC_KEY set and the gateway off, driven by
 * the fake Discord's signed POSTs to /discord/interactions (a key pair made
 * here, as the Developer Portal would hold it). Follow-ups and uploads go to
 * the fake's REST.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SIGNATURE_MAX_AGE_MS, WITHDRAWN_PLACEHOLDER } from '../../src/chat/discord/http-interactions.js';
import { alice, GUILD, harness, int, str, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil, waitFor } from '../helpers/drive.js';

describe('Discord HTTP interactions', { concurrency: false }, () => {
  const keys = generateKeyPairSync('ed25519');
  // The Developer Portal shows the public key as 32 raw bytes in hex: the last 32 of the DER SPKI.
  const publicKeyHex = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  let h: Harness;
  let channel: string;

  before(async () => {
    h = await harness({
      msPerVideoSecond: 10_000,
      render: { ffmpegPath: false },
      env: { DISCORD_PUBLIC_KEY: publicKeyHex, DISCORD_GATEWAY: 'off' },
    });
    h.fake.deliverOverHttp(`http://127.0.0.1:${h.bot.port}/discord/interactions`, keys.privateKey);
    channel = h.fake.addChannel(GUILD).id;
  });
  after(() => h?.close());

  test('no gateway connection; the bot is ready and knows its user from REST', async () => {
    assert.equal(h.fake.identifies, 0);
    assert.equal((await fetch(`http://127.0.0.1:${h.bot.port}/healthz`)).status, 200);
    assert.equal(h.fake.callsFor('/users/@me').length, 1);
  });

  test('PING is answered with PONG', async () => {
    const answer = await h.fake.postInteraction({ id: '1', type: 1, token: 'ping-token', application_id: h.fake.applicationId, version: 1 });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { type: 1 });
  });

  test('a bad signature, a stale timestamp and another application are refused', async () => {
    const ping = { id: '2', type: 1, token: 'ping-token', application_id: h.fake.applicationId, version: 1 };
    assert.equal((await h.fake.postInteraction(ping, { signatureOf: JSON.stringify({ ...ping, type: 2 }) })).status, 401);
    const staleS = Math.floor((h.clock.now() - SIGNATURE_MAX_AGE_MS - 60_000) / 1000);
    assert.equal((await h.fake.postInteraction(ping, { timestampS: staleS })).status, 401);
    assert.equal((await h.fake.postInteraction({ ...ping, application_id: '1234567' })).status, 400);
    const unsigned = await fetch(`http://127.0.0.1:${h.bot.port}/discord/interactions`, { method: 'POST', body: JSON.stringify(ping) });
    assert.equal(unsigned.status, 401);
  });

  test('generate: the HTTP response is the defer; the thread, status and video go through REST', async () => {
    const i = h.fake.command({ guildId: GUILD, channelId: channel, user: alice }, 'sora', 'generate', [str('prompt', 'a paper boat on a rainy street'), int('seconds', 4)]);
    await h.fake.httpSettled();
    const answer = h.fake.httpAnswers.find((a) => a.interactionId === i.id)!;
    assert.equal(answer.status, 200);
    assert.equal((answer.body as { type: number }).type, 5, 'the response itself is the public defer');
    assert.equal(h.fake.callsFor(`/interactions/${i.id}/`).length, 0, 'no callback over REST');
    const record = h.fake.interactions.get(i.id)!;
    assert.ok(record.callback!.realAt - record.realCreatedAt < 3_000, 'answered within 3 s');

    await waitFor(() => h.fake.threadsFrom(channel).some((t) => t.fromMessageId === record.originalMessageId), 'the job thread');
    const threadId = record.originalMessageId!;
    await driveUntil(h.clock, () => videosIn(h.fake, threadId).length > 0, { stepMs: 1_000, maxSteps: 400 });
    const edits = h.fake.callsFor(`/webhooks/${h.fake.applicationId}/${record.token}/messages/@original`).filter((c) => c.method === 'PATCH');
    assert.ok(edits.some((c) => /estimated \$0\.40/.test(JSON.stringify(c.json))), 'the deferred reply was filled in through the interaction webhook');
  });

  test('a refusal before the defer is an ephemeral reply in the HTTP response', async () => {
    const i = h.fake.command({ guildId: GUILD, channelId: channel, user: alice }, 'budget', 'set', [{ name: 'amount', type: 10, value: 0.5 }]);
    await h.fake.httpSettled();
    const body = h.fake.httpAnswers.find((a) => a.interactionId === i.id)!.body as { type: number; data: { content: string; flags: number } };
    assert.equal(body.type, 4);
    assert.equal(body.data.flags & 64, 64, 'ephemeral');
    assert.match(body.data.content, /Manage Server/);
  });

  // Under a burst, a launch is deferred publicly as it arrives and checked once arrivals pause
  // (src/chat/discord/http-interactions.ts); one found wanting then must not show in the channel.
  test('a burst: launches deferred at once; the one refused afterwards stays private', async () => {
    const home = h.fake.addChannel(GUILD).id;
    const elsewhere = h.fake.addChannel(GUILD).id;
    h.fake.command({ guildId: GUILD, channelId: home, user: alice }, 'sora', 'generate', [str('prompt', 'a kite over dunes'), int('seconds', 4)]);
    // The job's id, from its status message in the thread (posted after the thread opens).
    const originalJob = () => {
      const thread = h.fake.threadsFrom(home)[0];
      return thread && /`(j_[a-z0-9]+)`/.exec(JSON.stringify(h.fake.messagesIn(thread.id)))?.[1];
    };
    await until(() => originalJob() !== undefined, 'the original job status message');
    const jobId = originalJob()!;

    // A remix asked from another channel reads that channel's permissions over REST; held there, it keeps the bot busy.
    const release = h.fake.hold('GET', `/api/v10/channels/${home}`);
    const busy = h.fake.command({ guildId: GUILD, channelId: elsewhere, user: alice }, 'sora', 'remix', [str('job', jobId), str('prompt', 'the kite at night')]);
    await until(() => h.fake.callsFor(`/channels/${home}`).length > 0, 'the remix waiting on REST');
    const burst = ['a red kite', 'a blue kite', 'a green kite', 'a kite flown by @ghost'].map((prompt) =>
      h.fake.command({ guildId: GUILD, channelId: elsewhere, user: alice }, 'sora', 'generate', [str('prompt', prompt), int('seconds', 4)]),
    );
    const refused = burst[3]!;
    const answerOf = (id: string) => h.fake.httpAnswers.find((a) => a.interactionId === id);
    await until(() => burst.every((i) => answerOf(i.id) !== undefined), 'the burst answered');
    assert.deepEqual(burst.map((i) => answerOf(i.id)!.body), burst.map(() => ({ type: 5 })), 'each answered with the public defer, checks still to come');
    assert.equal(answerOf(busy.id), undefined, 'while the remix still waited for its answer');

    const privateRefusal = () => h.fake.messagesIn(elsewhere).find((m) => m.interactionId === refused.id && (m.flags & 64) === 64);
    await until(() => privateRefusal() !== undefined, 'the private refusal');
    assert.match(privateRefusal()!.content, /no character called @ghost/);
    await until(() => h.fake.threadsFrom(elsewhere).length === 3, 'a thread for each accepted launch');
    await until(() => h.fake.messagesIn(elsewhere).every((m) => m.interactionId !== refused.id || (m.flags & 64) === 64), 'the public placeholder removed');
    const publicOnes = [...h.fake.messages.values()].filter((m) => m.interactionId === refused.id && (m.flags & 64) === 0);
    assert.deepEqual(publicOnes.map((m) => [m.content, m.deleted]), [[WITHDRAWN_PLACEHOLDER, true]], 'the channel saw only the neutral mark, never the refusal');

    release();
    await until(() => answerOf(busy.id) !== undefined, 'the remix answered once released');
    await h.fake.httpSettled();
  });
});
