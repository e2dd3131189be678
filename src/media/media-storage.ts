/**
 * Where the bot's media lives for good: the storage port, and its local
 * implementation (DATA_DIR itself, the default). s3-storage.ts is the other
 * one (MEDIA_URL=s3://…), for replicas that share media.
 *
 * Every file the bot keeps has a key: its path relative to DATA_DIR, such as
 * `videos/j_1.mp4` or `characters/t-…/clip-….mp4` (media-layout.ts). The
 * media store always works on a file under DATA_DIR; with shared storage that
 * file is this replica's working copy, published after it is complete and
 * fetched again by any replica that lacks it.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PathSigner } from './signed-paths.js';

export interface StoredObject {
  key: string;
  bytes: number;
  modifiedMs: number;
}

export interface MediaStorage {
  /** `local` or `s3`: shown on /healthz and in the start-up log. */
  readonly kind: 'local' | 's3';
  /** Makes the complete file at `file` (DATA_DIR/key) the stored object `key`. */
  publish(key: string, file: string): Promise<void>;
  /** Puts object `key` at `file` unless this disk already has it; false when there is no such object. */
  fetchTo(key: string, file: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
  /** Every object whose key starts with `prefix` (a folder: ends in `/`). */
  list(prefix: string): Promise<StoredObject[]>;
  /** A link anyone holding it can fetch until `ttlMs` passes, or undefined when none can be made. */
  link(key: string, ttlMs: number): Promise<string | undefined>;
  /** Whether the storage answers (a readiness check); the local folder always does. */
  check(): Promise<boolean>;
  close(): void;
}

/** A key is a relative path with forward slashes, whatever the platform's separator. */
export function keyOf(dataDir: string, file: string): string {
  return path.relative(dataDir, path.resolve(file)).split(path.sep).join('/');
}

export async function localFilesUnder(dir: string): Promise<Array<{ file: string; bytes: number; modifiedMs: number }>> {
  const out: Array<{ file: string; bytes: number; modifiedMs: number }> = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file).catch(() => undefined);
    if (info) out.push({ file, bytes: info.size, modifiedMs: info.mtimeMs });
  }
  return out;
}

/** DATA_DIR is the storage: publishing and fetching are no-ops, links are the bot's own signed `/files/` URLs. */
export function createLocalStorage(dataDir: string, signer: PathSigner, publicUrl: string | undefined): MediaStorage {
  const fileOf = (key: string) => path.join(dataDir, ...key.split('/'));
  const isFile = (file: string) => stat(file).then((s) => s.isFile(), () => false);
  return {
    kind: 'local',
    publish: async () => undefined,
    fetchTo: (key) => isFile(fileOf(key)),
    exists: (key) => isFile(fileOf(key)),
    remove: (key) => rm(fileOf(key), { force: true }),
    async list(prefix) {
      const files = await localFilesUnder(fileOf(prefix));
      return files.map((f) => ({ key: keyOf(dataDir, f.file), bytes: f.bytes, modifiedMs: f.modifiedMs }));
    },
    async link(key, ttlMs) {
      if (!publicUrl) return undefined;
      const token = signer.sign(fileOf(key), ttlMs);
      return token ? `${publicUrl}/files/${token}` : undefined;
    },
    check: async () => true,
    close: () => undefined,
  };
}
