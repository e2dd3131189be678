/**
 * Kling's official API (https://app.klingai.com/global/dev/document-api; unconfirmed details in docs/providers.md):
 * - Auth: a short-lived HS256 JWT (`iss` = access key, `exp`, `nbf` = now − 5 s) as a Bearer token, or a
 *   newer direct key (`api-key-kling-…`) sent as the Bearer token itself.
 * - Elements: persistent character ids (int64). Created once from a frontal and 1–3 reference frames,
 *   polled until they carry an `element_id`, stored as the character's binding, deleted with the character.
 * - Video: the legacy omni-video endpoint or the 3.0 omni format (./kling-video.ts), chosen by config.
 * Every answer is wrapped as `{code, message, request_id, data}`; the numeric `code` decides the failure
 * kind on every HTTP status (https://app.klingai.com/global/dev/document-api/protocols/errorCode).
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../core/errors.js';
import type { Backend, CharacterSourceForBackend, GenerationRequest, ProviderStatus, ResultStream } from '../core/ports.js';
import type { BackendCapabilities, PriceModel } from '../core/capabilities.js';
import type { CharacterBinding } from '../core/types.js';
import { applyPriceOverride } from '../core/pricing.js';
import { backendHttp, downloadResult, type BackendHttpOptions } from './http/backend.js';
import type { ProviderHttp } from './http/client.js';
import { elementIdNumber, legacyVideoApi, omni30VideoApi, type KlingApiFormat } from './kling-video.js';
import { imageBase64 } from './reference-frames.js';


/** How often an element task is asked about while Kling builds the element. */
export const KLING_ELEMENT_POLL_MS = 3_000;
export type { KlingApiFormat } from './kling-video.js';

export interface KlingBackendOptions extends BackendHttpOptions {
  id?: string;
  /** `https://api-singapore.klingai.com`, or the simulator's `/kling` base. */
  apiUrl: string;
  /** Legacy key pair: a JWT is cut from it. */
  accessKey?: string;
  secretKey?: string;
  /** A direct key (`api-key-kling-…`), sent as the Bearer token; wins over the key pair. */
  apiKey?: string;
  /** Which video endpoint to speak (default `legacy`). */
  apiFormat?: KlingApiFormat;
  /** Default `kling-v3-omni` (legacy format only; the 3.0 format names its model in the path). */
  model?: string;
  /** Most elements per video; Kling allows images + elements ≤ 7. */
  maxElements?: number;
  /** How often to look at an element task, and for how long, before giving up. */
  elementPollMs?: number;
  elementTimeoutMs?: number;
}

export type KlingBackend = Backend & {
  createCharacter(source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding>;
  deleteCharacter(binding: CharacterBinding): Promise<void>;
  close(): Promise<void>;
};

/**
 * About $0.084/s in std mode (720p) and $0.112/s in pro (1080p) silent, $0.112 and $0.168 with sound:
 * fal's Kling O3 prices, unconfirmed on Kling's own page (override with PRICE_OVERRIDES). Only the 3.0
 * format has a sound switch (`settings.audio`); the legacy omni-video body documents none, so the
 * legacy format is declared silent only.
 */
export function klingDefaultPrice(format: KlingApiFormat): PriceModel {
  if (format === 'kling-3.0') return { kind: 'per-second', microsPerSecond: { '720p': { off: 84_000, on: 112_000 }, '1080p': { off: 112_000, on: 168_000 } } };
  return { kind: 'per-second', microsPerSecond: { '720p': { off: 84_000 }, '1080p': { off: 112_000 } } };
}

export function klingCapabilities(price: PriceModel, maxElements: number, displayName = 'Kling 3.0 Omni (official API)'): BackendCapabilities {
  return {
    displayName,
    statusNote: 'Live: Kling’s official API with persistent elements (character ids that outlive any one video); prices unconfirmed.',
    stabilityRank: 1,
    characters: { binding: 'element', max: maxElements, mention: { kind: 'indexed', template: '<<<element_{n}>>>' } },
    seconds: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    // `mode` std makes 720p and pro 1080p (legacy); the 3.0 format names the resolution.
    sizes: { landscape: { '720p': '1280x720', '1080p': '1920x1080' }, portrait: { '720p': '720x1280', '1080p': '1080x1920' } },
    price,
    progress: 'none',
    // Kling publishes no render time; three minutes is the bot's own figure, shown only as an estimate.
    typicalRenderSeconds: 180,
    completion: 'poll',
    // Kling keeps generated videos for 30 days.
    resultUrlTtlSeconds: 30 * 86_400,
    remix: false,
    cancel: false,
    imageInput: false,
    chargesForModeratedJobs: false,
  };
}

const envelope = <T extends z.ZodType>(data: T) =>
  z.object({ code: z.number(), message: z.string().nullish(), request_id: z.string().nullish(), data: data.nullish() });

const elementTask = z.object({
  task_id: z.string().min(1),
  task_status: z.string().nullish(),
  task_status_msg: z.string().nullish(),
  task_result: z
    .object({
      element_id: z.union([z.string(), z.number()]).nullish(),
      elements: z.array(z.object({ element_id: z.union([z.string(), z.number()]) })).nullish(),
    })
    .nullish(),
});

/**
 * Kling's business codes (documented error table). 1100–1102 (arrears, resource pack used up) arrive with
 * HTTP 429 but are quota, never a rate limit; 1301 (content) arrives with HTTP 400 and is moderation.
 * A parameter error that names an element means the element is gone: the core recreates it once.
 */
export function kindForKlingCode(code: number, message = ''): ProviderErrorKind | undefined {
  if (code >= 1000 && code <= 1004) return 'auth';
  if (code === 1100 || code === 1101 || code === 1102) return 'quota';
  if (code === 1103) return 'auth';
  if ((code === 1201 || code === 1203) && /element/i.test(message) && !/external_task_id/i.test(message)) return 'binding_missing';
  if (code >= 1200 && code <= 1202) return 'rejected_request';
  if (code === 1203) return 'not_found';
  if (code === 1300 || code === 1301) return 'moderation';
  if (code >= 1302 && code <= 1304) return 'rate_limit';
  if (code >= 5000 && code <= 5002) return 'transient';
  return undefined;
}

/** Reads `{code, message}` from any Kling error body, whatever the HTTP status. */
export function classifyKlingError(_status: number, body: unknown): { kind: ProviderErrorKind; code: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { code, message } = body as { code?: unknown; message?: unknown };
  const numeric = typeof code === 'number' ? code : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : undefined;
  if (numeric === undefined) return undefined;
  const kind = kindForKlingCode(numeric, typeof message === 'string' ? message : '');
  return kind ? { kind, code: String(numeric) } : undefined;
}

/** Task failures come as free text in `task_status_msg`; risk-control wording means moderation. */
export function kindForKlingFailure(message: string): ProviderErrorKind {
  if (/risk|content|security|sensitive|policy|violat|moderat/i.test(message)) return 'moderation';
  if (/balance|credit|quota|arrear|resource pack/i.test(message)) return 'quota';
  if (/param|invalid|unsupported/i.test(message)) return 'rejected_request';
  return 'transient';
}

/** An HS256 JWT signed with node:crypto: Kling needs nothing more than iss/exp/nbf. */
export function klingJwt(accessKey: string, secretKey: string, nowMs: number, lifetimeSeconds = 1800): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(nowMs / 1000);
  // nbf 5 s in the past tolerates clock skew, as Kling's own sample code does.
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: accessKey, exp: now + lifetimeSeconds, nbf: now - 5 })}`;
  return `${unsigned}.${createHmac('sha256', secretKey).update(unsigned).digest('base64url')}`;
}

function bearerSource(options: KlingBackendOptions): () => string {
  if (options.apiKey) {
    const direct = `Bearer ${options.apiKey}`;
    return () => direct;
  }
  const { accessKey, secretKey } = options;
  if (!accessKey || !secretKey) throw new Error('Kling needs KLING_API_KEY, or both KLING_ACCESS_KEY and KLING_SECRET_KEY.');
  // Tokens live 30 minutes (the most Kling allows); a new one is cut 5 minutes before the old one ends.
  let token: { value: string; until: number } | undefined;
  return () => {
    const now = options.clock.now();
    if (!token || now >= token.until) token = { value: klingJwt(accessKey, secretKey, now), until: now + 25 * 60_000 };
    return `Bearer ${token.value}`;
  };
}

export function createKlingBackend(options: KlingBackendOptions): KlingBackend {
  const id = options.id ?? 'kling';
  const log = options.logger.child({ backend: id });
  const maxElements = options.maxElements ?? 7;
  const capabilities = klingCapabilities(applyPriceOverride(klingDefaultPrice(options.apiFormat ?? 'legacy'), options.priceOverrides), maxElements, options.displayName);
  const clock = options.clock;
  const pollMs = options.elementPollMs ?? KLING_ELEMENT_POLL_MS;
  const timeoutMs = options.elementTimeoutMs ?? 10 * 60_000;
  // The HTTP layer copies auth headers per request; an enumerable getter makes that copy a fresh JWT.
  const authHeaders = {} as Record<string, string>;
  Object.defineProperty(authHeaders, 'authorization', { enumerable: true, get: bearerSource(options) });

  const http: ProviderHttp = backendHttp(options, { backend: id, baseUrl: options.apiUrl, authHeaders, classify: classifyKlingError });
  const videoUrls = new Map<string, string>();
  const invalid = (message: string) => new ProviderError({ kind: 'invalid_input', backend: id, message: `${id}: ${message}` });

  /** A 200 with a non-zero code is still a failure, classified by the same table. */
  const unwrap = <T>(answer: { code: number; data?: T | null | undefined; request_id?: string | null | undefined; message?: string | null | undefined }, operation: string): T => {
    if (answer.code !== 0 || answer.data === undefined || answer.data === null) {
      const kind = answer.code === 0 ? 'transient' : (kindForKlingCode(answer.code, answer.message ?? '') ?? 'transient');
      throw new ProviderError({
        kind,
        backend: id,
        message: `${id} ${operation}: code ${answer.code}`,
        providerCode: String(answer.code),
        ...(answer.request_id && { requestId: answer.request_id }),
      });
    }
    return answer.data;
  };

  const deps = { id, http, model: options.model ?? 'kling-v3-omni', unwrap };
  const video = options.apiFormat === 'kling-3.0' ? omni30VideoApi(deps) : legacyVideoApi(deps);

  const submit = async (request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }> => {
    if (request.remixOfProviderJobId !== undefined) throw invalid('this backend cannot remix');
    if (request.imagePath !== undefined) throw invalid('this backend takes no starting image');
    if (request.characters.length > maxElements) throw invalid(`at most ${maxElements} elements per video`);
    const elementIds = request.characters.map((c) => {
      if (c.binding.kind !== 'element') throw invalid('characters need an element binding on this backend');
      return c.binding.id;
    });
    const taskId = await video.submit(request, elementIds, signal);
    log.debug({ jobId: request.jobId, providerJobId: taskId }, 'task submitted');
    return { providerJobId: taskId };
  };

  const status = async (providerJobId: string, signal?: AbortSignal): Promise<ProviderStatus> => {
    const task = await video.read(providerJobId, signal);
    const none = { progress: undefined, queuePosition: undefined, error: undefined, seconds: undefined };
    if (task.state === 'completed' && task.url) {
      videoUrls.set(providerJobId, task.url);
      return { ...none, state: 'completed', progress: 100, seconds: task.seconds };
    }
    if (task.state === 'failed') {
      log.debug({ providerJobId, message: task.message.slice(0, 300) }, 'task failed');
      return { ...none, state: 'failed', error: new ProviderError({ kind: kindForKlingFailure(task.message), backend: id, message: `${id}: task ${providerJobId} failed` }) };
    }
    return { ...none, state: task.state === 'queued' ? 'queued' : 'running' };
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

  /** Element ids are int64: kept as decimal strings, and refused when JSON already rounded them. */
  const elementIdOf = (task: z.infer<typeof elementTask>): string | undefined => {
    const raw = task.task_result?.element_id ?? task.task_result?.elements?.[0]?.element_id;
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'number' && !Number.isSafeInteger(raw)) {
      throw new ProviderError({ kind: 'transient', backend: id, message: `${id}: element id ${raw} is beyond 2^53 and was rounded in transit` });
    }
    return String(raw);
  };

  const createCharacter = async (source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding> => {
    const [frontal, ...rest] = source.frames;
    if (!frontal) throw invalid('an element needs a frontal frame cut from the character’s clip');
    // Kling wants 1 frontal + 1–3 reference images; a clip that gave one frame lends it to both.
    const references = (rest.length > 0 ? rest : [frontal]).slice(0, 3);
    const encode = async (path: string) => (await imageBase64(path)).data;
    const answer = await http.json(envelope(elementTask), {
      method: 'POST',
      path: '/v1/general/advanced-custom-elements',
      operation: 'elements.create',
      json: {
        // Element names are limited to 20 characters.
        element_name: source.name.slice(0, 20),
        element_description: source.description.slice(0, 100) || source.name.slice(0, 20),
        reference_type: 'image_refer',
        element_image_list: { frontal_image: await encode(frontal), refer_images: await Promise.all(references.map(async (p) => ({ image_url: await encode(p) }))) },
      },
      ...(signal && { signal }),
    });
    const created = unwrap(answer, 'elements.create');
    const started = clock.now();
    for (let task = created; ; ) {
      const elementId = elementIdOf(task);
      if (task.task_status === 'succeed' && elementId) {
        log.info({ elementId }, 'element ready');
        return { kind: 'element', id: elementId, createdAt: clock.now() };
      }
      if (task.task_status === 'failed') {
        throw new ProviderError({ kind: kindForKlingFailure(task.task_status_msg ?? ''), backend: id, message: `${id}: element task ${created.task_id} failed` });
      }
      if (clock.now() - started >= timeoutMs) {
        throw new ProviderError({ kind: 'transient', backend: id, message: `${id}: element task ${created.task_id} did not finish in time` });
      }
      await clock.sleep(pollMs, signal);
      task = unwrap(
        await http.json(envelope(elementTask), { method: 'GET', path: `/v1/general/advanced-custom-elements/${encodeURIComponent(created.task_id)}`, operation: 'elements.get', ...(signal && { signal }) }),
        'elements.get',
      );
    }
  };

  const deleteCharacter = async (binding: CharacterBinding): Promise<void> => {
    if (binding.kind !== 'element') return;
    try {
      const answer = await http.json(envelope(z.unknown()), {
        method: 'POST',
        path: '/v1/general/delete-elements',
        operation: 'elements.delete',
        json: { element_id: elementIdNumber(binding.id, id) },
      });
      if (answer.code !== 0) unwrap({ ...answer, data: undefined }, 'elements.delete');
    } catch (error) {
      // Already gone on Kling's side: the deletion has happened.
      if (error instanceof ProviderError && (error.kind === 'not_found' || error.kind === 'binding_missing')) return;
      throw error;
    }
  };

  return { id, capabilities, submit, status, openResult, createCharacter, deleteCharacter, close: () => http.close() };
}
