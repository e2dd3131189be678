/**
 * Who owns each media file and when it goes, on a real DATA_DIR: the sweep
 * over every folder, team quotas, what `importFile` accepts, hand-over files,
 * and which files may carry a signed link. Runs without ffmpeg; where the
 * ffprobe verdict matters, a stand-in ffprobe script plays the part and
 * records the arguments it was given.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/log.js';
import { teamFolderName } from '../../src/media/media-layout.js';
import { createMediaStore, type BotMediaStore, type MediaStoreOptions } from '../../src/media/media-store.js';

const DAY = 24 * 60 * 60_000;
const HOUR = 60 * 60_000;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
/** An ISO BMFF header: what the first-bytes check calls an MP4. */
const MP4_HEAD = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom\0\0\0\0isommp41', 'latin1')]);
const mp4 = (bytes: number) => Buffer.concat([MP4_HEAD, Buffer.alloc(Math.max(0, bytes - MP4_HEAD.length), 7)]);

let root: string;

function newStore(name: string, overrides: Partial<MediaStoreOptions> = {}): { store: BotMediaStore; clock: ManualClock; dataDir: string } {
  const clock = new ManualClock();
  const dataDir = path.join(root, name);
  const store = createMediaStore({
    dataDir,
    logger: silentLogger,
    clock,
    maxResultBytes: 10_000_000,
    maxSourceBytes: 10_000,
    publicUrl: 'https://bot.example',
    signingKey: 'test-signing-key-0123456789abcdef',
    fetchTimeoutMs: 5_000,
    allowPrivateAddresses: true,
    ffmpegPath: '/nonexistent/ffmpeg',
    ...overrides,
  });
  return { store, clock, dataDir };
}

const filesIn = async (dir: string) => (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
const exists = (file: string) => stat(file).then(() => true, () => false);
async function put(file: string, content: Buffer | string, mtimeMs?: number): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  if (mtimeMs !== undefined) await utimes(file, new Date(mtimeMs), new Date(mtimeMs));
  return file;
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'media-lifecycle-'));
});
after(async () => rm(root, { recursive: true, force: true }));

describe('the sweep covers every media folder', () => {
  test('old videos, orphaned team files and stale hand-overs go; what a character or live job needs stays, however old', async () => {
    const { store, clock, dataDir } = newStore('sweep');
    const team = teamFolderName('slack:T1');
    const ancient = clock.now() - 30 * DAY;
    const fresh = clock.now() - 10 * 60_000;
    const files = {
      oldVideo: await put(path.join(dataDir, 'videos', 'j_old.mp4'), 'v', ancient),
      newVideo: await put(path.join(dataDir, 'videos', 'j_new.mp4'), 'v', clock.now() - DAY),
      videoOfLiveJob: await put(path.join(dataDir, 'videos', 'j_live.mp4'), 'v', ancient),
      clipOfCharacter: await put(path.join(dataDir, 'characters', team, 'clip-kept.mp4'), 'c', ancient),
      orphanClip: await put(path.join(dataDir, 'characters', team, 'clip-refused.mp4'), 'c', clock.now() - 2 * HOUR),
      clipBeingCreated: await put(path.join(dataDir, 'characters', team, 'clip-new.mp4'), 'c', fresh),
      frameOfBinding: await put(path.join(dataDir, 'frames', team, 'clip-kept-0.jpg'), 'f', ancient),
      orphanFrame: await put(path.join(dataDir, 'frames', team, 'clip-gone-0.jpg'), 'f', clock.now() - 2 * HOUR),
      imageOfQueuedJob: await put(path.join(dataDir, 'images', team, 'image-queued.png'), 'i', ancient),
      imageOfEndedJob: await put(path.join(dataDir, 'images', team, 'image-ended.png'), 'i', clock.now() - 2 * HOUR),
      staleHandOver: await put(path.join(dataDir, 'tmp', 'slack', 'slack-F1.png'), 'h', clock.now() - 2 * HOUR),
      freshHandOver: await put(path.join(dataDir, 'tmp', 'fetch', 'clip-x.mp4'), 'h', fresh),
      legacyClip: await put(path.join(dataDir, 'characters', 'clip-legacy.mp4'), 'c', ancient),
      store: await put(path.join(dataDir, 'bot.sqlite'), 's', ancient),
    };
    const asked: string[][] = [];
    const needed = new Set([files.videoOfLiveJob, files.clipOfCharacter, files.frameOfBinding, files.imageOfQueuedJob]);
    const removed = await store.removeExpiredFiles(14 * DAY, async (tenants) => {
      asked.push(tenants);
      return needed;
    });
    assert.deepEqual(asked, [['slack:T1']], 'the sweep asks about each team whose folders it found');
    const gone = ['oldVideo', 'orphanClip', 'orphanFrame', 'imageOfEndedJob', 'staleHandOver'] as const;
    for (const [name, file] of Object.entries(files)) {
      assert.equal(await exists(file), !(gone as readonly string[]).includes(name), name);
    }
    assert.equal(removed, gone.length);

    // The injected clock, not the wall clock, decides what is old.
    await clock.advance(14 * DAY, DAY);
    assert.equal(await store.removeExpiredFiles(14 * DAY, async () => needed), 3, 'newVideo, clipBeingCreated, freshHandOver');
    assert.equal(await exists(files.clipOfCharacter), true);
  });
});

describe('taking files into a team folder', () => {
  test('a team at its quota is refused with a sentence and keeps nothing; another team is not affected', async () => {
    const { store, dataDir } = newStore('quota', { teamQuotaBytes: 25_000 });
    const clip = await put(path.join(root, 'quota-src', 'clip.mp4'), mp4(9_000));
    await store.importFile(clip, 'video', 'discord:1');
    await store.importFile(clip, 'video', 'discord:1');
    const refused = await store.importFile(clip, 'video', 'discord:1').catch((e: unknown) => e);
    assert.ok(refused instanceof UserFacingError && refused.code === 'disk_quota', String(refused));
    assert.match(refused.userMessage, /^Your team already keeps 17\.6 KB of clips and images on this bot, and this file \(8\.8 KB\) would pass the team's 24\.4 KB limit\. Delete a character/);
    assert.equal((await filesIn(path.join(dataDir, 'characters'))).length, 2, 'the refused copy was never made');
    await store.importFile(clip, 'video', 'discord:2');
  });

  test('--image must be an image: /etc/passwd and a clip are refused, a PNG lands in the team images folder', async () => {
    const { store, dataDir } = newStore('image');
    for (const wrong of ['/etc/passwd', await put(path.join(root, 'image-src', 'clip.mp4'), mp4(100))]) {
      await assert.rejects(store.importFile(wrong, 'image', 'console'), (e: unknown) => e instanceof UserFacingError && e.code === 'source_bad_type', wrong);
    }
    const png = await put(path.join(root, 'image-src', 'x.png'), PNG);
    const kept = await store.importFile(png, 'image', 'console');
    assert.equal(path.dirname(kept.path), path.join(dataDir, 'images', teamFolderName('console')));
    assert.deepEqual(await readFile(kept.path), PNG);
    assert.equal(await exists(png), true, "a console user's own file is copied, never moved or deleted");
    await store.discard([png]);
    assert.equal(await exists(png), true, 'discard touches nothing outside the media folders');
  });

  test("the bot's own result obeys the source cap and is linked, not copied; a hand-over file is moved", async () => {
    const { store, dataDir } = newStore('own-result', { maxSourceBytes: 5_000 });
    const big = await put(path.join(dataDir, 'videos', 'j_big.mp4'), mp4(6_000));
    await assert.rejects(store.importFile(big, 'video', 'console'), (e: unknown) => e instanceof UserFacingError && e.code === 'source_too_large');
    assert.deepEqual(await filesIn(path.join(dataDir, 'characters')), [], 'nothing kept');
    const small = await put(path.join(dataDir, 'videos', 'j_small.mp4'), mp4(4_000));
    const linked = await store.importFile(small, 'video', 'console');
    assert.equal((await stat(linked.path)).ino, (await stat(small)).ino, 'a hard link: no second copy on disk');
    await rm(small);
    assert.equal(await exists(linked.path), true, "the character's clip outlives the video's retention");

    const handOver = await put(path.join(dataDir, 'tmp', 'slack', 'slack-F1.mp4'), mp4(1_000));
    const moved = await store.importFile(handOver, 'video', 'console');
    assert.equal(await exists(handOver), false);
    assert.equal(await exists(moved.path), true);
  });

  test('a playlist is not a clip: refused by its first bytes, and by ffprobe when it wears an MP4 header', async () => {
    const fakeDir = path.join(root, 'fake-tools');
    const argsLog = path.join(fakeDir, 'ffprobe-args.log');
    await mkdir(fakeDir, { recursive: true });
    // Stand-ins for ffmpeg/ffprobe (not installed on every machine): ffprobe names the demuxer
    // ffmpeg would pick, here HLS for any file that contains a playlist.
    await writeFile(path.join(fakeDir, 'ffmpeg'), '#!/bin/sh\nexit 0\n');
    await writeFile(
      path.join(fakeDir, 'ffprobe'),
      `#!/bin/sh
[ "$1" = "-version" ] && exit 0
echo "$@" >> ${JSON.stringify(argsLog)}
for last; do :; done
if grep -q EXTM3U "\${last#file:}"; then format=hls; else format=mov,mp4,m4a,3gp,3g2,mj2; fi
printf '{"format":{"format_name":"%s","duration":"4.0"},"streams":[{"codec_type":"video","duration":"4.0"}]}' "$format"
`,
    );
    await chmod(path.join(fakeDir, 'ffmpeg'), 0o755);
    await chmod(path.join(fakeDir, 'ffprobe'), 0o755);
    const { store, dataDir } = newStore('playlist', { ffmpegPath: path.join(fakeDir, 'ffmpeg') });
    assert.equal(store.ffmpegAvailable, true);

    const plain = await put(path.join(root, 'playlist-src', 'list.mp4'), '#EXTM3U\n#EXTINF:4,\nfile:///etc/passwd\n');
    await assert.rejects(store.importFile(plain, 'video', 'console'), (e: unknown) => e instanceof UserFacingError && e.code === 'source_bad_type');
    const disguised = await put(path.join(root, 'playlist-src', 'disguised.mp4'), Buffer.concat([MP4_HEAD, Buffer.from('\n#EXTM3U\nfile:///etc/passwd\n')]));
    await assert.rejects(store.importFile(disguised, 'video', 'console'), (e: unknown) => e instanceof UserFacingError && e.code === 'source_bad_type');
    assert.deepEqual(await filesIn(path.join(dataDir, 'characters')), [], 'nothing kept');

    const real = await put(path.join(root, 'playlist-src', 'real.mp4'), mp4(500));
    await store.importFile(real, 'video', 'console');
    const calls = (await readFile(argsLog, 'utf8')).trim().split('\n');
    assert.equal(calls.length, 2, 'ffprobe ran for the two files that passed the first-bytes check');
    for (const call of calls) assert.match(call, /-protocol_whitelist file .*file:\//, 'file protocol only, and the input read as a plain file');
  });
});

describe('signed links name only media files', () => {
  test('never the store file, a hand-over file, or a symlink out of the media folders', async () => {
    const { store, dataDir } = newStore('links');
    const video = await put(path.join(dataDir, 'videos', 'j_1.mp4'), 'v');
    const token = (url: string | undefined) => url?.split('/files/')[1];
    assert.equal(store.verifySignedPath(token(await store.publicUrlFor(video, 60_000))!), video, 'control: a video gets a link');
    const sqlite = await put(path.join(dataDir, 'bot.sqlite'), 'secret rows');
    assert.equal(await store.publicUrlFor(sqlite, 60_000), undefined, 'the store file');
    assert.equal(await store.publicUrlFor(await put(path.join(dataDir, 'tmp', 'slack', 'x.png'), 'h'), 60_000), undefined, 'a hand-over file');
    const link = path.join(dataDir, 'videos', 'j_store.mp4');
    await symlink(sqlite, link);
    const linkToken = token(await store.publicUrlFor(link, 60_000));
    assert.ok(linkToken, 'the link is signed by its name');
    assert.equal(store.verifySignedPath(linkToken), undefined, 'but it is refused where it leads');
  });
});
