/**
 * Kling's official API under `/kling`, validating every request against the
 * schemas in ./schemas/kling.ts (sources and dates there):
 *   POST /kling/v1/general/advanced-custom-elements        → element task; poll until it carries an element_id
 *   GET  /kling/v1/general/advanced-custom-elements/{id}
 *   POST /kling/v1/general/delete-elements {element_id}
 *   POST /kling/v1/videos/omni-video                        → task; `external_task_id` must be new to the account
 *   GET  /kling/v1/videos/omni-video/{task_id | external_task_id}
 *   POST /kling/omni-video/kling-3.0-omni                    → `{data:{id}}` (the 3.0 format)
 *   GET  /kling/tasks?task_ids=… | ?external_task_ids=…      → `{data:[{id, status, outputs[]}]}`
 * Auth: Bearer HS256 JWT (iss = access key, exp, nbf) checked against the
 * simulator clock, or a direct `api-key-kling-…` key. Every answer, error or
 * not, is `{code, message, request_id}` with Kling's numeric code.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpFailure, type Context, type SimKit, type SimProtocolModule } from './protocol.js';
import { frameSize, type SimJob } from './jobs.js';
import { elementCreateSchema, elementDeleteSchema, omni30Schema, omniVideoSchema } from './schemas/kling.js';
import { klingJwtFailure, klingOmni30Routes } from './kling-omni30.js';


/** Clock time an element task takes by default. */
export const DEFAULT_ELEMENT_MS = 4_000;
export interface KlingSimOptions {
  /** When both are set, the JWT's signature and `iss` are checked against them; otherwise only its shape and times. */
  accessKey?: string;
  secretKey?: string;
  /** When set, a direct `api-key-kling-…` Bearer key must equal it. */
  apiKey?: string;
  /** Clock time an element task takes to produce its element_id (default 4 s). */
  elementMs?: number;
}

export interface SimElement {
  taskId: string;
  elementId: number;
  name: string;
  description: string;
  images: number;
  createdAt: number;
  readyAt: number;
  deleted: boolean;
}

/** An account-level answer the next requests get (arrears, used-up resource pack …), as Kling sends it. */
export interface KlingAccountFailure {
  status: number;
  code: number;
  message: string;
  times: number;
}

export interface KlingSim extends SimProtocolModule {
  elements: Map<string, SimElement>;
  /** Element ids named by each video task, in element_list / contents order. */
  taskElements: Map<string, string[]>;
  /** Task ids by `external_task_id` (unique per account). */
  externalIds: Map<string, string>;
  /** The next `times` requests (any route) answer with this account error. */
  failNext(failure: Omit<KlingAccountFailure, 'times'> & { times?: number }): void;
  /** Kling forgets every element (deleted on the provider's side). */
  forgetElements(): void;
}

/** Status → Kling business code (Kling's error table) for failures raised without a numeric code. */
const CODE_BY_STATUS: Record<number, number> = { 400: 1201, 401: 1000, 403: 1103, 404: 1203, 429: 1302, 500: 5000, 503: 5001 };

export function createKlingProtocol(kit: SimKit, options: KlingSimOptions = {}): KlingSim {
  const elementMs = options.elementMs ?? DEFAULT_ELEMENT_MS;
  const elements = new Map<string, SimElement>();
  const taskElements = new Map<string, string[]>();
  const externalIds = new Map<string, string>();
  const pending: KlingAccountFailure[] = [];
  const requestId = () => randomBytes(8).toString('hex');
  const ok = (ctx: Context, data: unknown) => kit.sendJson(ctx.res, 200, { code: 0, message: 'SUCCEED', request_id: requestId(), data });

  const elementTask = (e: SimElement) => {
    const now = kit.clock.now();
    const status = now >= e.readyAt ? 'succeed' : now >= e.createdAt + elementMs / 2 ? 'processing' : 'submitted';
    return {
      task_id: e.taskId,
      task_status: status,
      created_at: e.createdAt,
      updated_at: now,
      ...(status === 'succeed' && { task_result: { elements: [{ element_id: e.elementId, element_name: e.name }] } }),
    };
  };

  const videoTask = (j: SimJob, external: string | undefined) => {
    const status = j.status === 'queued' ? 'submitted' : j.status === 'in_progress' ? 'processing' : j.status === 'completed' ? 'succeed' : 'failed';
    return {
      task_id: j.id,
      task_status: status,
      task_info: { external_task_id: external ?? null },
      ...(j.status === 'failed' && { task_status_msg: j.error?.message ?? 'failed' }),
      ...(j.status === 'completed' && { task_result: { videos: [{ id: `v_${j.id}`, url: kit.signedUrl(`/kling/files/${j.id}.mp4`), duration: String(j.seconds) }] } }),
      created_at: j.createdAt,
      updated_at: kit.clock.now(),
    };
  };

  const liveElement = (id: string): SimElement | undefined => [...elements.values()].find((x) => String(x.elementId) === id && !x.deleted && kit.clock.now() >= x.readyAt);

  /** Every element named must exist: Kling answers 1201 naming the element otherwise (wording *unconfirmed*). */
  const checkElements = (ids: string[]): void => {
    for (const id of ids) if (!liveElement(id)) throw new HttpFailure(400, '1201', `element_id ${id} does not exist`, 'element_list');
  };

  /** `external_task_id` is unique per account: a repeat is refused, not deduplicated (code and wording *unconfirmed*). */
  const claimExternal = (external: string | undefined): void => {
    if (external !== undefined && externalIds.has(external)) throw new HttpFailure(400, '1201', `external_task_id ${external} already exists`, 'external_task_id');
  };

  const createJob = (ctx: Context, prompt: string, ids: string[], seconds: number, output: { size: string; sound: boolean }, model: string, external: string | undefined): SimJob => {
    const fault = kit.jobFault(ctx);
    const job = kit.idempotent(ctx, () =>
      kit.jobs.create({
        protocol: 'kling',
        prompt,
        seconds,
        size: output.size,
        sound: output.sound,
        model,
        characters: ids,
        ...(fault && { fault }),
      }),
    );
    taskElements.set(job.id, ids);
    if (external !== undefined) externalIds.set(external, job.id);
    return job;
  };

  const videoJob = (id: string): SimJob => {
    const j = kit.jobs.get(externalIds.get(id) ?? id);
    if (!j || j.protocol !== 'kling') throw new HttpFailure(404, '1203', `Task ${id} not found`);
    return j;
  };
  const externalOf = (jobId: string): string | undefined => [...externalIds].find(([, j]) => j === jobId)?.[0];

  const verifyJwt = (token: string): void => {
    const failure = klingJwtFailure(token, Math.floor(kit.clock.now() / 1000));
    if (failure) throw new HttpFailure(401, failure.code, failure.message);
    if (options.accessKey !== undefined && options.secretKey !== undefined) {
      const [head, body, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { iss?: string };
      if (claims.iss !== options.accessKey) throw new HttpFailure(401, '1002', 'Access key not found');
      const expected = createHmac('sha256', options.secretKey).update(`${head}.${body}`).digest();
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpFailure(401, '1000', 'Signature verification failed');
    }
  };

  const omni30 = klingOmni30Routes({ kit, ok, checkElements, claimExternal, createJob, videoJob, externalOf, externalIds, schema: omni30Schema });

  return {
    protocol: 'kling',
    prefix: '/kling',
    elements,
    taskElements,
    externalIds,
    failNext(failure) {
      pending.push({ ...failure, times: failure.times ?? 1 });
    },
    forgetElements() {
      for (const e of elements.values()) e.deleted = true;
    },
    authenticate(ctx) {
      const auth = ctx.req.headers.authorization;
      if (!auth?.startsWith('Bearer ')) throw new HttpFailure(401, '1001', 'Authorization is empty');
      const token = auth.slice(7).trim();
      if (token.startsWith('api-key-kling-')) {
        // The newer direct keys travel as they are (no JWT).
        if (options.apiKey !== undefined && token !== options.apiKey) throw new HttpFailure(401, '1002', 'API key not found');
      } else {
        verifyJwt(token);
      }
      const next = pending[0];
      if (next && ctx.route !== 'kling.file') {
        if (--next.times <= 0) pending.shift();
        throw new HttpFailure(next.status, String(next.code), next.message);
      }
    },
    errorBody: (failure) => ({
      code: /^\d+$/.test(failure.code) ? Number(failure.code) : (CODE_BY_STATUS[failure.status] ?? 5000),
      message: failure.message,
      request_id: requestId(),
    }),
    routes: [
      {
        method: 'POST',
        pattern: /^\/kling\/v1\/general\/advanced-custom-elements$/,
        protocol: 'kling',
        route: 'kling.element.create',
        async handle(ctx) {
          const body = kit.parse(elementCreateSchema, ctx.record.json);
          const now = kit.clock.now();
          const e: SimElement = {
            taskId: `et_${randomBytes(8).toString('hex')}`,
            // Real ids are int64; these stay below 2^53 as Kling's observed ones do.
            elementId: 800_000_000 + elements.size + 1,
            name: body.element_name,
            description: body.element_description ?? '',
            images: 1 + body.element_image_list.refer_images.length,
            createdAt: now,
            readyAt: now + elementMs,
            deleted: false,
          };
          elements.set(e.taskId, e);
          kit.stats.charactersCreated++;
          ok(ctx, elementTask(e));
        },
      },
      {
        method: 'GET',
        pattern: /^\/kling\/v1\/general\/advanced-custom-elements\/([^/]+)$/,
        protocol: 'kling',
        route: 'kling.element.get',
        async handle(ctx) {
          const e = elements.get(ctx.params[0]!);
          if (!e) throw new HttpFailure(404, '1203', 'Element task not found');
          ok(ctx, elementTask(e));
        },
      },
      {
        method: 'POST',
        pattern: /^\/kling\/v1\/general\/delete-elements$/,
        protocol: 'kling',
        route: 'kling.element.delete',
        async handle(ctx) {
          const body = kit.parse(elementDeleteSchema, ctx.record.json);
          const e = [...elements.values()].find((x) => x.elementId === body.element_id && !x.deleted);
          if (!e) throw new HttpFailure(404, '1203', `Element ${body.element_id} does not exist`);
          e.deleted = true;
          ok(ctx, {});
        },
      },
      {
        method: 'POST',
        pattern: /^\/kling\/v1\/videos\/omni-video$/,
        protocol: 'kling',
        route: 'kling.video.create',
        async handle(ctx) {
          const body = kit.parse(omniVideoSchema, ctx.record.json);
          const ids = (body.element_list ?? []).map((e) => String(e.element_id));
          checkElements(ids);
          for (const m of body.prompt.matchAll(/<<<element_(\d+)>>>/g)) {
            const n = Number(m[1]);
            if (n < 1 || n > ids.length) throw new HttpFailure(400, '1201', `<<<element_${n}>>> has no entry in element_list`, 'prompt');
          }
          if (ids.length + (body.image_list?.length ?? 0) > 7) throw new HttpFailure(400, '1201', 'images + elements must not exceed 7', 'element_list');
          claimExternal(body.external_task_id);
          // `mode` std makes 720p, pro 1080p; the legacy body has no sound switch, so the clip is silent.
          const output = { size: frameSize(body.mode === 'pro' ? '1080p' : '720p', body.aspect_ratio === '9:16'), sound: false };
          const job = createJob(ctx, body.prompt, ids, Number(body.duration), output, body.model_name, body.external_task_id);
          ok(ctx, { task_id: job.id, task_status: 'submitted', task_info: { external_task_id: body.external_task_id ?? null }, created_at: job.createdAt, updated_at: job.createdAt });
        },
      },
      {
        method: 'GET',
        pattern: /^\/kling\/v1\/videos\/omni-video\/([^/]+)$/,
        protocol: 'kling',
        route: 'kling.video.get',
        async handle(ctx) {
          const job = videoJob(decodeURIComponent(ctx.params[0]!));
          ok(ctx, videoTask(job, externalOf(job.id)));
        },
      },
      ...omni30,
      {
        method: 'GET',
        pattern: /^\/kling\/files\/([^/]+)\.mp4$/,
        protocol: 'kling',
        route: 'kling.file',
        public: true,
        async handle(ctx) {
          const fault = kit.faults.take('kling', 'kling.file', 'result');
          if (fault?.fault === 'expired' || !kit.signedUrlValid(ctx.url)) {
            ctx.res.writeHead(403, { 'content-type': 'text/plain' }).end('AccessDenied');
            return;
          }
          await kit.sendVideo(ctx, videoJob(ctx.params[0]!), fault);
        },
      },
    ],
  };
}
