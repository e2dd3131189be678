/**
 * Media has an owner and an end, through the real bot (startBot, SQLite,
 * the real media store on a temporary DATA_DIR, the simulator): a character's
 * clip and frames go with it, a refused create or generation keeps no file,
 * `--from_job` obeys the source cap, and a team over its disk quota is told so.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import type { GenerationInput } from '../../src/core/types.js';
import { teamFolderName } from '../../src/media/media-layout.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator } from '../../src/simulator/server.js';
import { driveUntil } from '../helpers/drive.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
let sample: Buffer;
/** The bundled sample clip grown to `bytes` with a trailing ISO BMFF `free` box: still one playable MP4. */
function mp4(bytes: number): Buffer {
  const pad = bytes - sample.length;
  const box = Buffer.alloc(pad);
  box.writeUInt32BE(pad, 0);
  box.write('free', 4, 'latin1');
  return Buffer.concat([sample, box]);
}
const MB = 1024 * 1024;

const team = actor('test:MEDIA', 'alice', false, 'Alice');
const input = (prompt: string): GenerationInput => ({ prompt, seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: 'openai', imagePath: undefined, remixOf: undefined });
const exists = (file: string) => stat(file).then(() => true, () => false);

describe('media has an owner and an end', () => {
  let t: TestBot;
  let web: Server;
  let webUrl: string;
  let files: (folder: string) => Promise<string[]>;
  before(async () => {
    sample = await readFile(SAMPLE_CLIP_PATH);
    const clock = new ManualClock();
    const sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, render: { ffmpegPath: false } });
    t = await startTestBot(
      { MAX_SOURCE_MB: '1', TEAM_DISK_QUOTA_MB: '2', KLING_ACCESS_KEY: 'kling-ak-media', KLING_SECRET_KEY: 'kling-sk-media-secret', KLING_API_URL: sim.klingApiUrl },
      { clock, sim, ownsSim: true },
    );
    web = createServer((req, res) => {
      if (req.url === '/page.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a video</html>');
      if (req.url === '/fake.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4' }).end('#EXTM3U\n#EXTINF:4,\nhttp://169.254.169.254/latest\n');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    files = async (folder) =>
      (await readdir(path.join(t.dataDir, folder), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  });
  after(async () => {
    await t.stop();
    await new Promise((resolve) => web.close(resolve));
  });

  it('deleting a character deletes its clip, its frames and its provider-side binding', async () => {
    const studio = t.bot.studio;
    await studio.createCharacter(team, { name: 'mascot', description: 'an orange fox', clipPath: SAMPLE_CLIP_PATH });
    const created = (await internalsOf(studio).characters.get(team.tenant, 'mascot'))!;
    assert.equal(path.dirname(created.clipPath!), path.join(t.dataDir, 'characters', teamFolderName(team.tenant)));
    // The bindings a first use would have made: frames cut for an image-based backend, an element on Kling.
    const framesDir = path.join(t.dataDir, 'frames', teamFolderName(team.tenant));
    await mkdir(framesDir, { recursive: true });
    const frames = [path.join(framesDir, 'f-0.jpg'), path.join(framesDir, 'f-1.jpg')];
    for (const f of frames) await writeFile(f, 'jpeg');
    await internalsOf(studio).characters.setBinding(team.tenant, 'mascot', 'gemini', { kind: 'reference-images', frontal: frames[0]!, references: [frames[1]!], createdAt: 0 });
    await internalsOf(studio).characters.setBinding(team.tenant, 'mascot', 'kling', { kind: 'element', id: '860012345', createdAt: 0 });
    assert.ok((await studio.filesInUse([team.tenant])).has(frames[1]!), 'a live binding keeps its frames from the sweep');

    await studio.deleteCharacter(team, 'mascot');
    assert.equal(await exists(created.clipPath!), false, 'the clip');
    for (const f of frames) assert.equal(await exists(f), false, 'the frames');
    await driveUntil(t.clock, () => t.sim.stats.count('kling.element.delete') === 1, { stepMs: 100, maxSteps: 100 });
    assert.deepEqual(await files('characters'), []);
    assert.deepEqual(await files('frames'), []);
  });

  it('a refused create keeps no file: duplicate name, a page or a playlist instead of a video, too large', async () => {
    const studio = t.bot.studio;
    await studio.createCharacter(team, { name: 'robot', description: undefined, clipPath: SAMPLE_CLIP_PATH });
    const before = await files('characters');
    const refusals: Array<[string, Parameters<typeof studio.createCharacter>[1]]> = [
      ['name_taken', { name: 'robot', description: undefined, url: `${webUrl}/page.html` }],
      ['source_bad_type', { name: 'page', description: undefined, url: `${webUrl}/page.html` }],
      ['source_bad_type', { name: 'playlist', description: undefined, url: `${webUrl}/fake.mp4` }],
    ];
    const big = path.join(t.dataDir, '..', `${path.basename(t.dataDir)}-big.mp4`);
    await writeFile(big, mp4(MB + 1));
    refusals.push(['source_too_large', { name: 'huge', description: undefined, clipPath: big }]);
    for (const [code, request] of refusals) {
      const error = await studio.createCharacter(team, request).catch((e: unknown) => e);
      assert.ok(error instanceof UserFacingError && error.code === code, `${request.name}: ${String(error)}`);
    }
    assert.deepEqual(await files('characters'), before);
    assert.deepEqual(await files('tmp'), [], 'no hand-over download is left either');
    await rm(big);
  });

  it('--from_job obeys the source cap; under it, the clip is a link to the result, not a copy', async () => {
    const studio = t.bot.studio;
    const accepted = await studio.generate(team, input('a red fox runs through fresh snow'), { platform: 'test' });
    await driveUntil(t.clock, async () => (await internalsOf(studio).jobs.get(accepted.job.id))?.state === 'delivered', { stepMs: 500, maxSteps: 400 });
    const job = (await internalsOf(studio).jobs.get(accepted.job.id))!;
    const fromJob = await studio.createCharacter(team, { name: 'fox', description: undefined, fromJob: job.id });
    assert.equal((await stat(fromJob.character.clipPath!)).ino, (await stat(job.resultPath!)).ino);

    // A result larger than MAX_SOURCE_MB (results may be up to MAX_RESULT_MB).
    await writeFile(job.resultPath!, mp4(MB + 1));
    const before = await files('characters');
    const error = await studio.createCharacter(team, { name: 'bigfox', description: undefined, fromJob: job.id }).catch((e: unknown) => e);
    assert.ok(error instanceof UserFacingError && error.code === 'source_too_large', String(error));
    assert.match(error.userMessage, /larger than the 1 MB the bot accepts for character clips/);
    assert.deepEqual(await files('characters'), before);
  });

  it('a team over its disk quota is refused with a sentence; deleting a character makes room', async () => {
    const studio = t.bot.studio;
    const other = actor('test:OTHER', 'bob', false, 'Bob');
    const clip = path.join(t.dataDir, '..', `${path.basename(t.dataDir)}-clip.mp4`);
    await writeFile(clip, mp4(MB - 64 * 1024));
    await studio.createCharacter(other, { name: 'one', description: undefined, clipPath: clip });
    await studio.createCharacter(other, { name: 'two', description: undefined, clipPath: clip });
    const error = await studio.createCharacter(other, { name: 'three', description: undefined, clipPath: clip }).catch((e: unknown) => e);
    assert.ok(error instanceof UserFacingError && error.code === 'disk_quota', String(error));
    assert.match(error.userMessage, /^Your team already keeps 1\.9 MB of clips and images on this bot, and this file \(960 KB\) would pass the team's 2 MB limit\. Delete a character you no longer use with \/character delete, then try again\.$/);
    // The quota is per team: Alice's team is not affected by Bob's.
    await studio.createCharacter(team, { name: 'alices', description: undefined, clipPath: clip });
    await studio.deleteCharacter(other, 'one');
    await studio.createCharacter(other, { name: 'three', description: undefined, clipPath: clip });
    await rm(clip);
  });

  it('--image must be an image, and a refused generation keeps none: /etc/passwd is refused and nothing is charged', async () => {
    const studio = t.bot.studio;
    const spentBefore = (await studio.budget(team)).userReservedMicros + (await studio.budget(team)).userSpentMicros;
    const error = await internalsOf(studio).accept(team, input('a boat'), { platform: 'test' }, '/etc/passwd').catch((e: unknown) => e);
    assert.ok(error instanceof UserFacingError && error.code === 'source_bad_type', String(error));
    assert.match(error.userMessage, /not a PNG, JPEG or WebP image/);
    const after = await studio.budget(team);
    assert.equal(after.userReservedMicros + after.userSpentMicros, spentBefore, 'nothing reserved or charged');

    // A real image on a request the budget refuses: the copy the job would have owned is dropped.
    const png = path.join(t.dataDir, '..', `${path.basename(t.dataDir)}-x.png`);
    await writeFile(png, PNG);
    const poor = actor('test:POOR', 'carol', true, 'Carol');
    await studio.setBudget(poor, { amountMicros: 1 });
    const refused = await internalsOf(studio).accept(poor, input('a boat'), { platform: 'test' }, png).catch((e: unknown) => e);
    assert.ok(refused instanceof UserFacingError && refused.code === 'budget_exceeded', String(refused));
    assert.deepEqual((await files('images')).filter((f) => f.includes(teamFolderName(poor.tenant))), []);
    assert.equal(await exists(png), true, "the user's own file is never touched");
    await rm(png);

    // A Retry of a job whose image the sweep has since removed: a sentence, not a failure at the provider.
    const gone = await internalsOf(studio).accept(team, { ...input('a boat'), imagePath: path.join(t.dataDir, 'images', teamFolderName(team.tenant), 'image-gone.png') }, { platform: 'test' }).catch((e: unknown) => e);
    assert.ok(gone instanceof UserFacingError && gone.code === 'image_gone', String(gone));
  });
});
