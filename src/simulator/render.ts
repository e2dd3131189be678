/**
 * Real, playable MP4s for simulated jobs, so the bot's download, size checks,
 * ffprobe checks and chat uploads handle an actual video. Rendered with ffmpeg
 * when it is installed: a test pattern at the size the request asked for, with
 * a label, and an audio track that is a 440 Hz sine when the request asked for
 * sound and silence when it did not. The frame rate drops as the size grows
 * (down to 1 fps) so a 4K clip renders in seconds. Cached per (seconds, size,
 * sound) so a test suite renders each shape once; without ffmpeg the bundled
 * 4 s sample is served for every job.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import { locateFfmpegTools } from '../media/ffmpeg.js';

export const SAMPLE_CLIP_PATH = fileURLToPath(new URL('./assets/sample.mp4', import.meta.url));

export interface RenderedClip {
  path: string;
  bytes: number;
  source: 'ffmpeg' | 'sample';
  /** The text burnt into an ffmpeg render: its length, size and sound. */
  label?: string;
}

export interface RendererOptions {
  /** `false` disables ffmpeg and always serves the bundled sample. Default `/usr/bin/ffmpeg`, then `ffmpeg` on PATH. */
  ffmpegPath?: string | false;
  /** Where renders are cached (default: a per-process folder under the OS temp dir). */
  cacheDir?: string;
  logger?: Logger;
  /** Longest a render may take before the sample is used instead. */
  timeoutMs?: number;
}

export interface Renderer {
  /** A clip of this length and size (`1280x720`), with a sine tone when `sound`, else a silent track. */
  render(seconds: number, size: string, sound: boolean): Promise<RenderedClip>;
  /** Deletes the cache folder when the renderer owns it. */
  dispose(): Promise<void>;
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
];

export function createRenderer(options: RendererOptions = {}): Renderer {
  const ffmpeg = options.ffmpegPath === false ? undefined : (options.ffmpegPath ?? locateFfmpegTools().ffmpeg);
  const ownsCache = options.cacheDir === undefined;
  const cacheDir = options.cacheDir ?? join(tmpdir(), `sora-sim-renders-${process.pid}-${Date.now().toString(36)}`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const font = FONT_CANDIDATES.find((f) => existsSync(f));
  const cache = new Map<string, Promise<RenderedClip>>();
  let drawtextWorks = font !== undefined;

  const sample = async (): Promise<RenderedClip> => ({ path: SAMPLE_CLIP_PATH, bytes: (await stat(SAMPLE_CLIP_PATH)).size, source: 'sample' });

  const renderWithFfmpeg = async (seconds: number, size: string, sound: boolean): Promise<RenderedClip> => {
    if (!ffmpeg) return sample();
    const match = /^(\d{2,5})x(\d{2,5})$/.exec(size);
    if (!match) return sample();
    await mkdir(cacheDir, { recursive: true });
    const [w, h] = [Number(match[1]), Number(match[2])];
    const out = join(cacheDir, `${seconds}s-${size}-${sound ? 'sound' : 'silent'}.mp4`);
    const tmp = `${out}.${process.pid}.tmp.mp4`;
    const duration = Math.max(1, seconds);
    // About as many pixels per second as a 320x180 clip at 12 fps: a 4K clip stays a few seconds' work.
    const rate = Math.max(1, Math.min(12, Math.round((12 * 320 * 180) / (w * h))));
    const label = `simulated ${duration}s ${size} ${sound ? 'with sound' : 'silent'}`;
    const args = (withText: boolean): string[] => [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${duration}`,
      '-f', 'lavfi', '-i', sound ? `sine=frequency=440:sample_rate=48000:duration=${duration}` : `anullsrc=r=48000:cl=mono`,
      ...(withText
        ? ['-vf', `drawtext=fontfile=${font}:text='${label}':fontcolor=white:fontsize=${Math.max(14, Math.round(Math.min(w, h) / 14))}:box=1:boxcolor=black@0.5:x=(w-tw)/2:y=h-th-8`]
        : []),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '35', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '32k', '-t', String(duration), '-movflags', '+faststart',
      tmp,
    ];
    if (drawtextWorks) {
      if (await run(ffmpeg, args(true), timeoutMs)) return { ...(await finish(tmp, out)), label };
      // Builds without libfreetype, or a font that will not load: render without the label.
      drawtextWorks = false;
      options.logger?.debug('simulator: drawtext failed, rendering without text');
    }
    if (await run(ffmpeg, args(false), timeoutMs)) return finish(tmp, out);
    options.logger?.warn({ ffmpeg }, 'simulator: ffmpeg render failed, serving the bundled sample');
    await rm(tmp, { force: true });
    return sample();
  };

  return {
    render(seconds, size, sound) {
      const key = `${seconds}|${size}|${sound}`;
      let pending = cache.get(key);
      if (!pending) {
        pending = renderWithFfmpeg(seconds, size, sound).catch(() => sample());
        cache.set(key, pending);
      }
      return pending;
    },
    async dispose() {
      if (!ownsCache) return;
      // A render still writing into the folder would make the removal fail with ENOTEMPTY
      // (seen when a test restarts the simulator mid-render): let renders finish first.
      await Promise.allSettled([...cache.values()]);
      await rm(cacheDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

async function finish(tmp: string, out: string): Promise<RenderedClip> {
  await rename(tmp, out);
  return { path: out, bytes: (await stat(out)).size, source: 'ffmpeg' };
}

function run(command: string, args: string[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, { stdio: 'ignore' });
    } catch {
      resolve(false);
      return;
    }
    // A guard against a hung ffmpeg, in real time (it is a real process). Not spawn's own
    // `timeout`: that timer survives a spawn error (no 'exit') and holds the process open.
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    guard.unref();
    const done = (ok: boolean) => {
      clearTimeout(guard);
      resolve(ok);
    };
    child.on('error', () => done(false));
    child.on('exit', (code) => done(code === 0));
  });
}
