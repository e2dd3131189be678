/**
 * Vidu's official API (ShengShu; https://platform.vidu.com/docs, read 2026-12-02), the live provider with
 * stored *subjects* (prices and unconfirmed details in docs/providers.md):
 * - Auth: `Authorization: Token {key}`.
 * - A subject is created once per character from up to 3 of its frames (`POST /ent/v2/subjects`, answered at
 *   once with its `id`), stored as the character's binding, and named in reference-to-video requests as
 *   `subjects:[{name:"1", server_id}]` with the prompt saying `@1`.
 * - A prompt without characters goes to text-to-video. Tasks are polled at `GET /ent/v2/tasks/{id}/creations`.
 * - Errors carry a documented reason (`CreditInsufficient`, `AuditSubmitIllegal`, …) next to the HTTP status.
 * Unconfirmed points (subject deletion, the error body's shape, `@1` vs `[@1]`) are listed in docs/providers.md.
 */
import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../core/errors.js';
import type { Backend, CharacterSourceForBackend, GenerationRequest, ProviderStatus, ResultStream } from '../core/ports.js';
import type { BackendCapabilities, PriceModel } from '../core/capabilities.js';
import type { CharacterBinding } from '../core/types.js';
import { applyPriceOverride } from '../core/pricing.js';
import { backendHttp, downloadResult, type BackendHttpOptions } from './http/backend.js';
import { imageDataUri } from './reference-frames.js';

export interface ViduBackendOptions extends BackendHttpOptions {
  id?: string;
  /** `https://api.vidu.com`, or the simulator's `/vidu` base. */
  apiUrl: string;
  apiKey: string;
  /** Reference-to-video model (default `viduq2`: 1–10 s, 540p/720p/1080p). */
  model?: string;
  maxSubjects?: number;
}

export type ViduBackend = Backend & {
  createCharacter(source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding>;
  deleteCharacter(binding: CharacterBinding): Promise<void>;
  close(): Promise<void>;
};

/**
 * viduq2 reference-to-video: 2 credits/s at 720p and 4 credits/s at 1080p, at $0.05 a credit (Vidu's API
 * launch price) = $0.10/s and $0.20/s. Secondary sources (302.ai's Vidu table, api-evangelist's record of the
 * launch announcement), checked 2026-12-02: *unconfirmed* on Vidu's own pricing page; override with PRICE_OVERRIDES.
 * Silent only: reference-to-video has an `audio` switch, but what sound costs is not published, so the
 * bot sends `audio: false` and declares no price with sound (docs/providers.md).
 */
export const VIDU_DEFAULT_PRICE: PriceModel = { kind: 'per-second', microsPerSecond: { '720p': { off: 100_000 }, '1080p': { off: 200_000 } } };

export function viduCapabilities(price: PriceModel, maxSubjects: number, displayName = 'Vidu Q2 (official API)'): BackendCapabilities {
  return {
    displayName,
    statusNote: 'Live: Vidu’s official API with stored subjects (character ids held by the provider); prices unconfirmed.',
    stabilityRank: 1,
    // A subject is a provider-side id made from frames, as a Kling element is.
    characters: { binding: 'element', max: maxSubjects, mention: { kind: 'indexed', template: '@{n}' } },
    seconds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    sizes: { landscape: { '720p': '1280x720', '1080p': '1920x1080' }, portrait: { '720p': '720x1280', '1080p': '1080x1920' } },
    price,
    progress: 'none',
    // Vidu publishes no render time; two minutes is the bot's own figure, shown only as an estimate.
    typicalRenderSeconds: 120,
    completion: 'poll',
    // The get-generation page says one hour in one version and 24 hours in another: plan for the shorter.
    resultUrlTtlSeconds: 3600,
    remix: false,
    cancel: false,
    imageInput: false,
    chargesForModeratedJobs: false,
  };
}

const MODERATION = new Set(['TaskPromptPolicyViolation', 'AuditSubmitIllegal', 'CreationPolicyViolation']);
const BOT_REQUEST = new Set(['BadRequest', 'FieldLacking', 'FieldUnwanted', 'FieldItemCountOutOfRange', 'FieldInvalid', 'PageSizeOutOfRange', 'ImageDownloadFailure', 'ImageFormatInvalid', 'ModelUnavailable']);

/** Vidu's error reasons (https://platform.vidu.com/docs/error-code) as core kinds. */
export function kindForViduReason(reason: string, message = ''): ProviderErrorKind | undefined {
  if (reason === 'CreditInsufficient') return 'quota';
  if (MODERATION.has(reason)) return 'moderation';
  if (reason === 'QuotaExceeded' || reason === 'TooManyRequests' || reason === 'SystemThrottling') return 'rate_limit';
  if (reason === 'Unauthorized' || reason === 'Forbidden') return 'auth';
  // A stored subject Vidu no longer knows: the core recreates it once.
  if ((reason === 'FieldInvalid' || reason === 'NotFound') && /server_id|subject/i.test(message)) return 'binding_missing';
  if (BOT_REQUEST.has(reason)) return 'rejected_request';
  if (reason === 'TaskNotFound' || reason === 'CreationNotFound' || reason === 'NotFound') return 'not_found';
  if (reason === 'InternalServiceFailure' || reason === 'OperationInProcess') return 'transient';
  return undefined;
}

export function classifyViduError(_status: number, body: unknown): { kind: ProviderErrorKind; code: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { reason, code, message } = body as { reason?: unknown; code?: unknown; message?: unknown };
  const name = typeof reason === 'string' ? reason : typeof code === 'string' ? code : undefined;
  if (!name || !/^[A-Za-z]{1,64}$/.test(name)) return undefined;
  const kind = kindForViduReason(name, typeof message === 'string' ? message : '');
  return kind ? { kind, code: name } : undefined;
}

const createdTask = z.object({ task_id: z.string().min(1), state: z.string().optional() });
const creations = z.object({
  state: z.string(),
  err_code: z.string().nullish(),
  creations: z.array(z.object({ url: z.string().url() })).nullish(),
});

export function createViduBackend(options: ViduBackendOptions): ViduBackend {
  const id = options.id ?? 'vidu';
  const log = options.logger.child({ backend: id });
  const model = options.model ?? 'viduq2';
  const maxSubjects = options.maxSubjects ?? 7;
  const capabilities = viduCapabilities(applyPriceOverride(VIDU_DEFAULT_PRICE, options.priceOverrides), maxSubjects, options.displayName);
  const http = backendHttp(options, { backend: id, baseUrl: options.apiUrl, authHeaders: { authorization: `Token ${options.apiKey}` }, classify: classifyViduError });
  const videoUrls = new Map<string, string>();
  const invalid = (message: string) => new ProviderError({ kind: 'invalid_input', backend: id, message: `${id}: ${message}` });

  const submit = async (request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }> => {
    if (request.remixOfProviderJobId !== undefined) throw invalid('this backend cannot remix');
    if (request.imagePath !== undefined) throw invalid('this backend takes no starting image');
    if (request.characters.length > maxSubjects) throw invalid(`at most ${maxSubjects} subjects per video`);
    const subjects = request.characters.map((c, i) => {
      if (c.binding.kind !== 'element') throw invalid('characters need a stored subject on this backend');
      // Named by position: the rendered prompt says `@1`, `@2`, … for characters[0], characters[1], ….
      return { name: String(i + 1), server_id: c.binding.id };
    });
    const shared = {
      model,
      prompt: request.prompt,
      // An integer, and 720p or 1080p as asked.
      duration: request.seconds,
      aspect_ratio: request.orientation === 'portrait' ? '9:16' : '16:9',
      resolution: request.resolution,
      // Vidu has no idempotency key; the payload carries ours back for the log.
      payload: request.idempotencyKey,
    };
    const task = await http.json(createdTask, {
      method: 'POST',
      path: subjects.length > 0 ? '/ent/v2/reference2video' : '/ent/v2/text2video',
      operation: subjects.length > 0 ? 'reference2video.create' : 'text2video.create',
      json: subjects.length > 0 ? { ...shared, subjects, audio: false } : shared,
      ...(signal && { signal }),
    });
    log.debug({ jobId: request.jobId, providerJobId: task.task_id }, 'task submitted');
    return { providerJobId: task.task_id };
  };

  const status = async (providerJobId: string, signal?: AbortSignal): Promise<ProviderStatus> => {
    const task = await http.json(creations, { method: 'GET', path: `/ent/v2/tasks/${encodeURIComponent(providerJobId)}/creations`, operation: 'tasks.creations', ...(signal && { signal }) });
    const none = { progress: undefined, queuePosition: undefined, error: undefined, seconds: undefined };
    switch (task.state) {
      case 'created':
      case 'queueing':
        return { ...none, state: 'queued' };
      case 'success': {
        const url = task.creations?.[0]?.url;
        if (!url) return { ...none, state: 'running', progress: 99 };
        videoUrls.set(providerJobId, url);
        return { ...none, state: 'completed', progress: 100 };
      }
      case 'failed': {
        const code = task.err_code ?? '';
        log.debug({ providerJobId, code }, 'task failed');
        return { ...none, state: 'failed', error: new ProviderError({ kind: kindForViduReason(code) ?? 'transient', backend: id, message: `${id}: task ${providerJobId} failed`, ...(code && { providerCode: code }) }) };
      }
      default:
        return { ...none, state: 'running' };
    }
  };

  const openResult = async (providerJobId: string, signal?: AbortSignal): Promise<ResultStream> => {
    let url = videoUrls.get(providerJobId);
    if (!url) {
      const s = await status(providerJobId, signal);
      url = videoUrls.get(providerJobId);
      if (!url) throw s.error ?? new ProviderError({ kind: 'expired', backend: id, message: `${id}: task ${providerJobId} has no video` });
    }
    return downloadResult(http, options, url, { signal });
  };

  const createCharacter = async (source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding> => {
    if (source.frames.length === 0) throw invalid('a subject needs frames cut from the character’s clip');
    const images = await Promise.all(source.frames.slice(0, 3).map((path) => imageDataUri(path)));
    // Only viduq2-pro takes a subject video (one of up to 5 s), and only as a URL Vidu can fetch.
    const videos = model === 'viduq2-pro' && source.clipUrl ? [source.clipUrl] : undefined;
    const subject = await http.json(z.object({ id: z.union([z.string().min(1), z.number()]) }), {
      method: 'POST',
      path: '/ent/v2/subjects',
      operation: 'subjects.create',
      json: { name: source.name.slice(0, 64), images, ...(videos && { videos }) },
      ...(signal && { signal }),
    });
    log.info({ subjectId: String(subject.id) }, 'subject created');
    return { kind: 'element', id: String(subject.id), createdAt: options.clock.now() };
  };

  const deleteCharacter = async (binding: CharacterBinding): Promise<void> => {
    if (binding.kind !== 'element') return;
    try {
      // *Unconfirmed* endpoint: Vidu publishes create, list and edit; this is the edit path with DELETE.
      await http.json(z.unknown(), { method: 'DELETE', path: `/ent/v2/subjects/${encodeURIComponent(binding.id)}`, operation: 'subjects.delete' });
    } catch (error) {
      if (error instanceof ProviderError && (error.kind === 'not_found' || error.kind === 'binding_missing')) return;
      throw error;
    }
  };

  return { id, capabilities, submit, status, openResult, createCharacter, deleteCharacter, close: () => http.close() };
}
