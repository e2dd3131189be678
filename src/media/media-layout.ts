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
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';

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

async function filesUnder(dir: string): Promise<Array<{ file: string; bytes: number; mtimeMs: number }>> {
  const out: Array<{ file: string; bytes: number; mtimeMs: number }> = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file).catch(() => undefined);
    if (info) out.push({ file, bytes: info.size, mtimeMs: info.mtimeMs });
  }
  return out;
}

/** Bytes a team holds in its own folders (clips, frames, input images). */
export async function teamUsageBytes(dirs: MediaDirs, tenant: string): Promise<number> {
  let total = 0;
  for (const folder of TEAM_FOLDERS) {
    for (const f of await filesUnder(path.join(dirs[folder], teamFolderName(tenant)))) total += f.bytes;
  }
  return total;
}

/** The files each team (and the instance, for videos) still needs; absolute paths. */
export type NeededFiles = (tenants: string[]) => Promise<Set<string>>;

export interface SweepOptions {
  dirs: MediaDirs;
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
  const { dirs, now, logger } = options;
  const teams = new Set<string>();
  for (const folder of TEAM_FOLDERS) {
    for (const entry of await readdir(dirs[folder], { withFileTypes: true }).catch(() => [])) {
      const tenant = entry.isDirectory() ? tenantOfFolder(entry.name) : undefined;
      if (tenant !== undefined) teams.add(tenant);
    }
  }
  const needed = await options.needed([...teams]);
  const candidates: string[] = [];
  const older = (mtimeMs: number, ms: number) => mtimeMs < now - ms;
  for (const f of await filesUnder(dirs.videos)) {
    if (older(f.mtimeMs, options.retentionMs) && !needed.has(f.file)) candidates.push(f.file);
  }
  for (const f of await filesUnder(dirs.tmp)) if (older(f.mtimeMs, SWEEP_GRACE_MS)) candidates.push(f.file);
  for (const folder of TEAM_FOLDERS) {
    for (const tenant of teams) {
      for (const f of await filesUnder(path.join(dirs[folder], teamFolderName(tenant)))) {
        if (older(f.mtimeMs, SWEEP_GRACE_MS) && !needed.has(f.file)) candidates.push(f.file);
      }
    }
  }
  let removed = 0;
  for (const file of candidates) {
    try {
      await rm(file);
      removed++;
    } catch (error) {
      // Gone already (a concurrent sweep or a delete) is fine; anything else is worth a line.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err: error, file }, 'could not remove an expired file');
    }
  }
  return removed;
}
