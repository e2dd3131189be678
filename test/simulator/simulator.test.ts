import { execFileSync, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { open, stat } from 'node:fs/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { FaultController } from '../../src/simulator/faults.js';
import { JobBoard } from '../../src/simulator/jobs.js';
import { createRenderer, SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { locateFfmpegTools } from '../../src/media/ffmpeg.js';
import { waitFor } from '../helpers/drive.js';

async function startsWithFtyp(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(8);
  await handle.read(head, 0, 8, 0);
  await handle.close();
  return head.subarray(4, 8).toString('latin1') === 'ftyp';
}

describe('simulator job board', { timeout: 60_000 }, () => {
  it('queues beyond its concurrency and walks jobs to completion on the clock', () => {
    const clock = new ManualClock();
    const board = new JobBoard({ clock, concurrency: 1, renderMsPerVideoSecond: 500 });
    const a = board.create({ protocol: 'openai', prompt: 'a', seconds: 4, size: '1280x720', model: 'sora-2' });
    const b = board.create({ protocol: 'openai', prompt: 'b', seconds: 4, size: '1280x720', model: 'sora-2' });
    assert.equal(board.get(a.id)!.status, 'in_progress');
    assert.equal(board.get(b.id)!.status, 'queued');
    clock.set(clock.now() + 1000); // half of a's 2 s render
    assert.equal(board.get(a.id)!.progress, 50);
    assert.equal(board.get(b.id)!.progress, 0);
    clock.set(clock.now() + 1500); // a finished at +2000; b started then and is 500 ms in
    assert.equal(board.get(a.id)!.status, 'completed');
    assert.equal(board.get(a.id)!.progress, 100);
    assert.equal(board.get(b.id)!.status, 'in_progress');
    assert.equal(board.get(b.id)!.progress, 25);
    assert.equal(board.get(b.id)!.startedAt, a.createdAt + 2000);
    clock.set(clock.now() + 10_000);
    assert.deepEqual(board.counts(), { queued: 0, in_progress: 0, completed: 2, failed: 0 });
  });

  it('ends moderated jobs failed with each protocol\'s words, and holds stalled ones at 99', () => {
    const clock = new ManualClock();
    const board = new JobBoard({ clock, concurrency: 3 });
    const o = board.create({ protocol: 'openai', prompt: 'x', seconds: 4, size: '1280x720', model: 'sora-2', fault: 'moderation' });
    const y = board.create({ protocol: 'apiyi', prompt: 'x', seconds: 10, size: '1280x720', model: 'sora-2', fault: 'moderation' });
    const s = board.create({ protocol: 'openai', prompt: 'x', seconds: 4, size: '1280x720', model: 'sora-2', fault: 'stall' });
    clock.set(clock.now() + 60 * 60 * 1000);
    assert.equal(board.get(o.id)!.status, 'failed');
    assert.equal(board.get(o.id)!.error?.code, 'moderation_blocked');
    assert.match(board.get(y.id)!.error!.message, /content violation/);
    assert.equal(board.get(s.id)!.status, 'in_progress');
    assert.equal(board.get(s.id)!.progress, 99);
  });
});

describe('simulator fault controller', { timeout: 60_000 }, () => {
  it('applies a fault N times, or until cleared, only where it belongs', () => {
    const faults = new FaultController();
    faults.inject({ protocol: 'openai', fault: '500', times: 2 });
    assert.equal(faults.take('apiyi', 'apiyi.task', 'request'), undefined);
    assert.equal(faults.take('openai', 'openai.get', 'request')?.fault, '500');
    assert.equal(faults.take('openai', 'openai.create', 'request')?.fault, '500');
    assert.equal(faults.take('openai', 'openai.get', 'request'), undefined);

    const forever = faults.inject({ fault: 'expired' });
    // A result fault does not bite status polls, only downloads.
    assert.equal(faults.take('openai', 'openai.get', 'result'), undefined);
    for (let i = 0; i < 5; i++) assert.equal(faults.take('apiyi', 'apiyi.file', 'result')?.fault, 'expired');
    faults.clear(forever.id);
    assert.equal(faults.take('apiyi', 'apiyi.file', 'result'), undefined);

    faults.inject({ fault: 'moderation', route: 'apiyi.generate' });
    assert.equal(faults.take('openai', 'openai.create', 'job'), undefined);
    assert.equal(faults.take('apiyi', 'apiyi.generate', 'job')?.fault, 'moderation');
    faults.clear();
    assert.deepEqual(faults.list(), []);
    assert.throws(() => faults.inject({ fault: 'meltdown' as never }));
  });
});

/** Frame size, length and audio codec of a clip, as ffprobe reads them. */
function probeClip(path: string): { size: string; seconds: number; audioCodec: string | undefined } {
  const probe = execFileSync(locateFfmpegTools().ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  const info = JSON.parse(probe) as { streams: { codec_type: string; codec_name: string; width?: number; height?: number }[]; format: { duration: string } };
  const video = info.streams.find((s) => s.codec_type === 'video')!;
  return { size: `${video.width}x${video.height}`, seconds: Math.round(Number(info.format.duration)), audioCodec: info.streams.find((s) => s.codec_type === 'audio')?.codec_name };
}

/** The audio track's peak level in dB (ffmpeg's volumedetect). */
function peakVolumeDb(path: string): number {
  const run = spawnSync(locateFfmpegTools().ffmpeg, ['-hide_banner', '-nostats', '-i', path, '-map', '0:a:0', '-af', 'volumedetect', '-f', 'null', '-'], { encoding: 'utf8' });
  const peak = /max_volume: (-?[\d.]+|-inf) dB/.exec(run.stderr);
  return peak ? (peak[1] === '-inf' ? -Infinity : Number(peak[1])) : Number.NaN;
}

describe('simulator renderer', { timeout: 60_000 }, () => {
  it('renders a playable MP4 with ffmpeg at the size asked for, cached per (seconds, size, sound)', async () => {
    const renderer = createRenderer();
    try {
      const clip = await renderer.render(4, '1280x720', false);
      assert.equal(clip.source, 'ffmpeg');
      assert.ok(await startsWithFtyp(clip.path));
      assert.equal((await stat(clip.path)).size, clip.bytes);
      assert.strictEqual(await renderer.render(4, '1280x720', false), clip);
      const portrait = await renderer.render(4, '720x1280', false);
      assert.notEqual(portrait.path, clip.path);
      assert.notEqual((await renderer.render(4, '1280x720', true)).path, clip.path);
      for (const [rendered, size] of [[clip, '1280x720'], [portrait, '720x1280']] as const) {
        const info = probeClip(rendered.path);
        assert.equal(info.size, size);
        assert.equal(rendered.label, `simulated 4s ${size} silent`);
        assert.equal(info.seconds, 4);
      }
    } finally {
      await renderer.dispose();
    }
  });

  it('gives the clip a sine track when sound was asked for and a silent track otherwise, at 1080p and 4K too (ffprobe)', async () => {
    const renderer = createRenderer();
    try {
      for (const [size, sound] of [['1920x1080', true], ['1920x1080', false], ['2160x3840', true]] as const) {
        const clip = await renderer.render(2, size, sound);
        const info = probeClip(clip.path);
        assert.equal(info.size, size);
        assert.equal(info.audioCodec, 'aac', `${size}: an audio stream`);
        // The loudest sample: a 440 Hz sine is near full scale; the silent track is digital silence.
        const peak = peakVolumeDb(clip.path);
        if (sound) assert.ok(peak > -20, `${size} with sound peaks at ${peak} dB`);
        else assert.ok(peak < -80, `${size} silent peaks at ${peak} dB`);
      }
    } finally {
      await renderer.dispose();
    }
  });

  it('falls back to the bundled sample without ffmpeg', async () => {
    for (const ffmpegPath of [false as const, '/nonexistent/ffmpeg']) {
      const renderer = createRenderer({ ffmpegPath });
      const clip = await renderer.render(8, '1280x720', false);
      assert.equal(clip.source, 'sample');
      assert.equal(clip.path, SAMPLE_CLIP_PATH);
      await renderer.dispose();
    }
    assert.ok(await startsWithFtyp(SAMPLE_CLIP_PATH));
    assert.ok((await stat(SAMPLE_CLIP_PATH)).size < 100 * 1024);
  });
});

describe('simulator over HTTP', { timeout: 60_000 }, () => {
  let sim: Simulator;
  let clock: ManualClock;
  const KEY = 'sim-expected-key-42';
  const openaiHeaders = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, apiKey: KEY, render: { ffmpegPath: false } });
  });
  afterEach(() => sim.faults.clear());
  after(() => sim.stop());

  const createVideo = (body: unknown, headers: Record<string, string> = openaiHeaders) =>
    fetch(`${sim.openaiBaseUrl}/videos`, { method: 'POST', headers, body: JSON.stringify(body) });

  it('binds to loopback and exposes both protocol base URLs', () => {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sim.openaiBaseUrl, `${sim.url}/v1`);
    assert.equal(sim.apiyiBaseUrl, `${sim.url}/apiyi`);
  });

  it('refuses a missing or wrong key with 401 in each protocol\'s error shape', async () => {
    const none = await createVideo({ prompt: 'x' }, { 'content-type': 'application/json' });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
    const wrong = await fetch(`${sim.apiyiBaseUrl}/sora/tasks/task_1`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(Object.keys((await wrong.json()) as object).sort(), ['code', 'message']);
  });

  it('validates bodies and answers 400 in the provider\'s error shape', async () => {
    const bad = await createVideo({ prompt: 'x', seconds: '5' });
    assert.equal(bad.status, 400);
    const error = ((await bad.json()) as { error: { type: string; param: string; code: string } }).error;
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, 'seconds');
    const notPro = await createVideo({ prompt: 'x', model: 'sora-2', size: '1792x1024' });
    assert.equal(notPro.status, 400);
    const apiyi = await fetch(`${sim.apiyiBaseUrl}/sora/generate`, { method: 'POST', headers: openaiHeaders, body: JSON.stringify({ prompt: 'x' }) });
    assert.equal(apiyi.status, 400);
    assert.equal(((await apiyi.json()) as { code: string }).code, 'invalid_value');
  });

  it('requires a character\'s name verbatim in the prompt', async () => {
    const form = new FormData();
    form.append('name', 'Captain Sprout');
    form.append('video', new Blob([Buffer.alloc(64)], { type: 'video/mp4' }), 'clip.mp4');
    const made = await fetch(`${sim.openaiBaseUrl}/videos/characters`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
    assert.equal(made.status, 200);
    const { id } = (await made.json()) as { id: string };
    assert.match(id, /^char_/);
    const got = await fetch(`${sim.openaiBaseUrl}/videos/characters/${id}`, { headers: openaiHeaders });
    assert.equal(((await got.json()) as { name: string }).name, 'Captain Sprout');
    const missing = await createVideo({ prompt: 'a captain waves', characters: [{ id }] });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'invalid_request');
    const named = await createVideo({ prompt: 'Captain Sprout waves', characters: [{ id }] });
    assert.equal(named.status, 200);
  });

  it('honours Idempotency-Key on create and counts requests per route', async () => {
    const before = { jobs: sim.stats.jobsCreated, creates: sim.stats.count('openai.create') };
    const headers = { ...openaiHeaders, 'idempotency-key': 'same-key-1' };
    const a = (await (await createVideo({ prompt: 'once' }, headers)).json()) as { id: string };
    const b = (await (await createVideo({ prompt: 'once' }, headers)).json()) as { id: string };
    assert.equal(a.id, b.id);
    assert.equal(sim.stats.jobsCreated - before.jobs, 1);
    assert.equal(sim.stats.count('openai.create') - before.creates, 2);
    assert.equal(sim.lastRequest('openai.create')!.headers['idempotency-key'], 'same-key-1');
  });

  it('arms and clears faults through the HTTP control route', async () => {
    const armed = await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ protocol: 'openai', fault: '429', retryAfterSeconds: 4 }),
    });
    assert.equal(armed.status, 201);
    for (let i = 0; i < 2; i++) {
      const limited = await fetch(`${sim.openaiBaseUrl}/videos`, { headers: openaiHeaders });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '4');
    }
    const listed = (await (await fetch(`${sim.url}/__sim/faults`)).json()) as { faults: Array<{ hits: number }> };
    assert.equal(listed.faults[0]!.hits, 2);
    assert.equal((await fetch(`${sim.url}/__sim/faults`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${sim.openaiBaseUrl}/videos`, { headers: openaiHeaders })).status, 200);
    const invalid = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ fault: 'meltdown' }) });
    assert.equal(invalid.status, 400);
    const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as { requests: Record<string, number> };
    assert.ok((stats.requests['openai.list'] ?? 0) >= 3);
  });

  it('holds a slow response until the simulator clock has moved', async () => {
    sim.faults.inject({ protocol: 'openai', route: 'openai.list', fault: 'slow', holdMs: 30_000, times: 1 });
    let status: number | undefined;
    const listed = async () => ((await (await fetch(`${sim.url}/__sim/stats`)).json()) as { requests: Record<string, number> }).requests['openai.list'] ?? 0;
    const before = await listed();
    const pending = fetch(`${sim.openaiBaseUrl}/videos`, { headers: openaiHeaders }).then((r) => (status = r.status));
    await waitFor(async () => (await listed()) > before, 'the simulator to hold the request');
    assert.equal(status, undefined);
    await clock.advance(30_000);
    await pending;
    assert.equal(status, 200);
  });

  it('drops the connection for a reset fault', async () => {
    sim.faults.inject({ protocol: 'apiyi', fault: 'reset', times: 1 });
    await assert.rejects(fetch(`${sim.apiyiBaseUrl}/sora/characters`, { headers: openaiHeaders }));
    assert.equal((await fetch(`${sim.apiyiBaseUrl}/sora/characters`, { headers: openaiHeaders })).status, 200);
  });

  it('signs apiyi video URLs: a tampered or stale URL answers 403', async () => {
    const created = (await (
      await fetch(`${sim.apiyiBaseUrl}/sora/generate`, { method: 'POST', headers: openaiHeaders, body: JSON.stringify({ prompt: 'x', duration: 10 }) })
    ).json()) as { task_id: string };
    await clock.advance(10_000);
    const task = (await (await fetch(`${sim.apiyiBaseUrl}/sora/tasks/${created.task_id}`, { headers: openaiHeaders })).json()) as {
      status: string;
      video_url: string;
    };
    assert.equal(task.status, 'completed');
    const ok = await fetch(task.video_url);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'video/mp4');
    assert.equal(Buffer.from(await ok.arrayBuffer()).subarray(4, 8).toString('latin1'), 'ftyp');
    assert.equal((await fetch(task.video_url.replace(/sig=[0-9a-f]/, 'sig=z'))).status, 403);
    await clock.advance(3601 * 1000, 600_000);
    assert.equal((await fetch(task.video_url)).status, 403);
  });

  it('stop() releases a burst of held responses and closes the port, with no listener warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const own = await startSimulator({ render: { ffmpegPath: false } });
    own.faults.inject({ fault: 'slow' });
    // More requests in flight than Node's 10 listeners per signal: each once added one to the simulator's stop signal.
    const burst = 20;
    const held = Array.from({ length: burst }, () =>
      fetch(`${own.openaiBaseUrl}/videos`, { headers: { authorization: 'Bearer k' } }).then(
        () => 'answered',
        () => 'dropped',
      ),
    );
    const seen = async () => Object.values(((await (await fetch(`${own.url}/__sim/stats`)).json()) as { requests: Record<string, number> }).requests).reduce((a, b) => a + b, 0);
    await waitFor(async () => (await seen()) >= burst, 'the simulator to hold every request');
    await own.stop();
    assert.deepEqual(await Promise.all(held), Array(burst).fill('dropped'));
    await assert.rejects(fetch(`${own.url}/v1/videos`));
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    process.off('warning', onWarning);
    assert.ok(!warnings.includes('MaxListenersExceededWarning'), `warnings: ${warnings.join(', ')}`);
  });
});
