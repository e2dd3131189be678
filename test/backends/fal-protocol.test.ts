/**
 * The fal mismatches of issue 10, each pinned by a test that failed before its fix:
 * Wan 2.7's integer duration and positional references, the result-lifetime header, fal's
 * request-level errors (`error_type`, `X-Fal-Error-Type`, `X-Fal-Retryable`) on a COMPLETED
 * request, and whose fault a 422 is (`rejected_request` vs `invalid_input` with `field`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFalBackend, type FalBackend } from '../../src/backends/fal.js';
import { DEFAULT_FAL_MODELS, type FalModel } from '../../src/backends/fal-models.js';
import { ManualClock } from '../../src/core/clock.js';
import { ProviderError } from '../../src/core/errors.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { driveWhile } from '../helpers/drive.js';
import { generationRequest, imageBound, renderFor } from '../helpers/provider-fixtures.js';
import { LogCapture } from '../helpers/test-bot.js';

const KEY = 'fal-protocol-key';
const model = (key: string, patch: Partial<FalModel> = {}): FalModel => ({ ...DEFAULT_FAL_MODELS.find((m) => m.key === key)!, ...patch });

let clock: ManualClock;
let sim: Simulator;
const backends: FalBackend[] = [];

function fal(m: FalModel, logger = silentLogger): FalBackend {
  const b = createFalBackend({ model: m, queueUrl: sim.falQueueUrl, apiKey: KEY, clock, logger, random: () => 0.5, retry: { maxAttempts: 3, baseDelayMs: 10 } });
  backends.push(b);
  return b;
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
  return error;
}

/** Submits and drives the simulator clock until fal reports COMPLETED (the status call then reads the result). */
async function completed(backend: FalBackend): Promise<string> {
  const { providerJobId } = await backend.submit(generationRequest({ seconds: 2 }));
  await driveWhile(clock, (async () => {
    while (sim.jobs.get(providerJobId)?.status !== 'completed') await clock.sleep(500);
  })(), { stepMs: 500 });
  return providerJobId;
}

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, concurrency: 4, fal: { apiKey: KEY }, render: { ffmpegPath: false } });
});
after(async () => {
  sim.fal.failResults(undefined);
  await Promise.all(backends.map((b) => b.close()));
  await sim.stop();
});

describe('fal protocol fixes', () => {
  it('sends Wan 2.7 an integer duration and names up to 5 characters by position, "Image 1" … "Image 5"', async () => {
    const backend = fal(model('wan27'));
    assert.equal(backend.capabilities.characters.max, 5);
    const cast = await Promise.all(['ann', 'ben', 'cat', 'dan', 'eve'].map((n) => imageBound(n)));
    const prompt = renderFor(backend, '@ann, @ben, @cat, @dan and @eve pose', cast);
    assert.equal(prompt, 'Image 1, Image 2, Image 3, Image 4 and Image 5 pose');
    await backend.submit(generationRequest({ prompt, characters: cast, seconds: 8 }));
    const body = sim.lastRequest('fal.submit')!.json as { duration: unknown; reference_image_urls: string[] };
    assert.equal(body.duration, 8);
    assert.equal(body.reference_image_urls.length, 5);
  });

  it('asks fal to keep result files only for the result lifetime the backend declares', async () => {
    const backend = fal(model('kling-o3'));
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 5 }));
    assert.deepEqual(sim.fal.lifecycleOf(providerJobId), { expiration_duration_seconds: backend.capabilities.resultUrlTtlSeconds });
    assert.equal(sim.lastRequest('fal.submit')!.headers['x-fal-object-lifecycle-preference'], JSON.stringify({ expiration_duration_seconds: 86_400 }));
  });

  it('ends a COMPLETED request whose result call answers a request-level error, without retrying what fal calls not retryable', async () => {
    const backend = fal(model('wan27'));
    const id = await completed(backend);
    sim.fal.failResults({ status: 504, errorType: 'request_timeout', detail: 'Request timed out', retryable: false });
    const before = sim.stats.count('fal.result');
    const status = await backend.status(id);
    assert.equal(status.state, 'failed');
    assert.equal(status.error?.providerCode, 'request_timeout');
    assert.equal(status.error?.status, 504);
    assert.equal(sim.stats.count('fal.result') - before, 1, 'X-Fal-Retryable: false is asked once');
    sim.fal.failResults(undefined);
  });

  it('keeps polling a COMPLETED request whose result error fal marks retryable (X-Fal-Retryable: true), keeping fal’s error_type', async () => {
    const backend = fal(model('wan27'));
    const id = await completed(backend);
    sim.fal.failResults({ status: 503, errorType: 'runner_disconnected', retryable: true });
    const error = await rejection(driveWhile(clock, backend.status(id), { stepMs: 50 }));
    assert.equal(error.providerCode, 'runner_disconnected');
    assert.equal(error.kind, 'transient');
    sim.fal.failResults(undefined);
    assert.equal((await backend.status(id)).state, 'completed');
  });

  it('calls a 422 on the bot-built request rejected_request and logs it at error level; names the field only when the user chose it', async () => {
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', secrets: [KEY], destination: logs });
    // The old Wan 2.7 bug: a string duration is a 422 at loc ["body","duration"].
    const stringDuration = fal(model('wan27', { durationFormat: 'string' }), logger);
    const botsFault = await rejection(stringDuration.submit(generationRequest({ seconds: 8 })));
    assert.equal(botsFault.kind, 'rejected_request');
    assert.equal(botsFault.status, 422);
    const line = logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string; detail?: { loc: unknown[] }[] }).find((l) => l.msg === 'fal rejected a request the bot built');
    assert.ok(line, 'logged');
    assert.equal(line.level, 50, 'at error level');
    assert.deepEqual(line.detail?.[0]?.loc, ['body', 'duration']);

    const usersChoice = await rejection(stringDuration.submit(generationRequest({ seconds: 8, userChose: ['seconds'] })));
    assert.equal(usersChoice.kind, 'invalid_input');
    assert.equal(usersChoice.field, 'seconds');

    // A field the user never touches (a misnamed reference list) is always the bot's.
    const misnamed = fal(model('wan27', { references: { style: 'frontal-images', field: 'image_urls', maxImages: 5 } }), logger);
    const ann = await imageBound('ann');
    const wrongField = await rejection(misnamed.submit(generationRequest({ prompt: 'Image 1 waves', characters: [ann], seconds: 4, userChose: ['seconds'] })));
    assert.equal(wrongField.kind, 'rejected_request');
    assert.equal(wrongField.providerCode, 'extra_forbidden');
  });

  it('answers fal’s own error shapes: 422 detail list with loc, and request-level {detail, error_type} with its headers', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${sim.falQueueUrl}/${path}`, { method: 'POST', headers: { authorization: `Key ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const invalid = await post('fal-ai/wan/v2.7/reference-to-video', { prompt: 'x', duration: '5' });
    assert.equal(invalid.status, 422);
    const detail = ((await invalid.json()) as { detail: { loc: unknown[]; msg: string; type: string }[] }).detail;
    assert.deepEqual(detail[0]!.loc, ['body', 'duration']);
    assert.equal(detail[0]!.type, 'literal_error');
    const veoWithout = await post('fal-ai/veo3.1/reference-to-video', { prompt: 'x' });
    assert.equal(veoWithout.status, 422, 'image_urls is required on Veo reference-to-video');
    const badLifecycle = await fetch(`${sim.falQueueUrl}/fal-ai/wan/v2.7/reference-to-video`, {
      method: 'POST',
      headers: { authorization: `Key ${KEY}`, 'content-type': 'application/json', 'x-fal-object-lifecycle-preference': 'one day' },
      body: JSON.stringify({ prompt: 'x' }),
    });
    assert.equal(badLifecycle.status, 400);
    assert.equal(badLifecycle.headers.get('x-fal-error-type'), 'bad_request');
    assert.equal(badLifecycle.headers.get('x-fal-retryable'), 'false');
    assert.deepEqual(await badLifecycle.json(), { detail: 'Invalid X-Fal-Object-Lifecycle-Preference header', error_type: 'bad_request' });
  });
});
