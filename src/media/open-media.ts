/**
 * The media store as the configuration asks for it: files in DATA_DIR, or in an
 * S3 bucket (MEDIA_URL=s3://…), with file links signed by a key that survives
 * restarts.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, type Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { KeyValueStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import { createMediaStore, type BotMediaStore, type MediaStoreOptions } from './media-store.js';

/**
 * MEDIA_URL=s3://… and the SDK's AWS_* variables, or undefined for media in DATA_DIR. The AWS SDK is
 * imported only here: loading it costs about half a second of CPU and 8 MB of heap, which a bot
 * keeping its media in DATA_DIR never needs.
 */
async function s3Storage(config: Config): Promise<MediaStoreOptions['shared']> {
  if (!config.MEDIA_URL) return undefined;
  const { createS3Storage, parseMediaUrl } = await import('./s3-storage.js');
  const location = parseMediaUrl(config.MEDIA_URL);
  if (!location) return undefined;
  const options = {
    ...location,
    endpoint: config.AWS_ENDPOINT_URL_S3,
    region: config.AWS_REGION,
    credentials:
      config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY ? { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY } : undefined,
  };
  return (place) => createS3Storage({ ...options, ...place });
}

/** A signing key for file links that survives restarts (links in chat stay valid until they expire). */
async function fileSigningKey(config: Config, store: KeyValueStore): Promise<string> {
  if (config.FILE_SIGNING_KEY) return config.FILE_SIGNING_KEY;
  const existing = await store.get<string>('secrets:file-signing-key');
  if (existing) return existing;
  const key = randomBytes(32).toString('base64url');
  await store.set('secrets:file-signing-key', key);
  return key;
}

export interface OpenMediaOptions {
  logger: Logger;
  clock: Clock;
  /** Where the signing key is kept when FILE_SIGNING_KEY is unset. */
  store: KeyValueStore;
  publicUrl: string | undefined;
  /** Tests only: lets character sources live on 127.0.0.1 fakes. */
  allowPrivateAddresses: boolean;
  /** Called with the store before its bucket is checked (the readiness probe asks it from then on). */
  created?: (media: BotMediaStore) => void;
}

/** Opens the media store; a bucket that cannot be reached stops the start with a ConfigError. */
export async function openMediaStore(config: Config, options: OpenMediaOptions): Promise<BotMediaStore> {
  const media = createMediaStore({
    dataDir: config.dataDir,
    logger: options.logger,
    clock: options.clock,
    maxResultBytes: config.MAX_RESULT_MB * 1024 * 1024,
    maxSourceBytes: config.MAX_SOURCE_MB * 1024 * 1024,
    teamQuotaBytes: config.TEAM_DISK_QUOTA_MB > 0 ? config.TEAM_DISK_QUOTA_MB * 1024 * 1024 : undefined,
    publicUrl: options.publicUrl,
    signingKey: await fileSigningKey(config, options.store),
    fetchTimeoutMs: 60_000,
    allowPrivateAddresses: options.allowPrivateAddresses,
    shared: await s3Storage(config),
  });
  options.created?.(media);
  if (media.storage.kind === 's3' && !(await media.storage.check())) {
    throw new ConfigError([`MEDIA_URL ${config.MEDIA_URL} cannot be reached: check the bucket, AWS_ENDPOINT_URL_S3 and the credentials.`]);
  }
  return media;
}
