/**
 * Fetches a URL a user typed into chat (a character clip or reference image)
 * without letting it reach anything but the public internet, fill the disk, or
 * hang a job.
 *
 * - Only http and https.
 * - DNS is resolved here, every resolved address must pass the address policy
 *   (see address-policy.ts), and the connection is pinned to those checked
 *   addresses through undici's `connect.lookup`, so a DNS answer that changes
 *   between check and connect (DNS rebinding) cannot redirect us.
 * - Redirects are followed by hand, at most 3, each hop checked like the first.
 * - Size is capped before (Content-Length) and while streaming.
 * - The type must be what the bot can use; `application/octet-stream` clips are
 *   accepted only when their first bytes are an MP4/MOV or WebM container.
 * - One deadline covers every hop, headers and body.
 *
 * Failures are `UserFacingError`s with a sentence for chat; the technical
 * cause rides along as `cause` for the log.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { open, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { UserFacingError } from '../core/errors.js';
import { msg, type Message } from '../core/messages.js';
import { isPublicAddress } from './address-policy.js';

export type SourceKind = 'video' | 'image';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface SafeFetchOptions {
  kind: SourceKind;
  maxBytes: number;
  /** Total time for every hop, headers and body. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Lets tests and the embedded simulator fetch from 127.0.0.1. Production
   * never sets it: with it, any chat user could make the bot read internal
   * services and the cloud metadata endpoint.
   */
  allowPrivateAddresses?: boolean;
  /** Which addresses count as public. Default `isPublicAddress`; tests inject a stricter or looser view. */
  allowAddress?: (address: string) => boolean;
  /** Name resolution. Default: the system resolver (`dns.lookup`, all addresses). */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export interface FetchedSource {
  bytes: number;
  /** The media type as served (or as sniffed, for octet-stream). */
  contentType: string;
  /** File extension matching the content, without a dot. */
  extension: string;
  /** The URL after redirects. */
  finalUrl: string;
}

const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const IMAGE_TYPES: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/jpg': 'jpg', 'image/webp': 'webp' };
const VIDEO_EXTENSIONS: Record<string, string> = { 'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm' };
/** Enough bytes to see an ISO BMFF `ftyp` box or the EBML magic. */
const SNIFF_BYTES = 12;

// The catalogs format sizes too, and they may only use the core.
export { formatByteSize } from '../core/byte-size.js';

/** MP4 and MOV are ISO BMFF: bytes 4–7 are `ftyp`. WebM/Matroska starts with the EBML magic 1A 45 DF A3. */
export function sniffVideoContainer(head: Uint8Array): { contentType: string; extension: string } | undefined {
  if (head.length >= 8 && Buffer.from(head.subarray(4, 8)).toString('latin1') === 'ftyp') {
    const brand = Buffer.from(head.subarray(8, 12)).toString('latin1');
    return brand === 'qt  ' ? { contentType: 'video/quicktime', extension: 'mov' } : { contentType: 'video/mp4', extension: 'mp4' };
  }
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    return { contentType: 'video/webm', extension: 'webm' };
  }
  return undefined;
}

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

function refuse(code: string, said: Message, cause?: unknown): UserFacingError {
  return new UserFacingError(said, { code, cause });
}

function parseUserUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (error) {
    throw refuse('source_bad_url', msg('link.bad_url'), error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse('source_bad_scheme', msg('link.bad_scheme'), new Error(`scheme ${url.protocol}`));
  }
  return url;
}

/** Resolves the URL's host and returns the addresses to pin, or throws when any of them is off-limits. */
async function checkedAddresses(url: URL, options: SafeFetchOptions): Promise<ResolvedAddress[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch (error) {
      throw refuse('source_unresolvable', msg('link.unresolvable', { host }), error);
    }
    if (addresses.length === 0) {
      throw refuse('source_unresolvable', msg('link.unresolvable', { host }), new Error('no addresses'));
    }
  }
  if (options.allowPrivateAddresses) return addresses;
  const allow = options.allowAddress ?? isPublicAddress;
  // Refuse if any answer is private: a name that mixes public and private
  // addresses is either misconfigured or an attempt to get lucky.
  const blocked = addresses.find((a) => !allow(a.address));
  if (blocked) {
    throw refuse('source_private_address', msg('link.private_address'), new Error(`${host} resolves to ${blocked.address}`));
  }
  return addresses;
}

/** An undici dispatcher that connects only to the addresses we checked, whatever DNS says by then. */
function pinnedAgent(addresses: ResolvedAddress[], timeoutMs: number): Agent {
  const pinned: LookupAddress[] = addresses.map((a) => ({ address: a.address, family: a.family }));
  return new Agent({
    connect: {
      timeout: timeoutMs,
      // Node calls lookup with `all: true` when happy-eyeballs is on, and without it otherwise.
      lookup: (_hostname: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
        if (opts?.all) callback(null, pinned);
        else callback(null, pinned[0]!.address, pinned[0]!.family);
      },
    } as never,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

/**
 * Drops a response body we will not read. undici's body emits 'error'
 * (RequestAbortedError) when destroyed; without a listener that would crash
 * the process.
 */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function acceptedType(kind: SourceKind, mediaType: string): { extension: string } | 'sniff' | undefined {
  if (kind === 'image') {
    const extension = IMAGE_TYPES[mediaType];
    return extension ? { extension } : undefined;
  }
  if (mediaType.startsWith('video/')) return { extension: VIDEO_EXTENSIONS[mediaType] ?? 'mp4' };
  if (mediaType === 'application/octet-stream') return 'sniff';
  return undefined;
}

function wrongType(kind: SourceKind, served: string): UserFacingError {
  return refuse('source_bad_type', msg('source.bad_type', { kind, from: 'link' }), new Error(`content-type ${served || '(none)'}`));
}

/**
 * Downloads `rawUrl` to `destination` (created exclusively; removed again on
 * any failure). Throws `UserFacingError` on every refusal.
 */
export async function fetchUserFile(rawUrl: string, destination: string, options: SafeFetchOptions): Promise<FetchedSource> {
  const tooLarge = (cause: string) => refuse('source_too_large', msg('source.too_large', { kind: options.kind, maxBytes: options.maxBytes }), new Error(cause));

  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const agents: Agent[] = [];
  let wroteFile = false;
  try {
    let url = parseUserUrl(rawUrl);
    for (let hop = 0; ; hop++) {
      const addresses = await checkedAddresses(url, options);
      const agent = pinnedAgent(addresses, options.timeoutMs);
      agents.push(agent);
      const response = await request(url, {
        method: 'GET',
        dispatcher: agent,
        signal,
        headers: { accept: options.kind === 'video' ? 'video/*, application/octet-stream' : 'image/png, image/jpeg, image/webp', 'user-agent': 'sora-team-bot' },
      });

      if (REDIRECT_STATUSES.has(response.statusCode)) {
        discard(response.body);
        const location = response.headers.location;
        if (typeof location !== 'string' || location === '') {
          throw refuse('source_http_error', msg('link.redirects_nowhere'), new Error(`HTTP ${response.statusCode} without Location`));
        }
        if (hop >= MAX_REDIRECTS) {
          throw refuse('source_too_many_redirects', msg('link.too_many_redirects', { max: MAX_REDIRECTS }), new Error(`redirect ${hop + 1} to ${location}`));
        }
        url = parseUserUrl(location, url);
        continue;
      }
      if (response.statusCode < 200 || response.statusCode >= 300) {
        discard(response.body);
        throw refuse('source_http_error', msg('link.http_error', { status: response.statusCode }), new Error(`HTTP ${response.statusCode} from ${url.host}`));
      }

      const declaredLength = Number(response.headers['content-length']);
      if (Number.isFinite(declaredLength) && declaredLength > options.maxBytes) {
        discard(response.body);
        throw tooLarge(`content-length ${declaredLength} > ${options.maxBytes}`);
      }
      const rawType = String(response.headers['content-type'] ?? '');
      const mediaType = rawType.split(';')[0]!.trim().toLowerCase();
      const accepted = acceptedType(options.kind, mediaType);
      if (!accepted) {
        discard(response.body);
        throw wrongType(options.kind, rawType);
      }

      const file = await open(destination, 'wx');
      wroteFile = true;
      let bytes = 0;
      let head: Buffer | undefined = accepted === 'sniff' ? Buffer.alloc(0) : undefined;
      let result: { contentType: string; extension: string } | undefined =
        accepted === 'sniff' ? undefined : { contentType: mediaType, extension: accepted.extension };
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          if (bytes > options.maxBytes) {
            discard(response.body);
            throw tooLarge(`streamed more than ${options.maxBytes} bytes`);
          }
          if (head) {
            head = Buffer.concat([head, chunk]);
            if (head.length < SNIFF_BYTES) continue;
            result = sniffVideoContainer(head);
            if (!result) {
              discard(response.body);
              throw wrongType(options.kind, `${rawType}, bytes ${head.subarray(0, SNIFF_BYTES).toString('hex')}`);
            }
            await file.write(head);
            head = undefined;
            continue;
          }
          await file.write(chunk);
        }
        if (head) {
          // The whole body was shorter than the sniff window.
          result = sniffVideoContainer(head);
          if (!result) throw wrongType(options.kind, `${rawType}, ${head.length} bytes`);
          await file.write(head);
        }
        await file.sync();
      } finally {
        await file.close();
      }
      return { bytes, contentType: result!.contentType, extension: result!.extension, finalUrl: url.toString() };
    }
  } catch (error) {
    if (wroteFile) await rm(destination, { force: true });
    if (error instanceof UserFacingError) throw error;
    if (deadline.aborted) {
      throw refuse('source_timeout', msg('link.timeout', { seconds: Math.round(options.timeoutMs / 1000) || 1 }), error);
    }
    if (options.signal?.aborted) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw refuse('disk_full', msg('disk_full', { what: 'file' }), error);
    }
    throw refuse('source_unreachable', msg('link.unreachable'), error);
  } finally {
    await Promise.all(agents.map((a) => a.destroy().catch(() => undefined)));
  }
}
