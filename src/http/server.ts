/**
 * The bot's one HTTP server on PORT: health probes, signed file links (videos
 * too big for a chat upload, character clips for providers), provider webhooks
 * and Slack's HTTP events all mount here.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface BotHttpServer {
  /** Exact path, or a prefix ending in `/`. */
  route(method: string, path: string, handler: RouteHandler): void;
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
  readonly port: number;
}

export interface BotHttpServerOptions {
  logger: Logger;
  readiness: () => Readiness | Promise<Readiness>;
  /** Maps a signed file token to a local path, or undefined when forged or expired. */
  resolveFileToken?: (token: string) => string | undefined;
}

export function createBotHttpServer(options: BotHttpServerOptions): BotHttpServer {
  const routes: { method: string; path: string; handler: RouteHandler }[] = [];
  const { logger } = options;

  const route = (method: string, path: string, handler: RouteHandler) => {
    routes.push({ method: method.toUpperCase(), path, handler });
  };

  // Liveness: the process answers. Readiness (/healthz): this replica's store and media storage answer
  // and its adapters are connected, so a load balancer only routes traffic, and an orchestrator only
  // restarts, on the right signal.
  route('GET', '/livez', (_req, res) => sendJson(res, 200, { ok: true }));
  route('GET', '/healthz', async (_req, res) => {
    const r = await options.readiness();
    sendJson(res, r.ready ? 200 : 503, { ok: r.ready, checks: r.checks });
  });
  route('GET', '/files/', async (req, res, url) => {
    const token = decodeURIComponent(url.pathname.slice('/files/'.length));
    const path = options.resolveFileToken?.(token);
    if (!path) return sendJson(res, 404, { error: 'This link is invalid or has expired.' });
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return sendJson(res, 404, { error: 'This file is no longer stored.' });
    }
    res.writeHead(200, {
      'content-type': path.endsWith('.mp4') ? 'video/mp4' : 'application/octet-stream',
      'content-length': size,
      'cache-control': 'private, max-age=300',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(path).pipe(res);
  });

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return badRequest(res, req.url);
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const match = routes.find((r) => r.method === method && (r.path.endsWith('/') ? url.pathname.startsWith(r.path) : url.pathname === r.path));
    if (!match) return sendJson(res, 404, { error: 'not found' });
    Promise.resolve(match.handler(req, res, url)).catch((error: unknown) => {
      // decodeURIComponent on a malformed escape (`%E0%A4%A`): the client's mistake, not the bot's.
      if (error instanceof URIError && !res.headersSent) return badRequest(res, url.pathname);
      logger.error({ err: error, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  /** A request the bot cannot even read is the sender's fault: 400, and an info line rather than an error. */
  function badRequest(res: ServerResponse, path: string | undefined): void {
    logger.info({ path: path?.slice(0, 200) }, 'malformed request URL');
    sendJson(res, 400, { error: 'The request URL is malformed.' });
  }

  // Slow or stuck clients must not hold sockets forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 15_000;

  let port = 0;
  return {
    route,
    get port() {
      return port;
    },
    listen(wanted, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(wanted, host, () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          resolve(port);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body up to `limit` bytes; webhooks need the raw bytes for signature checks. */
export function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  // Events rather than `for await`: an async iterator per request showed in the burst profiles.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause(); // not read further: the caller answers 413
        return reject(new Error(`request body over ${limit} bytes`));
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
