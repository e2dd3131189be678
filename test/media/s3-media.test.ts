/**
 * Shared media on S3-compatible storage, against a real S3-protocol server
 * (s3rver on 127.0.0.1) through the real AWS SDK client: results go up as
 * multipart uploads, the team quota counts what every replica stored, a
 * replica fetches a file it lacks, links are presigned, and the sweep and
 * discards remove objects. Then the real bot with MEDIA_URL: a delivered
 * job's video and a character's clip are in the bucket, and /healthz reports
 * the storage.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ManualClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import type { GenerationInput } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { teamFolderName } from '../../src/media/media-layout.js';
import { createMediaStore, type BotMediaStore } from '../../src/media/media-store.js';
import { createS3Storage } from '../../src/media/s3-storage.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { driveUntil } from '../helpers/drive.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { actor, startTestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const MB = 1024 * 1024;
const TENANT = 'test:S3TEAM';

describe('media on S3-compatible storage', () => {
  let s3: TestS3;
  const dirs: string[] = [];
  // s3rver stamps objects with real time; the clock starts there so retention is measured on one time line.
  const clock = new ManualClock(Date.now());

  /** One replica's media store: its own DATA_DIR, the shared bucket. */
  async function replica(prefix: string, quotaMb?: number): Promise<BotMediaStore> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 's3-replica-'));
    dirs.push(dataDir);
    const env = s3.env(prefix);
    return createMediaStore({
      dataDir,
      logger: silentLogger,
      clock,
      maxResultBytes: 64 * MB,
      maxSourceBytes: 8 * MB,
      signingKey: 'a-signing-key-of-32-characters!!',
      fetchTimeoutMs: 10_000,
      ffmpegPath: '/nonexistent/ffmpeg',
      ffprobePath: '/nonexistent/ffprobe',
      ...(quotaMb ? { teamQuotaBytes: quotaMb * MB } : {}),
      shared: (place) =>
        createS3Storage({ ...place, bucket: s3.bucket, prefix, endpoint: env.AWS_ENDPOINT_URL_S3!, region: 'us-east-1', credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! } }),
    });
  }
  const head = (key: string) => s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).then((h) => h, () => undefined);
  const keys = async (prefix: string) => ((await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  before(async () => {
    s3 = await startTestS3();
  });
  after(async () => {
    await s3.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('a result is uploaded in parts and readable by another replica; links are presigned', async () => {
    const a = await replica('unit');
    const b = await replica('unit');
    const bytes = Buffer.alloc(12 * MB, 7);
    const saved = await a.saveResult('j_big', { body: Readable.from([bytes.subarray(0, 6 * MB), bytes.subarray(6 * MB)]), contentLength: bytes.length, contentType: 'video/mp4' });
    const object = await head('unit/videos/j_big.mp4');
    assert.equal(object?.ContentLength, bytes.length);
    const parts = s3.requests.filter((r) => r.method === 'PUT' && /[?&]partNumber=\d+/.test(r.url) && r.url.includes('j_big'));
    assert.equal(parts.length, 3, 'a multipart upload in 5 MiB parts, not one 12 MiB PUT');

    // Replica B has never seen this file: it holds it through the bucket, and fetches a copy when asked.
    const onB = path.join(b.dataDir, 'videos', 'j_big.mp4');
    assert.equal(await b.holds(onB), true);
    await b.bringLocal([onB]);
    assert.deepEqual(await readFile(onB), bytes);
    // A's own copy gone (a new container): it comes back the same way.
    await rm(saved.path);
    await a.bringLocal([saved.path]);
    assert.equal((await stat(saved.path)).size, bytes.length);

    const link = await a.publicUrlFor(saved.path, 60_000);
    assert.match(link ?? '', /X-Amz-Signature=[0-9a-f]{64}/, 'a presigned URL, not a /files/ link');
    assert.match(link ?? '', /X-Amz-Expires=60(&|$)/);
    const fetched = await fetch(link!);
    assert.equal(fetched.status, 200);
    assert.equal((await fetched.arrayBuffer()).byteLength, bytes.length);
    assert.equal(await a.publicUrlFor(path.join(a.dataDir, 'tmp', 'x.png'), 60_000), undefined, 'no link to a hand-over file');
    await a.close();
    await b.close();
  });

  test('the team quota counts every replica’s files; discard and the sweep remove objects', async () => {
    const a = await replica('quota', 1);
    const b = await replica('quota', 1);
    const clip = await readFile(SAMPLE_CLIP_PATH);
    const kept = await a.importFile(SAMPLE_CLIP_PATH, 'video', TENANT);
    const keyOfKept = `quota/characters/${teamFolderName(TENANT)}/${path.basename(kept.path)}`;
    assert.ok(await head(keyOfKept), 'the clip is in the bucket');

    // B's disk is empty, but the bucket already holds A's clip for this team.
    const padding = Math.max(0, MB - clip.length + 1);
    const second = path.join(b.dataDir, 'second.mp4');
    await writeFile(second, Buffer.concat([clip, freeBox(padding)]));
    const refused = await b.importFile(second, 'video', TENANT).catch((e: unknown) => e);
   
    assert.ok(refused instanceof UserFacingError && refused.code === 'disk_quota', String(refused));

    await b.discard([path.join(b.dataDir, 'characters', teamFolderName(TENANT), path.basename(kept.path))]);
   
    assert.equal(await head(keyOfKept), undefined, 'discarded on one replica, gone for all');

    await a.saveResult('j_old', { body: Readable.from([Buffer.from('old video')]), contentLength: 9, contentType: 'video/mp4' });
    const again = await a.importFile(SAMPLE_CLIP_PATH, 'video', TENANT);
    clock.set(clock.now() + 2 * 24 * 3600_000);
    const needed = path.join(a.dataDir, 'characters', teamFolderName(TENANT), path.basename(again.path));
    // Another replica had the sweep's turn this hour: this one clears only its own copy of the old video.
    const oldCopy = path.join(a.dataDir, 'videos', 'j_old.mp4');
    assert.ok(existsSync(oldCopy), 'A holds a copy of the old video');
    await a.removeExpiredFiles(24 * 3600_000, async () => new Set([needed]), 'local copies');
    assert.equal(existsSync(oldCopy), false, 'its own expired copy went');
    assert.equal((await keys('quota/videos/')).length, 1, 'the bucket is left to the replica whose turn it is');
    const removed = await a.removeExpiredFiles(24 * 3600_000, async () => new Set([needed]));

    assert.ok(removed >= 1);
    assert.deepEqual(await keys('quota/videos/'), [], 'the expired video went from the bucket');
    assert.equal((await keys('quota/characters/')).length, 1, 'the clip a character needs stayed');
    await a.close();
    await b.close();
  });

  test('the bot with MEDIA_URL keeps results and clips in the bucket; /healthz checks the bucket', async () => {
    const t = await startTestBot(s3.env('bot'));
    try {
      const team = actor(TENANT, 'alice', false, 'Alice');
      const input: GenerationInput = { prompt: 'a red fox in fresh snow', seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: 'openai', imagePath: undefined, remixOf: undefined };
      const accepted = await t.bot.studio.generate(team, input, { platform: 'test' });
      await driveUntil(t.clock, async () => (await internalsOf(t.bot.studio).jobs.get(accepted.job.id))?.state === 'delivered', { stepMs: 500, maxSteps: 400 });
      assert.deepEqual(await keys('bot/videos/'), [`bot/videos/${accepted.job.id}.mp4`]);
      await t.bot.studio.createCharacter(team, { name: 'fox', description: undefined, fromJob: accepted.job.id });
      assert.equal((await keys(`bot/characters/${teamFolderName(TENANT)}/`)).length, 1);

      const health = (await (await fetch(`http://127.0.0.1:${t.bot.port}/healthz`)).json()) as { ok: boolean; checks: Record<string, boolean> };
      assert.deepEqual([health.ok, health.checks.media, health.checks.store], [true, true, true]);
    } finally {
      await t.stop();
    }
  });

  test('a replica delivering a video it did not make fetches it from the bucket before posting it (a takeover on another disk)', async () => {
    const t = await startTestBot(s3.env('takeover'));
    try {
      // The first post fails, and meanwhile the video leaves this disk: the next attempt is in the shoes of a
      // replica that took the job over in `delivering`, with the result only in the bucket.
      t.surface.failNextFinished = 1;
      t.surface.onFailedFinish = async (job) => rm(job.resultPath!, { force: true });
      const team = actor(TENANT, 'alice', false, 'Alice');
      const input: GenerationInput = { prompt: 'a heron over a still lake', seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: 'openai', imagePath: undefined, remixOf: undefined };
      const accepted = await t.bot.studio.generate(team, input, { platform: 'test' });
      await driveUntil(t.clock, async () => ['delivered', 'failed'].includes((await internalsOf(t.bot.studio).jobs.get(accepted.job.id))?.state ?? ''), { stepMs: 500, maxSteps: 400 });
      const job = (await internalsOf(t.bot.studio).jobs.get(accepted.job.id))!;
      assert.equal(job.state, 'delivered', t.logs.text.split('\n').filter((l) => l.includes('delivery to the chat platform failed')).slice(-1)[0]);
      assert.ok(existsSync(job.resultPath!), 'the video is back on this disk');
      assert.equal(t.surface.of(job.id, 'finished').length, 1);
    } finally {
      await t.stop();
    }
  });
});

/** An ISO BMFF `free` box of `size` bytes: padding that keeps an MP4 an MP4. */
function freeBox(size: number): Buffer {
  const box = Buffer.alloc(Math.max(8, size));
  box.writeUInt32BE(box.length, 0);
  box.write('free', 4, 'latin1');
  return box;
}
