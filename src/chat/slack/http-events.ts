/**
 * The front of `POST /slack/events` in HTTP mode, before Bolt:
 *  - the body is capped before anything else: a declared length over the cap
 *    is refused at once, and a chunked body is cut off at the cap, so an
 *    unsigned request cannot make the bot buffer megabytes (Bolt's own default
 *    is 4 MB);
 *  - a correctly signed request is acted on once: Slack signs
 *    `v0:{timestamp}:{body}` and accepts the timestamp for 5 minutes
 *    (https://api.slack.com/authentication/verifying-requests-from-slack), so a
 *    captured request replayed inside that window would verify again. Its
 *    timestamp and signature are remembered in the store for longer than the
 *    window, and a copy is answered with an empty 200 and dropped;
 *  - a request whose signature does not verify, or whose timestamp is more
 *    than 5 minutes from ours, gets an empty 401 here, as Bolt's HTTPReceiver
 *    would answer it. Bolt's own check is off (`signatureVerification: false`
 *    in index.ts): it hashed the same bytes a second time and compared them
 *    through tsscmp, which HMACs both sides again with a fresh random key,
 *    about a tenth of a Slack burst's CPU before the acks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SeenKeys } from '../../core/ports.js';
import { readBody } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { ReplayGuard } from '../replay-guard.js';

/** Slash commands and button clicks are a few KiB; a view submission tens of KiB. */
export const MAX_SLACK_BODY_BYTES = 256 * 1024;
/** Twice Slack's 5-minute timestamp window: no accepted request outlives its memory. */
const SEEN_TTL_MS = 10 * 60_000;
/** Slack's window: "more than five minutes from local time" is a replay (the page above). */
const TIMESTAMP_WINDOW_S = 5 * 60;

/**
 * https://api.slack.com/authentication/verifying-requests-from-slack: HMAC-SHA256 of
 * `v0:{timestamp}:{raw body}` with the signing secret, hex, sent as `v0={hash}`.
 */
export function verifySlackSignature(signingSecret: string, signature: unknown, timestamp: unknown, body: Buffer, nowMs: number): boolean {
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TIMESTAMP_WINDOW_S) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface SlackEventsGate {
  signingSecret: string;
  seen: SeenKeys;
  logger: Logger;
  /** Bolt's HTTPReceiver request listener, which gets verified requests only. */
  next: (req: IncomingMessage, res: ServerResponse) => void;
}

function isSslCheck(req: IncomingMessage, body: Buffer): boolean {
  return req.headers['content-type'] === 'application/x-www-form-urlencoded' && new URLSearchParams(body.toString('utf8')).get('ssl_check') === '1';
}

function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  const text = JSON.stringify({ error: 'body too large' });
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  // The rest of the body is never read: the connection goes once the answer is out.
  res.end(text, () => req.destroy());
}

export function slackEventsGate(gate: SlackEventsGate): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const seen = new ReplayGuard(gate.seen, 'slack:request', SEEN_TTL_MS);
  return async (req, res) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_SLACK_BODY_BYTES) return refuseTooLarge(req, res);
    // Over the cap, readBody stops reading (the request paused) and refuses.
    const body = await readBody(req, MAX_SLACK_BODY_BYTES).catch(() => undefined);
    if (!body) return refuseTooLarge(req, res);
    const signature = req.headers['x-slack-signature'];
    const timestamp = req.headers['x-slack-request-timestamp'];
    if (!verifySlackSignature(gate.signingSecret, signature, timestamp, body, Date.now())) {
      // Slack's SSL check needs no signature, and gets an empty 200 as Bolt answers it
      // (https://api.slack.com/interactivity/slash-commands#ssl_check); nothing else in it is read.
      if (isSslCheck(req, body)) return void res.writeHead(200).end();
      gate.logger.info('a slack request with a bad signature or an old timestamp; refused');
      res.writeHead(401).end();
      return;
    }
    // Only verified requests are remembered, so forged ones cannot fill the store.
    if (!(await seen.first(`${timestamp}:${signature}`))) {
      gate.logger.warn({ timestamp }, 'a signed slack request arrived again; dropped as a replay');
      res.writeHead(200).end();
      return;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    gate.next(req, res);
  };
}
