/**
 * Reference frames cut from a character's clip, for backends that bind a
 * character by images (Kling elements want one frontal image plus 1–3
 * references; Veo takes up to 3 asset images). The first frame is taken near
 * the start, where a character clip normally faces the camera; the rest are
 * spread over the clip so the references show other angles.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { asFileInput, isSingleFileContainer, probeMedia, runTool, userInput, type FfmpegTools } from './ffmpeg.js';

export const MAX_FRAMES = 8;
/** Seek a little past 0: many encoders start with a black or faded-in frame. */
const FIRST_FRAME_SECONDS = 0.1;

/** Timestamps (seconds) for `count` frames over `duration`: the first near the start, the rest evenly after it. */
export function frameTimestamps(durationSeconds: number, count: number): number[] {
  const first = Math.min(FIRST_FRAME_SECONDS, durationSeconds / 10);
  // Stay clear of the very end, where seeking can land past the last frame.
  const last = Math.max(first, durationSeconds * 0.9);
  if (count === 1) return [first];
  return Array.from({ length: count }, (_, i) => first + ((last - first) * i) / (count - 1));
}

export interface FrameCutOptions {
  tools: FfmpegTools;
  framesDir: string;
  timeoutMs: number;
}

/** Cuts JPEG frames; returns the paths that were written, in order (frontal first). Throws when ffprobe cannot read the clip. */
export async function cutFrames(clipPath: string, count: number, options: FrameCutOptions): Promise<string[]> {
  const wanted = Math.max(1, Math.min(MAX_FRAMES, Math.floor(count)));
  const probe = await probeMedia(options.tools, clipPath, options.timeoutMs);
  if (!probe?.hasVideo || probe.durationSeconds === undefined || !isSingleFileContainer(probe.formatName, 'video')) {
    throw new Error(`ffprobe found no single-file video with a duration in ${clipPath} (format ${probe?.formatName})`);
  }
  await mkdir(options.framesDir, { recursive: true });
  const stem = `${path.basename(clipPath, path.extname(clipPath))}-${randomBytes(4).toString('hex')}`;
  const written: string[] = [];
  for (const [index, seconds] of frameTimestamps(probe.durationSeconds, wanted).entries()) {
    const out = path.join(options.framesDir, `${stem}-${index}.jpg`);
    const result = await runTool(
      options.tools.ffmpeg,
      [
        '-hide_banner', '-v', 'error', '-y',
        // -ss before -i seeks by keyframe index instead of decoding from the start.
        '-ss', seconds.toFixed(3), ...userInput(clipPath),
        '-frames:v', '1', '-q:v', '2', '-f', 'image2', asFileInput(out),
      ],
      options.timeoutMs,
    );
    const size = await stat(out).then((s) => s.size, () => 0);
    if (result.code === 0 && size > 0) written.push(out);
    else await rm(out, { force: true });
  }
  return written;
}
