/**
 * The `MediaStore` port over DATA_DIR:
 *
 *   DATA_DIR/videos/<jobId>.mp4     finished videos (removed after the retention period)
 *   DATA_DIR/characters/…           character clips and images (kept while the character exists)
 *   DATA_DIR/frames/…               reference frames cut from clips (removed after retention)
 *
 * Every file appears under its final name only when complete: bytes go to a
 * dot-prefixed `.part` file that is fsynced and renamed, so a crash or a full
 * disk never leaves a half video where the job runner would pick it up.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { copyFile, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { isAbortError, ProviderError, UserFacingError } from '../core/errors.js';
import type { MediaStore, ResultStream } from '../core/ports.js';
import type { Logger } from '../log.js';
import { resolveFfmpegTools, toolsAvailable } from './ffmpeg.js';
import { cutFrames } from './frames.js';
import { fetchUserFile, formatByteSize, sniffVideoContainer, type ResolvedAddress, type SourceKind } from './safe-fetch.js';
import { createPathSigner } from './signed-paths.js';

export interface MediaStoreOptions {
  dataDir: string;
  logger: Logger;
  clock: Clock;
  maxResultBytes: number;
  maxSourceBytes: number;
  /** Base URL where the bot's HTTP server is reachable by providers; without it no file links are made. */
  publicUrl?: string;
  /** HMAC key for file links; at least 16 characters. */
  signingKey: string;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Total time allowed to download one user-supplied URL. */
  fetchTimeoutMs: number;
  /** Per ffmpeg/ffprobe run. Default 2 minutes. */
  ffmpegTimeoutMs?: number;
  /**
   * Tests and the embedded simulator only (sources on 127.0.0.1). Production
   * never sets it: it would let any chat user make the bot fetch internal
   * services and the cloud metadata endpoint.
   */
  allowPrivateAddresses?: boolean;
  /** Test seams for the address policy and DNS; see safe-fetch.ts. */
  allowAddress?: (address: string) => boolean;
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export interface BotMediaStore extends MediaStore {
  readonly dataDir: string;
  /** Whether ffmpeg and ffprobe ran at start-up; without them there are no frames and no transcoding. */
  readonly ffmpegAvailable: boolean;
  readonly ffmpegPath: string;
  /** The absolute file a `/files/<token>` link names, or undefined when forged, expired or outside DATA_DIR. */
  verifySignedPath(token: string): string | undefined;
  /** Deletes videos and frames whose mtime is older than `retentionMs` on the injected clock; returns how many. */
  removeExpiredFiles(retentionMs: number): Promise<number>;
}

/** Job ids become file names: anything beyond this alphabet could climb out of the directory. */
const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const DISK_FULL = "The bot's disk is full, so the video could not be saved. An admin needs to free space.";
const IMAGE_SIGNATURES: Array<{ extension: string; matches: (head: Buffer) => boolean }> = [
  { extension: 'png', matches: (h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { extension: 'jpg', matches: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  { extension: 'webp', matches: (h) => h.subarray(0, 4).toString('latin1') === 'RIFF' && h.subarray(8, 12).toString('latin1') === 'WEBP' },
];

function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function tempName(dir: string, stem: string): string {
  return path.join(dir, `.${stem}.${randomBytes(6).toString('hex')}.part`);
}

function uniqueStem(clock: Clock, prefix: string): string {
  return `${prefix}-${clock.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function createMediaStore(options: MediaStoreOptions): BotMediaStore {
  const logger = options.logger.child({ component: 'media' });
  const dataDir = path.resolve(options.dataDir);
  const dirs = {
    videos: path.join(dataDir, 'videos'),
    characters: path.join(dataDir, 'characters'),
    frames: path.join(dataDir, 'frames'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });

  const tools = resolveFfmpegTools(options.ffmpegPath, options.ffprobePath);
  const ffmpegAvailable = toolsAvailable(tools);
  if (!ffmpegAvailable) {
    logger.warn({ ffmpeg: tools.ffmpeg, ffprobe: tools.ffprobe }, 'ffmpeg/ffprobe not found: no reference frames and no re-encoding for upload limits');
  }
  const ffmpegTimeoutMs = options.ffmpegTimeoutMs ?? 2 * 60_000;
  const signer = createPathSigner(dataDir, options.signingKey, options.clock);
  const publicUrl = options.publicUrl?.replace(/\/+$/, '');

  async function saveResult(jobId: string, stream: ResultStream, signal?: AbortSignal): Promise<{ path: string; bytes: number }> {
    if (!SAFE_NAME.test(jobId)) {
      stream.body.destroy();
      throw new Error(`Refusing to save a result under the unsafe job id ${JSON.stringify(jobId)}.`);
    }
    // Destroying an undici body can emit 'error' (RequestAbortedError); unheard, it would crash the
    // process. Errors while reading still reach the loop below through the async iterator.
    stream.body.on('error', () => undefined);
    const tooLarge = (detail: string) =>
      new ProviderError({ kind: 'too_large', backend: 'download', message: `result larger than ${options.maxResultBytes} bytes (${detail})` });
    if (stream.contentLength !== undefined && stream.contentLength > options.maxResultBytes) {
      stream.body.destroy();
      throw tooLarge(`content-length ${stream.contentLength}`);
    }
    const finalPath = path.join(dirs.videos, `${jobId}.mp4`);
    const temp = tempName(dirs.videos, jobId);
    const onAbort = () => stream.body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    let handle: FileHandle | undefined;
    let bytes = 0;
    try {
      signal?.throwIfAborted();
      handle = await open(temp, 'wx');
      // Writing chunk by chunk with await keeps back-pressure and memory at one chunk.
      for await (const chunk of stream.body as AsyncIterable<Buffer | string>) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytes += buffer.length;
        if (bytes > options.maxResultBytes) throw tooLarge(`streamed past the cap`);
        await handle.write(buffer);
      }
      signal?.throwIfAborted();
      if (bytes === 0) throw new ProviderError({ kind: 'transient', backend: 'download', message: 'the result download was empty' });
      if (stream.contentLength !== undefined && bytes !== stream.contentLength) {
        throw new ProviderError({ kind: 'transient', backend: 'download', message: `truncated result: ${bytes} of ${stream.contentLength} bytes` });
      }
      // fsync before rename: otherwise a power cut can leave the new name pointing at unwritten blocks.
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, finalPath);
      logger.info({ jobId, bytes }, 'result saved');
      return { path: finalPath, bytes };
    } catch (error) {
      stream.body.destroy();
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true });
      if (isDiskFull(error)) {
        logger.error({ err: error, jobId }, 'disk full while saving a result');
        throw new UserFacingError('disk_full', DISK_FULL, { cause: error });
      }
      if (signal?.aborted && !(error instanceof ProviderError)) throw isAbortError(error) ? error : signal.reason;
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async function fetchSource(url: string, kind: SourceKind, signal?: AbortSignal): Promise<{ path: string; bytes: number }> {
    const stem = uniqueStem(options.clock, kind === 'video' ? 'clip' : 'image');
    const temp = tempName(dirs.characters, stem);
    try {
      const fetched = await fetchUserFile(url, temp, {
        kind,
        maxBytes: options.maxSourceBytes,
        timeoutMs: options.fetchTimeoutMs,
        signal,
        allowPrivateAddresses: options.allowPrivateAddresses,
        allowAddress: options.allowAddress,
        resolve: options.resolve,
      });
      const finalPath = path.join(dirs.characters, `${stem}.${fetched.extension}`);
      await rename(temp, finalPath);
      logger.info({ kind, bytes: fetched.bytes, host: new URL(fetched.finalUrl).host }, 'character source fetched');
      return { path: finalPath, bytes: fetched.bytes };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async function importFile(source: string, kind: SourceKind): Promise<{ path: string; bytes: number }> {
    const absolute = path.resolve(source);
    let size: number;
    try {
      const info = await stat(absolute);
      if (!info.isFile()) throw new Error('not a regular file');
      size = info.size;
    } catch (error) {
      throw new UserFacingError('source_missing', `The bot cannot read the file ${path.basename(source)}. Check the path.`, { cause: error });
    }
    // The bot's own results may be larger than the cap for outside sources.
    const ownResult = absolute.startsWith(dirs.videos + path.sep);
    if (!ownResult && size > options.maxSourceBytes) {
      const purpose = kind === 'video' ? 'character clips' : 'reference images';
      throw new UserFacingError('source_too_large', `That file is larger than the ${formatByteSize(options.maxSourceBytes)} the bot accepts for ${purpose}.`);
    }
    const head = await readHead(absolute, 16);
    const extension =
      kind === 'video' ? sniffVideoContainer(head)?.extension : IMAGE_SIGNATURES.find((s) => s.matches(head))?.extension;
    if (!extension) {
      const wanted = kind === 'video' ? 'a video file (MP4, MOV or WebM)' : 'a PNG, JPEG or WebP image';
      throw new UserFacingError('source_bad_type', `That file is not ${wanted}, so the bot cannot use it.`, {
        cause: new Error(`first bytes ${head.toString('hex')}`),
      });
    }
    const stem = uniqueStem(options.clock, kind === 'video' ? 'clip' : 'image');
    const temp = tempName(dirs.characters, stem);
    const finalPath = path.join(dirs.characters, `${stem}.${extension}`);
    try {
      await copyFile(absolute, temp);
      await rename(temp, finalPath);
    } catch (error) {
      await rm(temp, { force: true });
      if (isDiskFull(error)) throw new UserFacingError('disk_full', "The bot's disk is full, so the file could not be saved. An admin needs to free space.", { cause: error });
      throw error;
    }
    return { path: finalPath, bytes: size };
  }

  async function extractFrames(clipPath: string, count: number): Promise<string[]> {
    if (!ffmpegAvailable) {
      logger.warn({ clipPath }, 'cannot cut reference frames: ffmpeg is not installed');
      return [];
    }
    try {
      return await cutFrames(clipPath, count, { tools, framesDir: dirs.frames, timeoutMs: ffmpegTimeoutMs });
    } catch (error) {
      logger.warn({ err: error, clipPath }, 'could not cut reference frames');
      return [];
    }
  }

  function publicUrlFor(file: string, ttlMs: number): string | undefined {
    if (!publicUrl) return undefined;
    const token = signer.sign(file, ttlMs);
    if (!token) {
      logger.warn({ file }, 'refusing to make a public link for a file outside DATA_DIR');
      return undefined;
    }
    return `${publicUrl}/files/${token}`;
  }

  async function removeExpiredFiles(retentionMs: number): Promise<number> {
    const cutoff = options.clock.now() - retentionMs;
    let removed = 0;
    // Character clips are deliberately absent: they live as long as their character.
    for (const dir of [dirs.videos, dirs.frames]) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        const file = path.join(dir, entry.name);
        try {
          if ((await stat(file)).mtimeMs < cutoff) {
            await rm(file);
            removed++;
          }
        } catch (error) {
          // Gone already (a concurrent sweep or a retry) is fine; anything else is worth a line.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err: error, file }, 'could not remove an expired file');
        }
      }
    }
    if (removed > 0) logger.info({ removed }, 'expired files removed');
    return removed;
  }

  return {
    dataDir,
    ffmpegAvailable,
    ffmpegPath: tools.ffmpeg,
    saveResult,
    fetchSource,
    importFile,
    extractFrames,
    publicUrlFor,
    verifySignedPath: (token) => signer.verify(token),
    removeExpiredFiles,
  };
}
