/**
 * What ffprobe says about a delivered video, read independently of the bot's
 * own media code: its length, and the size of every decoded frame.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateFfmpegTools, runTool } from '../../src/media/ffmpeg.js';

export async function probeDuration(file: string): Promise<number> {
  const { ffprobe } = locateFfmpegTools();
  const result = await runTool(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', file], 30_000);
  assert.equal(result.code, 0, result.stderrTail);
  return Number(result.stdout.trim());
}

/** Every decoded frame's `WxH`; one entry means a uniform resolution. */
export async function frameSizes(file: string): Promise<Set<string>> {
  const { ffprobe } = locateFfmpegTools();
  const result = await runTool(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-of', 'json', file], 60_000);
  assert.equal(result.code, 0, result.stderrTail);
  const frames = (JSON.parse(result.stdout) as { frames: { width: number; height: number }[] }).frames;
  assert.ok(frames.length > 0, `no frames in ${file}`);
  return new Set(frames.map((f) => `${f.width}x${f.height}`));
}

/** MD5 of an image's or a video's last decoded picture as raw RGB: equal pictures, equal sums. */
export async function pictureMd5(file: string, lastFrame = false): Promise<string> {
  const { ffmpeg } = locateFfmpegTools();
  const args = ['-v', 'error', ...(lastFrame ? ['-sseof', '-1'] : []), '-i', file, '-map', '0:v:0', '-pix_fmt', 'rgb24', '-f', 'framemd5', '-'];
  const result = await runTool(ffmpeg, args, 30_000);
  assert.equal(result.code, 0, result.stderrTail);
  const sums = result.stdout.trim().split('\n').filter((l) => !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
  return sums[sums.length - 1]!;
}

/** The length of a video given as bytes (what a fake platform received), probed from a temporary copy. */
export async function probeBytesDuration(bytes: Buffer): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'probe-'));
  try {
    const file = path.join(dir, 'video.mp4');
    await writeFile(file, bytes);
    return await probeDuration(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
