/**
 * Kling's documented protocol, each point a fix that failed before it:
 * - the numeric `code` decides the kind on every HTTP status: 1100/1101/1102 (HTTP 429) are quota and are
 *   never retried, 1301 (HTTP 400) is moderation;
 * - `external_task_id` is unique per account, so a resubmission after a crash finds the first task
 *   instead of creating (or being refused) a second one;
 * - the 3.0 omni format (`contents[]`, `settings`, `options`, `GET /tasks?task_ids=`) and direct
 *   `api-key-kling-…` keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKlingBackend, type KlingBackend } from '../../src/backends/kling.js';
import { describeProviderFailure, type ProviderError } from '../../src/core/errors.js';
import { plainText } from '../../src/core/markup.js';
import { render } from '../../src/core/messages.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { driveWhile } from '../helpers/drive.js';
import { frameFiles, generationRequest, renderFor } from '../helpers/provider-fixtures.js';
import { providerRejection, simulatorFixture } from '../helpers/simulator-fixture.js';

const providerSentence = (error: ProviderError, backendName: string) => render(describeProviderFailure(error, backendName), plainText);

const ACCESS = 'kling-access-0002';
const SECRET = 'kling-secret-0002-xyz';
const DIRECT = 'api-key-kling-test0002Direct';
const fx = simulatorFixture({ renderMsPerVideoSecond: 1000, concurrency: 8, kling: { accessKey: ACCESS, secretKey: SECRET, apiKey: DIRECT, elementMs: 4000 }, render: { ffmpegPath: false } });

function kling(extra: Partial<Parameters<typeof createKlingBackend>[0]> = {}): KlingBackend {
  const b = createKlingBackend({ apiUrl: fx.sim.klingApiUrl, accessKey: ACCESS, secretKey: SECRET, clock: fx.clock, logger: silentLogger, random: () => 0, retry: { maxAttempts: 4, baseDelayMs: 10 }, elementPollMs: 1000, ...extra });
  return fx.track(b);
}

async function element(backend: KlingBackend, name: string): Promise<BoundCharacter> {
  const frames = await frameFiles(name);
  const binding = await driveWhile(fx.clock, backend.createCharacter({ name, description: `${name} the test subject`, clipPath: undefined, clipUrl: undefined, providerJobId: undefined, frames }), { stepMs: 500 });
  return { name, description: `${name} the test subject`, binding };
}

describe('kling error codes', () => {
  for (const code of [1100, 1101, 1102]) {
    it(`reads code ${code} on HTTP 429 as quota, tells the admin the account needs funds, and never retries it`, async () => {
      const backend = kling();
      const posts = fx.sim.stats.count('kling.video.create');
      const gets = fx.sim.stats.count('kling.video.get');
      fx.sim.kling.failNext({ status: 429, code, message: code === 1102 ? 'resource pack exhausted' : 'account is in arrears' });
      const error = await providerRejection(backend.submit(generationRequest()));
      assert.equal(error.kind, 'quota');
      assert.equal(error.providerCode, String(code));
      assert.equal(error.retryable, false);
      // The first call of a submit is the external_task_id lookup (a GET, which the HTTP layer retries on 429s).
      assert.equal(fx.sim.stats.count('kling.video.get') - gets, 1, 'the GET was not retried');
      assert.equal(fx.sim.stats.count('kling.video.create') - posts, 0);
      assert.match(providerSentence(error, 'Kling'), /Kling says the account is out of credit\. An admin needs to top it up/);
    });
  }

  it('reads code 1301 on HTTP 400 as moderation, not as the user’s settings', async () => {
    const backend = kling();
    fx.sim.kling.failNext({ status: 400, code: 1301, message: 'Content security policy triggered' });
    const error = await providerRejection(backend.submit(generationRequest()));
    assert.equal(error.kind, 'moderation');
    assert.equal(error.status, 400);
  });

  it('reads 1302 on HTTP 429 as a rate limit that is retried', async () => {
    const backend = kling();
    const gets = fx.sim.stats.count('kling.video.get');
    fx.sim.kling.failNext({ status: 429, code: 1302, message: 'rate limit', times: 1 });
    const { providerJobId } = await driveWhile(fx.clock, backend.submit(generationRequest({ seconds: 3 })), { stepMs: 50 });
    assert.ok(providerJobId);
    assert.equal(fx.sim.stats.count('kling.video.get') - gets, 2, 'one retry of the lookup after the rate limit');
  });
});

describe('kling crash recovery by external_task_id', () => {
  it('finds the task a first submit made instead of sending a second create, which Kling would refuse', async () => {
    const backend = kling();
    const request = generationRequest({ seconds: 3 });
    const first = await backend.submit(request);
    const creates = fx.sim.stats.count('kling.video.create');
    const jobs = fx.sim.stats.jobsCreated;
    // The process died before it stored the task id; on restart it submits the same job again.
    const again = await kling().submit(request);
    assert.equal(again.providerJobId, first.providerJobId);
    assert.equal(fx.sim.stats.count('kling.video.create'), creates, 'no second create');
    assert.equal(fx.sim.stats.jobsCreated, jobs);
  });

  it('the simulator refuses a repeated external_task_id as Kling does (a repeat is an error, not a dedupe)', async () => {
    const backend = kling();
    const request = generationRequest({ seconds: 3 });
    await backend.submit(request);
    const answer = await fetch(`${fx.sim.klingApiUrl}/v1/videos/omni-video`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DIRECT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model_name: 'kling-v3-omni', prompt: 'again', duration: '3', mode: 'std', aspect_ratio: '16:9', external_task_id: request.idempotencyKey }),
    });
    assert.equal(answer.status, 400);
    const body = (await answer.json()) as { code: number; message: string; request_id: string };
    assert.equal(body.code, 1201);
    assert.match(body.message, /external_task_id/);
    assert.equal(typeof body.request_id, 'string');
  });
});

describe('kling 3.0 omni format and direct keys', () => {
  it('sends a direct api-key-kling key as the Bearer token, with no JWT', async () => {
    const backend = kling({ apiKey: DIRECT, accessKey: undefined, secretKey: undefined });
    await backend.submit(generationRequest({ seconds: 3 }));
    assert.equal(fx.sim.lastRequest('kling.video.create')!.headers.authorization, `Bearer ${DIRECT}`);
    const wrong = kling({ apiKey: 'api-key-kling-not-this-one', accessKey: undefined, secretKey: undefined });
    assert.equal((await providerRejection(wrong.submit(generationRequest()))).kind, 'auth');
  });

  it('creates with contents[] (prompt + element contents named element_n), settings and options, and reads results from /tasks', async () => {
    const backend = kling({ apiFormat: 'kling-3.0', apiKey: DIRECT });
    const a = await element(backend, 'alma');
    const b = await element(backend, 'bert');
    const prompt = renderFor(backend, '@alma hands @bert a map', [a, b]);
    const request = generationRequest({ prompt, characters: [a, b], seconds: 4, resolution: '1080p', audio: 'on', orientation: 'portrait' });
    const { providerJobId } = await backend.submit(request);
    const body = fx.sim.lastRequest('kling.omni30.create')!.json as Record<string, unknown>;
    assert.deepEqual(body, {
      contents: [
        { type: 'prompt', text: '<<<element_1>>> hands <<<element_2>>> a map' },
        { type: 'element', element_id: (a.binding as { id: string }).id, id: 'element_1' },
        { type: 'element', element_id: (b.binding as { id: string }).id, id: 'element_2' },
      ],
      settings: { resolution: '1080p', duration: 4, audio: 'native', aspect_ratio: '9:16' },
      options: { external_task_id: request.idempotencyKey },
    });
    assert.equal(fx.sim.lastRequest('kling.tasks')!.query.external_task_ids, request.idempotencyKey, 'looked up before creating');
    await fx.clock.advance(60_000);
    const done = await backend.status(providerJobId);
    assert.equal(done.state, 'completed');
    assert.equal(fx.sim.lastRequest('kling.tasks')!.query.task_ids, providerJobId);
    const again = await kling({ apiFormat: 'kling-3.0', apiKey: DIRECT }).submit(request);
    assert.equal(again.providerJobId, providerJobId, 'a resubmission finds the task');
    const result = await backend.openResult(providerJobId);
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).subarray(4, 8).toString('latin1'), 'ftyp');
  });
});
