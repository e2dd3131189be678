/**
 * files.uploadV2 done by hand, streamed. The Web API client's `uploadV2`
 * reads a stream fully into a Buffer before posting it (web-api
 * `getFileDataAsStream`), which for a 500 MB video means 500 MB of heap; the
 * three underlying calls let the bytes flow from disk to Slack instead:
 * files.getUploadURLExternal → POST the raw bytes to `upload_url` →
 * files.completeUploadExternal with `channel_id` and `thread_ts`.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { webApi } from '@slack/bolt';
import { request } from 'undici';
import { z } from 'zod';

const uploadUrlSchema = z.object({ upload_url: z.string().url(), file_id: z.string().min(1) });

export interface ThreadUpload {
  path: string;
  filename: string;
  title: string;
  channel: string;
  /** In a thread, or (undefined) in the channel itself. */
  threadTs: string | undefined;
  comment: string;
  /**
   * Runs right before files.completeUploadExternal, the call that posts: a delivery's fencing check
   * (JobEvent `finished`.beforePost). Throwing leaves the upload unfinished, and Slack posts nothing.
   */
  beforeComplete?: (() => Promise<void>) | undefined;
}

/** Returns the Slack file id. */
export async function uploadFileToThread(client: webApi.WebClient, upload: ThreadUpload): Promise<string> {
  const { size } = await stat(upload.path);
  const target = uploadUrlSchema.parse(await client.files.getUploadURLExternal({ filename: upload.filename, length: size }));
  // The upload URL is pre-signed by Slack: no bot token goes with it.
  const res = await request(target.upload_url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: createReadStream(upload.path),
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`Slack upload URL answered ${res.statusCode}`);
  await upload.beforeComplete?.();
  await client.files.completeUploadExternal({
    files: [{ id: target.file_id, title: upload.title }],
    channel_id: upload.channel,
    ...(upload.threadTs && { thread_ts: upload.threadTs }),
    initial_comment: upload.comment,
  });
  return target.file_id;
}

/** Uploads bytes made in memory (the /cost chart, its CSV) through a temporary file. */
export async function uploadBytes(client: webApi.WebClient, upload: Omit<ThreadUpload, 'path'> & { bytes: Uint8Array }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slack-upload-'));
  try {
    const file = path.join(dir, upload.filename);
    await writeFile(file, upload.bytes);
    return await uploadFileToThread(client, { ...upload, path: file });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
