import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { classifyApiyiFailure, createApiyiBackend, type ApiyiBackendOptions } from '../../src/backends/apiyi.js';
import { ManualClock } from '../../src/core/clock.js';
import type { BoundCharacter, CharacterSourceForBackend, GenerationRequest } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { driveUntil, driveWhile, RecordingClock } from '../helpers/drive.js';
import { generationRequest } from '../helpers/provider-fixtures.js';
import { providerRejection } from '../helpers/simulator-fixture.js';

const KEY = 'apiyi-test-key-000111';

const request = (overrides: Partial<GenerationRequest> = {}): GenerationRequest =>
  generationRequest({ seconds: 10, prompt: 'a paper boat drifts down a gutter', ...overrides });

function source(overrides: Partial<CharacterSourceForBackend>): CharacterSourceForBackend {
  return { name: 'Mascot', description: 'a round orange mascot', clipPath: undefined, clipUrl: undefined, providerJobId: undefined, frames: [], ...overrides };
}

describe('apiyi failure text classification', { timeout: 60_000 }, () => {
  it('reads moderation, cameo permission and everything else from free text', () => {
    assert.equal(classifyApiyiFailure('Generation failed: content violation detected').kind, 'moderation');
    assert.equal(classifyApiyiFailure('This request violates our usage policy').kind, 'moderation');
    assert.deepEqual(classifyApiyiFailure('cameo_permission_denied'), { kind: 'invalid_input', code: 'cameo_permission_denied' });
    assert.equal(classifyApiyiFailure('upstream heavy load, try later').kind, 'transient');
  });
});

describe('apiyi backend against the simulator', { timeout: 60_000 }, () => {
  let sim: Simulator;
  let clock: ManualClock;
  let dir: string;
  const backends: Array<{ close(): Promise<void> }> = [];

  const make = (overrides: Partial<ApiyiBackendOptions> = {}) => {
    const b = createApiyiBackend({
      baseUrl: sim.apiyiBaseUrl,
      apiKey: KEY,
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
    driveUntil(clock, async () => (await b.status(id)).state === state, { stepMs: 1000, maxSteps: 200 });

  /** A finished task to build on. */
  const finishedTask = async (b: ReturnType<typeof make>): Promise<string> => {
    const { providerJobId } = await b.submit(request());
    await untilState(b, providerJobId, 'completed');
    return providerJobId;
  };

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, apiKey: KEY, concurrency: 8 });
    dir = await mkdtemp(join(tmpdir(), 'apiyi-test-'));
  });
  afterEach(() => sim.faults.clear());
  after(async () => {
    for (const b of backends) await b.close();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('declares its capabilities as data, durations configurable', () => {
    const caps = make().capabilities;
    assert.deepEqual(caps.seconds, [10, 15]);
    assert.deepEqual(caps.sizes, { landscape: { '720p': '1280x720' }, portrait: { '720p': '720x1280' } });
    // Sora videos come with sound: one price, with sound, per video.
    assert.deepEqual(caps.price, { kind: 'per-video', micros: { '720p': { on: 120_000 } } });
    assert.deepEqual(caps.characters.mention, { kind: 'binding-id', template: '@{id}' });
    assert.equal(caps.chargesForModeratedJobs, true);
    assert.equal(caps.remix, false);
    assert.equal(caps.stabilityRank, 5);
    assert.deepEqual(make({ seconds: [15, 5, 10] }).capabilities.seconds, [5, 10, 15]);
  });

  it('submits prompt and duration with bearer auth, then reports progress to completion', async () => {
    const b = make();
    const req = request({ seconds: 15 });
    const { providerJobId } = await b.submit(req);
    assert.match(providerJobId, /^task_/);
    const last = sim.lastRequest('apiyi.generate')!;
    assert.equal(last.headers.authorization, `Bearer ${KEY}`);
    assert.equal(last.headers['idempotency-key'], req.idempotencyKey);
    assert.deepEqual(last.json, { prompt: req.prompt, duration: 15, size: '1280x720', orientation: 'landscape' });

    await clock.advance(6000);
    const running = await b.status(providerJobId);
    assert.equal(running.state, 'running');
    assert.equal(running.progress, 40);
    await clock.advance(9000);
    const done = await b.status(providerJobId);
    assert.equal(done.state, 'completed');
  });

  it('uses a configured auth header, scheme and paths', async () => {
    const customClock = new ManualClock();
    const custom = await startSimulator({ clock: customClock, apiyiAuthHeader: 'x-api-key', apiyiAuthScheme: '', apiyiDurations: [5] });
    try {
      const b = createApiyiBackend({
        baseUrl: custom.url,
        apiKey: 'raw-key-123456',
        authHeader: 'X-Api-Key',
        authScheme: '',
        seconds: [5],
        paths: { generate: '/apiyi/sora/generate', task: '/apiyi/sora/tasks/{task_id}' },
        clock: customClock,
        logger: silentLogger,
      });
      backends.push(b);
      const { providerJobId } = await b.submit(request({ seconds: 5 }));
      assert.equal(custom.lastRequest('apiyi.generate')!.headers['x-api-key'], 'raw-key-123456');
      assert.equal(custom.lastRequest('apiyi.generate')!.headers.authorization, undefined);
      assert.equal((await b.status(providerJobId)).state, 'running');
      assert.equal(custom.lastRequest('apiyi.task')!.path, `/apiyi/sora/tasks/${providerJobId}`);
      // The simulator checks the header too: a bearer-style client is refused.
      const wrong = createApiyiBackend({ baseUrl: custom.apiyiBaseUrl, apiKey: 'raw-key-123456', clock: customClock, logger: silentLogger });
      backends.push(wrong);
      assert.equal((await providerRejection(wrong.status(providerJobId))).kind, 'auth');
    } finally {
      await custom.stop();
    }
  });

  describe('characters', () => {
    let mascot: BoundCharacter;
    let robot: BoundCharacter;

    before(async () => {
      const b = make();
      const m = await b.createCharacter(source({ clipUrl: 'https://example.com/mascot.mp4' }));
      assert.deepEqual(sim.lastRequest('apiyi.character.create')!.json, {
        video_url: 'https://example.com/mascot.mp4',
        name: 'Mascot',
        description: 'a round orange mascot',
      });
      const task = await finishedTask(b);
      const r = await b.createCharacter(source({ name: 'Robot', providerJobId: task }));
      assert.deepEqual(sim.lastRequest('apiyi.character.extract')!.json, { task_id: task, name: 'Robot' });
      mascot = { name: 'Mascot', description: '', binding: m };
      robot = { name: 'Robot', description: '', binding: r };
    });

    it('creates characters from a URL and from an earlier task', async () => {
      assert.equal(mascot.binding.kind, 'provider-character');
      assert.match((mascot.binding as { id: string }).id, /^char_/);
      assert.match((robot.binding as { id: string }).id, /^char_/);
      const listed = await fetch(`${sim.apiyiBaseUrl}/sora/characters`, { headers: { authorization: `Bearer ${KEY}` } }).then(
        (r) => r.json() as Promise<{ characters: Array<{ character_id: string }> }>,
      );
      const ids = listed.characters.map((c) => c.character_id);
      assert.ok(ids.includes((mascot.binding as { id: string }).id));
      assert.ok(ids.includes((robot.binding as { id: string }).id));
    });

    it('refuses a character source the provider cannot reach', async () => {
      const error = await providerRejection(make().createCharacter(source({ clipPath: '/tmp/local-only.mp4' })));
      assert.equal(error.kind, 'rejected_request');
    });

    it('sends one and two characters as @char_id tags in the prompt', async () => {
      const b = make();
      const one = `@${(mascot.binding as { id: string }).id} waves`;
      const first = await b.submit(request({ prompt: one, characters: [mascot] }));
      assert.equal((sim.lastRequest('apiyi.generate')!.json as { prompt: string }).prompt, one);
      assert.deepEqual(sim.jobs.get(first.providerJobId)!.characters, [(mascot.binding as { id: string }).id]);
      const two = `@${(robot.binding as { id: string }).id} chases @${(mascot.binding as { id: string }).id}`;
      const second = await b.submit(request({ prompt: two, characters: [robot, mascot] }));
      assert.deepEqual(sim.jobs.get(second.providerJobId)!.characters, [(robot.binding as { id: string }).id, (mascot.binding as { id: string }).id]);
    });

    it('surfaces an unknown character id as binding_missing, so the core recreates it', async () => {
      const error = await providerRejection(make().submit(request({ prompt: '@char_doesnotexist dances' })));
      assert.equal(error.kind, 'binding_missing');
      assert.equal(error.providerCode, 'character_not_found');
    });
  });

  it('returns the same task for a repeated idempotency key', async () => {
    const b = make();
    const req = request();
    const before = sim.stats.jobsCreated;
    const a = await b.submit(req);
    const c = await b.submit(req);
    assert.equal(c.providerJobId, a.providerJobId);
    assert.equal(sim.stats.jobsCreated - before, 1);
  });

  it('maps a duration the service refuses to rejected_request: the configured durations are wrong, not the user', async () => {
    const error = await providerRejection(make().submit(request({ seconds: 12 })));
    assert.equal(error.kind, 'rejected_request');
    assert.equal(error.providerCode, 'invalid_duration');
  });

  it('maps an expired upstream account (401) to auth', async () => {
    sim.faults.inject({ protocol: 'apiyi', fault: '401', times: 1 });
    assert.equal((await providerRejection(make().submit(request()))).kind, 'auth');
  });

  it('waits out a 429 retry-after sent as an HTTP date', async () => {
    const manual = new ManualClock(clock.now());
    const recording = new RecordingClock(manual);
    const b = make({ clock: recording });
    sim.faults.inject({ protocol: 'apiyi', route: 'apiyi.generate', fault: '429', retryAfterDateMs: 5000, times: 1 });
    const { providerJobId } = await driveWhile(manual, b.submit(request()));
    assert.ok(providerJobId);
    // HTTP dates have whole-second precision.
    assert.equal(recording.sleeps.length, 1);
    assert.ok(recording.sleeps[0]! > 4000 && recording.sleeps[0]! <= 5000, `waited ${recording.sleeps[0]}`);
  });

  it('gives up on a 500 storm as transient after bounded attempts on a GET', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'apiyi', route: 'apiyi.task', fault: '500' });
    const before = sim.stats.count('apiyi.task');
    const error = await providerRejection(driveWhile(clock, b.status('task_x')));
    assert.equal(error.kind, 'transient');
    assert.equal(sim.stats.count('apiyi.task') - before, 3);
  });

  it('does not retry a character create (no idempotency key) on a 500', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'apiyi', route: 'apiyi.character.create', fault: '500' });
    const before = sim.stats.count('apiyi.character.create');
    const error = await providerRejection(driveWhile(clock, b.createCharacter(source({ clipUrl: 'https://example.com/a.mp4' }))));
    assert.equal(error.kind, 'transient');
    assert.equal(sim.stats.count('apiyi.character.create') - before, 1);
  });

  it('maps a connection reset to transient', async () => {
    sim.faults.inject({ protocol: 'apiyi', route: 'apiyi.task', fault: 'reset' });
    assert.equal((await providerRejection(make({ retry: { maxAttempts: 1 } }).status('task_x'))).kind, 'transient');
  });

  it('reports a content violation as moderation, and cameo denial as invalid_input', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'apiyi', fault: 'moderation', times: 1 });
    const moderated = await b.submit(request());
    sim.faults.inject({ protocol: 'apiyi', fault: 'cameo_denied', times: 1 });
    const cameo = await b.submit(request());
    await untilState(b, moderated.providerJobId, 'failed');
    const m = await b.status(moderated.providerJobId);
    assert.equal(m.error?.kind, 'moderation');
    await untilState(b, cameo.providerJobId, 'failed');
    const c = await b.status(cameo.providerJobId);
    assert.equal(c.error?.kind, 'invalid_input');
    assert.equal(c.error?.providerCode, 'cameo_permission_denied');
  });

  it('stays running at 99% during a stall', async () => {
    const b = make();
    sim.faults.inject({ protocol: 'apiyi', fault: 'stall', times: 1 });
    const { providerJobId } = await b.submit(request());
    await clock.advance(2 * 60 * 60 * 1000, 60_000);
    const status = await b.status(providerJobId);
    assert.equal(status.state, 'running');
    assert.equal(status.progress, 99);
  });

  it('downloads video_url as a real MP4, reusing the URL from the last poll', async () => {
    const b = make();
    const task = await finishedTask(b);
    const tasks = sim.stats.count('apiyi.task');
    const result = await b.openResult(task);
    const path = join(dir, `${task}.mp4`);
    await pipeline(result.body, createWriteStream(path));
    const handle = await open(path, 'r');
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 0);
    await handle.close();
    assert.equal(head.subarray(4, 8).toString('latin1'), 'ftyp');
    // The URL from the last status poll was reused: no extra task read.
    assert.equal(sim.stats.count('apiyi.task'), tasks);
  });

  it('on an expired video_url re-reads the task once for a fresh URL', async () => {
    const b = make();
    const task = await finishedTask(b);
    // Let the polled URL's signature lapse, as when a download is retried an hour later.
    await clock.advance(3601 * 1000, 600_000);
    const tasks = sim.stats.count('apiyi.task');
    const files = sim.stats.count('apiyi.file');
    const result = await b.openResult(task);
    result.body.resume();
    await new Promise((resolve) => result.body.once('end', resolve));
    assert.equal(sim.stats.count('apiyi.task') - tasks, 1);
    assert.equal(sim.stats.count('apiyi.file') - files, 2);
  });

  it('gives up as expired when the fresh URL fails too', async () => {
    const b = make();
    const task = await finishedTask(b);
    sim.faults.inject({ protocol: 'apiyi', fault: 'expired', times: 2 });
    const tasks = sim.stats.count('apiyi.task');
    const error = await providerRejection(b.openResult(task));
    assert.equal(error.kind, 'expired');
    assert.equal(sim.stats.count('apiyi.task') - tasks, 1);
  });

  it('refuses an oversized result as too_large', async () => {
    const b = make({ maxResultBytes: 500_000 });
    const task = await finishedTask(b);
    sim.faults.inject({ protocol: 'apiyi', fault: 'oversized', oversizedBytes: 20_000_000, times: 1 });
    assert.equal((await providerRejection(b.openResult(task))).kind, 'too_large');
  });

  it('refuses remix and image input locally', async () => {
    const b = make();
    assert.equal((await providerRejection(b.submit(request({ remixOfProviderJobId: 'task_x' })))).kind, 'rejected_request');
    assert.equal((await providerRejection(b.submit(request({ imagePath: '/tmp/x.png' })))).kind, 'rejected_request');
  });
});
