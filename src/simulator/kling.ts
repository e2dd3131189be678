/**
 * Kling's official API (field guide §2.5) under `/kling`:
 *   POST /kling/v1/general/advanced-custom-elements       → element task; poll until it carries an element_id
 *   GET  /kling/v1/general/advanced-custom-elements/{id}
 *   POST /kling/v1/general/delete-elements {element_ids}
 *   POST /kling/v1/videos/omni-video                       → task (prompt names `<<<element_n>>>`)
 *   GET  /kling/v1/videos/omni-video/{id}                  → submitted | processing | succeed | failed
 * Auth: Bearer HS256 JWT with iss = access key, exp, nbf, checked against the
 * simulator clock. Answers are `{code, message, request_id, data}`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HttpFailure, type Context, type SimKit, type SimProtocolModule } from './protocol.js';
import type { SimJob } from './jobs.js';

export interface KlingSimOptions {
  /** When both are set, the JWT's signature and `iss` are checked against them; otherwise only its shape and times. */
  accessKey?: string;
  secretKey?: string;
  /** Clock time an element task takes to produce its element_id (default 4 s). */
  elementMs?: number;
}

export interface SimElement {
  taskId: string;
  elementId: string;
  name: string;
  description: string;
  images: number;
  createdAt: number;
  readyAt: number;
  deleted: boolean;
}

export interface KlingSim extends SimProtocolModule {
  elements: Map<string, SimElement>;
  /** Element ids named by each omni-video task, in element_list order. */
  taskElements: Map<string, string[]>;
}

/** Status → Kling business code (Kling's error table). */
const CODE_BY_STATUS: Record<number, number> = { 400: 1201, 401: 1000, 403: 1103, 404: 1203, 429: 1302, 500: 5000, 503: 5001 };

const imageField = z.string().min(1);

const elementCreateSchema = z.object({
  element_name: z.string().min(1).max(20),
  element_description: z.string().max(100).optional(),
  reference_type: z.enum(['image_refer', 'video_refer']),
  element_image_list: z.object({ frontal_image: imageField, refer_images: z.array(z.object({ image_url: imageField })).min(1).max(3) }),
});

const deleteSchema = z.object({ element_ids: z.array(z.union([z.string(), z.number()])).min(1) });

const omniSchema = z.object({
  model_name: z.string().default('kling-v3-omni'),
  prompt: z.string().min(1).max(2_500),
  element_list: z.array(z.object({ element_id: z.union([z.string(), z.number()]) })).max(7).optional(),
  image_list: z.array(z.unknown()).optional(),
  mode: z.enum(['std', 'pro']).default('std'),
  duration: z.string().regex(/^(3|4|5|6|7|8|9|10|11|12|13|14|15)$/).default('5'),
  aspect_ratio: z.enum(['16:9', '9:16', '1:1']).default('16:9'),
  external_task_id: z.string().optional(),
  callback_url: z.string().optional(),
});

export function createKlingProtocol(kit: SimKit, options: KlingSimOptions = {}): KlingSim {
  const elementMs = options.elementMs ?? 4_000;
  const elements = new Map<string, SimElement>();
  const taskElements = new Map<string, string[]>();
  const ok = (ctx: Context, data: unknown) => kit.sendJson(ctx.res, 200, { code: 0, message: 'SUCCEED', request_id: randomBytes(8).toString('hex'), data });

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

  const videoTask = (j: SimJob) => {
    const status = j.status === 'queued' ? 'submitted' : j.status === 'in_progress' ? 'processing' : j.status === 'completed' ? 'succeed' : 'failed';
    return {
      task_id: j.id,
      task_status: status,
      ...(j.status === 'failed' && { task_status_msg: j.error?.message ?? 'failed' }),
      ...(j.status === 'completed' && { task_result: { videos: [{ id: `v_${j.id}`, url: kit.signedUrl(`/kling/files/${j.id}.mp4`), duration: String(j.seconds) }] } }),
      created_at: j.createdAt,
      updated_at: kit.clock.now(),
    };
  };

  const verifyJwt = (token: string): void => {
    const parts = token.split('.');
    if (parts.length !== 3) throw new HttpFailure(401, '1000', 'Authorization token is malformed');
    let header: { alg?: string };
    let claims: { iss?: string; exp?: number; nbf?: number };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      throw new HttpFailure(401, '1000', 'Authorization token is malformed');
    }
    if (header.alg !== 'HS256') throw new HttpFailure(401, '1000', 'Unsupported token algorithm');
    const now = Math.floor(kit.clock.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw new HttpFailure(401, '1004', 'Authorization token has expired');
    if (typeof claims.nbf !== 'number' || claims.nbf > now) throw new HttpFailure(401, '1003', 'Authorization token is not yet valid');
    if (options.accessKey !== undefined && options.secretKey !== undefined) {
      if (claims.iss !== options.accessKey) throw new HttpFailure(401, '1002', 'Access key not found');
      const expected = createHmac('sha256', options.secretKey).update(`${parts[0]}.${parts[1]}`).digest();
      const given = Buffer.from(parts[2]!, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpFailure(401, '1000', 'Signature verification failed');
    } else if (!claims.iss) {
      throw new HttpFailure(401, '1002', 'Token has no issuer');
    }
  };

  const videoJob = (id: string): SimJob => {
    const j = kit.jobs.get(id);
    if (!j || j.protocol !== 'kling') throw new HttpFailure(404, '1203', `Task ${id} not found`);
    return j;
  };

  return {
    protocol: 'kling',
    prefix: '/kling',
    elements,
    taskElements,
    authenticate(ctx) {
      const auth = ctx.req.headers.authorization;
      if (!auth?.startsWith('Bearer ')) throw new HttpFailure(401, '1001', 'Authorization is empty');
      verifyJwt(auth.slice(7).trim());
    },
    errorBody: (failure) => ({
      code: /^\d+$/.test(failure.code) ? Number(failure.code) : (CODE_BY_STATUS[failure.status] ?? 5000),
      message: failure.message,
      request_id: randomBytes(8).toString('hex'),
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
            elementId: String(800_000_000 + elements.size + 1),
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
          const body = kit.parse(deleteSchema, ctx.record.json);
          for (const id of body.element_ids.map(String)) {
            const e = [...elements.values()].find((x) => x.elementId === id && !x.deleted);
            if (!e) throw new HttpFailure(400, '1201', `Element ${id} does not exist`);
            e.deleted = true;
          }
          ok(ctx, {});
        },
      },
      {
        method: 'POST',
        pattern: /^\/kling\/v1\/videos\/omni-video$/,
        protocol: 'kling',
        route: 'kling.video.create',
        async handle(ctx) {
          const body = kit.parse(omniSchema, ctx.record.json);
          const ids = (body.element_list ?? []).map((e) => String(e.element_id));
          for (const id of ids) {
            const e = [...elements.values()].find((x) => x.elementId === id);
            if (!e || e.deleted || kit.clock.now() < e.readyAt) throw new HttpFailure(400, '1201', `element_id ${id} is invalid`, 'element_list');
          }
          for (const m of body.prompt.matchAll(/<<<element_(\d+)>>>/g)) {
            const n = Number(m[1]);
            if (n < 1 || n > ids.length) throw new HttpFailure(400, '1201', `<<<element_${n}>>> has no entry in element_list`, 'prompt');
          }
          if (ids.length + (body.image_list?.length ?? 0) > 7) throw new HttpFailure(400, '1201', 'images + elements must not exceed 7', 'element_list');
          const portrait = body.aspect_ratio === '9:16';
          const high = body.mode === 'pro';
          const fault = kit.jobFault(ctx);
          const created = kit.idempotent(
            ctx,
            () =>
              kit.jobs.create({
                protocol: 'kling',
                prompt: body.prompt,
                seconds: Number(body.duration),
                size: portrait ? (high ? '1080x1920' : '720x1280') : high ? '1920x1080' : '1280x720',
                model: body.model_name,
                characters: ids,
                ...(fault && { fault }),
              }),
            body.external_task_id,
          );
          taskElements.set(created.id, ids);
          ok(ctx, { task_id: created.id, task_status: 'submitted', task_info: { external_task_id: body.external_task_id ?? null } });
        },
      },
      {
        method: 'GET',
        pattern: /^\/kling\/v1\/videos\/omni-video\/([^/]+)$/,
        protocol: 'kling',
        route: 'kling.video.get',
        async handle(ctx) {
          ok(ctx, videoTask(videoJob(ctx.params[0]!)));
        },
      },
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
