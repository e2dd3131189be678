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
 *    window, and a copy is answered with an empty 200 and dropped.
 * Bolt then verifies the same bytes again (it reads `req.rawBody` when set).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidSlackRequest } from '@slack/bolt';
import type { SeenKeys } from '../../core/ports.js';
import { readBody } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { ReplayGuard } from '../replay-guard.js';

/** Slash commands and button clicks are a few KiB; a view submission tens of KiB. */
export const MAX_SLACK_BODY_BYTES = 256 * 1024;
/** Twice Slack's 5-minute timestamp window: no accepted request outlives its memory. */
const SEEN_TTL_MS = 10 * 60_000;

export interface SlackEventsGate {
  signingSecret: string;
  seen: SeenKeys;
  logger: Logger;
  /** Bolt's HTTPReceiver request listener. */
  next: (req: IncomingMessage, res: ServerResponse) => void;
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
    if (typeof signature === 'string' && typeof timestamp === 'string') {
      const valid = isValidSlackRequest({
        signingSecret: gate.signingSecret,
        body: body.toString(),
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(timestamp) },
      });
      // Only verified requests are remembered, so forged ones cannot fill the store.
      if (valid && !(await seen.first(`${timestamp}:${signature}`))) {
        gate.logger.warn({ timestamp }, 'a signed slack request arrived again; dropped as a replay');
        res.writeHead(200).end();
        return;
      }
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    gate.next(req, res);
  };
}
