/**
 * Running ffmpeg/ffprobe: argument arrays only (a clip path from a user never
 * meets a shell), a hard timeout that kills the process, and bounded output
 * capture so a chatty ffmpeg cannot grow memory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

/**
 * Where ffmpeg comes from, in order: the paths given (FFMPEG_PATH), the system's
 * ffmpeg on PATH (a distribution build: current codecs and security fixes), then
 * the static build shipped inside the optional npm packages @ffmpeg-installer/ffmpeg
 * and @ffprobe-installer/ffprobe, so `npm install` alone gives a working bot and
 * test suite on a machine without ffmpeg. Answered once per process.
 */
export type FfmpegSource = 'configured' | 'system' | 'packaged' | 'none';

let located: (FfmpegTools & { source: FfmpegSource }) | undefined;

export function locateFfmpegTools(): FfmpegTools & { source: FfmpegSource } {
  if (located) return located;
  if (toolsAvailable({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' })) return (located = { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', source: 'system' });
  const packaged = packagedTools();
  if (packaged && toolsAvailable(packaged)) return (located = { ...packaged, source: 'packaged' });
  // Nothing runs: keep the plain names so errors say which tool was missing.
  return (located = { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', source: 'none' });
}

function packagedTools(): FfmpegTools | undefined {
  try {
    const require = createRequire(import.meta.url);
    const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    const ffprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
    return { ffmpeg, ffprobe };
  } catch {
    return undefined; // optional dependencies: absent on platforms they do not ship for
  }
}

/** ffprobe sits beside ffmpeg in every distribution; derive it unless told otherwise. */
export function resolveFfmpegTools(ffmpegPath?: string, ffprobePath?: string): FfmpegTools {
  if (ffmpegPath === undefined && ffprobePath === undefined) {
    const { ffmpeg, ffprobe } = locateFfmpegTools();
    return { ffmpeg, ffprobe };
  }
  const ffmpeg = ffmpegPath ?? 'ffmpeg';
  const derived = path.basename(ffmpeg).startsWith('ffmpeg')
    ? path.join(path.dirname(ffmpeg), path.basename(ffmpeg).replace(/^ffmpeg/, 'ffprobe'))
    : 'ffprobe';
  return { ffmpeg, ffprobe: ffprobePath ?? (ffmpeg.includes('/') ? derived : 'ffprobe') };
}

const availability = new Map<string, boolean>();

/**
 * Synchronous on purpose: answered at start-up so `ffmpegAvailable` is a plain boolean. Remembered per
 * pair of paths for the life of the process: each `-version` run costs a few hundred milliseconds of
 * CPU (ffmpeg loads every codec library), and `locateFfmpegTools` plus the media store used to ask
 * twice per start, again on every in-process restart.
 */
export function toolsAvailable(tools: FfmpegTools): boolean {
  const key = `${tools.ffmpeg}\0${tools.ffprobe}`;
  let available = availability.get(key);
  if (available === undefined) {
    available = [tools.ffmpeg, tools.ffprobe].every((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore', timeout: 5_000 }).status === 0);
    availability.set(key, available);
  }
  return available;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  /** The last part of stderr, where ffmpeg puts the reason for a failure. */
  stderrTail: string;
  timedOut: boolean;
}

const MAX_STDOUT = 1024 * 1024;
const MAX_STDERR_TAIL = 8 * 1024;

export function runTool(command: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let stdout = '';
    let stderrTail = '';
    let timedOut = false;
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    signal?.addEventListener('abort', kill, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_STDOUT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-MAX_STDERR_TAIL);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      resolve({ code, stdout, stderrTail, timedOut });
    });
  });
}

/**
 * ffmpeg reads `concat:`, `http:`, `subfile,,…` and other protocol prefixes in
 * a path, and a leading '-' as an option. An absolute path behind the `file:`
 * protocol is read as exactly that file.
 */
export function asFileInput(file: string): string {
  return `file:${path.resolve(file)}`;
}

/**
 * `-protocol_whitelist file` as an input option: a demuxer that names other
 * resources (an HLS or DASH playlist, a concat list, an MP4 data reference)
 * can then open nothing but local files, never http, tcp, pipe or data URLs.
 * https://ffmpeg.org/ffmpeg-protocols.html#Protocol-Options
 */
export const FILE_ONLY = ['-protocol_whitelist', 'file'] as const;

/** A user's media file as an ffmpeg input: file protocol only, read as exactly that path. */
export function userInput(file: string): string[] {
  return [...FILE_ONLY, '-i', asFileInput(file)];
}

/**
 * The demuxers a character clip may be read with (ffprobe's `format_name`).
 * Anything else, playlists (hls, dash), concat lists, image sequences, is
 * refused: those make ffmpeg open further files named inside the upload.
 */
const SINGLE_FILE_CONTAINERS = new Set(['mov,mp4,m4a,3gp,3g2,mj2', 'matroska,webm']);
/** ffprobe's names for the still-image formats an `--image` may be. */
const SINGLE_IMAGE_FORMATS = new Set(['png_pipe', 'jpeg_pipe', 'webp_pipe', 'image2']);

export function isSingleFileContainer(formatName: string | undefined, kind: 'video' | 'image'): boolean {
  return formatName !== undefined && (kind === 'video' ? SINGLE_FILE_CONTAINERS : SINGLE_IMAGE_FORMATS).has(formatName);
}

const ProbeOutput = z.object({
  format: z.object({ format_name: z.string().optional(), duration: z.string().optional(), size: z.string().optional() }).optional(),
  streams: z.array(z.object({ codec_type: z.string().optional(), duration: z.string().optional(), width: z.number().int().optional(), height: z.number().int().optional() })).optional(),
});

export interface MediaProbe {
  /** ffprobe's demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `hls`. */
  formatName: string | undefined;
  durationSeconds: number | undefined;
  hasAudio: boolean;
  hasVideo: boolean;
  /** The first video stream's frame size. */
  width: number | undefined;
  height: number | undefined;
}

/** Reads duration and stream kinds; undefined when ffprobe cannot read the file. */
export async function probeMedia(tools: FfmpegTools, file: string, timeoutMs: number): Promise<MediaProbe | undefined> {
  const probed = await probeJson(tools, file, ['-show_entries', 'format=format_name,duration,size:stream=codec_type,duration,width,height'], ProbeOutput, timeoutMs);
  if (!probed) return undefined;
  const streams = probed.streams ?? [];
  const candidates = [probed.format?.duration, ...streams.map((s) => s.duration)].map(Number).filter((n) => Number.isFinite(n) && n > 0);
  const video = streams.find((s) => s.codec_type === 'video');
  return {
    formatName: probed.format?.format_name,
    durationSeconds: candidates[0],
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
    hasVideo: video !== undefined,
    width: video?.width,
    height: video?.height,
  };
}

/** ffprobe's JSON answer for `entries` (e.g. `-show_entries …`), checked against `schema`; undefined when it cannot read the file. */
export async function probeJson<T>(tools: FfmpegTools, file: string, entries: string[], schema: z.ZodType<T>, timeoutMs: number): Promise<T | undefined> {
  const result = await runTool(tools.ffprobe, ['-v', 'error', ...FILE_ONLY, ...entries, '-of', 'json', asFileInput(file)], timeoutMs);
  if (result.code !== 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
