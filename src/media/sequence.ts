/**
 * Clips in sequence, for storyboards and extensions: the last frame of a clip
 * (the next shot's start image), and several clips joined in order into one
 * MP4. Providers answer in different sizes, frame rates and codecs, some with
 * audio and some without, and the concat demuxer would need them identical;
 * the join therefore normalizes every clip in one filter graph (scale and pad
 * to the first clip's size, one frame rate, H.264 + AAC) and gives a silent
 * track to the clips that have none, so the joined file always has audio and
 * the sound of the clips that had it stays in step with their picture.
 * https://ffmpeg.org/ffmpeg-filters.html#concat
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { asFileInput, probeJson, probeMedia, runTool, userInput, type FfmpegTools } from './ffmpeg.js';

export interface VideoShape {
  width: number;
  height: number;
  /** Frames per second, from ffprobe's `avg_frame_rate` (or `r_frame_rate`). */
  fps: number;
  durationSeconds: number;
  hasAudio: boolean;
}

const ShapeOutput = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        avg_frame_rate: z.string().optional(),
        r_frame_rate: z.string().optional(),
      }),
    )
    .optional(),
});

/** `30000/1001` → 29.97; undefined for `0/0` and anything unreadable. */
function rate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [num, den] = text.split('/').map(Number);
  const value = den === undefined ? num : num! / den;
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Size, frame rate, duration and audio of a video; undefined when ffprobe cannot read one. */
export async function probeVideoShape(tools: FfmpegTools, file: string, timeoutMs: number): Promise<VideoShape | undefined> {
  const basics = await probeMedia(tools, file, timeoutMs);
  if (!basics?.hasVideo || basics.durationSeconds === undefined) return undefined;
  const shape = await probeJson(tools, file, ['-select_streams', 'v:0', '-show_entries', 'stream=codec_type,width,height,avg_frame_rate,r_frame_rate'], ShapeOutput, timeoutMs);
  const video = shape?.streams?.[0];
  const fps = rate(video?.avg_frame_rate) ?? rate(video?.r_frame_rate);
  if (!video?.width || !video.height || fps === undefined) return undefined;
  return { width: video.width, height: video.height, fps, durationSeconds: basics.durationSeconds, hasAudio: basics.hasAudio };
}

export interface SequenceOptions {
  tools: FfmpegTools;
  /** Per ffmpeg run. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Writes the clip's last frame as a PNG (lossless: the next shot starts from
 * exactly this picture). Reads only the last second: `-sseof` seeks from the
 * end, and `-update 1` keeps overwriting the one image, so the file ends up
 * holding the final decoded frame. https://ffmpeg.org/ffmpeg.html#Main-options
 */
export async function extractLastFrame(clipPath: string, outPath: string, options: SequenceOptions): Promise<{ path: string; bytes: number }> {
  const temp = partPath(outPath, '.png');
  try {
    const result = await runTool(
      options.tools.ffmpeg,
      ['-hide_banner', '-v', 'error', '-y', '-sseof', '-1', ...userInput(clipPath), '-map', '0:v:0', '-update', '1', '-f', 'image2', '-c:v', 'png', asFileInput(temp)],
      options.timeoutMs,
      options.signal,
    );
    const bytes = await stat(temp).then((s) => s.size, () => 0);
    if (result.code !== 0 || bytes === 0) throw new Error(`ffmpeg could not take the last frame of ${clipPath}: ${result.timedOut ? 'timed out' : result.stderrTail.trim()}`);
    await rename(temp, outPath);
    return { path: outPath, bytes };
  } finally {
    await rm(temp, { force: true });
  }
}

/** Highest frame rate any clip has, so no clip loses frames; capped where chat players stop gaining. */
const MAX_FPS = 60;
const AUDIO_RATE = 48_000;

/**
 * The filter graph that normalizes and joins `shapes.length` inputs: every
 * picture scaled into the first clip's frame (letterboxed, never stretched),
 * one frame rate and pixel format, and each clip's audio (or silence) cut or
 * padded to its picture's length so sound never drifts into the next shot.
 */
export function joinFilter(shapes: VideoShape[]): { graph: string; width: number; height: number; fps: number } {
  const first = shapes[0]!;
  // x264 wants even dimensions.
  const width = first.width - (first.width % 2);
  const height = first.height - (first.height % 2);
  const fps = Math.min(MAX_FPS, Math.max(...shapes.map((s) => Math.round(s.fps))));
  const parts: string[] = [];
  const pairs: string[] = [];
  shapes.forEach((shape, i) => {
    const seconds = shape.durationSeconds.toFixed(3);
    parts.push(
      `[${i}:v:0]scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p,trim=duration=${seconds},setpts=PTS-STARTPTS[v${i}]`,
    );
    const audio = shape.hasAudio ? `[${i}:a:0]` : `anullsrc=r=${AUDIO_RATE}:cl=stereo,`;
    parts.push(`${audio}aresample=${AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=${seconds},asetpts=PTS-STARTPTS[a${i}]`);
    pairs.push(`[v${i}][a${i}]`);
  });
  parts.push(`${pairs.join('')}concat=n=${shapes.length}:v=1:a=1[v][a]`);
  return { graph: parts.join(';'), width, height, fps };
}

export interface JoinedVideo {
  path: string;
  bytes: number;
  width: number;
  height: number;
  durationSeconds: number;
}

/** Joins the clips in order into one MP4 at `outPath`. Throws with ffmpeg's reason when it cannot. */
export async function joinClips(clipPaths: string[], outPath: string, options: SequenceOptions): Promise<JoinedVideo> {
  if (clipPaths.length === 0) throw new Error('nothing to join');
  const shapes: VideoShape[] = [];
  for (const clip of clipPaths) {
    const shape = await probeVideoShape(options.tools, clip, options.timeoutMs);
    if (!shape) throw new Error(`ffprobe could not read ${clip} as a video`);
    shapes.push(shape);
  }
  const { graph, width, height } = joinFilter(shapes);
  const temp = partPath(outPath, '.mp4');
  try {
    const result = await runTool(
      options.tools.ffmpeg,
      [
        '-hide_banner', '-v', 'error', '-y',
        ...clipPaths.flatMap((clip) => userInput(clip)),
        '-filter_complex', graph,
        '-map', '[v]', '-map', '[a]',
        '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20',
        '-c:a', 'aac', '-b:a', '128k',
        // The index first, so chat clients start playing before the download ends.
        '-movflags', '+faststart',
        '-f', 'mp4', asFileInput(temp),
      ],
      options.timeoutMs,
      options.signal,
    );
    if (result.code !== 0) throw new Error(`ffmpeg could not join ${clipPaths.length} clips: ${result.timedOut ? 'timed out' : result.stderrTail.trim()}`);
    await rename(temp, outPath);
    const bytes = (await stat(outPath)).size;
    const durationSeconds = shapes.reduce((sum, s) => sum + s.durationSeconds, 0);
    return { path: outPath, bytes, width, height, durationSeconds };
  } finally {
    await rm(temp, { force: true });
  }
}

/** A hidden sibling to write into, renamed over the target only when complete. */
function partPath(target: string, ext: string): string {
  return path.join(path.dirname(target), `.${path.basename(target, path.extname(target))}.${randomBytes(4).toString('hex')}.part${ext}`);
}
