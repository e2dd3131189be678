/**
 * Posting a video on Discord: sized for this server's upload limit (attached as is, re-encoded
 * smaller when ffmpeg can, or else a signed link) and sent as one multipart message. Single jobs and storyboards
 * are posted the same way.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { BotMediaStore } from '../../media/media-store.js';
import { transcodeToFit } from '../../media/transcode.js';

/** Signed links to videos too big to attach. */
const LINK_TTL_MS = 7 * 24 * 60 * 60_000;
/** Room for the JSON part of a multipart upload inside the per-file limit. */
const UPLOAD_OVERHEAD_BYTES = 16 * 1024;

export interface FittedVideo {
  file: { path: string; bytes: number } | undefined;
  note: string | undefined;
  link: string | undefined;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function fitToUpload(
  deps: { media: BotMediaStore; logger: Logger },
  video: { id: string; path: string; bytes: number; seconds: number },
  sizeLimit: number,
): Promise<FittedVideo> {
  const limit = Math.max(1, sizeLimit - UPLOAD_OVERHEAD_BYTES);
  if (video.bytes <= limit) return { file: { path: video.path, bytes: video.bytes }, note: undefined, link: undefined };
  if (deps.media.ffmpegAvailable) {
    const file = await transcodeToFit(video.path, limit, video.seconds).catch((error: unknown) => {
      deps.logger.warn({ err: error, video: video.id }, 're-encoding to fit the upload limit failed');
      return undefined;
    });
    if (file) return { file, note: `Re-encoded from ${mib(video.bytes)} to ${mib(file.bytes)} to fit this server's ${mib(sizeLimit)} upload limit.`, link: undefined };
  }
  const link = await deps.media.publicUrlFor(video.path, LINK_TTL_MS);
  const note = link
    ? `The video is ${mib(video.bytes)}, over this server's ${mib(sizeLimit)} upload limit, and could not be shrunk to fit without ruining it, so here is a link (valid 7 days).`
    : `The video is ${mib(video.bytes)}, over this server's ${mib(sizeLimit)} upload limit, and the bot has no public address (PUBLIC_URL) to link it from. An admin can find it as ${video.id}.mp4 in the bot's data folder.`;
  return { file: undefined, note, link };
}

/**
 * A message with files as a ready-made multipart body
 * (https://discord.com/developers/docs/reference#uploading-files). @discordjs/rest's own
 * `files` option builds a global FormData, which the undici 7 dispatcher this
 * project installs cannot serialize ("action is not a function"); bytes
 * passed through untouched work with any dispatcher.
 */
export function multipartFiles(payload: unknown, files: { name: string; contentType: string; data: Buffer }[]) {
  const boundary = `----sora-bot-${randomBytes(12).toString('hex')}`;
  const safe = files.map((f) => ({ ...f, name: f.name.replace(/["\r\n]/g, '_') }));
  const json = JSON.stringify({ ...(payload as object), attachments: safe.map((f, id) => ({ id, filename: f.name })) });
  const parts: Buffer[] = [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\nContent-Type: application/json\r\n\r\n${json}\r\n`)];
  safe.forEach((f, i) => {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files[${i}]"; filename="${f.name}"\r\nContent-Type: ${f.contentType}\r\n\r\n`), f.data, Buffer.from('\r\n'));
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(parts),
    passThroughBody: true,
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A message with one file (a delivered video). */
export function multipartMessage(payload: unknown, fileName: string, contentType: string, data: Buffer) {
  return multipartFiles(payload, [{ name: fileName, contentType, data }]);
}
