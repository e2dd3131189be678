/**
 * A real S3-protocol server for tests: s3rver (an S3 REST API over a folder)
 * on 127.0.0.1 with one empty bucket, and the environment that points the bot
 * at it the way AWS_ENDPOINT_URL_S3 points it at MinIO or R2.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  client: S3Client;
  /** Every request the bot (not the test's own client) sent, in order: method and path with query. */
  requests: Array<{ method: string; url: string }>;
  /** MEDIA_URL and the AWS_* variables for `prefix` in the bucket. */
  env(prefix: string): Record<string, string>;
  stop(): Promise<void>;
}

// s3rver accepts any key pair; these only have to look like one to the SDK.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startTestS3(bucket = 'media-test'): Promise<TestS3> {
  // The SDK warns once per process that releases after January 2027 need Node 22; these pinned ones do not.
  process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= '1';
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = (await server.run()) as { port: number };
  const direct = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint: direct, forcePathStyle: true, credentials: CREDENTIALS });
  // The bot talks through this pass-through proxy, so a test can see how it uploads (one PUT, or parts).
  const requests: Array<{ method: string; url: string }> = [];
  const proxy = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    client,
    requests,
    env: (prefix) => ({
      MEDIA_URL: `s3://${bucket}/${prefix}`,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
    async stop() {
      client.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
