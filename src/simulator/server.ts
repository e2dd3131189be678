/**
 * A local video provider that speaks both the OpenAI Videos API shape (field
 * guide §2.1, under `/v1`) and the seed's character API (§2.2, under
 * `/apiyi`). It is the bot's embedded default backend, so a first run goes
 * through the real HTTP clients, and it is the provider in every backend test.
 *
 * Everything a test needs to see is exposed: request counts per route, the
 * last request per route (headers, JSON or multipart fields), armed faults,
 * and the job board. Time comes from the injected clock.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../log.js';
import { FaultController, faultSpecSchema, type ActiveFault, type SimProtocol, type SimRoute } from './faults.js';
import { JobBoard, newSimId, type SimJob, type SimJobFault } from './jobs.js';
import { createRenderer, type RendererOptions } from './render.js';
import { HttpFailure, type Context, type RecordedRequest, type RouteDef, type SimKit, type SimProtocolModule } from './protocol.js';
import { createFalProtocol, type FalSimOptions } from './fal.js';
import { createGeminiProtocol, type GeminiSimOptions } from './gemini.js';
import { createKlingProtocol, type KlingSimOptions } from './kling.js';

export type { RecordedFile, RecordedRequest } from './protocol.js';

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
}

export class SimulatorStats {
  private readonly counts = new Map<string, number>();
  /** Provider jobs actually created (idempotent replays do not count). */
  jobsCreated = 0;
  /** Characters actually created, on both protocols. */
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
  /** The protocol modules, for tests that need their keys or element registry. */
  fal: ReturnType<typeof createFalProtocol>;
  gemini: ReturnType<typeof createGeminiProtocol>;
  kling: ReturnType<typeof createKlingProtocol>;
  faults: FaultController;
  stats: SimulatorStats;
  jobs: JobBoard;
  lastRequest(route: SimRoute): RecordedRequest | undefined;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Request schemas (what the real providers accept)
// ---------------------------------------------------------------------------

const OPENAI_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;
/** Sizes sora-2 (non-pro) refused; gateways with other model names are not checked. */
const PRO_ONLY_SIZES = new Set(['1024x1792', '1792x1024']);

const openaiCreateSchema = z.object({
  prompt: z.string().min(1).max(32_000),
  model: z.string().min(1).default('sora-2'),
  seconds: z.enum(['4', '8', '12', '16', '20']).default('4'),
  size: z.enum(OPENAI_SIZES).default('720x1280'),
  characters: z.array(z.object({ id: z.string().min(1) })).max(2).optional(),
  input_reference: z.union([z.object({ image_url: z.string().url() }), z.object({ file_id: z.string().min(1) })]).optional(),
});

const openaiRemixSchema = z.object({ prompt: z.string().min(1).max(32_000) });

const openaiCharacterSchema = z.object({ name: z.string().min(1).max(80) });

const apiyiGenerateSchema = z.object({
  prompt: z.string().min(1).max(32_000),
  duration: z.number().int().positive(),
  size: z.string().optional(),
  orientation: z.enum(['landscape', 'portrait']).optional(),
});

const apiyiCharacterSchema = z.object({
  video_url: z.string().url(),
  name: z.string().min(1).max(80),
  description: z.string().max(2_000).optional(),
});

const apiyiExtractSchema = z.object({ task_id: z.string().min(1), name: z.string().min(1).max(80) });

// ---------------------------------------------------------------------------

interface SimCharacter {
  id: string;
  protocol: SimProtocol;
  name: string;
  description: string;
  createdAt: number;
  source: string;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

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
  const ttlMs = (options.resultUrlTtlSeconds ?? 3600) * 1000;
  const apiyiDurations = options.apiyiDurations ?? [10, 15];
  const apiyiAuthHeader = (options.apiyiAuthHeader ?? 'authorization').toLowerCase();
  const apiyiAuthScheme = options.apiyiAuthScheme ?? 'Bearer';
  const redirectContent = options.openaiContentRedirect ?? true;
  const signingSecret = randomBytes(16);
  const characters = new Map<string, SimCharacter>();
  const idempotency = new Map<string, string>();
  const lastRequests = new Map<SimRoute, RecordedRequest>();
  const stopping = new AbortController();
  const plugins: SimProtocolModule[] = [];
  const sockets = new Set<Socket>();
  let baseUrl = '';

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  /** Each protocol's error body: OpenAI's documented `{error:{…}}`; the reseller's flat `{code, message}`. */
  const sendError = (ctx: { res: ServerResponse; protocol: SimProtocol }, failure: HttpFailure): void => {
    const plugin = plugins.find((p) => p.protocol === ctx.protocol);
    const body = plugin
      ? plugin.errorBody(failure)
      : ctx.protocol === 'openai'
        ? {
            error: {
              message: failure.message,
              type: failure.status >= 500 ? 'server_error' : 'invalid_request_error',
              param: failure.param,
              code: failure.code,
            },
          }
        : { code: failure.code, message: failure.message };
    sendJson(ctx.res, failure.status, body, failure.headers);
  };

  const sign = (path: string, exp: number): string => createHmac('sha256', signingSecret).update(`${path}|${exp}`).digest('hex').slice(0, 32);

  const signedUrl = (path: string): string => {
    const exp = Math.floor((clock.now() + ttlMs) / 1000);
    return `${baseUrl}${path}?exp=${exp}&sig=${sign(path, exp)}`;
  };

  /** A signed URL is good when its signature matches and its `exp` (simulator clock, seconds) has not passed. */
  const signedUrlValid = (url: URL): boolean => {
    const exp = Number(url.searchParams.get('exp'));
    const sig = url.searchParams.get('sig') ?? '';
    return Number.isFinite(exp) && sig === sign(url.pathname, exp) && exp * 1000 >= clock.now();
  };

  const checkAuth = (ctx: Context): void => {
    const plugin = plugins.find((p) => p.protocol === ctx.protocol);
    if (plugin) return plugin.authenticate(ctx);
    let key: string | undefined;
    if (ctx.protocol === 'openai') {
      // Bearer for OpenAI; `api-key` for the Azure flavour of the same API.
      const auth = ctx.req.headers.authorization;
      key = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : (header(ctx.req, 'api-key') ?? undefined);
    } else {
      const raw = header(ctx.req, apiyiAuthHeader);
      if (raw !== undefined) {
        const prefix = apiyiAuthScheme ? `${apiyiAuthScheme} ` : '';
        key = raw.startsWith(prefix) ? raw.slice(prefix.length).trim() : undefined;
      }
    }
    if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
      throw new HttpFailure(401, 'invalid_api_key', 'Incorrect API key provided.');
    }
  };

  const readBody = async (ctx: Context): Promise<void> => {
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
          ctx.record.files.push({ field, fileName: value.name, type: value.type, size: value.size });
        }
      }
    } else {
      throw new HttpFailure(400, 'unsupported_content_type', `Unsupported content type ${type || '(none)'}.`);
    }
  };

  const parse = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => {
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const param = issue?.path.map(String).join('.') || null;
      throw new HttpFailure(400, 'invalid_value', `Invalid request: ${param ?? 'body'}: ${issue?.message ?? 'invalid'}`, param);
    }
    return result.data;
  };

  /** An idempotent create: the same key on the same route returns the job it made the first time. */
  const idempotent = (ctx: Context, create: () => SimJob, bodyKey?: string): SimJob => {
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
    void renderer.render(job.seconds, job.size);
    return job;
  };

  const jobFault = (ctx: Context): SimJobFault | undefined => {
    const fault = faults.take(ctx.protocol, ctx.route, 'job');
    return fault?.fault as SimJobFault | undefined;
  };

  const videoObject = (job: SimJob) => ({
    id: job.id,
    object: 'video',
    model: job.model,
    status: job.status,
    progress: job.progress,
    created_at: Math.floor(job.createdAt / 1000),
    completed_at: job.completedAt !== undefined ? Math.floor(job.completedAt / 1000) : null,
    expires_at: job.completedAt !== undefined && job.status === 'completed' ? Math.floor((job.completedAt + ttlMs) / 1000) : null,
    seconds: String(job.seconds),
    size: job.size,
    prompt: job.prompt,
    remixed_from_video_id: job.remixedFrom ?? null,
    error: job.error ?? null,
  });

  const openaiJob = (id: string): SimJob => {
    const job = jobs.get(id);
    if (!job || job.protocol !== 'openai') throw new HttpFailure(404, 'video_not_found', `Video with id '${id}' not found.`, 'video_id');
    return job;
  };

  const apiyiJob = (id: string): SimJob => {
    const job = jobs.get(id);
    if (!job || job.protocol !== 'apiyi') throw new HttpFailure(404, 'task_not_found', `Task ${id} not found.`);
    return job;
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
    const clip = await renderer.render(job.seconds, job.size);
    ctx.res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': clip.bytes });
    const file = createReadStream(clip.path);
    file.on('error', () => ctx.res.destroy());
    file.pipe(ctx.res);
    await new Promise((resolve) => ctx.res.once('close', resolve));
  };

  const characterNamesOf = (ids: string[], protocol: SimProtocol): SimCharacter[] =>
    ids.map((id) => {
      const c = characters.get(id);
      if (!c || c.protocol !== protocol) throw new HttpFailure(400, 'character_not_found', `Character '${id}' not found.`, 'characters');
      return c;
    });

  const newCharacter = (protocol: SimProtocol, name: string, description: string, source: string): SimCharacter => {
    const character: SimCharacter = { id: newSimId('char_'), protocol, name, description, createdAt: clock.now(), source };
    characters.set(character.id, character);
    stats.charactersCreated++;
    return character;
  };

  // -------------------------------------------------------------------------
  // OpenAI Videos API shape (§2.1)
  // -------------------------------------------------------------------------

  /** Multipart sends arrays the way the OpenAI SDKs do (`characters[][id]`), or a JSON string. */
  const multipartCreateBody = (record: RecordedRequest): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const ids: string[] = [];
    for (const [field, values] of Object.entries(record.fields)) {
      const m = /^characters\[\d*\]\[id\]$/.exec(field);
      if (m) ids.push(...values);
      else if (field === 'characters') {
        try {
          out.characters = JSON.parse(values[0] ?? '');
        } catch {
          out.characters = values[0];
        }
      } else out[field] = values[0];
    }
    if (ids.length > 0) out.characters = ids.map((id) => ({ id }));
    return out;
  };

  const openaiRoutes: RouteDef[] = [
    {
      method: 'POST',
      pattern: /^\/v1\/videos\/characters$/,
      protocol: 'openai',
      route: 'openai.character.create',
      async handle(ctx) {
        const body = parse(openaiCharacterSchema, { name: ctx.record.fields.name?.[0] });
        const video = ctx.record.files.find((f) => f.field === 'video');
        if (!video) throw new HttpFailure(400, 'missing_required_parameter', "Missing required parameter: 'video'.", 'video');
        if (!video.type.startsWith('video/') && !/\.mp4$/i.test(video.fileName)) {
          throw new HttpFailure(400, 'invalid_file_format', 'The character video must be an MP4.', 'video');
        }
        const c = newCharacter('openai', body.name, '', `upload:${video.fileName}`);
        sendJson(ctx.res, 200, { id: c.id, object: 'character', name: c.name, created_at: Math.floor(c.createdAt / 1000) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos\/characters\/([^/]+)$/,
      protocol: 'openai',
      route: 'openai.character.get',
      async handle(ctx) {
        const c = characters.get(ctx.params[0]!);
        if (!c || c.protocol !== 'openai') throw new HttpFailure(404, 'character_not_found', 'Character not found.');
        sendJson(ctx.res, 200, { id: c.id, object: 'character', name: c.name, created_at: Math.floor(c.createdAt / 1000) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/videos$/,
      protocol: 'openai',
      route: 'openai.create',
      async handle(ctx) {
        const multipart = ctx.record.files.length > 0 || Object.keys(ctx.record.fields).length > 0;
        const body = parse(openaiCreateSchema, multipart ? multipartCreateBody(ctx.record) : ctx.record.json);
        if (body.model === 'sora-2' && PRO_ONLY_SIZES.has(body.size)) {
          throw new HttpFailure(400, 'invalid_value', `Size ${body.size} requires sora-2-pro.`, 'size');
        }
        const reference = ctx.record.files.find((f) => f.field === 'input_reference');
        if (reference && !reference.type.startsWith('image/')) {
          throw new HttpFailure(400, 'invalid_file_format', 'input_reference must be an image.', 'input_reference');
        }
        const named = characterNamesOf(body.characters?.map((c) => c.id) ?? [], 'openai');
        for (const c of named) {
          // The real API required each character's name verbatim in the prompt.
          if (!body.prompt.includes(c.name)) {
            throw new HttpFailure(400, 'invalid_request', `The prompt must mention character '${c.name}' by name.`, 'prompt');
          }
        }
        const job = idempotent(ctx, () =>
          jobs.create({
            protocol: 'openai',
            prompt: body.prompt,
            seconds: Number(body.seconds),
            size: body.size,
            model: body.model,
            characters: named.map((c) => c.id),
            hasInputReference: reference !== undefined || body.input_reference !== undefined,
            ...optionalFault(jobFault(ctx)),
          }),
        );
        sendJson(ctx.res, 200, videoObject(job));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos$/,
      protocol: 'openai',
      route: 'openai.list',
      async handle(ctx) {
        const data = jobs.list('openai').reverse().map(videoObject);
        sendJson(ctx.res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos\/([^/]+)$/,
      protocol: 'openai',
      route: 'openai.get',
      async handle(ctx) {
        sendJson(ctx.res, 200, videoObject(openaiJob(ctx.params[0]!)));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/videos\/([^/]+)$/,
      protocol: 'openai',
      route: 'openai.delete',
      async handle(ctx) {
        const job = openaiJob(ctx.params[0]!);
        jobs.remove(job.id);
        sendJson(ctx.res, 200, { id: job.id, object: 'video.deleted', deleted: true });
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/videos\/([^/]+)\/remix$/,
      protocol: 'openai',
      route: 'openai.remix',
      async handle(ctx) {
        const body = parse(openaiRemixSchema, ctx.record.json);
        const source = openaiJob(ctx.params[0]!);
        if (source.status !== 'completed') {
          throw new HttpFailure(400, 'invalid_request', 'Only completed videos can be remixed.', 'video_id');
        }
        const job = idempotent(ctx, () =>
          jobs.create({
            protocol: 'openai',
            prompt: body.prompt,
            seconds: source.seconds,
            size: source.size,
            model: source.model,
            characters: source.characters,
            remixedFrom: source.id,
            ...optionalFault(jobFault(ctx)),
          }),
        );
        sendJson(ctx.res, 200, videoObject(job));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos\/([^/]+)\/content$/,
      protocol: 'openai',
      route: 'openai.content',
      async handle(ctx) {
        const job = openaiJob(ctx.params[0]!);
        const variant = ctx.url.searchParams.get('variant') ?? 'video';
        if (variant !== 'video') throw new HttpFailure(400, 'invalid_value', `Variant '${variant}' is not simulated.`, 'variant');
        if (job.status !== 'completed') throw new HttpFailure(400, 'video_not_ready', 'Video is not ready yet.', 'video_id');
        const fault = faults.take('openai', 'openai.content', 'result');
        if (fault?.fault === 'expired' || clock.now() > job.completedAt! + ttlMs) {
          throw new HttpFailure(fault?.expiredStatus ?? 404, 'video_expired', 'The video content has expired.', 'video_id');
        }
        if (redirectContent && fault?.fault !== 'oversized') {
          // The guide says content "may redirect": send clients to a signed, auth-free URL like a CDN would.
          ctx.res.writeHead(302, { location: signedUrl(`/cdn/openai/${job.id}.mp4`) });
          ctx.res.end();
          return;
        }
        await sendVideo(ctx, job, fault);
      },
    },
  ];

  // -------------------------------------------------------------------------
  // The seed's character API (§2.2)
  // -------------------------------------------------------------------------

  const taskObject = (job: SimJob) => {
    // The seed shows only completed/failed; the other words are what resellers tend to send while running.
    const status = job.status === 'queued' ? 'pending' : job.status === 'in_progress' ? 'processing' : job.status;
    return {
      task_id: job.id,
      status,
      progress: job.progress,
      ...(job.status === 'completed' && { video_url: signedUrl(`/apiyi/files/${job.id}.mp4`) }),
      ...(job.status === 'failed' && { error: job.error?.message ?? 'generation failed' }),
    };
  };

  const apiyiRoutes: RouteDef[] = [
    {
      method: 'POST',
      pattern: /^\/apiyi\/sora\/generate$/,
      protocol: 'apiyi',
      route: 'apiyi.generate',
      async handle(ctx) {
        const body = parse(apiyiGenerateSchema, ctx.record.json);
        if (!apiyiDurations.includes(body.duration)) {
          throw new HttpFailure(400, 'invalid_duration', `duration must be one of ${apiyiDurations.join(', ')}.`, 'duration');
        }
        const ids = [...body.prompt.matchAll(/@(char_[A-Za-z0-9]+)/g)].map((m) => m[1]!);
        characterNamesOf(ids, 'apiyi');
        const portrait = body.orientation === 'portrait' || (body.size !== undefined && /^(\d+)x(\d+)$/.test(body.size) && isPortrait(body.size));
        const job = idempotent(ctx, () =>
          jobs.create({
            protocol: 'apiyi',
            prompt: body.prompt,
            seconds: body.duration,
            size: body.size ?? (portrait ? '720x1280' : '1280x720'),
            model: 'sora-2',
            characters: ids,
            ...optionalFault(jobFault(ctx)),
          }),
        );
        sendJson(ctx.res, 200, { task_id: job.id, status: 'pending' });
      },
    },
    {
      method: 'GET',
      pattern: /^\/apiyi\/sora\/tasks\/([^/]+)$/,
      protocol: 'apiyi',
      route: 'apiyi.task',
      async handle(ctx) {
        sendJson(ctx.res, 200, taskObject(apiyiJob(ctx.params[0]!)));
      },
    },
    {
      method: 'GET',
      pattern: /^\/apiyi\/files\/([^/]+)\.mp4$/,
      protocol: 'apiyi',
      route: 'apiyi.file',
      async handle(ctx) {
        const fault = faults.take('apiyi', 'apiyi.file', 'result');
        // Reseller video URLs are signed object-store links: once stale they answer 403, not 404.
        if (fault?.fault === 'expired' || !signedUrlValid(ctx.url)) {
          sendText(ctx.res, 403, 'AccessDenied: Request has expired');
          return;
        }
        const job = apiyiJob(ctx.params[0]!);
        await sendVideo(ctx, job, fault);
      },
    },
    {
      method: 'POST',
      pattern: /^\/apiyi\/sora\/characters$/,
      protocol: 'apiyi',
      route: 'apiyi.character.create',
      async handle(ctx) {
        const body = parse(apiyiCharacterSchema, ctx.record.json);
        const c = newCharacter('apiyi', body.name, body.description ?? '', body.video_url);
        sendJson(ctx.res, 200, { character_id: c.id, name: c.name });
      },
    },
    {
      method: 'POST',
      pattern: /^\/apiyi\/sora\/characters\/extract$/,
      protocol: 'apiyi',
      route: 'apiyi.character.extract',
      async handle(ctx) {
        const body = parse(apiyiExtractSchema, ctx.record.json);
        const job = apiyiJob(body.task_id);
        if (job.status !== 'completed') throw new HttpFailure(400, 'task_not_completed', 'The task has not completed.', 'task_id');
        const c = newCharacter('apiyi', body.name, '', `task:${job.id}`);
        sendJson(ctx.res, 200, { character_id: c.id, name: c.name });
      },
    },
    {
      method: 'GET',
      pattern: /^\/apiyi\/sora\/characters$/,
      protocol: 'apiyi',
      route: 'apiyi.character.list',
      async handle(ctx) {
        const list = [...characters.values()]
          .filter((c) => c.protocol === 'apiyi')
          .map((c) => ({ character_id: c.id, name: c.name, description: c.description, created_at: Math.floor(c.createdAt / 1000) }));
        sendJson(ctx.res, 200, { characters: list });
      },
    },
  ];

  /** The signed URL `openai.content` redirects to: no auth, like a CDN. */
  const cdnRoute: RouteDef = {
    method: 'GET',
    pattern: /^\/cdn\/openai\/([^/]+)\.mp4$/,
    protocol: 'openai',
    route: 'openai.cdn',
    async handle(ctx) {
      const fault = faults.take('openai', 'openai.cdn', 'result');
      if (fault?.fault === 'expired' || !signedUrlValid(ctx.url)) {
        sendText(ctx.res, 403, 'AccessDenied: Request has expired');
        return;
      }
      await sendVideo(ctx, openaiJob(ctx.params[0]!), fault);
    },
  };

  const kit: SimKit = {
    clock,
    jobs,
    faults,
    stats,
    baseUrl: () => baseUrl,
    stopping: stopping.signal,
    sendJson,
    parse,
    idempotent,
    jobFault,
    sendVideo,
    signedUrl,
    signedUrlValid,
    header,
  };
  // Live providers (field guide §2.3–2.5), one module each.
  const fal = createFalProtocol(kit, options.fal);
  const gemini = createGeminiProtocol(kit, options.gemini);
  const kling = createKlingProtocol(kit, options.kling);
  plugins.push(fal, gemini, kling);

  const routes = [...openaiRoutes, ...apiyiRoutes, cdnRoute, ...plugins.flatMap((p) => p.routes)];

  // -------------------------------------------------------------------------
  // Control routes for console use: POST/GET/DELETE /__sim/faults, GET /__sim/stats
  // -------------------------------------------------------------------------

  const control = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (url.pathname === '/__sim/faults' && req.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse((await readAll(req)).toString('utf8') || '{}');
      } catch {
        return sendJson(res, 400, { error: 'body must be JSON' });
      }
      const spec = faultSpecSchema.safeParse(body);
      if (!spec.success) return sendJson(res, 400, { error: 'invalid fault', issues: spec.error.issues });
      return sendJson(res, 201, { fault: faults.inject(spec.data) });
    }
    if (url.pathname === '/__sim/faults' && req.method === 'GET') return sendJson(res, 200, { faults: faults.list() });
    const clear = /^\/__sim\/faults(?:\/([^/]+))?$/.exec(url.pathname);
    if (clear && req.method === 'DELETE') {
      faults.clear(clear[1]);
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/__sim/stats' && req.method === 'GET') {
      return sendJson(res, 200, { requests: stats.snapshot(), jobsCreated: stats.jobsCreated, charactersCreated: stats.charactersCreated, jobs: jobs.counts() });
    }
    sendJson(res, 404, { error: 'unknown control route' });
  };

  // -------------------------------------------------------------------------
  // Dispatch
  // -------------------------------------------------------------------------

  /** Applies a request-level fault. Returns true when the request has been answered (or dropped). */
  const applyRequestFault = async (ctx: Context): Promise<boolean> => {
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
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', baseUrl || 'http://127.0.0.1');
    if (url.pathname.startsWith('/__sim/')) return control(req, res, url);
    const requestId = `req_${randomBytes(8).toString('hex')}`;
    res.setHeader('x-request-id', requestId);
    let match: RegExpExecArray | null = null;
    const def = routes.find((r) => r.method === req.method && (match = r.pattern.exec(url.pathname)) !== null);
    if (!def || !match) {
      const protocol: SimProtocol =
        plugins.find((p) => url.pathname.startsWith(`${p.prefix}/`))?.protocol ?? (url.pathname.startsWith('/apiyi') ? 'apiyi' : 'openai');
      req.resume();
      return sendError({ res, protocol }, new HttpFailure(404, 'not_found', `No route for ${req.method} ${url.pathname}.`));
    }
    const closed = new AbortController();
    const onStop = () => closed.abort();
    stopping.signal.addEventListener('abort', onStop, { once: true });
    res.once('close', () => {
      closed.abort();
      stopping.signal.removeEventListener('abort', onStop);
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
      if (await applyRequestFault(ctx)) return;
      // The CDN route is reached through a signed URL and carries no key.
      if (def.route !== 'openai.cdn' && def.route !== 'apiyi.file' && !def.public) checkAuth(ctx);
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
    fal,
    gemini,
    kling,
    faults,
    stats,
    jobs,
    lastRequest: (route) => lastRequests.get(route),
    async stop() {
      stopping.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      await renderer.dispose();
    },
  };
}

function optionalFault(fault: SimJobFault | undefined): { fault?: SimJobFault } {
  return fault === undefined ? {} : { fault };
}

function isPortrait(size: string): boolean {
  const [w, h] = size.split('x').map(Number);
  return w !== undefined && h !== undefined && h > w;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
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

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
