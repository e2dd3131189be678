/**
 * The seed's character API (docs/providers.md: no published spec exists) under `/apiyi`: `@char_…` tags
 * in the prompt, tasks polled by id, signed object-store result links. The
 * request schemas are in ./schemas/apiyi.ts; errors are the reseller's flat
 * `{code, message}`.
 */
import { newSimId, type SimJob } from './jobs.js';
import { HttpFailure, type Context, type RouteDef, type SimKit, type SimProtocolModule } from './protocol.js';
import { apiyiCharacterSchema, apiyiExtractSchema, apiyiGenerateSchema } from './schemas/apiyi.js';
import type { SimCharacter } from './openai.js';

export interface ApiyiSimOptions {
  /** When set, only this key is accepted (to test 401); otherwise any non-empty key is. */
  apiKey?: string;
  /** Header carrying the key (default `authorization`). */
  authHeader?: string;
  /** Scheme before the key (default `Bearer`; empty string = the bare key). */
  authScheme?: string;
  /** Durations `generate` accepts (default the seed's reseller durations, 10 and 15). */
  durations?: number[];
}

export interface ApiyiSim extends SimProtocolModule {
  /** In memory only: a restarted simulator has forgotten every id. */
  characters: Map<string, SimCharacter>;
}

export function createApiyiProtocol(kit: SimKit, options: ApiyiSimOptions = {}): ApiyiSim {
  const characters = new Map<string, SimCharacter>();
  const durations = options.durations ?? [10, 15];
  const authHeader = (options.authHeader ?? 'authorization').toLowerCase();
  const authScheme = options.authScheme ?? 'Bearer';

  const newCharacter = (name: string, description: string, source: string): SimCharacter => {
    const c: SimCharacter = { id: newSimId('char_'), name, description, createdAt: kit.clock.now(), source };
    characters.set(c.id, c);
    kit.stats.charactersCreated++;
    return c;
  };

  const taskJob = (id: string): SimJob => {
    const job = kit.jobs.get(id);
    if (!job || job.protocol !== 'apiyi') throw new HttpFailure(404, 'task_not_found', `Task ${id} not found.`);
    return job;
  };

  const taskObject = (job: SimJob) => {
    // The seed shows only completed/failed; the other words are what resellers tend to send while running.
    const status = job.status === 'queued' ? 'pending' : job.status === 'in_progress' ? 'processing' : job.status;
    return {
      task_id: job.id,
      status,
      progress: job.progress,
      ...(job.status === 'completed' && { video_url: kit.signedUrl(`/apiyi/files/${job.id}.mp4`) }),
      ...(job.status === 'failed' && { error: job.error?.message ?? 'generation failed' }),
    };
  };

  const routes: RouteDef[] = [
    {
      method: 'POST',
      pattern: /^\/apiyi\/sora\/generate$/,
      protocol: 'apiyi',
      route: 'apiyi.generate',
      async handle(ctx) {
        const body = kit.parse(apiyiGenerateSchema, ctx.record.json);
        if (!durations.includes(body.duration)) {
          throw new HttpFailure(400, 'invalid_duration', `duration must be one of ${durations.join(', ')}.`, 'duration');
        }
        const ids = [...body.prompt.matchAll(/@(char_[A-Za-z0-9]+)/g)].map((m) => m[1]!);
        for (const id of ids) {
          if (!characters.has(id)) throw new HttpFailure(400, 'character_not_found', `Character '${id}' not found.`, 'characters');
        }
        const portrait = body.orientation === 'portrait' || (body.size !== undefined && isPortrait(body.size));
        const fault = kit.jobFault(ctx);
        const job = kit.idempotent(ctx, () =>
          kit.jobs.create({
            protocol: 'apiyi',
            // Sora videos come with sound.
            sound: true,
            prompt: body.prompt,
            seconds: body.duration,
            size: body.size ?? (portrait ? '720x1280' : '1280x720'),
            model: 'sora-2',
            characters: ids,
            ...(fault && { fault }),
          }),
        );
        kit.sendJson(ctx.res, 200, { task_id: job.id, status: 'pending' });
      },
    },
    {
      method: 'GET',
      pattern: /^\/apiyi\/sora\/tasks\/([^/]+)$/,
      protocol: 'apiyi',
      route: 'apiyi.task',
      async handle(ctx) {
        kit.sendJson(ctx.res, 200, taskObject(taskJob(ctx.params[0]!)));
      },
    },
    {
      method: 'GET',
      pattern: /^\/apiyi\/files\/([^/]+)\.mp4$/,
      protocol: 'apiyi',
      route: 'apiyi.file',
      public: true,
      async handle(ctx) {
        const fault = kit.faults.take('apiyi', 'apiyi.file', 'result');
        // Reseller video URLs are signed object-store links: once stale they answer 403, not 404.
        if (fault?.fault === 'expired' || !kit.signedUrlValid(ctx.url)) {
          kit.sendText(ctx.res, 403, 'AccessDenied: Request has expired');
          return;
        }
        await kit.sendVideo(ctx, taskJob(ctx.params[0]!), fault);
      },
    },
    {
      method: 'POST',
      pattern: /^\/apiyi\/sora\/characters$/,
      protocol: 'apiyi',
      route: 'apiyi.character.create',
      async handle(ctx) {
        const body = kit.parse(apiyiCharacterSchema, ctx.record.json);
        const c = newCharacter(body.name, body.description ?? '', body.video_url);
        kit.sendJson(ctx.res, 200, { character_id: c.id, name: c.name });
      },
    },
    {
      method: 'POST',
      pattern: /^\/apiyi\/sora\/characters\/extract$/,
      protocol: 'apiyi',
      route: 'apiyi.character.extract',
      async handle(ctx) {
        const body = kit.parse(apiyiExtractSchema, ctx.record.json);
        const job = taskJob(body.task_id);
        if (job.status !== 'completed') throw new HttpFailure(400, 'task_not_completed', 'The task has not completed.', 'task_id');
        const c = newCharacter(body.name, '', `task:${job.id}`);
        kit.sendJson(ctx.res, 200, { character_id: c.id, name: c.name });
      },
    },
    {
      method: 'GET',
      pattern: /^\/apiyi\/sora\/characters$/,
      protocol: 'apiyi',
      route: 'apiyi.character.list',
      async handle(ctx) {
        const list = [...characters.values()].map((c) => ({
          character_id: c.id,
          name: c.name,
          description: c.description,
          created_at: Math.floor(c.createdAt / 1000),
        }));
        kit.sendJson(ctx.res, 200, { characters: list });
      },
    },
  ];

  return {
    protocol: 'apiyi',
    prefix: '/apiyi',
    characters,
    routes,
    authenticate(ctx: Context) {
      const raw = kit.header(ctx.req, authHeader);
      let key: string | undefined;
      if (raw !== undefined) {
        const prefix = authScheme ? `${authScheme} ` : '';
        key = raw.startsWith(prefix) ? raw.slice(prefix.length).trim() : undefined;
      }
      if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
        throw new HttpFailure(401, 'invalid_api_key', 'Incorrect API key provided.');
      }
    },
    errorBody: (failure) => ({ code: failure.code, message: failure.message }),
  };
}

function isPortrait(size: string): boolean {
  const m = /^(\d+)x(\d+)$/.exec(size);
  return m !== null && Number(m[2]) > Number(m[1]);
}
