/**
 * Files shared in Slack as character sources. Slash commands cannot carry
 * attachments, so people name a file already shared in the channel: its id
 * (`F0123ABCD`) or its permalink. Slack serves `url_private_download` only
 * with the bot token (scope files:read), so the token goes with the request,
 * and only to Slack's own file host, never to a URL a user typed.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import { request } from 'undici';
import { z } from 'zod';
import { UserFacingError } from '../../core/errors.js';
import { msg } from '../../core/messages.js';

/** A file id, or the id inside a permalink like https://team.slack.com/files/U123/F0123ABCD/clip.mp4. */
const FILE_ID = /^F[A-Z0-9]{6,}$/;
const PERMALINK = /^https:\/\/[^/]+\/files\/[A-Z0-9]+\/(F[A-Z0-9]{6,})(?:\/|$)/;

export function slackFileId(reference: string): string | undefined {
  const ref = reference.trim().replace(/^<|>$/g, '').split('|')[0]!;
  if (FILE_ID.test(ref)) return ref;
  return PERMALINK.exec(ref)?.[1];
}

const fileInfoSchema = z.object({
  file: z.object({
    id: z.string(),
    name: z.string().optional(),
    size: z.number().int().nonnegative(),
    mimetype: z.string().optional(),
    url_private_download: z.string().url().optional(),
    url_private: z.string().url().optional(),
  }),
});

export interface SharedFileOptions {
  client: webApi.WebClient;
  botToken: string;
  /** Hosts the bot token may be sent to: Slack's file host, plus the API host when it is overridden (a test fake or proxy). */
  trustedHosts: string[];
  tmpDir: string;
  maxBytes: number;
}

export async function downloadSharedFile(reference: string, kind: 'video' | 'image', options: SharedFileOptions): Promise<string> {
  const fileId = slackFileId(reference);
  if (!fileId) {
    throw new UserFacingError(msg('slack_file.bad_ref'), { code: 'bad_file' });
  }
  let info: z.infer<typeof fileInfoSchema>['file'];
  try {
    info = fileInfoSchema.parse(await options.client.files.info({ file: fileId })).file;
  } catch (error) {
    throw new UserFacingError(msg('slack_file.cannot_open', { fileId }), { code: 'file_not_found', cause: error });
  }
  if (info.mimetype && !info.mimetype.startsWith(`${kind}/`)) {
    throw new UserFacingError(msg('slack_file.wrong_type', { name: info.name ?? fileId, kind }), { code: 'wrong_file_type' });
  }
  const tooLarge = () => new UserFacingError(msg('slack_file.too_large', { name: info.name ?? fileId, limitMb: Math.round(options.maxBytes / 1024 / 1024) }), { code: 'file_too_large' });
  if (info.size > options.maxBytes) throw tooLarge();
  const url = info.url_private_download ?? info.url_private;
  if (!url || !options.trustedHosts.includes(new URL(url).host)) {
    throw new UserFacingError(msg('slack_file.cannot_download', { fileId, missingScope: false }), { code: 'file_not_found' });
  }
  await mkdir(options.tmpDir, { recursive: true });
  const target = path.join(options.tmpDir, `slack-${fileId}-${randomBytes(4).toString('hex')}${path.extname(info.name ?? '') || (kind === 'video' ? '.mp4' : '.png')}`);
  // No redirects: a redirect could carry the token to a host we did not check.
  const res = await request(url, { headers: { authorization: `Bearer ${options.botToken}` }, headersTimeout: 30_000, bodyTimeout: 60_000 });
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode !== 200 || type.startsWith('text/html')) {
    // Slack answers a token without files:read with its HTML login page and 200.
    await res.body.dump();
    throw new UserFacingError(msg('slack_file.cannot_download', { fileId, missingScope: true }), { code: 'file_not_found' });
  }
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > options.maxBytes) return done(tooLarge());
      done(null, chunk);
    },
  });
  try {
    await pipeline(res.body, cap, createWriteStream(target));
  } catch (error) {
    await rm(target, { force: true });
    if (error instanceof UserFacingError) throw error;
    throw new UserFacingError(msg('slack_file.download_failed', { name: info.name ?? fileId }), { code: 'download_failed', cause: error });
  }
  return target;
}
