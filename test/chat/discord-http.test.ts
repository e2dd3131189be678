/**
 * Discord over HTTP interactions: the real bot (`startBot`, real discord.js
 * REST client) with DISCORD_PUBLIC_KEY set and the gateway off, driven by
 * the fake Discord's signed POSTs to /discord/interactions (a key pair made
 * here, as the Developer Portal would hold it). Follow-ups and uploads go to
 * the fake's REST.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBot, type RunningBot } from '../../src/app.js';
import { SIGNATURE_MAX_AGE_MS } from '../../src/chat/discord/http-interactions.js';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { FakeDiscord, type FakeUser } from '../fakes/discord/fake-discord.js';
import { driveUntil, waitFor } from '../helpers/drive.js';

const GUILD = '900000000000000011';
const alice: FakeUser = { id: '800000000000000011', username: 'alice' };
const str = (name: string, value: string) => ({ name, type: 3, value });
const int = (name: string, value: number) => ({ name, type: 4, value });

describe('Discord HTTP interactions', { concurrency: false }, () => {
  const clock = new ManualClock();
  const keys = generateKeyPairSync('ed25519');
  // The Developer Portal shows the public key as 32 raw bytes in hex: the last 32 of the DER SPKI.
  const publicKeyHex = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  let fake: FakeDiscord;
  let sim: Simulator;
  let dataDir: string;
  let bot: RunningBot;
  let channel: string;

  before(async () => {
    sim = await startSimulator({ clock, renderMsPerVideoSecond: 10_000, render: { ffmpegPath: false } });
    fake = new FakeDiscord({ clock });
    await fake.start();
    dataDir = await mkdtemp(path.join(tmpdir(), 'discord-http-'));
    bot = await startBot(
      loadConfig({
        PORT: '0',
        HTTP_HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        CONSOLE: 'off',
        SIMULATOR: 'off',
        LOG_LEVEL: 'silent',
        OPENAI_API_KEY: 'sk-test-key-123456',
        OPENAI_BASE_URL: sim.openaiBaseUrl,
        PUBLIC_URL: 'http://127.0.0.1:9',
        DISCORD_TOKEN: 'discord-bot-token-test',
        DISCORD_APPLICATION_ID: fake.applicationId,
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_PUBLIC_KEY: publicKeyHex,
        DISCORD_GATEWAY: 'off',
      }),
      { clock, logger: silentLogger },
    );
    fake.deliverOverHttp(`http://127.0.0.1:${bot.port}/discord/interactions`, keys.privateKey);
    channel = fake.addChannel(GUILD).id;
  });
  after(async () => {
    await bot?.stop();
    await fake?.stop();
    await sim?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('no gateway connection; the bot is ready and knows its user from REST', async () => {
    assert.equal(fake.identifies, 0);
    assert.equal((await fetch(`http://127.0.0.1:${bot.port}/healthz`)).status, 200);
    assert.equal(fake.callsFor('/users/@me').length, 1);
  });

  test('PING is answered with PONG', async () => {
    const answer = await fake.postInteraction({ id: '1', type: 1, token: 'ping-token', application_id: fake.applicationId, version: 1 });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { type: 1 });
  });

  test('a bad signature, a stale timestamp and another application are refused', async () => {
    const ping = { id: '2', type: 1, token: 'ping-token', application_id: fake.applicationId, version: 1 };
    assert.equal((await fake.postInteraction(ping, { signatureOf: JSON.stringify({ ...ping, type: 2 }) })).status, 401);
    const staleS = Math.floor((clock.now() - SIGNATURE_MAX_AGE_MS - 60_000) / 1000);
    assert.equal((await fake.postInteraction(ping, { timestampS: staleS })).status, 401);
    assert.equal((await fake.postInteraction({ ...ping, application_id: '1234567' })).status, 400);
    const unsigned = await fetch(`http://127.0.0.1:${bot.port}/discord/interactions`, { method: 'POST', body: JSON.stringify(ping) });
    assert.equal(unsigned.status, 401);
  });

  test('generate: the HTTP response is the defer; the thread, status and video go through REST', async () => {
    const i = fake.command({ guildId: GUILD, channelId: channel, user: alice }, 'sora', 'generate', [str('prompt', 'a paper boat on a rainy street'), int('seconds', 4)]);
    await fake.httpSettled();
    const answer = fake.httpAnswers.find((a) => a.interactionId === i.id)!;
    assert.equal(answer.status, 200);
    assert.equal((answer.body as { type: number }).type, 5, 'the response itself is the public defer');
    assert.equal(fake.callsFor(`/interactions/${i.id}/`).length, 0, 'no callback over REST');
    const record = fake.interactions.get(i.id)!;
    assert.ok(record.callback!.realAt - record.realCreatedAt < 3_000, 'answered within 3 s');

    await waitFor(() => fake.threadsFrom(channel).some((t) => t.fromMessageId === record.originalMessageId), 'the job thread');
    const threadId = record.originalMessageId!;
    await driveUntil(clock, () => fake.messagesIn(threadId).some((m) => m.attachments.some((a) => a.name.endsWith('.mp4'))), { stepMs: 1_000, maxSteps: 400 });
    const edits = fake.callsFor(`/webhooks/${fake.applicationId}/${record.token}/messages/@original`).filter((c) => c.method === 'PATCH');
    assert.ok(edits.some((c) => /estimated \$0\.40/.test(JSON.stringify(c.json))), 'the deferred reply was filled in through the interaction webhook');
  });

  test('a refusal before the defer is an ephemeral reply in the HTTP response', async () => {
    const i = fake.command({ guildId: GUILD, channelId: channel, user: alice }, 'budget', 'set', [{ name: 'amount', type: 10, value: 0.5 }]);
    await fake.httpSettled();
    const body = fake.httpAnswers.find((a) => a.interactionId === i.id)!.body as { type: number; data: { content: string; flags: number } };
    assert.equal(body.type, 4);
    assert.equal(body.data.flags & 64, 64, 'ephemeral');
    assert.match(body.data.content, /Manage Server/);
  });
});
