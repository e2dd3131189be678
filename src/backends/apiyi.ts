/**
 * The character API described in the seed document (docs/providers.md: no published spec exists): a
 * reseller's Sora wrapper with `@char_id` tags in the prompt, priced per
 * video. Its real-world copies never agreed on URLs or auth, so the base URL,
 * the auth header and scheme, every path and the allowed durations are
 * configuration. The resellers stopped with Sora on 2026-09-24; the backend
 * stays for gateways that still serve this shape.
 */
import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../core/errors.js';
import type { Backend, CharacterSourceForBackend, GenerationRequest, ProviderStatus, ResultStream } from '../core/ports.js';
import type { BackendCapabilities, PriceModel } from '../core/capabilities.js';
import type { CharacterBinding } from '../core/types.js';
import { applyPriceOverride } from '../core/pricing.js';
import { backendHttp, downloadFreshest, downloadResult, type BackendHttpOptions } from './http/backend.js';
import type { ProviderHttp } from './http/client.js';

export interface ApiyiPaths {
  characters: string;
  extract: string;
  generate: string;
  /** `{task_id}` is replaced with the (URL-encoded) task id. */
  task: string;
}

export const APIYI_DEFAULT_PATHS: ApiyiPaths = {
  characters: '/sora/characters',
  extract: '/sora/characters/extract',
  generate: '/sora/generate',
  task: '/sora/tasks/{task_id}',
};

export interface ApiyiBackendOptions extends BackendHttpOptions {
  /** Default `apiyi`. */
  id?: string;
  baseUrl: string;
  apiKey: string;
  /** Header that carries the key (default `authorization`). */
  authHeader?: string;
  /** Written before the key (default `Bearer`; empty string sends the bare key). */
  authScheme?: string;
  paths?: Partial<ApiyiPaths>;
  /** Durations the service accepts (default the seed's reseller durations, 10 and 15 s). */
  seconds?: number[];
  /** Unconfirmed for resellers; default 3600. */
  resultUrlTtlSeconds?: number;
}

export type ApiyiBackend = Backend & {
  createCharacter(source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding>;
  close(): Promise<void>;
};

/** "About $0.12 per video regardless of length" (the seed), at 720p; Sora videos come with sound, with no switch for it. */
export const APIYI_DEFAULT_PRICE: PriceModel = { kind: 'per-video', micros: { '720p': { on: 120_000 } } };

export function apiyiCapabilities(options: {
  price: PriceModel;
  seconds: number[];
  resultUrlTtlSeconds: number;
  displayName?: string;
}): BackendCapabilities {
  return {
    displayName: options.displayName ?? 'Sora character API (reseller shape)',
    statusNote:
      'Reverse-engineered Sora resellers stopped with Sora on 2026-09-24; kept for gateways that still serve this request shape.',
    // Resellers: no SLA, accounts expire, 429s after a handful of videos.
    stabilityRank: 5,
    characters: { binding: 'provider-character', max: 2, mention: { kind: 'binding-id', template: '@{id}' }, needsFetchableClip: true },
    seconds: [...options.seconds].sort((a, b) => a - b),
    sizes: { landscape: { '720p': '1280x720' }, portrait: { '720p': '720x1280' } },
    price: options.price,
    progress: 'percent',
    completion: 'poll',
    resultUrlTtlSeconds: options.resultUrlTtlSeconds,
    remix: false,
    cancel: false,
    imageInput: false,
    // Priced per request: the fee is kept when the output is blocked.
    chargesForModeratedJobs: true,
  };
}

const taskCreatedSchema = z.object({ task_id: z.string().min(1) });

const taskSchema = z.object({
  status: z.string().min(1),
  video_url: z.string().url().nullish(),
  // Free text in the seed; some copies send {message, code}.
  error: z.union([z.string(), z.object({ message: z.string().nullish(), code: z.string().nullish() })]).nullish(),
  progress: z.union([z.number(), z.string()]).nullish(),
});

const characterCreatedSchema = z.object({ character_id: z.string().min(1) });

type Task = z.infer<typeof taskSchema>;

/**
 * Resellers report failures as text. Content-policy words mean moderation;
 * `cameo_permission_denied` (a character its owner did not share) is the
 * request's fault, not the system's; anything else ("heavy load", upstream
 * errors) may work on another try.
 */
export function classifyApiyiFailure(text: string): { kind: ProviderErrorKind; code: string | undefined } {
  if (/cameo_permission_denied/i.test(text)) return { kind: 'invalid_input', code: 'cameo_permission_denied' };
  if (/content|policy|violat|moderat|safety|nsfw/i.test(text)) return { kind: 'moderation', code: 'content_violation' };
  return { kind: 'transient', code: undefined };
}

export function createApiyiBackend(options: ApiyiBackendOptions): ApiyiBackend {
  const id = options.id ?? 'apiyi';
  const log = options.logger.child({ backend: id });
  const paths: ApiyiPaths = { ...APIYI_DEFAULT_PATHS, ...options.paths };
  const scheme = options.authScheme ?? 'Bearer';
  const authHeader = (options.authHeader ?? 'authorization').toLowerCase();
  const capabilities = apiyiCapabilities({
    price: applyPriceOverride(APIYI_DEFAULT_PRICE, options.priceOverrides),
    seconds: options.seconds ?? [10, 15],
    resultUrlTtlSeconds: options.resultUrlTtlSeconds ?? 3600,
    ...(options.displayName !== undefined && { displayName: options.displayName }),
  });
  const http: ProviderHttp = backendHttp(options, {
    backend: id,
    baseUrl: options.baseUrl,
    authHeaders: { [authHeader]: scheme ? `${scheme} ${options.apiKey}` : options.apiKey },
  });
  /** Last result URL seen per task, so a download right after a status poll costs no extra request. */
  const resultUrls = new Map<string, string>();

  /** A request the router should never have sent here: the bot's problem, not the user's. */
  const unfit = (message: string): ProviderError => new ProviderError({ kind: 'rejected_request', backend: id, message: `${id}: ${message}` });

  const taskPath = (taskId: string): string => paths.task.replace('{task_id}', encodeURIComponent(taskId));

  const readTask = (taskId: string, signal?: AbortSignal): Promise<Task> =>
    http.json(taskSchema, { method: 'GET', path: taskPath(taskId), operation: 'tasks.get', ...(signal && { signal }) });

  const submit = async (request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }> => {
    if (request.remixOfProviderJobId !== undefined) throw unfit('this backend cannot remix');
    if (request.imagePath !== undefined) throw unfit('this backend takes no input image');
    if (request.characters.some((c) => c.binding.kind !== 'provider-character')) {
      throw unfit('characters need a provider-character binding on this backend');
    }
    const created = await http.json(taskCreatedSchema, {
      method: 'POST',
      path: paths.generate,
      operation: 'generate',
      // The prompt already carries the `@char_…` tags; the seed sends nothing else about characters.
      json: { prompt: request.prompt, duration: request.seconds, size: request.size, orientation: request.orientation },
      // Not part of the seed's shape; gateways that ignore it lose nothing, and it lets a retried submit stay single.
      idempotencyKey: request.idempotencyKey,
      ...(signal && { signal }),
    });
    log.debug({ jobId: request.jobId, providerJobId: created.task_id }, 'task submitted');
    return { providerJobId: created.task_id };
  };

  const status = async (providerJobId: string, signal?: AbortSignal): Promise<ProviderStatus> => {
    const task = await readTask(providerJobId, signal);
    const progress = parseProgress(task.progress);
    const state = task.status.toLowerCase();
    if (state === 'completed' || state === 'succeeded' || state === 'success') {
      if (task.video_url) {
        resultUrls.set(providerJobId, task.video_url);
        return { state: 'completed', progress: 100, queuePosition: undefined, error: undefined, seconds: undefined };
      }
      // Done without a link: resellers fill the URL in a moment later; keep polling.
      log.warn({ providerJobId }, 'task completed without a video_url; polling on');
      return { state: 'running', progress: progress ?? 99, queuePosition: undefined, error: undefined, seconds: undefined };
    }
    if (state === 'failed' || state === 'error') {
      const text = typeof task.error === 'string' ? task.error : [task.error?.code, task.error?.message].filter(Boolean).join(': ');
      const { kind, code } = classifyApiyiFailure(text);
      log.debug({ providerJobId, error: text.slice(0, 500) }, 'task failed');
      const error = new ProviderError({
        kind,
        backend: id,
        message: `${id}: task ${providerJobId} failed${code ? ` (${code})` : ''}`,
        ...(code !== undefined && { providerCode: code }),
      });
      return { state: 'failed', progress, queuePosition: undefined, error, seconds: undefined };
    }
    // The seed documents only completed and failed: anything else is still on its way.
    return { state: 'running', progress, queuePosition: undefined, error: undefined, seconds: undefined };
  };


  const freshUrl = async (providerJobId: string, signal?: AbortSignal): Promise<string> => {
    const task = await readTask(providerJobId, signal);
    if (!task.video_url) {
      throw new ProviderError({ kind: 'expired', backend: id, message: `${id}: task ${providerJobId} has no video_url any more` });
    }
    resultUrls.set(providerJobId, task.video_url);
    return task.video_url;
  };

  // A stale link (signed object-store URLs answer 401/403/404/410) is re-read from the task once.
  const openResult = (providerJobId: string, signal?: AbortSignal): Promise<ResultStream> =>
    downloadFreshest(
      resultUrls.get(providerJobId),
      () => freshUrl(providerJobId, signal),
      (url) => downloadResult(http, options, url, { alsoExpired: [401], signal }),
    );

  const createCharacter = async (source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding> => {
    let created: z.infer<typeof characterCreatedSchema>;
    if (source.providerJobId !== undefined) {
      // An earlier generation on this backend: the provider cuts the character out itself.
      created = await http.json(characterCreatedSchema, {
        method: 'POST',
        path: paths.extract,
        operation: 'characters.extract',
        json: { task_id: source.providerJobId, name: source.name },
        ...(signal && { signal }),
      });
    } else if (source.clipUrl !== undefined) {
      created = await http.json(characterCreatedSchema, {
        method: 'POST',
        path: paths.characters,
        operation: 'characters.create',
        json: { video_url: source.clipUrl, name: source.name, description: source.description },
        ...(signal && { signal }),
      });
    } else {
      throw unfit('a character needs a clip URL the provider can fetch, or an earlier task on this backend');
    }
    return { kind: 'provider-character', id: created.character_id, createdAt: options.clock.now() };
  };

  return { id, capabilities, submit, status, openResult, createCharacter, close: () => http.close() };
}

/** `progress` as 0–100, from a number, `"42"` or `"42%"`. */
function parseProgress(value: number | string | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : Number.parseFloat(value);
  if (!Number.isFinite(n)) return undefined;
  return Math.max(0, Math.min(100, Math.round(n)));
}
