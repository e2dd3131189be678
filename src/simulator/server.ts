/**
 * A local video provider server. Each provider's protocol is a plugin
 * (./openai.ts, ./apiyi.ts, ./fal.ts, ./gemini.ts, ./kling.ts) that validates
 * requests like the provider does; this file only wires them: it routes a
 * request to its plugin, authenticates it, applies armed faults, parses the
 * body and answers errors in the plugin's own shape. The OpenAI shape is the
 * bot's embedded default backend, so a first run goes through the real HTTP
 * clients, and the simulator is the provider in every backend test.
 *
 * Everything a test needs to see is exposed: request counts per route, the
 * last request per route (headers, JSON or multipart fields), armed faults,
 * and the job board. Time comes from the injected clock.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../log.js';
import { applyRequestFault, handleControl } from './control.js';
import { FaultController, type SimProtocol, type SimRoute } from './faults.js';
import { JobBoard } from './jobs.js';
import { createSimKit, readBody, SimulatorStats } from './kit.js';
import { createRenderer, type RendererOptions } from './render.js';
import { HttpFailure, type Context, type RecordedRequest, type SimProtocolModule } from './protocol.js';
import { createOpenAiProtocol } from './openai.js';
import { createApiyiProtocol } from './apiyi.js';
import { createFalProtocol, type FalSimOptions } from './fal.js';
import { createGeminiProtocol, type GeminiSimOptions } from './gemini.js';
import { createKlingProtocol, DEFAULT_ELEMENT_MS, type KlingSimOptions } from './kling.js';
import { createViduProtocol, type ViduSimOptions } from './vidu.js';

export type { RecordedFile, RecordedRequest } from './protocol.js';
export { SimulatorStats } from './kit.js';

export interface SimulatorOptions {
  /** Default 127.0.0.1: the simulator has no auth on its control routes. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  clock?: Clock;
  logger?: Logger;
  /** When set, only this key is accepted (to test 401); otherwise any non-empty key is. */
  apiKey?: string;
  /** Header carrying the apiyi key (default `authorization`). */
  apiyiAuthHeader?: string;
  /** Scheme before the apiyi key (default `Bearer`; empty string = the bare key). */
  apiyiAuthScheme?: string;
  /** Durations the apiyi `generate` route accepts (default the seed's reseller durations, 10 and 15). */
  apiyiDurations?: number[];
  renderMsPerVideoSecond?: number;
  /** Waits other than renders (Kling's element tasks) take this fraction of their real time (default 1). */
  pace?: number;
  concurrency?: number;
  /** Lifetime of result URLs and of OpenAI content after completion (default 3600 s, per the OpenAI guide). */
  resultUrlTtlSeconds?: number;
  /** OpenAI `content` answers with a redirect to a signed URL, as the guide says it may (default true). */
  openaiContentRedirect?: boolean;
  render?: RendererOptions;
  /** fal queue protocol under `/fal` (webhook signing key pair, models). */
  fal?: FalSimOptions;
  /** Gemini API (Veo) under `/gemini`. */
  gemini?: GeminiSimOptions;
  /** Kling official API under `/kling` (JWT keys, element timing). */
  kling?: KlingSimOptions;
  /** Vidu's API under `/vidu` (stored subjects). */
  vidu?: ViduSimOptions;
}

export interface Simulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Base URL for the `openai` backend (`…/v1`). */
  openaiBaseUrl: string;
  /** Base URL for the `apiyi` backend (`…/apiyi`; paths `/sora/...` below it). */
  apiyiBaseUrl: string;
  /** FAL_QUEUE_URL for the fal backends (`…/fal`). */
  falQueueUrl: string;
  /** FAL_WEBHOOK_JWKS_URL: the public half of the simulator's webhook signing key. */
  falJwksUrl: string;
  /** GEMINI_API_URL (`…/gemini`). */
  geminiApiUrl: string;
  /** KLING_API_URL (`…/kling`). */
  klingApiUrl: string;
  /** VIDU_API_URL (`…/vidu`). */
  viduApiUrl: string;
  /** The protocol modules, for tests that need their keys, characters or element registry. */
  openai: ReturnType<typeof createOpenAiProtocol>;
  apiyi: ReturnType<typeof createApiyiProtocol>;
  fal: ReturnType<typeof createFalProtocol>;
  gemini: ReturnType<typeof createGeminiProtocol>;
  kling: ReturnType<typeof createKlingProtocol>;
  vidu: ReturnType<typeof createViduProtocol>;
  faults: FaultController;
  stats: SimulatorStats;
  jobs: JobBoard;
  lastRequest(route: SimRoute): RecordedRequest | undefined;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? silentLogger).child({ component: 'simulator' });
  const faults = new FaultController();
  const stats = new SimulatorStats();
  const jobs = new JobBoard({
    clock,
    ...(options.renderMsPerVideoSecond !== undefined && { renderMsPerVideoSecond: options.renderMsPerVideoSecond }),
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
  });
  const renderer = createRenderer({ logger: log, ...options.render });
  const lastRequests = new Map<SimRoute, RecordedRequest>();
  const stopping = new AbortController();
  // Each request's own signal aborts when its client goes away or the simulator stops. They are
  // kept here rather than listening on `stopping`: one listener per request in flight on that one
  // signal passed Node's limit of 10 under a burst (MaxListenersExceededWarning in acceptance-crash).
  const inFlight = new Set<AbortController>();
  const sockets = new Set<Socket>();
  let baseUrl = '';

  const kit = createSimKit({
    clock,
    jobs,
    faults,
    stats,
    renderer,
    resultTtlMs: (options.resultUrlTtlSeconds ?? 3600) * 1000,
    stopping: stopping.signal,
    baseUrl: () => baseUrl,
  });

  // One plugin per provider protocol (docs/providers.md lists each with its source).
  const openai = createOpenAiProtocol(kit, {
    ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
    ...(options.openaiContentRedirect !== undefined && { contentRedirect: options.openaiContentRedirect }),
  });
  const apiyi = createApiyiProtocol(kit, {
    ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
    ...(options.apiyiAuthHeader !== undefined && { authHeader: options.apiyiAuthHeader }),
    ...(options.apiyiAuthScheme !== undefined && { authScheme: options.apiyiAuthScheme }),
    ...(options.apiyiDurations !== undefined && { durations: options.apiyiDurations }),
  });
  const fal = createFalProtocol(kit, options.fal);
  const gemini = createGeminiProtocol(kit, options.gemini);
  const elementMs = options.kling?.elementMs ?? Math.round(DEFAULT_ELEMENT_MS * (options.pace ?? 1));
  const kling = createKlingProtocol(kit, { ...options.kling, elementMs });
  const vidu = createViduProtocol(kit, options.vidu);
  const plugins: SimProtocolModule[] = [openai, apiyi, fal, gemini, kling, vidu];
  const routes = plugins.flatMap((p) => p.routes);

  const pluginFor = (protocol: SimProtocol): SimProtocolModule => plugins.find((p) => p.protocol === protocol) ?? openai;

  /** Each protocol answers errors in its provider's own body shape. */
  const sendError = (ctx: { res: ServerResponse; protocol: SimProtocol }, failure: HttpFailure): void => {
    kit.sendJson(ctx.res, failure.status, pluginFor(ctx.protocol).errorBody(failure), failure.headers);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', baseUrl || 'http://127.0.0.1');
    if (url.pathname.startsWith('/__sim/')) return handleControl({ kit, faults, stats, jobs }, req, res, url);
    const requestId = `req_${randomBytes(8).toString('hex')}`;
    res.setHeader('x-request-id', requestId);
    let match: RegExpExecArray | null = null;
    const def = routes.find((r) => r.method === req.method && (match = r.pattern.exec(url.pathname)) !== null);
    if (!def || !match) {
      const protocol = plugins.find((p) => url.pathname.startsWith(`${p.prefix}/`))?.protocol ?? 'openai';
      req.resume();
      return sendError({ res, protocol }, new HttpFailure(404, 'not_found', `No route for ${req.method} ${url.pathname}.`));
    }
    const closed = new AbortController();
    inFlight.add(closed);
    res.once('close', () => {
      inFlight.delete(closed);
      closed.abort();
    });
    const ctx: Context = {
      req,
      res,
      url,
      protocol: def.protocol,
      route: def.route,
      params: (match as RegExpExecArray).slice(1),
      signal: closed.signal,
      record: {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
        json: undefined,
        fields: {},
        files: [],
      },
    };
    stats.hit(def.route);
    try {
      if (await applyRequestFault(ctx, { faults, clock, sendError })) return;
      // Signed media URLs and key sets are reached without a key, like a CDN.
      if (!def.public) pluginFor(def.protocol).authenticate(ctx);
      await readBody(ctx);
      lastRequests.set(def.route, ctx.record);
      await def.handle(ctx);
    } catch (error) {
      if (error instanceof HttpFailure) {
        lastRequests.set(def.route, ctx.record);
        req.resume();
        sendError(ctx, error);
        return;
      }
      log.error({ err: error, route: def.route }, 'simulator route failed');
      sendError(ctx, new HttpFailure(500, 'server_error', 'Simulator error.'));
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      log.error({ err: error }, 'simulator request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Resets and client aborts surface as socket errors; they are part of the game here.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;
  log.info({ url: baseUrl }, 'provider simulator listening');

  return {
    url: baseUrl,
    openaiBaseUrl: `${baseUrl}/v1`,
    apiyiBaseUrl: `${baseUrl}/apiyi`,
    falQueueUrl: `${baseUrl}/fal`,
    falJwksUrl: `${baseUrl}/fal/.well-known/jwks.json`,
    geminiApiUrl: `${baseUrl}/gemini`,
    klingApiUrl: `${baseUrl}/kling`,
    viduApiUrl: `${baseUrl}/vidu`,
    openai,
    apiyi,
    fal,
    gemini,
    kling,
    vidu,
    faults,
    stats,
    jobs,
    lastRequest: (route) => lastRequests.get(route),
    async stop() {
      stopping.abort();
      for (const request of inFlight) request.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      await renderer.dispose();
    },
  };
}
