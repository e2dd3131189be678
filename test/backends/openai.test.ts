import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { createOpenAiBackend, type OpenAiBackendOptions } from '../../src/backends/openai.js';
import { ManualClock } from '../../src/core/clock.js';
import type { BoundCharacter, GenerationRequest, ResultStream } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { driveUntil, driveWhile, RecordingClock } from '../helpers/drive.js';
import { generationRequest } from '../helpers/provider-fixtures.js';
import { providerRejection } from '../helpers/simulator-fixture.js';

const KEY = 'sk-openai-test-key-0001';

const request = (overrides: Partial<GenerationRequest> = {}): GenerationRequest =>
  generationRequest({ seconds: 4, prompt: 'a red fox runs through snow', ...overrides });

async function saveAndCheckMp4(result: ResultStream, path: string): Promise<number> {
  await pipeline(result.body, createWriteStream(path));
  const handle = await open(path, 'r');
  const head = Buffer.alloc(12);
  await handle.read(head, 0, 12, 0);
  await handle.close();
  // An ISO-BMFF file starts with a box whose type is `ftyp`.
  assert.equal(head.subarray(4, 8).toString('latin1'), 'ftyp');
  const { size } = await stat(path);
  if (result.contentLength !== undefined) assert.equal(size, result.contentLength);
  return size;
}

describe('openai backend against the simulator', { timeout: 60_000 }, () => {
  let sim: Simulator;
  let clock: ManualClock;
  let dir: string;
  const backends: Array<{ close(): Promise<void> }> = [];

  const make = (overrides: Partial<OpenAiBackendOptions> = {}) => {
    const b = createOpenAiBackend({
      baseUrl: sim.openaiBaseUrl,
      apiKey: KEY,
      model: 'sora-2',
      clock,
      logger: silentLogger,
      random: () => 0,
      retry: { maxAttempts: 3 },
      timeouts: { headersMs: 300 },
      ...overrides,
    });
    backends.push(b);
    return b;
  };

  const untilState = async (b: ReturnType<typeof make>, id: string, state: string) =>
    driveUntil(clock, async () => (await b.status(id)).state === state, { stepMs: 500, maxSteps: 200 });

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, apiKey: KEY, concurrency: 8 });
    dir = await mkdtemp(join(tmpdir(), 'openai-test-'));
  });
  afterEach(() => sim.faults.clear());
  after(async () => {
    for (const b of backends) await b.close();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('declares its capabilities as data', () => {
    const caps = make().capabilities;
    assert.deepEqual(caps.seconds, [4, 8, 12]);
    assert.equal(caps.cancel, false);
    // 720p only (sora-2-pro's 1792x1024 is no resolution `--resolution` offers), always with sound.
    assert.deepEqual(caps.sizes.landscape, { '720p': '1280x720' });
    assert.deepEqual(caps.sizes.portrait, { '720p': '720x1280' });
    assert.deepEqual(caps.price, { kind: 'per-second', microsPerSecond: { '720p': { on: 100_000 } } });
    assert.deepEqual(caps.characters, { binding: 'provider-character', max: 2, mention: { kind: 'name' } });
    assert.equal(caps.completion, 'poll');
    assert.equal(caps.chargesForModeratedJobs, false);
    assert.match(caps.statusNote, /2026-09-24/);
    const overridden = make({ priceOverrides: { '720p': { any: 300_000 } } }).capabilities.price;
    assert.deepEqual(overridden, { kind: 'per-second', microsPerSecond: { '720p': { on: 300_000 } } });
  });

  it('submits JSON with the documented fields, bearer auth and an idempotency key, then walks the states', async () => {
    const b = make();
    const req = request({ seconds: 8 });
    const { providerJobId } = await b.submit(req);
    assert.match(providerJobId, /^video_/);
    const last = sim.lastRequest('openai.create')!;
    assert.equal(last.headers.authorization, `Bearer ${KEY}`);
    assert.equal(last.headers['idempotency-key'], req.idempotencyKey);
    assert.match(last.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(last.json, { prompt: req.prompt, model: 'sora-2', seconds: '8', size: '1280x720' });

    const first = await b.status(providerJobId);
    assert.equal(first.state, 'running');
    assert.equal(first.progress, 0);
    await clock.advance(4000);
    const half = await b.status(providerJobId);
    assert.equal(half.state, 'running');
    assert.equal(half.progress, 50);
    await clock.advance(4000);
    const done = await b.status(providerJobId);
    assert.equal(done.state, 'completed');
    assert.equal(done.progress, 100);
    assert.equal(done.seconds, 8);
    assert.equal(done.error, undefined);
  });

  it('reports queued while the provider is busy', async () => {
    const busyClock = new ManualClock();
    const small = await startSimulator({ clock: busyClock, concurrency: 1 });
    try {
      const b = createOpenAiBackend({ baseUrl: small.openaiBaseUrl, apiKey: 'any', model: 'sora-2', clock: busyClock, logger: silentLogger });
      backends.push(b);
      const a = await b.submit(request());
      const c = await b.submit(request());
      assert.equal((await b.status(a.providerJobId)).state, 'running');
      assert.equal((await b.status(c.providerJobId)).state, 'queued');
      await busyClock.advance(4000);
      assert.equal((await b.status(a.providerJobId)).state, 'completed');
      assert.equal((await b.status(c.providerJobId)).state, 'running');
    } finally {
      await small.stop();
    }
  });

  it('asks for the configured model at the 720p size, whatever the gateway serves', async () => {
    const gateway = make({ model: 'gemini-omni' });
    await gateway.submit(request({ size: '720x1280', orientation: 'portrait', audio: 'on' }));
    const body = sim.lastRequest('openai.create')!.json as Record<string, unknown>;
    assert.equal(body.model, 'gemini-omni');
    assert.equal(body.size, '720x1280');
  });

  it('sends the Azure api-key header instead of a bearer token', async () => {
    const b = make({ authStyle: 'azure-api-key' });
    await b.submit(request());
    const last = sim.lastRequest('openai.create')!;
    assert.equal(last.headers['api-key'], KEY);
    assert.equal(last.headers.authorization, undefined);
  });

  it('sends an input image as multipart input_reference streamed from disk', async () => {
    const image = join(dir, 'first-frame.png');
    await writeFile(image, Buffer.alloc(2048, 1));
    const b = make();
    const { providerJobId } = await b.submit(request({ imagePath: image }));
    const last = sim.lastRequest('openai.create')!;
    assert.match(last.headers['content-type'] ?? '', /^multipart\/form-data/);
    assert.deepEqual(last.fields.seconds, ['4']);
    assert.deepEqual(last.fields.model, ['sora-2']);
    assert.deepEqual(last.files, [{ field: 'input_reference', fileName: 'first-frame.png', type: 'image/png', size: 2048, sha256: createHash('sha256').update(Buffer.alloc(2048, 1)).digest('hex') }]);
    assert.equal(sim.jobs.get(providerJobId)!.hasInputReference, true);
  });

  describe('characters', () => {
    let mascot: BoundCharacter;
    let robot: BoundCharacter;

    before(async () => {
      const b = make();
      const source = { description: '', clipUrl: undefined, providerJobId: undefined, frames: [] };
      const before = sim.stats.charactersCreated;
      const m = await b.createCharacter({ ...source, name: 'Mascot', clipPath: SAMPLE_CLIP_PATH });
      const last = sim.lastRequest('openai.character.create')!;
      assert.deepEqual(last.fields.name, ['Mascot']);
      assert.equal(last.files[0]!.field, 'video');
      assert.equal(last.files[0]!.type, 'video/mp4');
      assert.equal(last.files[0]!.size, (await stat(SAMPLE_CLIP_PATH)).size);
      assert.equal(m.kind, 'provider-character');
      assert.match((m as { id: string }).id, /^char_/);
      const r = await b.createCharacter({ ...source, name: 'Robot', clipPath: SAMPLE_CLIP_PATH });
      assert.equal(sim.stats.charactersCreated - before, 2);
      mascot = { name: 'Mascot', description: '', binding: m };
      robot = { name: 'Robot', description: '', binding: r };
    });

    it('creates a character from a clip (multipart video + name)', async () => {
      assert.equal(mascot.binding.kind, 'provider-character');
      assert.equal(sim.lastRequest('openai.character.create')!.headers.authorization, `Bearer ${KEY}`);
    });

    it('sends one bound character as characters:[{id}] with its name in the prompt', async () => {
      const b = make();
      const { providerJobId } = await b.submit(request({ prompt: 'Mascot waves at the camera', characters: [mascot] }));
      const body = sim.lastRequest('openai.create')!.json as Record<string, unknown>;
      assert.deepEqual(body.characters, [{ id: (mascot.binding as { id: string }).id }]);
      assert.deepEqual(sim.jobs.get(providerJobId)!.characters, [(mascot.binding as { id: string }).id]);
    });

    it('sends two bound characters in prompt order', async () => {
      const b = make();
      await b.submit(request({ prompt: 'Robot chases Mascot on a beach', characters: [robot, mascot] }));
      const body = sim.lastRequest('openai.create')!.json as Record<string, unknown>;
      assert.deepEqual(body.characters, [{ id: (robot.binding as { id: string }).id }, { id: (mascot.binding as { id: string }).id }]);
    });

    it('sends characters in multipart form too when an image is attached', async () => {
      const image = join(dir, 'frame.jpg');
      await writeFile(image, Buffer.alloc(100, 2));
      const b = make();
      const { providerJobId } = await b.submit(request({ prompt: 'Mascot and Robot', characters: [mascot, robot], imagePath: image }));
      assert.deepEqual(sim.jobs.get(providerJobId)!.characters, [(mascot.binding as { id: string }).id, (robot.binding as { id: string }).id]);
    });

    it('surfaces the provider rejecting a prompt that does not name its character as invalid_input', async () => {
      const b = make();
      const error = await providerRejection(b.submit(request({ prompt: 'a dog on a beach', characters: [mascot] })));
      assert.equal(error.kind, 'invalid_input');
      assert.equal(error.field, 'prompt');
      assert.equal(error.status, 400);
      assert.equal(error.providerCode, 'invalid_request');
    });

    it('refuses a third character before calling the provider', async () => {
      const b = make();
      const before = sim.stats.count('openai.create');
      const error = await providerRejection(b.submit(request({ prompt: 'Mascot Robot Mascot', characters: [mascot, robot, mascot] })));
      // The router never sends three: if it did, that is the bot's mistake, not the user's.
      assert.equal(error.kind, 'rejected_request');
      assert.equal(sim.stats.count('openai.create'), before);
    });
  });

  it('returns the same provider job when a submit is repeated with the same idempotency key', async () => {
    const b = make();
    const req = request();
    const before = sim.stats.jobsCreated;
    const first = await b.submit(req);
    const second = await b.submit(req);
    assert.equal(second.providerJobId, first.providerJobId);
    assert.equal(sim.stats.jobsCreated - before, 1);
    const third = await b.submit({ ...req, idempotencyKey: `${req.idempotencyKey}-other` });
    assert.notEqual(third.providerJobId, first.providerJobId);
  });

  it('recovers from a reset on submit by retrying with the same key, creating one job', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'openai', route: 'openai.create', fault: 'reset', times: 1 });
    const before = sim.stats.jobsCreated;
    const creates = sim.stats.count('openai.create');
    const { providerJobId } = await driveWhile(clock, b.submit(request()));
    assert.ok(sim.jobs.get(providerJobId));
    assert.equal(sim.stats.count('openai.create') - creates, 2);
    assert.equal(sim.stats.jobsCreated - before, 1);
  });

  it('maps a wrong key to auth without retrying', async () => {
    const b = make({ apiKey: 'sk-wrong-key-000000' });
    const before = sim.stats.count('openai.create');
    const error = await providerRejection(b.submit(request()));
    assert.equal(error.kind, 'auth');
    assert.equal(error.status, 401);
    assert.match(error.requestId ?? '', /^req_/);
    assert.ok(!error.message.includes('sk-wrong-key-000000'));
    assert.equal(sim.stats.count('openai.create') - before, 1);
  });

  it('maps an injected 401 (expired upstream account) to auth', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'openai', fault: '401', times: 1 });
    assert.equal((await providerRejection(b.status('video_whatever'))).kind, 'auth');
  });

  it('honours retry-after on a 429 by waiting that long on the clock', async () => {
    const manual = new ManualClock(clock.now());
    const recording = new RecordingClock(manual);
    const b = make({ clock: recording });
    const { providerJobId } = await b.submit(request());
    sim.faults.inject({ protocol: 'openai', route: 'openai.get', fault: '429', retryAfterSeconds: 2, times: 1 });
    const gets = sim.stats.count('openai.get');
    const status = await driveWhile(manual, b.status(providerJobId));
    assert.ok(['queued', 'running'].includes(status.state));
    assert.deepEqual(recording.sleeps, [2000]);
    assert.equal(sim.stats.count('openai.get') - gets, 2);
  });

  it('prefers retry-after-ms, as OpenAI sends it', async () => {
    const manual = new ManualClock(clock.now());
    const recording = new RecordingClock(manual);
    const b = make({ clock: recording });
    sim.faults.inject({ protocol: 'openai', route: 'openai.create', fault: '429', retryAfterSeconds: 9, retryAfterMs: 1250, times: 1 });
    await driveWhile(manual, b.submit(request()));
    assert.deepEqual(recording.sleeps, [1250]);
  });

  it('returns rate_limit with the hint when 429s outlast the attempts', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'openai', route: 'openai.get', fault: '429', retryAfterSeconds: 1 });
    const error = await providerRejection(driveWhile(clock, b.status('video_x')));
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.retryAfterMs, 1000);
  });

  it('gives up on a 500 storm as transient after the bounded attempts', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'openai', fault: '500' });
    const gets = sim.stats.count('openai.get');
    const error = await providerRejection(driveWhile(clock, b.status('video_x')));
    assert.equal(error.kind, 'transient');
    assert.equal(error.status, 500);
    assert.equal(sim.stats.count('openai.get') - gets, 3);
  });

  it('maps a connection reset to transient', async () => {
    const b = make({ retry: { maxAttempts: 1 } });
    sim.faults.inject({ protocol: 'openai', route: 'openai.get', fault: 'reset' });
    assert.equal((await providerRejection(b.status('video_x'))).kind, 'transient');
  });

  it('maps a held (slow) response to transient once the headers timeout passes', async () => {
    const b = make({ retry: { maxAttempts: 1 }, timeouts: { headersMs: 150 } });
    sim.faults.inject({ protocol: 'openai', route: 'openai.get', fault: 'slow' });
    const error = await providerRejection(b.status('video_x'));
    assert.equal(error.kind, 'transient');
    assert.match(error.message, /TIMEOUT/);
  });

  it('reports a moderated job as failed with kind moderation', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'openai', fault: 'moderation', times: 1 });
    const { providerJobId } = await b.submit(request());
    await untilState(b, providerJobId, 'failed');
    const status = await b.status(providerJobId);
    assert.equal(status.error?.kind, 'moderation');
    assert.equal(status.error?.providerCode, 'moderation_blocked');
  });

  it('stays running at 99% when the provider stalls', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'openai', fault: 'stall', times: 1 });
    const { providerJobId } = await b.submit(request());
    await clock.advance(60 * 60 * 1000, 60_000);
    const status = await b.status(providerJobId);
    assert.equal(status.state, 'running');
    assert.equal(status.progress, 99);
  });

  it('streams the finished video (a real MP4) through the content redirect', async () => {
    const b = make();
    const { providerJobId } = await b.submit(request());
    await untilState(b, providerJobId, 'completed');
    const cdn = sim.stats.count('openai.cdn');
    const result = await b.openResult(providerJobId);
    assert.equal(result.contentType, 'video/mp4');
    const bytes = await saveAndCheckMp4(result, join(dir, `${providerJobId}.mp4`));
    assert.ok(bytes > 1000);
    assert.equal(sim.lastRequest('openai.content')!.query.variant, 'video');
    assert.equal(sim.stats.count('openai.cdn') - cdn, 1);
  });

  it('maps an expired content URL to kind expired, and content past its hour likewise', async () => {
    const b = make();
    const { providerJobId } = await b.submit(request());
    await untilState(b, providerJobId, 'completed');
    sim.faults.inject({ protocol: 'openai', fault: 'expired', expiredStatus: 410, times: 1 });
    const error = await providerRejection(b.openResult(providerJobId));
    assert.equal(error.kind, 'expired');
    assert.equal(error.status, 410);
    // The fault was used up: the next attempt works.
    await saveAndCheckMp4(await b.openResult(providerJobId), join(dir, 'again.mp4'));
    await clock.advance(3601 * 1000, 600_000);
    assert.equal((await providerRejection(b.openResult(providerJobId))).kind, 'expired');
  });

  it('refuses an oversized result as too_large', async () => {
    const b = make({ maxResultBytes: 1_000_000 });
    const { providerJobId } = await b.submit(request());
    await untilState(b, providerJobId, 'completed');
    sim.faults.inject({ protocol: 'openai', fault: 'oversized', oversizedBytes: 50_000_000, times: 1 });
    assert.equal((await providerRejection(b.openResult(providerJobId))).kind, 'too_large');
  });

  it('remixes a finished video through /videos/{id}/remix', async () => {
    const b = make();
    const { providerJobId } = await b.submit(request());
    await untilState(b, providerJobId, 'completed');
    const remix = await b.submit(request({ prompt: 'same, but at night', remixOfProviderJobId: providerJobId }));
    assert.notEqual(remix.providerJobId, providerJobId);
    const last = sim.lastRequest('openai.remix')!;
    assert.equal(last.path, `/v1/videos/${providerJobId}/remix`);
    assert.deepEqual(last.json, { prompt: 'same, but at night' });
    assert.equal(sim.jobs.get(remix.providerJobId)!.remixedFrom, providerJobId);
  });

  it('offers no cancel: the API cannot stop a running video, and DELETE refuses one', async () => {
    const b = make();
    assert.equal('cancel' in b, false);
    const { providerJobId } = await b.submit(request());
    // What the provider answers a DELETE of a running video (openai-node: "delete a completed or failed video").
    const { request: send } = await import('undici');
    const res = await send(`${sim.openaiBaseUrl}/videos/${providerJobId}`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.statusCode, 400);
    assert.equal(((await res.body.json()) as { error: { param: string } }).error.param, 'video_id');
    assert.equal((await b.status(providerJobId)).state, 'running');
  });

  it('treats a malformed provider response as transient', async () => {
    // A gateway answering 200 with something that is not a video object.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'video_1', object: 'video' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const b = make({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
      const error = await providerRejection(b.status('video_1'));
      assert.equal(error.kind, 'transient');
      assert.match(error.message, /malformed/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
