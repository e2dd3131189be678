/**
 * The MediaStore over a temporary DATA_DIR: atomic result saves and their cap,
 * a full disk, sources, signed links, frames and transcoding with the real
 * ffmpeg, and retention on the injected clock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fsp, { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { request } from 'undici';
import { ManualClock } from '../../src/core/clock.js';
import { ProviderError, UserFacingError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/log.js';
import { createMediaStore, type BotMediaStore, type MediaStoreOptions } from '../../src/media/media-store.js';
import { probeMedia, resolveFfmpegTools } from '../../src/media/ffmpeg.js';
import { transcodeToFit, targetVideoBitrate } from '../../src/media/transcode.js';
import { waitFor } from '../helpers/drive.js';

const SIGNING_KEY = 'test-signing-key-0123456789abcdef';

let root: string;
let clipPath: string;
let bigClipPath: string;
let sourceServer: http.Server;
let sourceUrl: string;

function newStore(dataDir: string, overrides: Partial<MediaStoreOptions> = {}): { store: BotMediaStore; clock: ManualClock } {
  const clock = new ManualClock();
  const store = createMediaStore({
    dataDir,
    logger: silentLogger,
    clock,
    maxResultBytes: 10_000,
    maxSourceBytes: 1_000_000,
    publicUrl: 'https://bot.example/',
    signingKey: SIGNING_KEY,
    fetchTimeoutMs: 5_000,
    allowPrivateAddresses: true,
    ...overrides,
  });
  return { store, clock };
}

async function freshDir(name: string): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

function ffmpeg(args: string[]): void {
  execFileSync(resolveFfmpegTools().ffmpeg, ['-hide_banner', '-v', 'error', '-y', ...args], { stdio: 'pipe' });
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'media-store-'));
  clipPath = path.join(root, 'testsrc.mp4');
  // 2 s of the moving test pattern: successive frames differ, so frames cut at different times differ too.
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', clipPath]);
  bigClipPath = path.join(root, 'noisy.mp4');
  // Noise defeats compression, so this 4 s clip is large at a high bitrate, with an audio track.
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=duration=4:size=640x360:rate=25,noise=alls=40:allf=t',
    '-f', 'lavfi', '-i', 'sine=frequency=440:duration=4',
    '-c:v', 'libx264', '-b:v', '4M', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', bigClipPath,
  ]);
  const clipBytes = await readFile(clipPath);
  sourceServer = http.createServer((req, res) => {
    if (req.url === '/clip.mp4') {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': clipBytes.length });
      return void res.end(clipBytes);
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html></html>');
  });
  await new Promise<void>((resolve) => sourceServer.listen(0, '127.0.0.1', resolve));
  sourceUrl = `http://127.0.0.1:${(sourceServer.address() as AddressInfo).port}`;
});

after(async () => {
  sourceServer.closeAllConnections();
  await new Promise((resolve) => sourceServer.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe('saveResult', () => {
  test('streams the result to videos/<jobId>.mp4 and leaves no temp file', async () => {
    const { store } = newStore(await freshDir('save-ok'));
    const body = Readable.from([Buffer.alloc(3000, 1), Buffer.alloc(3000, 2)]);
    const saved = await store.saveResult('j_abc123', { body, contentLength: 6000, contentType: 'video/mp4' });
    assert.equal(saved.path, path.join(store.dataDir, 'videos', 'j_abc123.mp4'));
    assert.equal(saved.bytes, 6000);
    assert.equal((await stat(saved.path)).size, 6000);
    assert.deepEqual(await readdir(path.join(store.dataDir, 'videos')), ['j_abc123.mp4']);
  });

  test('the final name appears only when the download is complete', async () => {
    const { store } = newStore(await freshDir('save-atomic'));
    const videos = path.join(store.dataDir, 'videos');
    const body = new PassThrough();
    const saving = store.saveResult('j_atomic', { body, contentLength: undefined, contentType: 'video/mp4' });
    body.write(Buffer.alloc(4000, 1));
    await waitFor(async () => (await readdir(videos).catch(() => [])).length > 0, 'the temp file');
    const during = await readdir(videos);
    assert.equal(during.length, 1);
    assert.match(during[0]!, /^\.j_atomic\..*\.part$/, 'bytes go to a hidden temp file first');
    body.end(Buffer.alloc(1000, 2));
    await saving;
    assert.deepEqual(await readdir(videos), ['j_atomic.mp4']);
  });

  test('a download that breaks midway keeps the earlier file intact and leaves no temp file', async () => {
    const { store } = newStore(await freshDir('save-broken'));
    const videos = path.join(store.dataDir, 'videos');
    await store.saveResult('j_retry', { body: Readable.from([Buffer.from('first complete video')]), contentLength: undefined, contentType: 'video/mp4' });
    const broken = new Readable({ read() {} });
    broken.push(Buffer.alloc(2000, 9));
    const saving = store.saveResult('j_retry', { body: broken, contentLength: undefined, contentType: 'video/mp4' });
    // Break the stream once its first bytes are on disk (a hidden temp file beside the earlier video).
    await waitFor(async () => (await readdir(videos)).length > 1, 'the temp file');
    broken.destroy(new Error('connection reset by provider'));
    await assert.rejects(saving, /connection reset/);
    assert.deepEqual(await readdir(videos), ['j_retry.mp4']);
    assert.equal(await readFile(path.join(videos, 'j_retry.mp4'), 'utf8'), 'first complete video');
  });

  test('a body shorter than its Content-Length is a retryable failure, not a saved video', async () => {
    const { store } = newStore(await freshDir('save-short'));
    const error = await store
      .saveResult('j_short', { body: Readable.from([Buffer.alloc(100)]), contentLength: 5000, contentType: 'video/mp4' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.kind === 'transient', String(error));
    assert.deepEqual(await readdir(path.join(store.dataDir, 'videos')), []);
  });

  test('over the cap by Content-Length: too_large before reading anything', async () => {
    const { store } = newStore(await freshDir('save-cap-header'));
    let pulled = false;
    const body = new Readable({
      read() {
        pulled = true;
        this.push(null);
      },
    });
    const error = await store.saveResult('j_big', { body, contentLength: 10_001, contentType: 'video/mp4' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.kind === 'too_large', String(error));
    assert.equal(pulled, false);
    assert.ok(body.destroyed, 'the provider connection is released');
  });

  test('over the cap while streaming: too_large, stream destroyed, temp file deleted', async () => {
    const { store } = newStore(await freshDir('save-cap-stream'));
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1000;
        this.push(Buffer.alloc(1000));
      },
    });
    const error = await store.saveResult('j_endless', { body: endless, contentLength: undefined, contentType: 'video/mp4' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.kind === 'too_large', String(error));
    assert.ok(endless.destroyed);
    assert.ok(produced < 100_000, `read ${produced} bytes; the cap must stop reading`);
    assert.deepEqual(await readdir(path.join(store.dataDir, 'videos')), []);
  });

  test('an undici provider body over the cap is released without crashing the process', async () => {
    const { store } = newStore(await freshDir('save-cap-undici'));
    const released: Promise<unknown>[] = [];
    const server = http.createServer((req, res) => {
      // /declared announces its size (refused before reading); / streams without one (refused mid-stream).
      res.writeHead(200, { 'content-type': 'video/mp4', ...(req.url === '/declared' ? { 'content-length': 1_000_000 } : {}) });
      const timer = setInterval(() => res.write(Buffer.alloc(4096)), 1);
      res.on('close', () => clearInterval(timer));
      released.push(once(res, 'close'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      for (const route of ['/', '/declared']) {
        const response = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}${route}`);
        const contentLength = Number(response.headers['content-length']) || undefined;
        const error = await store.saveResult('j_undici', { body: response.body, contentLength, contentType: 'video/mp4' }).catch((e: unknown) => e);
        assert.ok(error instanceof ProviderError && error.kind === 'too_large', `${route}: ${String(error)}`);
        // undici emits RequestAbortedError when the body is destroyed, before its 'close'; an unhandled one
        // would end the process. Wait for the close itself rather than a pause, with a listener for 'close'
        // only (events.once would also take the 'error' and so hide a missing handler).
        if (!response.body.closed) await new Promise((resolve) => response.body.once('close', resolve));
      }
      // Released: the provider's side sees both connections end.
      await Promise.all(released);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a full disk becomes a sentence for the team and the temp file is removed', async () => {
    const { store } = newStore(await freshDir('save-enospc'));
    const realOpen = fsp.open;
    // Every handle the store opens reports ENOSPC on its second write, like a disk filling up.
    fsp.open = (async (...args: Parameters<typeof realOpen>) => {
      const handle = await realOpen(...args);
      let writes = 0;
      const realWrite = handle.write.bind(handle) as (...a: unknown[]) => Promise<unknown>;
      (handle as unknown as { write: (...a: unknown[]) => Promise<unknown> }).write = async (...a: unknown[]) => {
        if (++writes > 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return realWrite(...a);
      };
      return handle;
    }) as typeof realOpen;
    syncBuiltinESMExports();
    try {
      const body = Readable.from([Buffer.alloc(1000), Buffer.alloc(1000)]);
      const error = await store.saveResult('j_full', { body, contentLength: undefined, contentType: 'video/mp4' }).catch((e: unknown) => e);
      assert.ok(error instanceof UserFacingError, String(error));
      assert.equal(error.userMessage, "The bot's disk is full, so the video could not be saved. An admin needs to free space.");
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      fsp.open = realOpen;
      syncBuiltinESMExports();
    }
    assert.deepEqual(await readdir(path.join(store.dataDir, 'videos')), []);
  });

  test('a job id that could escape the directory is refused', async () => {
    const { store } = newStore(await freshDir('save-badid'));
    await assert.rejects(store.saveResult('../../etc/cron', { body: Readable.from([]), contentLength: 0, contentType: undefined }), /unsafe job id/);
  });
});

describe('character sources', () => {
  test('fetchSource stores a clip as a hand-over file under tmp/fetch with a unique name', async () => {
    const { store } = newStore(await freshDir('fetch-ok'));
    const a = await store.fetchSource(`${sourceUrl}/clip.mp4`, 'video');
    const b = await store.fetchSource(`${sourceUrl}/clip.mp4`, 'video');
    assert.notEqual(a.path, b.path);
    for (const saved of [a, b]) {
      assert.equal(path.dirname(saved.path), path.join(store.dataDir, 'tmp', 'fetch'));
      assert.match(saved.path, /\.mp4$/);
      assert.deepEqual(await readFile(saved.path), await readFile(clipPath));
    }
  });

  test('fetchSource applies the address policy unless the store was built for tests', async () => {
    const { store } = newStore(await freshDir('fetch-private'), { allowPrivateAddresses: false });
    const error = await store.fetchSource(`${sourceUrl}/clip.mp4`, 'video').catch((e: unknown) => e);
    assert.ok(error instanceof UserFacingError && error.code === 'source_private_address', String(error));
    assert.deepEqual(await readdir(path.join(store.dataDir, 'tmp', 'fetch')), []);
  });

  test('a refused download leaves nothing behind', async () => {
    const { store } = newStore(await freshDir('fetch-refused'));
    await assert.rejects(store.fetchSource(`${sourceUrl}/page.html`, 'video'), UserFacingError);
    assert.deepEqual(await readdir(path.join(store.dataDir, 'tmp', 'fetch')), []);
  });

  test('importFile copies a real video and refuses other files and oversized ones', async () => {
    const { store } = newStore(await freshDir('import'), { maxSourceBytes: 1_000_000 });
    const imported = await store.importFile(clipPath, 'video', 'console');
    assert.match(imported.path, /characters\/t-[A-Za-z0-9_-]+\/clip-.*\.mp4$/);
    assert.deepEqual(await readFile(imported.path), await readFile(clipPath));
    const text = path.join(root, 'notes.txt');
    await writeFile(text, 'just words, not a video');
    await assert.rejects(store.importFile(text, 'video', 'console'), (e: unknown) => e instanceof UserFacingError && e.code === 'source_bad_type');
    const { store: small } = newStore(await freshDir('import-small'), { maxSourceBytes: 1000 });
    await assert.rejects(small.importFile(clipPath, 'video', 'console'), (e: unknown) => e instanceof UserFacingError && e.code === 'source_too_large');
    await assert.rejects(store.importFile(path.join(root, 'nope.mp4'), 'video', 'console'), (e: unknown) => e instanceof UserFacingError && e.code === 'source_missing');
  });
});

describe('signed file links', () => {
  const sign = (payload: object) => {
    const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${encoded}.${createHmac('sha256', SIGNING_KEY).update(encoded).digest('base64url')}`;
  };

  test('round trip, then expiry on the injected clock', async () => {
    const { store, clock } = newStore(await freshDir('sign-roundtrip'));
    const file = path.join(store.dataDir, 'characters', 'clip-x.mp4');
    const url = await store.publicUrlFor(file, 60_000);
    assert.ok(url?.startsWith('https://bot.example/files/'), url);
    const token = url!.slice('https://bot.example/files/'.length);
    assert.equal(store.verifySignedPath(token), file);
    await clock.advance(59_000);
    assert.equal(store.verifySignedPath(token), file);
    await clock.advance(1_000);
    assert.equal(store.verifySignedPath(token), undefined, 'expired at exactly ttl');
  });

  test('forged, tampered and malformed tokens are refused', async () => {
    const { store, clock } = newStore(await freshDir('sign-forgery'));
    const token = (await store.publicUrlFor(path.join(store.dataDir, 'videos', 'j_1.mp4'), 60_000))!.split('/files/')[1]!;
    const [payload, signature] = token.split('.') as [string, string];
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'AB' : 'AA');
    assert.equal(store.verifySignedPath(`${payload}.${flipped}`), undefined);
    const otherPayload = Buffer.from(JSON.stringify({ p: 'videos/j_2.mp4', e: clock.now() + 60_000 })).toString('base64url');
    assert.equal(store.verifySignedPath(`${otherPayload}.${signature}`), undefined, 'a signature does not carry over to another path');
    const otherKey = createHmac('sha256', 'another-key-0123456789').update(payload).digest('base64url');
    assert.equal(store.verifySignedPath(`${payload}.${otherKey}`), undefined);
    for (const junk of ['', '.', 'abc', `${payload}`, `${payload}.${signature}.x`, '%%%.%%%']) {
      assert.equal(store.verifySignedPath(junk), undefined, junk);
    }
  });

  test('a validly signed path that leaves DATA_DIR is refused', async () => {
    const { store, clock } = newStore(await freshDir('sign-traversal'));
    const e = clock.now() + 60_000;
    assert.equal(store.verifySignedPath(sign({ p: 'videos/j_1.mp4', e })), path.join(store.dataDir, 'videos', 'j_1.mp4'), 'control');
    for (const p of ['../secret', 'videos/../../secret', '/etc/passwd', '..', 'videos/..\\..\\x', 'videos/\0.mp4']) {
      assert.equal(store.verifySignedPath(sign({ p, e })), undefined, p);
    }
    // A symlink inside DATA_DIR that points outside it.
    await symlink(tmpdir(), path.join(store.dataDir, 'characters', 'escape'));
    assert.equal(store.verifySignedPath(sign({ p: 'characters/escape', e })), undefined);
    assert.equal(await store.publicUrlFor('/etc/passwd', 60_000), undefined, 'no links to files outside DATA_DIR');
  });

  test('without a public URL there are no links', async () => {
    const { store } = newStore(await freshDir('sign-nourl'), { publicUrl: undefined });
    assert.equal(await store.publicUrlFor(path.join(store.dataDir, 'videos', 'j_1.mp4'), 60_000), undefined);
  });
});

describe('ffmpeg work', () => {
  test('extractFrames cuts N distinct JPEG frames into frames/', async () => {
    const { store } = newStore(await freshDir('frames'));
    assert.equal(store.ffmpegAvailable, true);
    const frames = await store.extractFrames(clipPath, 4);
    assert.equal(frames.length, 4);
    const contents = [];
    for (const frame of frames) {
      assert.equal(path.dirname(frame), path.join(store.dataDir, 'frames'));
      const bytes = await readFile(frame);
      assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
      contents.push(bytes.toString('base64'));
    }
    assert.equal(new Set(contents).size, 4, 'frames come from different moments of the clip');
  });

  test('extractFrames returns [] for a file ffmpeg cannot read, and when ffmpeg is missing', async () => {
    const { store } = newStore(await freshDir('frames-bad'));
    const junk = path.join(root, 'junk.mp4');
    await writeFile(junk, 'not a video');
    assert.deepEqual(await store.extractFrames(junk, 4), []);
    const { store: noFfmpeg } = newStore(await freshDir('frames-missing'), { ffmpegPath: '/nonexistent/ffmpeg' });
    assert.equal(noFfmpeg.ffmpegAvailable, false);
    assert.deepEqual(await noFfmpeg.extractFrames(clipPath, 4), []);
  });

  test('targetVideoBitrate leaves headroom and an audio budget', () => {
    // 8 MB over 8 s = 8 Mbit/s total; 95% of it, minus 64 kbit/s audio.
    assert.equal(targetVideoBitrate(8_000_000, 8, true), Math.floor(8_000_000 * 0.95 - 64_000));
    assert.equal(targetVideoBitrate(8_000_000, 8, false), Math.floor(8_000_000 * 0.95));
    assert.equal(targetVideoBitrate(10_000, 60, true), undefined, 'too small to be watchable');
  });

  test('transcodeToFit shrinks a clip below the limit and keeps it playable', async () => {
    const original = (await stat(bigClipPath)).size;
    const limit = 300_000;
    assert.ok(original > limit * 2, `fixture is ${original} bytes`);
    const fitted = await transcodeToFit(bigClipPath, limit, undefined, { outputDir: await freshDir('fit') });
    assert.ok(fitted, 'expected a fitted file');
    assert.ok(fitted.bytes <= limit, `${fitted.bytes} > ${limit}`);
    assert.equal((await stat(fitted.path)).size, fitted.bytes);
    const probe = await probeMedia(resolveFfmpegTools(), fitted.path, 10_000);
    assert.ok(probe?.hasVideo && probe.hasAudio);
    assert.ok(Math.abs(probe.durationSeconds! - 4) < 0.5, `duration ${probe.durationSeconds}`);
    assert.deepEqual((await readdir(path.dirname(fitted.path))).filter((f) => f.includes('.part')), []);
  });

  test('transcodeToFit returns the input when it fits and undefined when it cannot fit', async () => {
    const size = (await stat(clipPath)).size;
    assert.deepEqual(await transcodeToFit(clipPath, size), { path: clipPath, bytes: size });
    const dir = await freshDir('fit-impossible');
    assert.equal(await transcodeToFit(bigClipPath, 20_000, undefined, { outputDir: dir }), undefined);
    assert.deepEqual(await readdir(dir), []);
  });
});

// Retention and ownership of every media folder: test/media/media-lifecycle.test.ts (runs without ffmpeg).
