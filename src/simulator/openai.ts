/**
 * The OpenAI Videos API shape (https://platform.openai.com/docs/guides/video-generation) under `/v1`, plus the signed
 * CDN URL `content` redirects to. Request bodies are checked against
 * ./schemas/openai.ts; errors use OpenAI's documented `{error:{message, type,
 * param, code}}` body.
 */
import { newSimId, type SimJob } from './jobs.js';
import { HttpFailure, type Context, type RecordedRequest, type RouteDef, type SimKit, type SimProtocolModule } from './protocol.js';
import { openaiCharacterSchema, openaiCreateSchema, openaiExtendSchema, openaiRemixSchema, parseOpenAi, PRO_ONLY_SIZES } from './schemas/openai.js';

export interface OpenAiSimOptions {
  /** When set, only this key is accepted (to test 401); otherwise any non-empty key is. */
  apiKey?: string;
  /** `content` answers with a redirect to a signed URL, as the guide says it may (default true). */
  contentRedirect?: boolean;
}

export interface SimCharacter {
  id: string;
  name: string;
  description: string;
  createdAt: number;
  source: string;
}

export interface OpenAiSim extends SimProtocolModule {
  /** In memory only: a restarted simulator has forgotten every id, as a provider that lost them would answer. */
  characters: Map<string, SimCharacter>;
}

export function createOpenAiProtocol(kit: SimKit, options: OpenAiSimOptions = {}): OpenAiSim {
  const characters = new Map<string, SimCharacter>();
  const redirectContent = options.contentRedirect ?? true;

  const newCharacter = (name: string, source: string): SimCharacter => {
    const c: SimCharacter = { id: newSimId('char_'), name, description: '', createdAt: kit.clock.now(), source };
    characters.set(c.id, c);
    kit.stats.charactersCreated++;
    return c;
  };

  const namedCharacters = (ids: string[]): SimCharacter[] =>
    ids.map((id) => {
      const c = characters.get(id);
      if (!c) throw new HttpFailure(400, 'character_not_found', `Character '${id}' not found.`, 'characters');
      return c;
    });

  const videoObject = (job: SimJob) => ({
    id: job.id,
    object: 'video',
    model: job.model,
    status: job.status,
    progress: job.progress,
    created_at: Math.floor(job.createdAt / 1000),
    completed_at: job.completedAt !== undefined ? Math.floor(job.completedAt / 1000) : null,
    expires_at: job.completedAt !== undefined && job.status === 'completed' ? Math.floor((job.completedAt + kit.resultTtlMs) / 1000) : null,
    seconds: String(job.seconds),
    size: job.size,
    prompt: job.prompt,
    remixed_from_video_id: job.remixedFrom ?? null,
    error: job.error ?? null,
  });

  const videoJob = (id: string): SimJob => {
    const job = kit.jobs.get(id);
    if (!job || job.protocol !== 'openai') throw new HttpFailure(404, 'video_not_found', `Video with id '${id}' not found.`, 'video_id');
    return job;
  };

  const characterObject = (c: SimCharacter) => ({ id: c.id, object: 'character', name: c.name, created_at: Math.floor(c.createdAt / 1000) });

  const routes: RouteDef[] = [
    {
      method: 'POST',
      pattern: /^\/v1\/videos\/characters$/,
      protocol: 'openai',
      route: 'openai.character.create',
      async handle(ctx) {
        const body = parseOpenAi(openaiCharacterSchema, { name: ctx.record.fields.name?.[0] });
        const video = ctx.record.files.find((f) => f.field === 'video');
        if (!video) throw new HttpFailure(400, 'missing_required_parameter', "Missing required parameter: 'video'.", 'video');
        if (!video.type.startsWith('video/') && !/\.mp4$/i.test(video.fileName)) {
          throw new HttpFailure(400, 'invalid_file_format', 'The character video must be an MP4.', 'video');
        }
        kit.sendJson(ctx.res, 200, characterObject(newCharacter(body.name, `upload:${video.fileName}`)));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos\/characters\/([^/]+)$/,
      protocol: 'openai',
      route: 'openai.character.get',
      async handle(ctx) {
        const c = characters.get(ctx.params[0]!);
        if (!c) throw new HttpFailure(404, 'character_not_found', 'Character not found.');
        kit.sendJson(ctx.res, 200, characterObject(c));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/videos$/,
      protocol: 'openai',
      route: 'openai.create',
      async handle(ctx) {
        const multipart = ctx.record.files.length > 0 || Object.keys(ctx.record.fields).length > 0;
        const body = parseOpenAi(openaiCreateSchema, multipart ? multipartCreateBody(ctx.record) : ctx.record.json);
        if (body.model === 'sora-2' && PRO_ONLY_SIZES.has(body.size)) {
          throw new HttpFailure(400, 'invalid_value', `Size ${body.size} requires sora-2-pro.`, 'size');
        }
        const reference = ctx.record.files.find((f) => f.field === 'input_reference');
        if (reference && !reference.type.startsWith('image/')) {
          throw new HttpFailure(400, 'invalid_file_format', 'input_reference must be an image.', 'input_reference');
        }
        const named = namedCharacters(body.characters?.map((c) => c.id) ?? []);
        for (const c of named) {
          // The real API required each character's name verbatim in the prompt.
          if (!body.prompt.includes(c.name)) {
            throw new HttpFailure(400, 'invalid_request', `The prompt must mention character '${c.name}' by name.`, 'prompt');
          }
        }
        const fault = kit.jobFault(ctx);
        const job = kit.idempotent(ctx, () =>
          kit.jobs.create({
            protocol: 'openai',
            // Sora 2 makes its video with sound; the API has no switch for it.
            sound: true,
            prompt: body.prompt,
            seconds: Number(body.seconds),
            size: body.size,
            model: body.model,
            characters: named.map((c) => c.id),
            hasInputReference: reference !== undefined || body.input_reference !== undefined,
            ...(reference && { inputReferenceSha256: reference.sha256 }),
            ...(fault && { fault }),
          }),
        );
        kit.sendJson(ctx.res, 200, videoObject(job));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos$/,
      protocol: 'openai',
      route: 'openai.list',
      async handle(ctx) {
        const data = kit.jobs.list('openai').reverse().map(videoObject);
        kit.sendJson(ctx.res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos\/([^/]+)$/,
      protocol: 'openai',
      route: 'openai.get',
      async handle(ctx) {
        kit.sendJson(ctx.res, 200, videoObject(videoJob(ctx.params[0]!)));
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/videos\/([^/]+)$/,
      protocol: 'openai',
      route: 'openai.delete',
      async handle(ctx) {
        const job = videoJob(ctx.params[0]!);
        // "Permanently delete a completed or failed video" (openai-node `videos.delete`): there is no
        // cancel for a running one.
        if (job.status !== 'completed' && job.status !== 'failed') {
          throw new HttpFailure(400, 'invalid_request', 'Only completed or failed videos can be deleted.', 'video_id');
        }
        kit.jobs.remove(job.id);
        kit.sendJson(ctx.res, 200, { id: job.id, object: 'video.deleted', deleted: true });
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/videos\/([^/]+)\/remix$/,
      protocol: 'openai',
      route: 'openai.remix',
      async handle(ctx) {
        const body = parseOpenAi(openaiRemixSchema, ctx.record.json);
        const source = videoJob(ctx.params[0]!);
        if (source.status !== 'completed') {
          throw new HttpFailure(400, 'invalid_request', 'Only completed videos can be remixed.', 'video_id');
        }
        const fault = kit.jobFault(ctx);
        const job = kit.idempotent(ctx, () =>
          kit.jobs.create({
            protocol: 'openai',
            // Sora 2 makes its video with sound; the API has no switch for it.
            sound: true,
            prompt: body.prompt,
            seconds: source.seconds,
            size: source.size,
            model: source.model,
            characters: source.characters,
            remixedFrom: source.id,
            ...(fault && { fault }),
          }),
        );
        kit.sendJson(ctx.res, 200, videoObject(job));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/videos\/extensions$/,
      protocol: 'openai',
      route: 'openai.extend',
      async handle(ctx) {
        const body = parseOpenAi(openaiExtendSchema, ctx.record.json);
        const source = videoJob(body.video.id);
        if (source.status !== 'completed') {
          throw new HttpFailure(400, 'invalid_request', 'Only completed videos can be extended.', 'video.id');
        }
        const fault = kit.jobFault(ctx);
        const job = kit.idempotent(ctx, () =>
          kit.jobs.create({
            protocol: 'openai',
            // Sora 2 makes its video with sound; the API has no switch for it.
            sound: true,
            prompt: body.prompt,
            // "For extensions, this is the stitched total duration."
            seconds: source.seconds + Number(body.seconds),
            size: source.size,
            model: source.model,
            characters: source.characters,
            ...(fault && { fault }),
          }),
        );
        kit.sendJson(ctx.res, 200, videoObject(job));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/videos\/([^/]+)\/content$/,
      protocol: 'openai',
      route: 'openai.content',
      async handle(ctx) {
        const job = videoJob(ctx.params[0]!);
        const variant = ctx.url.searchParams.get('variant') ?? 'video';
        if (variant !== 'video') throw new HttpFailure(400, 'invalid_value', `Variant '${variant}' is not simulated.`, 'variant');
        if (job.status !== 'completed') throw new HttpFailure(400, 'video_not_ready', 'Video is not ready yet.', 'video_id');
        const fault = kit.faults.take('openai', 'openai.content', 'result');
        if (fault?.fault === 'expired' || kit.clock.now() > job.completedAt! + kit.resultTtlMs) {
          throw new HttpFailure(fault?.expiredStatus ?? 404, 'video_expired', 'The video content has expired.', 'video_id');
        }
        if (redirectContent && fault?.fault !== 'oversized') {
          // The guide says content "may redirect": send clients to a signed, auth-free URL like a CDN would.
          ctx.res.writeHead(302, { location: kit.signedUrl(`/cdn/openai/${job.id}.mp4`) });
          ctx.res.end();
          return;
        }
        await kit.sendVideo(ctx, job, fault);
      },
    },
    {
      /** The signed URL `content` redirects to: no auth, like a CDN. */
      method: 'GET',
      pattern: /^\/cdn\/openai\/([^/]+)\.mp4$/,
      protocol: 'openai',
      route: 'openai.cdn',
      public: true,
      async handle(ctx) {
        const fault = kit.faults.take('openai', 'openai.cdn', 'result');
        if (fault?.fault === 'expired' || !kit.signedUrlValid(ctx.url)) {
          kit.sendText(ctx.res, 403, 'AccessDenied: Request has expired');
          return;
        }
        await kit.sendVideo(ctx, videoJob(ctx.params[0]!), fault);
      },
    },
  ];

  return {
    protocol: 'openai',
    prefix: '/v1',
    characters,
    routes,
    authenticate(ctx: Context) {
      // Bearer for OpenAI; `api-key` for the Azure flavour of the same API.
      const auth = ctx.req.headers.authorization;
      const key = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : kit.header(ctx.req, 'api-key');
      if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
        throw new HttpFailure(401, 'invalid_api_key', 'Incorrect API key provided.');
      }
    },
    errorBody: (failure) => ({
      error: {
        message: failure.message,
        type: failure.status >= 500 ? 'server_error' : 'invalid_request_error',
        param: failure.param,
        code: failure.code,
      },
    }),
  };
}

/** Multipart sends arrays the way the OpenAI SDKs do (`characters[][id]`), or a JSON string. */
function multipartCreateBody(record: RecordedRequest): Record<string, unknown> {
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
}
