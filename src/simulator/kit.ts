/**
 * The shared machinery every protocol plugin gets through `SimKit`: JSON and
 * text answers, request-body parsing (JSON and multipart), zod validation with
 * a 400 on failure, idempotent job creation, signed result URLs and MP4
 * streaming with backpressure. Nothing here knows a provider's shapes.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { ActiveFault, FaultController, SimRoute } from './faults.js';
import type { JobBoard, SimJob, SimJobFault } from './jobs.js';
import { HttpFailure, type Context, type SimKit } from './protocol.js';
import type { Renderer } from './render.js';

export class SimulatorStats {
  private readonly counts = new Map<string, number>();
  /** Provider jobs actually created (idempotent replays do not count). */
  jobsCreated = 0;
  /** Characters actually created, on every protocol. */
  charactersCreated = 0;

  hit(route: string): void {
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
  }

  count(route: SimRoute): number {
    return this.counts.get(route) ?? 0;
  }

  /** Requests to provider routes, excluding the `/__sim` control routes. */
  total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    this.counts.clear();
    this.jobsCreated = 0;
    this.charactersCreated = 0;
  }
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface KitDeps {
  clock: Clock;
  jobs: JobBoard;
  faults: FaultController;
  stats: SimulatorStats;
  renderer: Renderer;
  resultTtlMs: number;
  stopping: AbortSignal;
  baseUrl(): string;
}

export function createSimKit(deps: KitDeps): SimKit {
  const { clock, jobs, faults, stats, renderer } = deps;
  const signingSecret = randomBytes(16);
  const idempotency = new Map<string, string>();

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const sign = (path: string, exp: number): string => createHmac('sha256', signingSecret).update(`${path}|${exp}`).digest('hex').slice(0, 32);

  const parse = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => {
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const param = issue?.path.map(String).join('.') || null;
      throw new HttpFailure(400, 'invalid_value', `Invalid request: ${param ?? 'body'}: ${issue?.message ?? 'invalid'}`, param);
    }
    return result.data;
  };

  /** Streams the job's MP4 (or, under the `oversized` fault, a huge body), honouring backpressure. */
  const sendVideo = async (ctx: Context, job: SimJob, fault: ActiveFault | undefined): Promise<void> => {
    if (fault?.fault === 'oversized') {
      const total = fault.oversizedBytes ?? 64 * 1024 * 1024;
      ctx.res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': total });
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      while (sent < total && !ctx.res.destroyed) {
        const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
        sent += piece.length;
        if (!ctx.res.write(piece)) await drainOrClose(ctx.res);
      }
      ctx.res.end();
      return;
    }
    const clip = await renderer.render(job.seconds, job.size, job.sound);
    ctx.res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': clip.bytes });
    const file = createReadStream(clip.path);
    file.on('error', () => ctx.res.destroy());
    file.pipe(ctx.res);
    await new Promise((resolve) => ctx.res.once('close', resolve));
  };

  return {
    clock,
    jobs,
    faults,
    stats,
    baseUrl: deps.baseUrl,
    stopping: deps.stopping,
    resultTtlMs: deps.resultTtlMs,
    sendJson,
    sendText,
    parse,
    /** An idempotent create: the same key on the same route returns the job it made the first time. */
    idempotent(ctx, create, bodyKey) {
      const key = bodyKey ?? header(ctx.req, 'idempotency-key');
      if (key) {
        const existing = idempotency.get(`${ctx.route}|${key}`);
        const job = existing ? jobs.get(existing) : undefined;
        if (job) return job;
      }
      const job = create();
      stats.jobsCreated++;
      if (key) idempotency.set(`${ctx.route}|${key}`, job.id);
      // Warm the render now so the first download does not wait for ffmpeg.
      void renderer.render(job.seconds, job.size, job.sound);
      return job;
    },
    jobFault(ctx) {
      const fault = faults.take(ctx.protocol, ctx.route, 'job', requestText(ctx));
      return fault?.fault as SimJobFault | undefined;
    },
    sendVideo,
    signedUrl(path) {
      const exp = Math.floor((clock.now() + deps.resultTtlMs) / 1000);
      return `${deps.baseUrl()}${path}?exp=${exp}&sig=${sign(path, exp)}`;
    },
    /** A signed URL is good when its signature matches and its `exp` (simulator clock, seconds) has not passed. */
    signedUrlValid(url) {
      const exp = Number(url.searchParams.get('exp'));
      const sig = url.searchParams.get('sig') ?? '';
      return Number.isFinite(exp) && sig === sign(url.pathname, exp) && exp * 1000 >= clock.now();
    },
    header,
  };
}

/** Reads the body into `ctx.record`: JSON into `json`, multipart into `fields` and `files`. */
export async function readBody(ctx: Context): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, 'request_too_large', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return;
  const body = Buffer.concat(chunks);
  const type = ctx.req.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    try {
      ctx.record.json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpFailure(400, 'invalid_json', 'We could not parse the JSON body of your request.');
    }
  } else if (type.startsWith('multipart/form-data')) {
    // The platform's own multipart parser (undici inside Node): no dependency needed.
    let form: Awaited<ReturnType<Response['formData']>>;
    try {
      form = await new Response(body, { headers: { 'content-type': type } }).formData();
    } catch {
      throw new HttpFailure(400, 'invalid_multipart', 'Malformed multipart body.');
    }
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        (ctx.record.fields[field] ??= []).push(value);
      } else {
        const sha256 = createHash('sha256').update(Buffer.from(await value.arrayBuffer())).digest('hex');
        ctx.record.files.push({ field, fileName: value.name, type: value.type, size: value.size, sha256 });
      }
    }
  } else {
    throw new HttpFailure(400, 'unsupported_content_type', `Unsupported content type ${type || '(none)'}.`);
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The request's JSON and form fields as one string, for faults aimed at one prompt (`bodyIncludes`). */
function requestText(ctx: Context): string {
  return `${JSON.stringify(ctx.record.json ?? null)}\n${JSON.stringify(ctx.record.fields)}`;
}
