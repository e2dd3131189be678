/**
 * The simulator's own switches: `/__sim` control routes for console use
 * (POST/GET/DELETE /__sim/faults, GET /__sim/stats), and request-level faults
 * (reset, 401, 500, 429 with retry-after, slow answers) applied before a
 * provider route runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import { faultSpecSchema, type FaultController } from './faults.js';
import type { JobBoard } from './jobs.js';
import type { SimulatorStats } from './kit.js';
import { readAll } from './kit.js';
import { HttpFailure, type Context, type SimKit } from './protocol.js';

export async function handleControl(
  deps: { kit: SimKit; faults: FaultController; stats: SimulatorStats; jobs: JobBoard },
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { kit, faults, stats, jobs } = deps;
  if (url.pathname === '/__sim/faults' && req.method === 'POST') {
    let body: unknown;
    try {
      body = JSON.parse((await readAll(req)).toString('utf8') || '{}');
    } catch {
      return kit.sendJson(res, 400, { error: 'body must be JSON' });
    }
    const spec = faultSpecSchema.safeParse(body);
    if (!spec.success) return kit.sendJson(res, 400, { error: 'invalid fault', issues: spec.error.issues });
    return kit.sendJson(res, 201, { fault: faults.inject(spec.data) });
  }
  if (url.pathname === '/__sim/faults' && req.method === 'GET') return kit.sendJson(res, 200, { faults: faults.list() });
  const clear = /^\/__sim\/faults(?:\/([^/]+))?$/.exec(url.pathname);
  if (clear && req.method === 'DELETE') {
    faults.clear(clear[1]);
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === '/__sim/stats' && req.method === 'GET') {
    return kit.sendJson(res, 200, { requests: stats.snapshot(), jobsCreated: stats.jobsCreated, charactersCreated: stats.charactersCreated, jobs: jobs.counts() });
  }
  kit.sendJson(res, 404, { error: 'unknown control route' });
}

/** Applies a request-level fault. Returns true when the request has been answered (or dropped). */
export async function applyRequestFault(
  ctx: Context,
  deps: { faults: FaultController; clock: Clock; sendError(ctx: Context, failure: HttpFailure): void },
): Promise<boolean> {
  const { faults, clock, sendError } = deps;
  const fault = faults.take(ctx.protocol, ctx.route, 'request');
  if (!fault) return false;
  switch (fault.fault) {
    case 'reset':
      // Drop the connection mid-request, as an overloaded proxy does.
      ctx.req.socket.destroy();
      return true;
    case '401':
      sendError(ctx, new HttpFailure(401, 'invalid_api_key', 'Incorrect API key provided.'));
      return true;
    case '500':
      sendError(ctx, new HttpFailure(500, 'server_error', 'The server had an error while processing your request.'));
      return true;
    case '429': {
      const headers: Record<string, string> = {};
      if (fault.retryAfterDateMs !== undefined) headers['retry-after'] = new Date(clock.now() + fault.retryAfterDateMs).toUTCString();
      else headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      sendError(ctx, new HttpFailure(429, 'rate_limit_exceeded', 'Rate limit reached for requests.', null, headers));
      return true;
    }
    case 'slow':
      try {
        if (fault.holdMs === undefined) await new Promise((_, reject) => ctx.signal.addEventListener('abort', reject, { once: true }));
        else await clock.sleep(fault.holdMs, ctx.signal);
      } catch {
        return true; // client gave up or the simulator stopped
      }
      return false; // held long enough: answer normally
    default:
      return false;
  }
}
