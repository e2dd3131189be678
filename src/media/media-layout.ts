/**
 * Who owns each file under DATA_DIR, how much a team holds, and when a file
 * may go:
 *
 *   videos/<jobId>.mp4          results; removed after FILE_RETENTION_DAYS unless a live job still needs them
 *   characters/t-<team>/…       character clips; kept exactly as long as a character names them
 *   frames/t-<team>/…           reference frames; kept while a character's binding names them
 *   images/t-<team>/…           `--image` inputs; kept while a job that has not ended names them
 *   tmp/…                       hand-over files from chat adapters and downloads in progress
 *
 * A team's folder name is its tenant id in base64url, so the sweep can ask the
 * core which files that team still needs without a list of all teams.
 * Files written before per-team folders existed sit directly in characters/
 * and frames/; nothing can say whose they are, so the sweep leaves them alone.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { localFilesUnder, type MediaStorage } from './media-storage.js';

export const MEDIA_FOLDERS = ['videos', 'characters', 'frames', 'images', 'tmp'] as const;
export type MediaFolder = (typeof MEDIA_FOLDERS)[number];
/** Folders a signed `/files/` link may name; hand-over files in tmp/ are nobody's to share. */
export const LINKABLE_FOLDERS = ['videos', 'characters', 'frames', 'images'] as const satisfies readonly MediaFolder[];
/** Folders whose files belong to one team. */
export const TEAM_FOLDERS = ['characters', 'frames', 'images'] as const satisfies readonly MediaFolder[];

/**
 * A file younger than this is never swept unless something claims it: a
 * request may have copied it in and not yet recorded it (a character being
 * created, a job being accepted).
 */
export const SWEEP_GRACE_MS = 60 * 60_000;

const TEAM_PREFIX = 't-';

export function teamFolderName(tenant: string): string {
  return `${TEAM_PREFIX}${Buffer.from(tenant, 'utf8').toString('base64url')}`;
}

export function tenantOfFolder(name: string): string | undefined {
  if (!name.startsWith(TEAM_PREFIX)) return undefined;
  const tenant = Buffer.from(name.slice(TEAM_PREFIX.length), 'base64url').toString('utf8');
  return teamFolderName(tenant) === name ? tenant : undefined;
}

export type MediaDirs = Record<MediaFolder, string>;

export function mediaDirs(dataDir: string): MediaDirs {
  return Object.fromEntries(MEDIA_FOLDERS.map((f) => [f, path.join(dataDir, f)])) as MediaDirs;
}

/** Whether `file` lies inside one of the media folders (never the store file or anything else in DATA_DIR). */
export function inMediaFolder(dirs: MediaDirs, file: string): boolean {
  const absolute = path.resolve(file);
  return MEDIA_FOLDERS.some((f) => absolute.startsWith(dirs[f] + path.sep));
}

/** Bytes a team holds in its own folders (clips, frames, input images), counted where the media is kept. */
export async function teamUsageBytes(storage: MediaStorage, tenant: string): Promise<number> {
  let total = 0;
  for (const folder of TEAM_FOLDERS) {
    for (const f of await storage.list(`${folder}/${teamFolderName(tenant)}/`)) total += f.bytes;
  }
  return total;
}

/** The files each team (and the instance, for videos) still needs; absolute paths. */
export type NeededFiles = (tenants: string[]) => Promise<Set<string>>;

export interface SweepOptions {
  dirs: MediaDirs;
  /** Where the media is kept; with shared storage the sweep runs once over it and once over this disk's copies. */
  storage: MediaStorage;
  now: number;
  retentionMs: number;
  needed: NeededFiles;
  logger: Logger;
}

/**
 * One pass over every media folder. Videos go after the retention period;
 * team files go as soon as nothing needs them (after the grace period);
 * hand-over files go after the grace period. A file something still needs is
 * never removed, however old.
 */
export async function sweepMediaFolders(options: SweepOptions): Promise<number> {
  const { dirs, now, logger, storage } = options;
  const dataDir = path.dirname(dirs.videos);
  const teams = new Set<string>();
  for (const folder of TEAM_FOLDERS) {
    for (const o of await storage.list(`${folder}/`)) {
      const tenant = tenantOfFolder(o.key.split('/')[1] ?? '');
      if (tenant !== undefined) teams.add(tenant);
    }
  }
  const needed = await options.needed([...teams]);
  const candidates: string[] = [];
  const older = (modifiedMs: number, ms: number) => modifiedMs < now - ms;
  const fileOf = (key: string) => path.join(dataDir, ...key.split('/'));
  for (const o of await storage.list('videos/')) {
    if (older(o.modifiedMs, options.retentionMs) && !needed.has(fileOf(o.key))) candidates.push(o.key);
  }
  for (const folder of TEAM_FOLDERS) {
    for (const tenant of teams) {
      for (const o of await storage.list(`${folder}/${teamFolderName(tenant)}/`)) {
        if (older(o.modifiedMs, SWEEP_GRACE_MS) && !needed.has(fileOf(o.key))) candidates.push(o.key);
      }
    }
  }
  let removed = 0;
  for (const key of candidates) {
    try {
      await storage.remove(key);
      // This replica's working copy goes with the object; other replicas' copies go in their own sweep.
      await rm(fileOf(key), { force: true });
      removed++;
    } catch (error) {
      logger.warn({ err: error, key }, 'could not remove an expired file');
    }
  }
  // Hand-over files never leave this disk.
  for (const f of await localFilesUnder(dirs.tmp)) {
    if (!older(f.modifiedMs, SWEEP_GRACE_MS)) continue;
    try {
      await rm(f.file);
      removed++;
    } catch (error) {
      // Gone already (a concurrent sweep or a delete) is fine; anything else is worth a line.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err: error, file: f.file }, 'could not remove an expired file');
    }
  }
  return removed;
}
