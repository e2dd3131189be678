/**
 * Re-encodes a video so it fits a chat platform's upload limit (Discord's is
 * per guild and arrives with each interaction; Slack's differs again), so the
 * adapter can attach the file instead of only linking it.
 *
 * Size ≈ bitrate × duration, so the target video bitrate is the byte budget
 * spread over the clip's length, minus an audio budget and ~5% headroom for
 * the MP4 container and encoder overshoot. One-pass ABR can still overshoot,
 * so a second attempt scales the bitrate by how far the first one missed.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { asFileInput, probeMedia, resolveFfmpegTools, runTool, userInput, type FfmpegTools } from './ffmpeg.js';

export interface TranscodeOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Per ffmpeg run. Default 5 minutes. */
  timeoutMs?: number;
  /** Where the fitted file goes. Default: beside the input. */
  outputDir?: string;
  signal?: AbortSignal;
}

/** Share of the byte budget kept free for the container and rate-control overshoot. */
const HEADROOM = 0.05;
const AUDIO_BITS_PER_SECOND = 64_000;
/** Below this the picture is mush; better to send a link than an unwatchable attachment. */
const MIN_VIDEO_BITS_PER_SECOND = 100_000;
const MAX_ATTEMPTS = 2;

/** The video bitrate (bits/s) that fills `maxBytes` over `durationSeconds`, or undefined when it is too low to be worth it. */
export function targetVideoBitrate(maxBytes: number, durationSeconds: number, hasAudio: boolean): number | undefined {
  if (!(durationSeconds > 0) || !(maxBytes > 0)) return undefined;
  const totalBitsPerSecond = (maxBytes * 8 * (1 - HEADROOM)) / durationSeconds;
  const video = Math.floor(totalBitsPerSecond - (hasAudio ? AUDIO_BITS_PER_SECOND : 0));
  return video >= MIN_VIDEO_BITS_PER_SECOND ? video : undefined;
}

/** Lower bitrates look better at lower resolutions; cap the height accordingly. */
function maxHeightFor(videoBitsPerSecond: number): number {
  if (videoBitsPerSecond < 400_000) return 360;
  if (videoBitsPerSecond < 900_000) return 480;
  if (videoBitsPerSecond < 2_500_000) return 720;
  return 1080;
}

/**
 * Returns the input itself when it already fits, a new file beside it (or in
 * `outputDir`) when re-encoding made it fit, or undefined when it cannot fit.
 */
export async function transcodeToFit(
  inputPath: string,
  maxBytes: number,
  durationSeconds?: number,
  options: TranscodeOptions = {},
): Promise<{ path: string; bytes: number } | undefined> {
  const original = (await stat(inputPath)).size;
  if (original <= maxBytes) return { path: inputPath, bytes: original };

  const tools: FfmpegTools = resolveFfmpegTools(options.ffmpegPath, options.ffprobePath);
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const probe = await probeMedia(tools, inputPath, 30_000).catch(() => undefined);
  const duration = durationSeconds ?? probe?.durationSeconds;
  const hasAudio = probe?.hasAudio ?? true;
  let bitrate = duration === undefined ? undefined : targetVideoBitrate(maxBytes, duration, hasAudio);
  if (bitrate === undefined) return undefined;

  const dir = options.outputDir ?? path.dirname(inputPath);
  const stem = path.basename(inputPath, path.extname(inputPath));
  const finalPath = path.join(dir, `${stem}.fit-${maxBytes}.mp4`);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const tempPath = path.join(dir, `.${stem}.${randomBytes(4).toString('hex')}.part.mp4`);
    const height = maxHeightFor(bitrate);
    const args = [
      '-hide_banner', '-v', 'error', '-y',
      ...userInput(inputPath),
      '-map', '0:v:0', '-map', '0:a:0?',
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
      '-b:v', String(bitrate), '-maxrate', String(bitrate), '-bufsize', String(bitrate * 2),
      // Never upscale; keep the width even as x264 requires.
      '-vf', `scale=-2:'min(${height},ih)'`,
      ...(hasAudio ? ['-c:a', 'aac', '-b:a', String(AUDIO_BITS_PER_SECOND)] : ['-an']),
      // Moves the index to the front so chat clients can start playing before the download ends.
      '-movflags', '+faststart',
      '-f', 'mp4', asFileInput(tempPath),
    ];
    try {
      // A missing ffmpeg means "cannot fit" to the caller, which then sends a link instead.
      const result = await runTool(tools.ffmpeg, args, timeoutMs, options.signal).catch(() => undefined);
      if (result?.code !== 0) return undefined;
      const bytes = (await stat(tempPath)).size;
      if (bytes <= maxBytes) {
        await rename(tempPath, finalPath);
        return { path: finalPath, bytes };
      }
      const next = Math.floor(bitrate * (maxBytes / bytes) * (1 - HEADROOM));
      if (next < MIN_VIDEO_BITS_PER_SECOND) return undefined;
      bitrate = next;
    } finally {
      await rm(tempPath, { force: true });
    }
  }
  return undefined;
}
