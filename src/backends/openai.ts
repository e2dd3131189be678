/**
 * The OpenAI Videos API shape (https://platform.openai.com/docs/guides/video-generation). OpenAI's own endpoint shut
 * down with Sora on 2026-09-24, but gateways (LiteLLM's proxy, resellers of
 * other models, Azure OpenAI deployments) still speak it, so base URL, model
 * and auth style are configuration.
 */
import { z } from 'zod';
import { ProviderError } from '../core/errors.js';
import type { Backend, CharacterSourceForBackend, GenerationRequest, ProviderJobState, ProviderStatus, ResultStream } from '../core/ports.js';
import type { BackendCapabilities, PriceModel } from '../core/capabilities.js';
import type { CharacterBinding } from '../core/types.js';
import { applyPriceOverride } from '../core/pricing.js';
import { backendHttp, downloadResult, type BackendHttpOptions } from './http/backend.js';
import { fileBlob, FormData, type ProviderHttp } from './http/client.js';
import { kindForProviderCode, safeProviderCode } from './http/errors.js';

export interface OpenAiBackendOptions extends BackendHttpOptions {
  /** Backend id in config, logs and ledgers (default `openai`); a second gateway gets its own id. */
  id?: string;
  /** e.g. `https://api.openai.com/v1`, a LiteLLM proxy's `/v1`, or `https://{resource}.openai.azure.com/openai/v1`. */
  baseUrl: string;
  apiKey: string;
  /** `sora-2`, or whatever model (Azure: deployment name) the gateway serves. */
  model: string;
  /** Azure OpenAI takes the key in an `api-key` header instead of a bearer token. */
  authStyle?: 'bearer' | 'azure-api-key';
}

export type OpenAiBackend = Backend & {
  createCharacter(source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding>;
  /** Releases the HTTP connection pool. */
  close(): Promise<void>;
};

/**
 * sora-2 at 720p, $0.10/s (https://platform.openai.com/docs/guides/video-generation). Sora 2 makes
 * its video with sound and the API has no switch for it, so only a price with sound exists. sora-2-pro's
 * larger sizes (1792x1024) are none of 720p, 1080p or 4K, so `--resolution` does not offer them.
 */
export const OPENAI_DEFAULT_PRICE: PriceModel = { kind: 'per-second', microsPerSecond: { '720p': { on: 100_000 } } };

export function openAiCapabilities(price: PriceModel, displayName = 'OpenAI Videos API'): BackendCapabilities {
  return {
    displayName,
    statusNote:
      "OpenAI's own Videos API shut down on 2026-09-24; this backend speaks its request shape for gateways (LiteLLM proxy, resellers, Azure) set through OPENAI_BASE_URL.",
    stabilityRank: 1,
    // At most 2 characters per video, and each name must appear verbatim in the prompt.
    characters: { binding: 'provider-character', max: 2, mention: { kind: 'name' } },
    // openai-node `VideoSeconds` = '4' | '8' | '12' on create; 16 and 20 exist only for
    // `POST /videos/extensions` (https://github.com/openai/openai-node/blob/master/src/resources/videos/videos.ts).
    seconds: [4, 8, 12],
    sizes: { landscape: { '720p': '1280x720' }, portrait: { '720p': '720x1280' } },
    price,
    progress: 'percent',
    // Webhooks (Standard Webhooks signatures) come with a later task.
    completion: 'poll',
    // "Download URLs last at most 1 hour."
    resultUrlTtlSeconds: 3600,
    remix: true,
    // The API has no cancel for a running video: DELETE is only for a completed or failed one
    // ("Permanently delete a completed or failed video", openai-node `videos.delete`). Cancelling
    // a job stops following it and releases its reservation; the provider finishes on its own.
    cancel: false,
    imageInput: true,
    chargesForModeratedJobs: false,
  };
}

// ---------------------------------------------------------------------------
// Response schemas: only the fields we use are required; gateways add their own.
// ---------------------------------------------------------------------------

const videoErrorSchema = z
  .object({ code: z.string().nullish(), message: z.string().nullish() })
  .nullish();

const videoSchema = z
  .object({
    id: z.string().min(1),
    status: z.string().min(1),
    progress: z.number().nullish(),
    // A string per the docs; some gateways send a number.
    seconds: z.union([z.string(), z.number()]).nullish(),
    error: videoErrorSchema,
  });

const characterSchema = z.object({ id: z.string().min(1), name: z.string().nullish() });

/** Sora's four job states, and `cancelled` which some gateways report after DELETE. */
const STATE_BY_STATUS: Record<string, ProviderJobState> = {
  queued: 'queued',
  in_progress: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function createOpenAiBackend(options: OpenAiBackendOptions): OpenAiBackend {
  const id = options.id ?? 'openai';
  const log = options.logger.child({ backend: id });
  const capabilities = openAiCapabilities(applyPriceOverride(OPENAI_DEFAULT_PRICE, options.priceOverrides), options.displayName);
  const authHeaders: Record<string, string> =
    options.authStyle === 'azure-api-key' ? { 'api-key': options.apiKey } : { authorization: `Bearer ${options.apiKey}` };
  const http: ProviderHttp = backendHttp(options, { backend: id, baseUrl: options.baseUrl, authHeaders });

  const videoPath = (providerJobId: string): string => `/videos/${encodeURIComponent(providerJobId)}`;

  /** A request the router should never have sent here: the bot's problem, not the user's. */
  const unfit = (message: string): ProviderError => new ProviderError({ kind: 'rejected_request', backend: id, message: `${id}: ${message}` });

  /** A failed job's `error.code` decides its kind; an unknown failure is worth another try elsewhere. */
  const jobError = (providerJobId: string, error: z.infer<typeof videoErrorSchema>): ProviderError => {
    const code = safeProviderCode(error?.code ?? undefined);
    const kind = kindForProviderCode(code) ?? (code === 'cameo_permission_denied' ? 'invalid_input' : 'transient');
    return new ProviderError({
      kind,
      backend: id,
      message: `${id}: video ${providerJobId} failed${code ? ` (${code})` : ''}`,
      ...(code !== undefined && { providerCode: code }),
    });
  };

  const submit = async (request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }> => {
    if (request.remixOfProviderJobId !== undefined) {
      const video = await http.json(videoSchema, {
        method: 'POST',
        path: `${videoPath(request.remixOfProviderJobId)}/remix`,
        operation: 'videos.remix',
        json: { prompt: request.prompt },
        idempotencyKey: request.idempotencyKey,
        ...(signal && { signal }),
      });
      log.debug({ jobId: request.jobId, providerJobId: video.id }, 'remix submitted');
      return { providerJobId: video.id };
    }

    const characters = request.characters.flatMap((c) => (c.binding.kind === 'provider-character' ? [{ id: c.binding.id }] : []));
    if (characters.length !== request.characters.length) {
      throw unfit('characters need a provider-character binding on this backend');
    }
    if (characters.length > capabilities.characters.max) {
      throw unfit(`at most ${capabilities.characters.max} characters per video`);
    }
    const fields = {
      prompt: request.prompt,
      model: options.model,
      // The API takes seconds as a string ("4", "8", ...).
      seconds: String(request.seconds),
      size: request.size,
    };

    const base = {
      method: 'POST' as const,
      path: '/videos',
      operation: 'videos.create',
      idempotencyKey: request.idempotencyKey,
      ...(signal && { signal }),
    };
    let video: z.infer<typeof videoSchema>;
    if (request.imagePath === undefined) {
      video = await http.json(videoSchema, { ...base, json: { ...fields, ...(characters.length > 0 && { characters }) } });
    } else {
      const imagePath = request.imagePath;
      const image = await fileBlob(imagePath, imageType(imagePath));
      video = await http.json(videoSchema, {
        ...base,
        // A file part cannot travel in JSON: the first-frame image goes as multipart `input_reference`.
        form: () => {
          const form = new FormData();
          for (const [k, v] of Object.entries(fields)) form.append(k, v);
          // Arrays as the OpenAI SDKs encode them in multipart bodies.
          for (const c of characters) form.append('characters[][id]', c.id);
          form.append('input_reference', image.blob, image.fileName);
          return form;
        },
      });
    }
    log.debug({ jobId: request.jobId, providerJobId: video.id, model: fields.model }, 'video submitted');
    return { providerJobId: video.id };
  };

  const status = async (providerJobId: string, signal?: AbortSignal): Promise<ProviderStatus> => {
    const video = await http.json(videoSchema, {
      method: 'GET',
      path: videoPath(providerJobId),
      operation: 'videos.retrieve',
      ...(signal && { signal }),
    });
    let state = STATE_BY_STATUS[video.status];
    if (state === undefined) {
      log.warn({ providerJobId, status: video.status }, 'unknown video status, treating it as running');
      state = 'running';
    }
    const seconds = video.seconds === undefined || video.seconds === null ? undefined : Number(video.seconds);
    return {
      state,
      progress: typeof video.progress === 'number' ? Math.max(0, Math.min(100, video.progress)) : undefined,
      queuePosition: undefined,
      error: state === 'failed' ? jobError(providerJobId, video.error) : undefined,
      seconds: seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined,
    };
  };

  // Content outlives its job by at most an hour; after that the API (or the CDN it
  // redirects to) answers 404/410/403, which means "expired", not "never existed".
  const openResult = async (providerJobId: string, signal?: AbortSignal): Promise<ResultStream> =>
    downloadResult(http, options, `${videoPath(providerJobId)}/content`, { operation: 'videos.content', query: { variant: 'video' }, signal });

  const createCharacter = async (source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding> => {
    if (source.clipPath === undefined) throw unfit('a character needs a local clip to upload');
    if (source.name.length < 1 || source.name.length > 80) throw unfit('a character name must be 1 to 80 characters');
    const clip = await fileBlob(source.clipPath, 'video/mp4');
    const character = await http.json(characterSchema, {
      method: 'POST',
      path: '/videos/characters',
      operation: 'characters.create',
      // Not retried: the endpoint takes no idempotency key, and a retry could create a twin.
      form: () => {
        const form = new FormData();
        form.append('name', source.name);
        form.append('video', clip.blob, clip.fileName);
        return form;
      },
      ...(signal && { signal }),
    });
    return { kind: 'provider-character', id: character.id, createdAt: options.clock.now() };
  };

  return {
    id,
    capabilities,
    submit,
    status,
    openResult,
    createCharacter,
    close: () => http.close(),
  };
}

function imageType(path: string): string {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'png') return 'image/png';
  if (ext === 'webp') return 'image/webp';
  return 'image/jpeg';
}
