/**
 * The `MediaStore` port over DATA_DIR; the folders and who owns each file are
 * described in media-layout.ts. Where the files are kept for good is the
 * storage port (media-storage.ts): DATA_DIR itself by default, or an S3 bucket
 * shared by every replica (MEDIA_URL), with DATA_DIR as this replica's copies.
 *
 * Every file appears under its final name only when complete: bytes go to a
 * dot-prefixed `.part` file that is fsynced and renamed, so a crash or a full
 * disk never leaves a half video where the job runner would pick it up.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { isAbortError, ProviderError, UserFacingError } from '../core/errors.js';
import { msg } from '../core/messages.js';
import type { MediaStore, ResultStream } from '../core/ports.js';
import type { DeliveredVideo } from '../core/types.js';
import type { Logger } from '../log.js';
import { probeMedia, resolveFfmpegTools, toolsAvailable } from './ffmpeg.js';
import { cutFrames } from './frames.js';
import { inMediaFolder, LINKABLE_FOLDERS, mediaDirs, sweepMediaFolders, tenantOfFolder, teamFolderName, type NeededFiles } from './media-layout.js';
import { createLocalStorage, keyOf, type MediaStorage } from './media-storage.js';
import { createOwnedFiles, isDiskFull } from './owned-files.js';
import { fetchUserFile, type ResolvedAddress, type SourceKind } from './safe-fetch.js';
import { extractLastFrame, joinClips } from './sequence.js';
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
  /** Bytes one team may keep in its clip, frame and image folders; undefined for no limit. */
  teamQuotaBytes?: number;
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
  /**
   * MEDIA_URL=s3://…: makes the storage that keeps media for good instead of DATA_DIR alone
   * (s3-storage.ts). The caller builds it, so the AWS SDK loads only when a bucket is configured.
   */
  shared?: (place: { dataDir: string; now: () => number }) => MediaStorage;
}

export interface BotMediaStore extends MediaStore {
  readonly dataDir: string;
  /** Where media is kept for good (local folder or S3); /healthz checks it. */
  readonly storage: MediaStorage;
  /** Whether ffmpeg and ffprobe ran at start-up; without them there are no frames and no transcoding. */
  readonly ffmpegAvailable: boolean;
  readonly ffmpegPath: string;
  /** The absolute file a `/files/<token>` link names, or undefined when forged, expired or outside DATA_DIR. */
  verifySignedPath(token: string): string | undefined;
  /**
   * One sweep of every media folder (see media-layout.ts): videos older than
   * `retentionMs` on the injected clock, and team files nothing needs any
   * more. `needed` names the files the core still uses; returns how many went.
   */
  removeExpiredFiles(retentionMs: number, needed?: NeededFiles, scope?: SweepScope): Promise<number>;
  close(): Promise<void>;
}

/** What a sweep covers: the storage and this replica's copies, or (another replica swept the shared bucket) the copies only. */
export type SweepScope = 'shared and local' | 'local copies';

/** Job ids become file names: anything beyond this alphabet could climb out of the directory. */
const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

function tempName(dir: string, stem: string): string {
  return path.join(dir, `.${stem}.${randomBytes(6).toString('hex')}.part`);
}

function uniqueStem(clock: Clock, prefix: string): string {
  return `${prefix}-${clock.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

export function createMediaStore(options: MediaStoreOptions): BotMediaStore {
  const logger = options.logger.child({ component: 'media' });
  const dataDir = path.resolve(options.dataDir);
  const dirs = mediaDirs(dataDir);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });

  const tools = resolveFfmpegTools(options.ffmpegPath, options.ffprobePath);
  const ffmpegAvailable = toolsAvailable(tools);
  if (!ffmpegAvailable) {
    logger.warn({ ffmpeg: tools.ffmpeg, ffprobe: tools.ffprobe }, 'ffmpeg/ffprobe not found: no reference frames and no re-encoding for upload limits');
  }
  const ffmpegTimeoutMs = options.ffmpegTimeoutMs ?? 2 * 60_000;
  const signer = createPathSigner(dataDir, options.signingKey, options.clock, LINKABLE_FOLDERS);
  const owned = createOwnedFiles({
    dirs,
    get storage() {
      return storage;
    },
    logger,
    maxSourceBytes: options.maxSourceBytes,
    teamQuotaBytes: options.teamQuotaBytes,
    tools: ffmpegAvailable ? tools : undefined,
    probeTimeoutMs: Math.min(ffmpegTimeoutMs, 30_000),
    now: () => options.clock.now(),
  });
  const publicUrl = options.publicUrl?.replace(/\/+$/, '');
  const local = createLocalStorage(dataDir, signer, publicUrl);
  const storage: MediaStorage = options.shared ? options.shared({ dataDir, now: () => options.clock.now() }) : local;
  const key = (file: string) => keyOf(dataDir, file);

  /** The saved file's real size and sound, for the done line and the paid-for check; undefined without ffprobe. */
  async function probeResult(file: string): Promise<DeliveredVideo | undefined> {
    if (!ffmpegAvailable) return undefined;
    const probe = await probeMedia(tools, file, Math.min(ffmpegTimeoutMs, 30_000)).catch(() => undefined);
    if (!probe?.width || !probe.height) return undefined;
    return { width: probe.width, height: probe.height, hasAudio: probe.hasAudio };
  }

  async function saveResult(jobId: string, stream: ResultStream, signal?: AbortSignal): Promise<{ path: string; bytes: number; video?: DeliveredVideo }> {
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
      await storage.publish(key(finalPath), finalPath).catch(async (error: unknown) => {
        await rm(finalPath, { force: true });
        throw error;
      });
      const video = await probeResult(finalPath);
      logger.info({ jobId, bytes, ...(video && { video }) }, 'result saved');
      return { path: finalPath, bytes, ...(video && { video }) };
    } catch (error) {
      stream.body.destroy();
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true });
      if (isDiskFull(error)) {
        logger.error({ err: error, jobId }, 'disk full while saving a result');
        throw new UserFacingError(msg('disk_full', { what: 'video' }), { cause: error });
      }
      if (signal?.aborted && !(error instanceof ProviderError)) throw isAbortError(error) ? error : signal.reason;
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Downloads into tmp/fetch: a hand-over file until `importFile` takes it into a team's folder. */
  async function fetchSource(url: string, kind: SourceKind, signal?: AbortSignal): Promise<{ path: string; bytes: number }> {
    const stem = uniqueStem(options.clock, kind === 'video' ? 'clip' : 'image');
    const fetchDir = path.join(dirs.tmp, 'fetch');
    await mkdir(fetchDir, { recursive: true });
    const temp = tempName(fetchDir, stem);
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
      const finalPath = path.join(fetchDir, `${stem}.${fetched.extension}`);
      await rename(temp, finalPath);
      logger.info({ kind, bytes: fetched.bytes, host: new URL(fetched.finalUrl).host }, 'character source fetched');
      return { path: finalPath, bytes: fetched.bytes };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Drops files the bot made; anything outside the media folders (the store, a console user's own file) is left alone. */
  async function discard(files: Array<string | undefined>): Promise<void> {
    for (const file of files) {
      if (file === undefined || !inMediaFolder(dirs, file)) continue;
      await storage.remove(key(file)).catch((error: unknown) => logger.warn({ err: error, file }, 'could not remove a stored file'));
      await rm(file, { force: true }).catch((error: unknown) => logger.warn({ err: error, file }, 'could not remove a file'));
    }
  }

  async function holds(file: string): Promise<boolean> {
    return inMediaFolder(dirs, file) && (await storage.exists(key(file)));
  }

  /** Brings files kept in shared storage onto this disk (a clip or frame another replica made) before something reads them. */
  async function bringLocal(files: Array<string | undefined>): Promise<void> {
    for (const file of files) {
      if (file !== undefined && inMediaFolder(dirs, file)) await storage.fetchTo(key(file), path.resolve(file));
    }
  }

  async function extractFrames(clipPath: string, count: number): Promise<string[]> {
    if (!ffmpegAvailable) {
      logger.warn({ clipPath }, 'cannot cut reference frames: ffmpeg is not installed');
      return [];
    }
    try {
      // Frames belong to the clip's team, so they count against its quota and go with its characters.
      const team = tenantOfFolder(path.basename(path.dirname(path.resolve(clipPath))));
      const framesDir = team === undefined ? dirs.frames : path.join(dirs.frames, teamFolderName(team));
      await bringLocal([clipPath]);
      const frames = await cutFrames(clipPath, count, { tools, framesDir, timeoutMs: ffmpegTimeoutMs });
      for (const frame of frames) await storage.publish(key(frame), frame);
      return frames;
    } catch (error) {
      logger.warn({ err: error, clipPath }, 'could not cut reference frames');
      return [];
    }
  }

  /** Cut into tmp/, then adopted into the team's images like an `--image` (quota, ownership, sweep). */
  async function lastFrame(videoPath: string, tenant: string): Promise<{ path: string; bytes: number }> {
    if (!ffmpegAvailable) throw new UserFacingError(msg('no_ffmpeg.continue'), { code: 'no_ffmpeg' });
    await bringLocal([videoPath]);
    const frame = await extractLastFrame(videoPath, path.join(dirs.tmp, `${uniqueStem(options.clock, 'last-frame')}.png`), { tools, timeoutMs: ffmpegTimeoutMs });
    return owned.adopt(frame.path, 'image', tenant);
  }

  async function joinVideos(name: string, paths: string[]): Promise<{ path: string; bytes: number; seconds: number }> {
    if (!SAFE_NAME.test(name)) throw new Error(`Refusing to write a joined video under the unsafe name ${JSON.stringify(name)}.`);
    if (!ffmpegAvailable) throw new UserFacingError(msg('no_ffmpeg.join'), { code: 'no_ffmpeg' });
    await bringLocal(paths);
    // A join re-encodes every second of every shot: allow it time in proportion.
    const joined = await joinClips(paths, path.join(dirs.videos, `${name}.mp4`), { tools, timeoutMs: ffmpegTimeoutMs * Math.max(1, paths.length) });
    await storage.publish(key(joined.path), joined.path);
    logger.info({ name, shots: paths.length, bytes: joined.bytes, seconds: joined.durationSeconds }, 'videos joined');
    return { path: joined.path, bytes: joined.bytes, seconds: joined.durationSeconds };
  }

  async function publicUrlFor(file: string, ttlMs: number): Promise<string | undefined> {
    const folder = key(file).split('/')[0];
    if (!inMediaFolder(dirs, file) || !LINKABLE_FOLDERS.some((f) => f === folder)) {
      logger.warn({ file }, 'refusing to make a public link for a file outside the media folders');
      return undefined;
    }
    return storage.link(key(file), ttlMs);
  }

  async function removeExpiredFiles(retentionMs: number, needed: NeededFiles = async () => new Set(), scope: SweepScope = 'shared and local'): Promise<number> {
    const sweep = (over: MediaStorage) => sweepMediaFolders({ dirs, storage: over, now: options.clock.now(), retentionMs, needed, logger });
    // With shared storage, this disk's copies follow the same rules (a copy something needs stays); the
    // shared bucket is swept by one replica per interval (app.ts), each replica's own copies by that replica.
    const removed = (scope === 'shared and local' ? await sweep(storage) : 0) + (storage === local ? 0 : await sweep(local));
    if (removed > 0) logger.info({ removed }, 'expired files removed');
    return removed;
  }

  return {
    dataDir,
    storage,
    ffmpegAvailable,
    ffmpegPath: tools.ffmpeg,
    saveResult,
    fetchSource,
    importFile: owned.adopt,
    discard,
    holds,
    bringLocal,
    extractFrames,
    lastFrame,
    joinVideos,
    publicUrlFor,
    verifySignedPath: (token) => signer.verify(token),
    removeExpiredFiles,
    close: async () => storage.close(),
  };
}
