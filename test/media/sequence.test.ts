/**
 * The storyboard plumbing on real ffmpeg output: clips of different sizes,
 * frame rates and audio are joined into one MP4 whose length is the sum, whose
 * every frame has one size, and which decodes from end to end; the last frame
 * taken from a clip is the clip's final picture.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateFfmpegTools, runTool } from '../../src/media/ffmpeg.js';
import { extractLastFrame, joinClips, probeVideoShape } from '../../src/media/sequence.js';

const tools = locateFfmpegTools();
const options = { tools, timeoutMs: 60_000 };
let dir: string;

async function ffmpeg(args: string[]): Promise<void> {
  const result = await runTool(tools.ffmpeg, ['-hide_banner', '-v', 'error', '-y', ...args], 60_000);
  assert.equal(result.code, 0, result.stderrTail);
}

/** A test clip: `video` is a lavfi source, `audio` seconds of tone (none when undefined). */
async function clip(name: string, video: string, audioSeconds?: number): Promise<string> {
  const out = path.join(dir, name);
  const audio = audioSeconds === undefined ? [] : ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${audioSeconds}`];
  await ffmpeg(['-f', 'lavfi', '-i', video, ...audio, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...(audioSeconds === undefined ? ['-an'] : ['-c:a', 'aac']), out]);
  return out;
}

/** Every decoded frame's size, as `WxH`, via ffprobe. */
async function frameSizes(file: string): Promise<Set<string>> {
  const result = await runTool(tools.ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-of', 'json', file], 60_000);
  assert.equal(result.code, 0, result.stderrTail);
  const frames = (JSON.parse(result.stdout) as { frames: { width: number; height: number }[] }).frames;
  assert.ok(frames.length > 0);
  return new Set(frames.map((f) => `${f.width}x${f.height}`));
}

/** The picture scaled to one pixel, as `[r, g, b]`. */
async function averageColour(image: string): Promise<number[]> {
  const result = await runTool(tools.ffmpeg, ['-v', 'error', '-i', image, '-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], 30_000);
  assert.equal(result.code, 0, result.stderrTail);
  return [...Buffer.from(result.stdout, 'latin1')].slice(0, 3);
}

describe('media sequence: join and last frame on real ffmpeg output', () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sequence-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('joins clips of different sizes, frame rates and audio into one MP4 of the summed length and one size', async () => {
    const silent = await clip('a.mp4', 'testsrc2=size=320x180:rate=12:duration=2');
    const loud = await clip('b.mp4', 'testsrc2=size=640x360:rate=25:duration=1.5', 1.5);
    // Audio shorter than the picture: the join pads it with silence instead of pulling the next shot's sound forward.
    const shortSound = await clip('c.mp4', 'testsrc2=size=480x270:rate=30:duration=1', 0.5);
    const inputs = [silent, loud, shortSound];
    const sum = (await Promise.all(inputs.map((f) => probeVideoShape(tools, f, 30_000)))).reduce((s, shape) => s + shape!.durationSeconds, 0);

    const joined = await joinClips(inputs, path.join(dir, 'joined.mp4'), options);

    const shape = await probeVideoShape(tools, joined.path, 30_000);
    assert.ok(shape, 'ffprobe reads the joined file');
    assert.ok(Math.abs(shape.durationSeconds - sum) <= 0.2, `joined ${shape.durationSeconds}s, clips add up to ${sum}s`);
    assert.equal(shape.hasAudio, true, 'the joined file has one audio track even though the first clip had none');
    assert.deepEqual(await frameSizes(joined.path), new Set(['320x180']), 'every frame has the first clip\'s size');
    assert.equal(shape.fps, 30, 'the highest frame rate of the clips, so no clip loses frames');
    // It plays: decoding every frame to nowhere reports no error.
    const decode = await runTool(tools.ffmpeg, ['-v', 'error', '-i', joined.path, '-f', 'null', '-'], 60_000);
    assert.equal(decode.code, 0);
    assert.equal(decode.stderrTail.trim(), '');
  });

  it('joins portrait clips into a portrait video', async () => {
    const one = await clip('p1.mp4', 'testsrc2=size=180x320:rate=12:duration=1');
    const two = await clip('p2.mp4', 'testsrc2=size=360x640:rate=12:duration=1');
    const joined = await joinClips([one, two], path.join(dir, 'portrait.mp4'), options);
    assert.deepEqual(await frameSizes(joined.path), new Set(['180x320']));
  });

  it('takes the final picture of a clip as a PNG', async () => {
    // One second red, then one second blue: the last frame is blue.
    const colours = path.join(dir, 'colours.mp4');
    await ffmpeg([
      '-f', 'lavfi', '-i', 'color=c=red:size=160x90:rate=12:duration=1',
      '-f', 'lavfi', '-i', 'color=c=blue:size=160x90:rate=12:duration=1',
      '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', colours,
    ]);
    const frame = await extractLastFrame(colours, path.join(dir, 'last.png'), options);
    assert.ok(frame.bytes > 0);
    const [r, g, b] = await averageColour(frame.path);
    assert.ok(b! > 200 && r! < 60 && g! < 60, `expected blue, got rgb(${r}, ${g}, ${b})`);
  });

  it('refuses what is not a video with a reason', async () => {
    const text = path.join(dir, 'not-a-video.mp4');
    await import('node:fs/promises').then((fs) => fs.writeFile(text, 'hello'));
    await assert.rejects(joinClips([text], path.join(dir, 'never.mp4'), options), /could not read/);
    await assert.rejects(extractLastFrame(text, path.join(dir, 'never.png'), options), /last frame/);
  });
});
