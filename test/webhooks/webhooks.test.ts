/**
 * Webhook deliveries over real HTTP to the bot's server: the fal simulator
 * signs with Ed25519 and publishes its key as a JWKS; OpenAI-shaped events are
 * signed per Standard Webhooks. Only the valid delivery has an effect, and
 * only once: forged, tampered, stale and replayed copies change nothing.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createFalBackend } from '../../src/backends/fal.js';
import { DEFAULT_FAL_MODELS } from '../../src/backends/fal-models.js';
import { createOpenAiBackend } from '../../src/backends/openai.js';
import { ManualClock } from '../../src/core/clock.js';
import type { KeyValueStore, ProviderStatus } from '../../src/core/ports.js';
import { createBotHttpServer, type BotHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { openStore } from '../../src/store/keyv-store.js';
import { KeyValueSeenKeys } from '../../src/store/seen-keys.js';
import { createWebhookHandler, webhookReceivers } from '../../src/webhooks/index.js';
import { signStandardWebhook } from '../../src/webhooks/standard-webhooks.js';
import { driveUntil } from '../helpers/drive.js';
import { generationRequest } from '../helpers/provider-fixtures.js';

const SECRET = `whsec_${Buffer.from('standard-webhooks-test-secret-32b').toString('base64')}`;

let clock: ManualClock;
let sim: Simulator;
let server: BotHttpServer;
let store: KeyValueStore;
let base: string;
const events: { backend: string; providerJobId: string; status: ProviderStatus | undefined }[] = [];
const fal = () => createFalBackend({ model: DEFAULT_FAL_MODELS.find((m) => m.key === 'wan27')!, queueUrl: sim.falQueueUrl, apiKey: 'k', clock, logger: silentLogger });

async function deliver(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
}

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, concurrency: 4, render: { ffmpegPath: false } });
  store = await openStore(`sqlite://${join(await mkdtemp(join(tmpdir(), 'webhooks-')), 'store.sqlite')}`, { dataDir: tmpdir(), logger: silentLogger });
  const backends = [fal(), createOpenAiBackend({ baseUrl: sim.openaiBaseUrl, apiKey: 'k', model: 'sora-2', clock, logger: silentLogger })];
  server = createBotHttpServer({ logger: silentLogger, readiness: () => ({ ready: true, checks: {} }) });
  const receivers = webhookReceivers(backends, { falJwksUrl: sim.falJwksUrl, openaiWebhookSecret: SECRET }, clock);
  server.route('POST', '/webhooks/', createWebhookHandler({ receivers, seen: new KeyValueSeenKeys(store), clock, logger: silentLogger, onEvent: (backend, providerJobId, status) => (events.push({ backend, providerJobId, status }), true) }));
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
});
after(async () => {
  await server.close();
  await store.close();
  await sim.stop();
});

describe('fal webhooks (Ed25519 over JWKS keys)', () => {
  it('accepts the simulator’s signed completion once; replayed, forged, tampered and stale copies have no effect', async () => {
    const backend = fal();
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 2, webhookUrl: `${base}/webhooks/fal-wan27` }));
    await driveUntil(clock, () => sim.fal.webhooks.deliveries.length > 0, { stepMs: 250 });
    const valid = sim.fal.webhooks.deliveries[0]!;
    assert.equal(valid.status, 200);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.backend, 'fal-wan27');
    assert.equal(events[0]!.providerJobId, providerJobId);
    assert.equal(events[0]!.status?.state, 'completed');

    // Replayed: the identical delivery again, inside the window.
    const replay = await deliver('/webhooks/fal-wan27', valid.headers, valid.body);
    assert.equal(replay.status, 200);
    assert.equal(replay.json.outcome, 'duplicate');

    // Forged: a well-formed signature from a key that is not in the JWKS.
    const stranger = generateKeyPairSync('ed25519');
    const forgedBody = JSON.stringify({ request_id: providerJobId, status: 'ERROR', payload: { detail: [{ type: 'content_policy_violation' }] } });
    const forged = await deliver('/webhooks/fal-wan27', sim.fal.signWebhook(providerJobId, Math.floor(clock.now() / 1000), forgedBody, stranger.privateKey), forgedBody);
    assert.equal(forged.status, 401);

    // Tampered: the valid headers over a different body.
    const tampered = await deliver('/webhooks/fal-wan27', { ...valid.headers, 'x-fal-webhook-timestamp': valid.headers['x-fal-webhook-timestamp']! }, forgedBody);
    assert.equal(tampered.status, 401);

    // Stale: correctly signed by the real key, but 10 minutes old.
    const staleHeaders = sim.fal.signWebhook(providerJobId, Math.floor(clock.now() / 1000) - 600, valid.body);
    assert.equal((await deliver('/webhooks/fal-wan27', staleHeaders, valid.body)).status, 401);

    // Missing headers and an unknown backend.
    assert.equal((await deliver('/webhooks/fal-wan27', {}, valid.body)).status, 400);
    assert.equal((await deliver('/webhooks/nobody', valid.headers, valid.body)).status, 404);

    assert.equal(events.length, 1, 'only the valid delivery had an effect');
    // The JWKS is cached: one fetch, plus at most one forced refresh for the unknown signature.
    assert.ok(sim.stats.count('fal.jwks') <= 2, `JWKS fetched ${sim.stats.count('fal.jwks')} times`);
  });

  it('accepts a fresh, correctly signed delivery for another request', async () => {
    const before = events.length;
    const body = JSON.stringify({ request_id: 'req_other', status: 'ERROR', payload: { detail: [{ type: 'content_policy_violation' }] }, error: 'Invalid status code: 422' });
    const answer = await deliver('/webhooks/fal-wan27', sim.fal.signWebhook('req_other', Math.floor(clock.now() / 1000), body), body);
    assert.equal(answer.status, 200);
    assert.equal(events.length, before + 1);
    assert.equal(events.at(-1)!.status?.state, 'failed');
    assert.equal(events.at(-1)!.status?.error?.kind, 'moderation');
  });
});

describe('OpenAI-shaped webhooks (Standard Webhooks HMAC)', () => {
  const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'video.completed', created_at: 1, data: { id: 'video_abc' } });
  const headers = (id: string, ts: number, secret = SECRET) => ({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook(secret, id, ts, body) });

  it('wakes the job for a valid delivery once; forged, stale and replayed deliveries change nothing', async () => {
    const before = events.length;
    const now = Math.floor(clock.now() / 1000);
    const valid = headers('msg_1', now);
    const first = await deliver('/webhooks/openai', valid, body);
    assert.equal(first.status, 200);
    assert.equal(first.json.outcome, 'accepted');
    assert.equal(events.length, before + 1);
    assert.deepEqual(events.at(-1), { backend: 'openai', providerJobId: 'video_abc', status: undefined });

    assert.equal((await deliver('/webhooks/openai', valid, body)).json.outcome, 'duplicate');
    const wrongSecret = `whsec_${Buffer.from('another-secret-entirely').toString('base64')}`;
    assert.equal((await deliver('/webhooks/openai', headers('msg_2', now, wrongSecret), body)).status, 401);
    assert.equal((await deliver('/webhooks/openai', headers('msg_3', now - 301), body)).status, 401);
    assert.equal((await deliver('/webhooks/openai', headers('msg_4', now + 301), body)).status, 401);
    // A rotated key: several signatures, one of them valid.
    const rotated = { ...headers('msg_5', now), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${headers('msg_5', now)['webhook-signature']}` };
    assert.equal((await deliver('/webhooks/openai', rotated, body)).json.outcome, 'accepted');
    assert.equal(events.length, before + 2);
  });
});
