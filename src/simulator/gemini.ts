/**
 * The Gemini API's Veo long-running operations (https://ai.google.dev/gemini-api/docs/video) under `/gemini`:
 *   POST /gemini/v1beta/models/{model}:predictLongRunning  → {name: "models/{model}/operations/{id}"}
 *   GET  /gemini/v1beta/models/{model}/operations/{id}      → {name, done, response | error}
 *   GET  /gemini/v1beta/files/{id}:download?alt=media       → MP4 (needs the key)
 * Auth is `x-goog-api-key`. Errors use Google's `{error:{code, message, status}}`.
 * The body is validated against src/simulator/schemas/gemini.ts (from js-genai's converters).
 * With reference images only the reference mode's durations and aspect ratios
 * pass, as a reseller schema reports for the real API. Model ids outside the
 * Gemini API's Veo list (e.g. Vertex's `-001` ids) answer 404.
 */
import { HttpFailure, type Context, type SimKit, type SimProtocolModule } from './protocol.js';
import { frameSize, type SimJob } from './jobs.js';
import { GEMINI_REFERENCE_MODELS, GEMINI_VEO_MODELS, geminiPredictSchema } from './schemas/gemini.js';

export interface GeminiSimOptions {
  apiKey?: string;
  /** Durations allowed with reference images (default [8]). */
  referenceSeconds?: number[];
  /** Aspect ratios allowed with reference images (default ['16:9']). */
  referenceAspectRatios?: string[];
}

const GOOGLE_STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

export function createGeminiProtocol(kit: SimKit, options: GeminiSimOptions = {}): SimProtocolModule {
  const referenceSeconds = options.referenceSeconds ?? [8];
  const referenceAspects = options.referenceAspectRatios ?? ['16:9'];

  const job = (id: string): SimJob => {
    const j = kit.jobs.get(id);
    if (!j || j.protocol !== 'gemini') throw new HttpFailure(404, 'NOT_FOUND', `Operation ${id} not found`);
    return j;
  };

  const operation = (j: SimJob) => {
    const name = `models/${j.model}/operations/${j.id}`;
    if (j.status === 'queued' || j.status === 'in_progress') return { name, metadata: {} };
    if (j.status === 'failed') {
      // Veo reports safety-filtered output as a finished operation with no samples.
      return { name, done: true, response: { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse', generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: [j.error?.message ?? 'filtered'] } } };
    }
    return {
      name,
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
        generateVideoResponse: { generatedSamples: [{ video: { uri: `${kit.baseUrl()}/gemini/v1beta/files/${j.id}:download?alt=media` } }] },
      },
    };
  };

  return {
    protocol: 'gemini',
    prefix: '/gemini',
    authenticate(ctx: Context) {
      const key = kit.header(ctx.req, 'x-goog-api-key') ?? ctx.url.searchParams.get('key') ?? undefined;
      if (!key || (options.apiKey !== undefined && key !== options.apiKey)) throw new HttpFailure(403, 'PERMISSION_DENIED', 'API key not valid. Please pass a valid API key.');
    },
    errorBody: (failure) => ({ error: { code: failure.status, message: failure.message, status: GOOGLE_STATUS[failure.status] ?? failure.code } }),
    routes: [
      {
        method: 'POST',
        pattern: /^\/gemini\/v1beta\/models\/([^/:]+):predictLongRunning$/,
        protocol: 'gemini',
        route: 'gemini.predict',
        async handle(ctx) {
          const model = decodeURIComponent(ctx.params[0]!);
          if (!(GEMINI_VEO_MODELS as readonly string[]).includes(model)) {
            throw new HttpFailure(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for predictLongRunning.`);
          }
          const body = kit.parse(geminiPredictSchema, ctx.record.json);
          const instance = body.instances[0]!;
          const p = { aspectRatio: '16:9', durationSeconds: 8, resolution: '720p', ...body.parameters };
          if ((instance.referenceImages?.length ?? 0) > 0) {
            if (!GEMINI_REFERENCE_MODELS.includes(model)) throw new HttpFailure(400, 'INVALID_ARGUMENT', `${model} does not support reference images.`, 'referenceImages');
            if (!referenceSeconds.includes(p.durationSeconds)) throw new HttpFailure(400, 'INVALID_ARGUMENT', `durationSeconds must be ${referenceSeconds.join(' or ')} with reference images`, 'durationSeconds');
            if (!referenceAspects.includes(p.aspectRatio)) throw new HttpFailure(400, 'INVALID_ARGUMENT', `aspectRatio must be ${referenceAspects.join(' or ')} with reference images`, 'aspectRatio');
          }
          if (p.resolution !== '720p' && p.durationSeconds !== 8) throw new HttpFailure(400, 'INVALID_ARGUMENT', `${p.resolution} requires durationSeconds 8`, 'resolution');
          const fault = kit.jobFault(ctx);
          const created = kit.idempotent(ctx, () =>
            kit.jobs.create({
              protocol: 'gemini',
              prompt: instance.prompt,
              seconds: p.durationSeconds,
              size: frameSize(p.resolution ?? '720p', p.aspectRatio === '9:16'),
              // Veo on the Gemini API always makes sound (it has no `generateAudio`; that is Vertex's).
              sound: true,
              model,
              hasInputReference: (instance.referenceImages?.length ?? 0) > 0,
              ...(fault && { fault }),
            }),
          );
          kit.sendJson(ctx.res, 200, { name: `models/${model}/operations/${created.id}` });
        },
      },
      {
        method: 'GET',
        pattern: /^\/gemini\/v1beta\/models\/([^/]+)\/operations\/([^/]+)$/,
        protocol: 'gemini',
        route: 'gemini.operation',
        async handle(ctx) {
          kit.sendJson(ctx.res, 200, operation(job(ctx.params[1]!)));
        },
      },
      {
        method: 'GET',
        pattern: /^\/gemini\/v1beta\/files\/([^/:]+):download$/,
        protocol: 'gemini',
        route: 'gemini.download',
        async handle(ctx) {
          const j = job(ctx.params[0]!);
          if (j.status !== 'completed') throw new HttpFailure(404, 'NOT_FOUND', 'File not found');
          const fault = kit.faults.take('gemini', 'gemini.download', 'result');
          // Generated files are kept two days.
          if (fault?.fault === 'expired' || kit.clock.now() > (j.completedAt ?? 0) + 2 * 86_400_000) throw new HttpFailure(404, 'NOT_FOUND', 'File has expired');
          await kit.sendVideo(ctx, j, fault);
        },
      },
    ],
  };
}
