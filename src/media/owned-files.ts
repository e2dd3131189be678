/**
 * Taking a file into a team's keeping: a character clip or an `--image`
 * arrives as a local file (the console's path, a chat adapter's hand-over
 * download, a fetched URL, the bot's own result) and is checked, counted
 * against the team's disk quota, and placed under the team's folder. Only
 * then does a character or a job name it, so nothing a request refuses is
 * left behind.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserFacingError } from '../core/errors.js';
import { msg } from '../core/messages.js';
import type { Logger } from '../log.js';
import { isSingleFileContainer, probeMedia, type FfmpegTools } from './ffmpeg.js';
import { teamFolderName, teamUsageBytes, type MediaDirs } from './media-layout.js';
import { keyOf, type MediaStorage } from './media-storage.js';
import { sniffVideoContainer, type SourceKind } from './safe-fetch.js';

const IMAGE_SIGNATURES: Array<{ extension: string; matches: (head: Buffer) => boolean }> = [
  { extension: 'png', matches: (h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { extension: 'jpg', matches: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  { extension: 'webp', matches: (h) => h.subarray(0, 4).toString('latin1') === 'RIFF' && h.subarray(8, 12).toString('latin1') === 'WEBP' },
];

export interface OwnedFilesOptions {
  dirs: MediaDirs;
  /** Where kept files are published and the quota is counted. */
  storage: MediaStorage;
  logger: Logger;
  maxSourceBytes: number;
  /** Bytes one team may keep in its folders; undefined for no limit. */
  teamQuotaBytes: number | undefined;
  /** Set when ffmpeg/ffprobe ran at start-up; without them only the first bytes are checked. */
  tools: FfmpegTools | undefined;
  probeTimeoutMs: number;
  now: () => number;
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
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

const inside = (dir: string, file: string) => path.resolve(file).startsWith(dir + path.sep);

function notOfKind(kind: SourceKind, cause: string): UserFacingError {
  return new UserFacingError(msg('source.bad_type', { kind, from: 'file' }), { code: 'source_bad_type', cause: new Error(cause) });
}

export function createOwnedFiles(options: OwnedFilesOptions) {
  const { dirs, logger } = options;

  /** The extension the first bytes show, or a refusal. */
  async function sniff(file: string, kind: SourceKind): Promise<string> {
    const head = await readHead(file, 16);
    const extension = kind === 'video' ? sniffVideoContainer(head)?.extension : IMAGE_SIGNATURES.find((s) => s.matches(head))?.extension;
    if (!extension) throw notOfKind(kind, `first bytes ${head.toString('hex')}`);
    return extension;
  }

  /**
   * Refuses anything but one self-contained file of the wanted kind. Runs on the bot's own copy, whose
   * name it chose: a user's file name such as `img%03d.jpg` would make ffmpeg read a numbered sequence.
   */
  async function probe(file: string, kind: SourceKind): Promise<void> {
    if (options.tools) {
      const found = await probeMedia(options.tools, file, options.probeTimeoutMs).catch(() => undefined);
      // A playlist or concat list dressed as MP4 would make ffmpeg open the files it names.
      if (!found || !found.hasVideo || !isSingleFileContainer(found.formatName, kind)) {
        throw notOfKind(kind, `ffprobe: ${found ? `format ${found.formatName}, video ${found.hasVideo}` : 'unreadable'}`);
      }
    }
  }

  async function checkQuota(tenant: string, incoming: number): Promise<void> {
    if (options.teamQuotaBytes === undefined) return;
    const used = await teamUsageBytes(options.storage, tenant);
    if (used + incoming <= options.teamQuotaBytes) return;
    logger.info({ tenant, used, incoming, quota: options.teamQuotaBytes }, 'team disk quota reached');
    throw new UserFacingError(msg('source.disk_quota', { usedBytes: used, incomingBytes: incoming, quotaBytes: options.teamQuotaBytes }), { code: 'disk_quota' });
  }

  /**
   * Places `source` under the team's folder. A hand-over file (under tmp/) is
   * moved; the bot's own result is hard-linked, so a character taken from a
   * job costs no second copy and outlives the video's retention; anything
   * else is copied. Every source obeys the same size cap.
   */
  async function adopt(source: string, kind: SourceKind, tenant: string): Promise<{ path: string; bytes: number }> {
    const absolute = path.resolve(source);
    let size: number;
    try {
      const info = await stat(absolute);
      if (!info.isFile()) throw new Error('not a regular file');
      size = info.size;
    } catch (error) {
      throw new UserFacingError(msg('source.missing', { fileName: path.basename(source) }), { code: 'source_missing', cause: error });
    }
    if (size > options.maxSourceBytes) {
      throw new UserFacingError(msg('source.too_large', { kind, maxBytes: options.maxSourceBytes }), { code: 'source_too_large' });
    }
    const extension = await sniff(absolute, kind);
    await checkQuota(tenant, size);
    const dir = path.join(kind === 'video' ? dirs.characters : dirs.images, teamFolderName(tenant));
    await mkdir(dir, { recursive: true });
    const stem = `${kind === 'video' ? 'clip' : 'image'}-${options.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const finalPath = path.join(dir, `${stem}.${extension}`);
    const temp = path.join(dir, `.${stem}.part.${extension}`);
    try {
      if (inside(dirs.tmp, absolute)) await rename(absolute, temp);
      else if (inside(dirs.videos, absolute)) await link(absolute, temp).catch(() => copyFile(absolute, temp));
      else await copyFile(absolute, temp);
      await probe(temp, kind);
      await rename(temp, finalPath);
      await options.storage.publish(keyOf(path.dirname(dirs.videos), finalPath), finalPath);
    } catch (error) {
      await rm(temp, { force: true });
      await rm(finalPath, { force: true });
      if (isDiskFull(error)) throw new UserFacingError(msg('disk_full', { what: 'file' }), { cause: error });
      throw error;
    }
    logger.info({ tenant, kind, bytes: size }, 'source file taken into the team folder');
    return { path: finalPath, bytes: size };
  }

  return { adopt };
}
