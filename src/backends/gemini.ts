/**
 * Veo 3.1 on the Gemini API (https://ai.google.dev/gemini-api/docs/video):
 *   POST {api}/v1beta/models/{model}:predictLongRunning → operation {name}
 *   GET  {api}/v1beta/{operation name} → {done, error?, response.generateVideoResponse.generatedSamples[].video.uri}
 *   GET  {video uri} with the API key → MP4
 * Characters travel as up to 3 `asset` reference images (base64); Veo has no
 * tag syntax, so the prompt describes them in words.
 */
import { z } from 'zod';
import { ProviderError } from '../core/errors.js';
import type { Backend, GenerationRequest, ProviderStatus, ResultStream } from '../core/ports.js';
import type { BackendCapabilities, PriceModel } from '../core/capabilities.js';
import type { Orientation } from '../core/types.js';
import type { UserChosenField } from '../core/errors.js';
import { applyPriceOverride } from '../core/pricing.js';
import { backendHttp, downloadResult, type BackendHttpOptions } from './http/backend.js';
import type { ProviderHttp } from './http/client.js';
import type { ErrorAnswer, ErrorClassification } from './http/errors.js';
import { framesOf, imageBase64, pooledFrames } from './reference-frames.js';

export interface GeminiReferenceMode {
  /** Durations Veo accepts when reference images are sent (a reseller schema says only 8 s; unconfirmed). */
  seconds: number[];
  /** Orientations allowed with references (reportedly 16:9 only; unconfirmed). */
  orientations: Orientation[];
  /** Most reference images per request (documented: 3). */
  maxImages: number;
}

export interface GeminiBackendOptions extends BackendHttpOptions {
  id?: string;
  /** `https://generativelanguage.googleapis.com`, or the simulator's `/gemini` base. */
  apiUrl: string;
  apiKey: string;
  /** Model for 4K (default `veo-3.1-generate-preview`, Standard). */
  model?: string;
  /** Model for 720p and 1080p (default `veo-3.1-fast-generate-preview`). */
  fastModel?: string;
  referenceMode?: Partial<GeminiReferenceMode>;
}

export type GeminiBackend = Backend & { readonly referenceMode: GeminiReferenceMode; close(): Promise<void> };

/**
 * https://ai.google.dev/gemini-api/docs/pricing, after Google's 2026-04-07 cut (checked 2026-12-02):
 * Veo 3.1 Fast $0.10/s at 720p, $0.12/s at 1080p; Standard $0.40/s, $0.60/s at 4K (the 4K figure is
 * unconfirmed, docs/providers.md); Lite takes no reference images, so it is not used here. 720p and
 * 1080p run on Fast, 4K on Standard. Veo on the Gemini API always makes sound: `generateAudio` is a
 * Vertex AI parameter the Gemini API refuses (js-genai `generateVideosConfigToMldev`), so only prices
 * with sound exist.
 */
export const GEMINI_DEFAULT_PRICE: PriceModel = {
  kind: 'per-second',
  microsPerSecond: { '720p': { on: 100_000 }, '1080p': { on: 120_000 }, '4k': { on: 600_000 } },
};

/**
 * Vertex AI's stable ids (`veo-3.1-generate-001`) do not exist on the Gemini API, which serves the
 * `-preview` ids (https://ai.google.dev/gemini-api/docs/video, read 2026-12-02). Returns the sentence
 * for a config error, or undefined when the id is usable.
 */
export function geminiModelProblem(variable: string, model: string): string | undefined {
  if (/-\d{3}$/.test(model)) {
    return `${variable}=${model} is a Vertex AI model id; the Gemini API serves the preview ids such as veo-3.1-generate-preview and veo-3.1-fast-generate-preview.`;
  }
  return undefined;
}

/** Gemini's 400 names a parameter in its message; these carry options the user picks. */
const USER_PARAMETERS: [RegExp, UserChosenField][] = [
  [/durationSeconds/, 'seconds'],
  [/aspectRatio/, 'orientation'],
  [/resolution/, 'resolution'],
];

export const GEMINI_DEFAULT_REFERENCE_MODE: GeminiReferenceMode = { seconds: [8], orientations: ['landscape'], maxImages: 3 };

export function geminiCapabilities(price: PriceModel, referenceMode: GeminiReferenceMode, displayName = 'Google Veo 3.1 (Gemini API)'): BackendCapabilities {
  const landscapeOnly = !referenceMode.orientations.includes('portrait');
  return {
    displayName,
    provider: 'gemini',
    statusNote: 'Live: Google’s official Gemini API (Veo 3.1 preview models), always with sound: Fast $0.10/s 720p, $0.12/s 1080p (checked 2026-12-02).',
    stabilityRank: 1,
    characters: { binding: 'reference-images', max: referenceMode.maxImages, mention: { kind: 'description' } },
    // Without references Veo 3.1 takes 4, 6 or 8 s; with references only what the reference mode allows,
    // and this backend exists here for characters, so it declares the stricter set.
    seconds: [...referenceMode.seconds].sort((a, b) => a - b),
    sizes: {
      landscape: { '720p': '1280x720', '1080p': '1920x1080', '4k': '3840x2160' },
      // Declared only when the reference mode allows 9:16, so the router never sends a portrait character job here.
      portrait: landscapeOnly ? {} : { '720p': '720x1280', '1080p': '1080x1920', '4k': '2160x3840' },
    },
    price,
    progress: 'none',
    // Google gives a request latency of 11 s to 6 min at peak (https://ai.google.dev/gemini-api/docs/video, read 2026-12-02);
    // two minutes is the bot's own middle figure, shown only as an estimate.
    typicalRenderSeconds: 120,
    completion: 'poll',
    // Generated videos are kept for 2 days on Google's side.
    resultUrlTtlSeconds: 2 * 86_400,
    remix: false,
    cancel: false,
    imageInput: false,
    chargesForModeratedJobs: false,
  };
}

const operationSchema = z.object({
  name: z.string().min(1),
  done: z.boolean().optional(),
  error: z.object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional() }).nullish(),
  response: z
    .object({
      generateVideoResponse: z
        .object({
          generatedSamples: z.array(z.object({ video: z.object({ uri: z.string().min(1) }) })).nullish(),
          raiMediaFilteredCount: z.number().nullish(),
          raiMediaFilteredReasons: z.array(z.string()).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

/** google.rpc codes on a failed operation, as core error kinds. */
function kindForRpc(status: string | undefined, code: number | undefined): ProviderError['kind'] {
  if (status === 'RESOURCE_EXHAUSTED' || code === 8) return 'rate_limit';
  if (status === 'PERMISSION_DENIED' || status === 'UNAUTHENTICATED' || code === 7 || code === 16) return 'auth';
  // The operation's request was built by the bot: a rejection of it is the bot's problem, not the user's.
  if (status === 'INVALID_ARGUMENT' || status === 'FAILED_PRECONDITION' || code === 3 || code === 9) return 'rejected_request';
  if (status === 'NOT_FOUND' || code === 5) return 'not_found';
  return 'transient';
}

export function createGeminiBackend(options: GeminiBackendOptions): GeminiBackend {
  const id = options.id ?? 'gemini';
  const log = options.logger.child({ backend: id });
  const model = options.model ?? 'veo-3.1-generate-preview';
  const fastModel = options.fastModel ?? 'veo-3.1-fast-generate-preview';
  const referenceMode: GeminiReferenceMode = { ...GEMINI_DEFAULT_REFERENCE_MODE, ...options.referenceMode };
  const capabilities = geminiCapabilities(applyPriceOverride(GEMINI_DEFAULT_PRICE, options.priceOverrides), referenceMode, options.displayName);
  const http: ProviderHttp = backendHttp(options, { backend: id, baseUrl: options.apiUrl, authHeaders: { 'x-goog-api-key': options.apiKey } });
  for (const [variable, value] of [['GEMINI_MODEL', model], ['GEMINI_FAST_MODEL', fastModel]] as const) {
    const problem = geminiModelProblem(variable, value);
    if (problem) throw new Error(problem);
  }
  const videoUris = new Map<string, string>();
  /** A 400 on a request the bot built is the bot's problem unless it names an option the user chose. */
  const classifySubmit =
    (userChose: GenerationRequest['userChose']) =>
    (answer: ErrorAnswer): ErrorClassification | undefined => {
      if (answer.kind !== 'invalid_input' && answer.kind !== 'rejected_request') return undefined;
      const error = answer.body && typeof answer.body === 'object' ? (answer.body as { error?: { message?: unknown; status?: unknown } }).error : undefined;
      const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : '';
      const named = USER_PARAMETERS.filter(([re]) => re.test(message)).map(([, f]) => f);
      const field = named.length === 1 && (userChose ?? []).includes(named[0]!) ? named[0] : undefined;
      if (field) return { kind: 'invalid_input', field };
      log.error({ operation: 'predictLongRunning', status: answer.status, googleStatus: error?.status, message }, 'Gemini rejected a request the bot built');
      return { kind: 'rejected_request' };
    };
  const invalid = (message: string) => new ProviderError({ kind: 'invalid_input', backend: id, message: `${id}: ${message}` });

  const submit = async (request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }> => {
    if (request.remixOfProviderJobId !== undefined) throw invalid('this backend cannot remix');
    if (request.imagePath !== undefined) throw invalid('this backend takes no starting image');
    const withReferences = request.characters.length > 0;
    if (withReferences) {
      if (!referenceMode.seconds.includes(request.seconds)) throw invalid(`with reference images Veo takes ${referenceMode.seconds.join(' or ')} s`);
      if (!referenceMode.orientations.includes(request.orientation)) throw invalid(`with reference images Veo takes only ${referenceMode.orientations.join(' or ')}`);
    }
    const images = withReferences ? pooledFrames(framesOf(id, request.characters), referenceMode.maxImages) : [];
    const referenceImages = await Promise.all(
      images.map(async (path) => {
        const { data, mimeType } = await imageBase64(path);
        // js-genai sends the enum value `ASSET` (VideoGenerationReferenceType).
        return { image: { bytesBase64Encoded: data, mimeType }, referenceType: 'ASSET' };
      }),
    );
    const chosen = request.resolution === '4k' ? model : fastModel;
    const operation = await http.json(operationSchema, {
      method: 'POST',
      path: `/v1beta/models/${encodeURIComponent(chosen)}:predictLongRunning`,
      operation: 'predictLongRunning',
      refine: classifySubmit(request.userChose),
      json: {
        instances: [{ prompt: request.prompt, ...(referenceImages.length > 0 && { referenceImages }) }],
        parameters: {
          aspectRatio: request.orientation === 'portrait' ? '9:16' : '16:9',
          durationSeconds: request.seconds,
          resolution: request.resolution,
        },
      },
      ...(signal && { signal }),
    });
    log.debug({ jobId: request.jobId, providerJobId: operation.name, model: chosen, references: referenceImages.length }, 'operation started');
    return { providerJobId: operation.name };
  };

  const readOperation = (name: string, signal?: AbortSignal) =>
    http.json(operationSchema, {
      method: 'GET',
      // Operation names look like `models/veo-…/operations/abc`: keep the slashes.
      path: `/v1beta/${name.split('/').map(encodeURIComponent).join('/')}`,
      operation: 'operations.get',
      ...(signal && { signal }),
    });

  const status = async (providerJobId: string, signal?: AbortSignal): Promise<ProviderStatus> => {
    const op = await readOperation(providerJobId, signal);
    const none = { progress: undefined, queuePosition: undefined, error: undefined, seconds: undefined };
    if (!op.done) return { ...none, state: 'running' };
    if (op.error) {
      const kind = kindForRpc(op.error.status, op.error.code);
      return { ...none, state: 'failed', error: new ProviderError({ kind, backend: id, message: `${id}: operation failed (${op.error.status ?? op.error.code ?? 'unknown'})`, ...(op.error.status && { providerCode: op.error.status }) }) };
    }
    const response = op.response?.generateVideoResponse;
    const uri = response?.generatedSamples?.[0]?.video.uri;
    if (!uri) {
      // Done with no sample: Veo's safety filters removed the output (raiMediaFilteredCount > 0).
      const filtered = (response?.raiMediaFilteredCount ?? 0) > 0;
      return {
        ...none,
        state: 'failed',
        error: new ProviderError({ kind: filtered ? 'moderation' : 'transient', backend: id, message: `${id}: operation finished without a video${filtered ? ' (filtered by safety)' : ''}`, ...(filtered && { providerCode: 'rai_media_filtered' }) }),
      };
    }
    videoUris.set(providerJobId, uri);
    return { ...none, state: 'completed', progress: 100 };
  };

  const openResult = async (providerJobId: string, signal?: AbortSignal): Promise<ResultStream> => {
    let uri = videoUris.get(providerJobId);
    if (!uri) {
      const s = await status(providerJobId, signal);
      if (s.state !== 'completed') throw s.error ?? new ProviderError({ kind: 'expired', backend: id, message: `${id}: operation has no video` });
      uri = videoUris.get(providerJobId)!;
    }
    // The file URI lives on the API's own origin and needs the key; the HTTP layer sends it only there,
    // so a redirect to storage never sees it.
    return downloadResult(http, options, uri, { signal });
  };

  return { id, capabilities, referenceMode, submit, status, openResult, close: () => http.close() };
}
