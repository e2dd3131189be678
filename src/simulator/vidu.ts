/**
 * Vidu's official API (https://platform.vidu.com/docs) under `/vidu`, validating every request against the
 * schemas in ./schemas/vidu.ts (sources, dates and unconfirmed points there):
 *   POST   /vidu/ent/v2/subjects                 → `{id, name, …}` at once (a stored subject)
 *   DELETE /vidu/ent/v2/subjects/{id}            (unconfirmed endpoint)
 *   POST   /vidu/ent/v2/reference2video          `subjects:[{name, server_id}]`, prompt naming `@name`
 *   POST   /vidu/ent/v2/text2video
 *   GET    /vidu/ent/v2/tasks/{id}/creations     → `{state, err_code, creations:[{url}]}`
 * Auth: `Authorization: Token {key}`. Errors: the documented HTTP status with `{code, reason, message, metadata}`.
 */
import { randomBytes } from 'node:crypto';
import { HttpFailure, type Context, type SimKit, type SimProtocolModule } from './protocol.js';
import { frameSize, type SimJob } from './jobs.js';
import { reference2videoSchema, subjectCreateSchema, text2videoSchema, VIDU_MODEL_LIMITS } from './schemas/vidu.js';

export interface ViduSimOptions {
  /** When set, only this key is accepted. */
  apiKey?: string;
}

export interface SimSubject {
  id: string;
  name: string;
  images: number;
  videos: number;
  deleted: boolean;
}

export interface ViduSim extends SimProtocolModule {
  subjects: Map<string, SimSubject>;
  /** Subject ids each task was asked to render, in `subjects` order. */
  taskSubjects: Map<string, string[]>;
  /** The next `times` requests answer with this documented error (e.g. 400 CreditInsufficient). */
  failNext(failure: { status: number; reason: string; message: string; times?: number }): void;
  /** Vidu forgets every subject (deleted on the provider's side, or a simulator restart). */
  forgetSubjects(): void;
}

/** Reasons the simulator raises without naming one, by status (Vidu's error table). */
const REASON_BY_STATUS: Record<number, string> = { 400: 'FieldInvalid', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalServiceFailure' };


export function createViduProtocol(kit: SimKit, options: ViduSimOptions = {}): ViduSim {
  const subjects = new Map<string, SimSubject>();
  const taskSubjects = new Map<string, string[]>();
  const pending: { status: number; reason: string; message: string; times: number }[] = [];

  const createJob = (ctx: Context, prompt: string, ids: string[], model: string, seconds: number, resolution: string, aspect: string, sound: boolean): SimJob => {
    const limits = VIDU_MODEL_LIMITS[model as keyof typeof VIDU_MODEL_LIMITS];
    if (limits && !limits.seconds.includes(seconds)) throw new HttpFailure(400, 'FieldInvalid', 'invalid field: duration', 'duration');
    if (limits && !limits.resolutions.includes(resolution)) throw new HttpFailure(400, 'FieldInvalid', 'invalid field: resolution', 'resolution');
    const fault = kit.jobFault(ctx);
    // Vidu has no idempotency key: every create is a new task.
    const size = frameSize(resolution, aspect === '9:16' || aspect === '3:4');
    const job = kit.idempotent(ctx, () => kit.jobs.create({ protocol: 'vidu', prompt, seconds, size, sound, model, characters: ids, ...(fault && { fault }) }));
    taskSubjects.set(job.id, ids);
    return job;
  };

  const created = (job: SimJob, body: { model: string; prompt: string; aspect_ratio?: string | undefined; resolution?: string | undefined }) => ({
    task_id: job.id,
    state: 'created',
    model: body.model,
    prompt: body.prompt,
    duration: job.seconds,
    aspect_ratio: body.aspect_ratio ?? '16:9',
    resolution: body.resolution,
    credits: job.seconds * 4,
    created_at: new Date(job.createdAt).toISOString(),
  });

  const creations = (j: SimJob) => ({
    id: j.id,
    state: j.status === 'queued' ? 'queueing' : j.status === 'in_progress' ? 'processing' : j.status === 'completed' ? 'success' : 'failed',
    err_code: j.status === 'failed' ? (j.error?.code ?? 'InternalServiceFailure') : '',
    credits: j.seconds * 4,
    payload: '',
    creations: j.status === 'completed' ? [{ id: `c_${j.id}`, url: kit.signedUrl(`/vidu/files/${j.id}.mp4`), cover_url: kit.signedUrl(`/vidu/files/${j.id}.jpg`) }] : [],
  });

  const videoJob = (id: string): SimJob => {
    const j = kit.jobs.get(id);
    if (!j || j.protocol !== 'vidu') throw new HttpFailure(404, 'TaskNotFound', 'task not found');
    return j;
  };

  return {
    protocol: 'vidu',
    prefix: '/vidu',
    subjects,
    taskSubjects,
    failNext(failure) {
      pending.push({ ...failure, times: failure.times ?? 1 });
    },
    forgetSubjects() {
      for (const s of subjects.values()) s.deleted = true;
    },
    authenticate(ctx) {
      const auth = ctx.req.headers.authorization ?? '';
      // `Token {key}`, not Bearer (every page of Vidu's docs).
      if (!auth.startsWith('Token ') || auth.length <= 6) throw new HttpFailure(401, 'Unauthorized', 'unauthorized');
      if (options.apiKey !== undefined && auth.slice(6).trim() !== options.apiKey) throw new HttpFailure(401, 'Unauthorized', 'unauthorized');
      const next = pending[0];
      if (next) {
        if (--next.times <= 0) pending.shift();
        throw new HttpFailure(next.status, next.reason, next.message);
      }
    },
    errorBody: (failure) => {
      const reason = /^[A-Z][A-Za-z]+$/.test(failure.code) ? failure.code : (REASON_BY_STATUS[failure.status] ?? 'BadRequest');
      // kit.parse words its message for OpenAI; Vidu says `invalid field: {{.fields}}`.
      const message = failure.code === 'invalid_value' ? `invalid field: ${failure.param ?? 'body'}` : failure.message;
      return { code: reason, reason, message, metadata: { trace_id: randomBytes(16).toString('hex') } };
    },
    routes: [
      {
        method: 'POST',
        pattern: /^\/vidu\/ent\/v2\/subjects$/,
        protocol: 'vidu',
        route: 'vidu.subject.create',
        async handle(ctx) {
          const body = kit.parse(subjectCreateSchema, ctx.record.json);
          const subject: SimSubject = { id: String(900_000_000_000 + subjects.size + 1), name: body.name, images: body.images.length, videos: body.videos?.length ?? 0, deleted: false };
          subjects.set(subject.id, subject);
          kit.stats.charactersCreated++;
          kit.sendJson(ctx.res, 200, { id: subject.id, name: subject.name, images: body.images.map((_, i) => `https://cdn.vidu.sim/subjects/${subject.id}/${i}.png`), videos: [], voice_id: body.voice_id ?? '', style: '', description: '', credits: 5 });
        },
      },
      {
        method: 'DELETE',
        pattern: /^\/vidu\/ent\/v2\/subjects\/([^/]+)$/,
        protocol: 'vidu',
        route: 'vidu.subject.delete',
        async handle(ctx) {
          const subject = subjects.get(decodeURIComponent(ctx.params[0]!));
          if (!subject || subject.deleted) throw new HttpFailure(404, 'NotFound', 'not found');
          subject.deleted = true;
          kit.sendJson(ctx.res, 200, { id: subject.id });
        },
      },
      {
        method: 'POST',
        pattern: /^\/vidu\/ent\/v2\/reference2video$/,
        protocol: 'vidu',
        route: 'vidu.reference2video',
        async handle(ctx) {
          const body = kit.parse(reference2videoSchema, ctx.record.json);
          const names = body.subjects.map((s) => s.name);
          if (new Set(names).size !== names.length) throw new HttpFailure(400, 'FieldInvalid', 'invalid field: subjects.name', 'subjects');
          const ids: string[] = [];
          for (const s of body.subjects) {
            if (s.server_id === undefined) {
              if (!s.images?.length) throw new HttpFailure(400, 'FieldLacking', 'field is missing or empty: subjects.images', 'subjects');
              continue;
            }
            const stored = subjects.get(s.server_id);
            // *Unconfirmed* wording for a subject Vidu no longer knows.
            if (!stored || stored.deleted) throw new HttpFailure(400, 'FieldInvalid', `invalid field: subjects.server_id ${s.server_id} (subject not found)`, 'subjects');
            ids.push(s.server_id);
          }
          for (const m of body.prompt.matchAll(/\[?@([\p{L}\p{N}_-]+)\]?/gu)) {
            if (!names.includes(m[1]!)) throw new HttpFailure(400, 'FieldInvalid', `invalid field: prompt (@${m[1]} names no subject)`, 'prompt');
          }
          const model = body.model;
          // `audio` (default false) asks reference-to-video for sound.
          const job = createJob(ctx, body.prompt, ids, model, body.duration ?? (model === 'vidu2.0' ? 4 : 5), body.resolution ?? (model === 'viduq1' ? '1080p' : '720p'), body.aspect_ratio ?? '16:9', body.audio === true);
          kit.sendJson(ctx.res, 200, created(job, body));
        },
      },
      {
        method: 'POST',
        pattern: /^\/vidu\/ent\/v2\/text2video$/,
        protocol: 'vidu',
        route: 'vidu.text2video',
        async handle(ctx) {
          const body = kit.parse(text2videoSchema, ctx.record.json);
          // Text-to-video has no sound switch here (`bgm` adds music): silent unless `bgm`.
          const job = createJob(ctx, body.prompt, [], body.model, body.duration ?? 5, body.resolution ?? '720p', body.aspect_ratio ?? '16:9', body.bgm === true);
          kit.sendJson(ctx.res, 200, created(job, body));
        },
      },
      {
        method: 'GET',
        pattern: /^\/vidu\/ent\/v2\/tasks\/([^/]+)\/creations$/,
        protocol: 'vidu',
        route: 'vidu.creations',
        async handle(ctx) {
          kit.sendJson(ctx.res, 200, creations(videoJob(decodeURIComponent(ctx.params[0]!))));
        },
      },
      {
        method: 'GET',
        pattern: /^\/vidu\/files\/([^/]+)\.mp4$/,
        protocol: 'vidu',
        route: 'vidu.file',
        public: true,
        async handle(ctx) {
          const fault = kit.faults.take('vidu', 'vidu.file', 'result');
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
