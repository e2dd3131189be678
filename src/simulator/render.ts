/**
 * Real, playable MP4s for simulated jobs, so the bot's download, size checks
 * and chat uploads handle an actual video. Rendered with ffmpeg when it is
 * installed (a tiny 12 fps test pattern with a label), cached per
 * (seconds, size) so a test suite renders each shape once; otherwise the
 * bundled 4 s sample is served for every job.
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
  /** The text burnt into an ffmpeg render: its real length and size, and the size it stands for. */
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
  render(seconds: number, size: string): Promise<RenderedClip>;
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

  const renderWithFfmpeg = async (seconds: number, size: string): Promise<RenderedClip> => {
    if (!ffmpeg) return sample();
    await mkdir(cacheDir, { recursive: true });
    const [w, h] = size.split('x').map(Number);
    // Low-res keeps a 20 s render well under a second; orientation follows the requested size.
    const dims = w !== undefined && h !== undefined && h > w ? '180x320' : '320x180';
    const out = join(cacheDir, `${seconds}s-${size.replace(/[^0-9x]/g, '')}.mp4`);
    const tmp = `${out}.${process.pid}.tmp.mp4`;
    const duration = Math.max(1, seconds);
    // The label tells the clip's real length and size (small, to render fast), and the size it stands for.
    const label = `simulated ${duration}s ${dims} for ${size}`;
    const args = (withText: boolean): string[] => [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${dims}:rate=12:duration=${duration}`,
      ...(withText
        ? ['-vf', `drawtext=fontfile=${font}:text='${label}':fontcolor=white:fontsize=14:box=1:boxcolor=black@0.5:x=(w-tw)/2:y=h-th-8`]
        : []),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '35', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-an',
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
    render(seconds, size) {
      const key = `${seconds}|${size}`;
      let pending = cache.get(key);
      if (!pending) {
        pending = renderWithFfmpeg(seconds, size).catch(() => sample());
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
