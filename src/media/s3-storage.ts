/**
 * Media on S3-compatible storage (MEDIA_URL=s3://bucket/prefix), so every
 * replica sees every clip, frame and result. Credentials, region and endpoint
 * are the AWS SDK's own variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_REGION, AWS_ENDPOINT_URL_S3 for MinIO, R2 and the like:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { MediaStorage } from './media-storage.js';

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; empty for the bucket's root. */
  prefix: string;
}

/** `s3://bucket/some/prefix` → {bucket, prefix}; undefined for anything else. */
export function parseMediaUrl(url: string): S3Location | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url.trim());
  if (!m) return undefined;
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export interface S3StorageOptions extends S3Location {
  dataDir: string;
  /** AWS_ENDPOINT_URL_S3: a non-AWS endpoint, addressed path-style (MinIO and R2 accept it; MinIO needs it by default). */
  endpoint?: string;
  region?: string;
  /** Explicit keys; otherwise the SDK's default chain (environment, shared files, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The injected clock: presigned links expire on the bot's time. */
  now: () => number;
}

/** A presigned URL lives at most 7 days (SigV4 query signing: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html). */
const MAX_LINK_SECONDS = 7 * 24 * 3600;
/** lib-storage's minimum part (S3's 5 MiB), two parts in flight: about 10 MiB of memory per upload whatever the file's size. */
const PART_BYTES = 5 * 1024 * 1024;

function notFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);
}

export function createS3Storage(options: S3StorageOptions): MediaStorage & { client: S3Client } {
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const Bucket = options.bucket;
  const objectKey = (key: string) => (options.prefix ? `${options.prefix}/${key}` : key);
  const exists = async (key: string) => {
    try {
      await client.send(new HeadObjectCommand({ Bucket, Key: objectKey(key) }));
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  };

  return {
    kind: 's3',
    client,
    async publish(key, file) {
      // Streamed multipart: the file is read a part at a time, never whole into memory.
      const upload = new Upload({
        client,
        params: { Bucket, Key: objectKey(key), Body: createReadStream(file), ContentLength: (await stat(file)).size },
        partSize: PART_BYTES,
        queueSize: 2,
      });
      await upload.done();
    },
    async fetchTo(key, file) {
      if (await stat(file).then((s) => s.isFile(), () => false)) return true;
      let body: Readable;
      try {
        const got = await client.send(new GetObjectCommand({ Bucket, Key: objectKey(key) }));
        body = got.Body as Readable;
      } catch (error) {
        if (notFound(error)) return false;
        throw error;
      }
      await mkdir(path.dirname(file), { recursive: true });
      // Same rule as every other write: the final name appears only when the copy is complete.
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.part`);
      try {
        await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return true;
    },
    exists,
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) }));
    },
    async list(prefix) {
      const out: Array<{ key: string; bytes: number; modifiedMs: number }> = [];
      const strip = options.prefix ? options.prefix.length + 1 : 0;
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: objectKey(prefix), ContinuationToken }));
        for (const o of page.Contents ?? []) {
          if (o.Key) out.push({ key: o.Key.slice(strip), bytes: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 });
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return out;
    },
    async link(key, ttlMs) {
      const expiresIn = Math.max(1, Math.min(MAX_LINK_SECONDS, Math.floor(ttlMs / 1000)));
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: objectKey(key) }), { expiresIn, signingDate: new Date(options.now()) });
    },
    async check() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.destroy(),
  };
}
