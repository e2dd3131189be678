/**
 * fal.ai's queue API (https://docs.fal.ai/model-apis/model-endpoints/queue), one backend per reference-to-video
 * model (src/backends/fal-models.ts):
 *   submit  POST {queue}/{model_id}[?fal_webhook=URL] → {request_id}
 *   status  GET  {queue}/{owner}/{app}/requests/{id}/status?logs=1 → IN_QUEUE | IN_PROGRESS | COMPLETED
 *   result  GET  {queue}/{owner}/{app}/requests/{id}
 *   cancel  PUT  {queue}/{owner}/{app}/requests/{id}/cancel
 * Completion arrives by webhook (verified in src/webhooks/fal.ts); the core
 * keeps polling slowly as a safety net. Errors are read in fal's own words
 * (src/backends/fal-errors.ts). Each submit asks fal to keep its result files
 * only as long as the bot may need them, with `X-Fal-Object-Lifecycle-Preference`
 * (fal-js `libs/client/src/storage.ts`, read 2026-12-02).
 */
import { z } from 'zod';
import { ProviderError } from '../core/errors.js';
import type { Backend, GenerationRequest, ProviderStatus, ResultStream } from '../core/ports.js';
import type { BackendCapabilities, PriceModel } from '../core/capabilities.js';
import { RESOLUTIONS, type Orientation, type Resolution } from '../core/types.js';
import { falClassifier } from './fal-errors.js';
import { falPriceTable, type FalModel } from './fal-models.js';
import { applyPriceOverride } from '../core/pricing.js';
import { backendHttp, downloadFreshest, downloadResult, type BackendHttpOptions } from './http/backend.js';
import type { ProviderHttp } from './http/client.js';
import { kindForProviderCode, providerCodeFromBody } from './http/errors.js';
import { framesOf, imageDataUri, pooledFrames } from './reference-frames.js';

export interface FalBackendOptions extends BackendHttpOptions {
  model: FalModel;
  /** `https://queue.fal.run`, or the simulator's `/fal` base. */
  queueUrl: string;
  apiKey: string;
  /**
   * How long fal keeps a result file (sent as `expiration_duration_seconds`); default one day:
   * the bot copies each result as soon as it completes, so a day covers any restart.
   */
  resultUrlTtlSeconds?: number;
}

export type FalBackend = Backend & {
  readonly model: FalModel;
  /** Which webhook signature this backend's callbacks carry. */
  readonly webhookProtocol: 'fal';
  cancel(providerJobId: string): Promise<void>;
  close(): Promise<void>;
};

export function falBackendId(model: FalModel): string {
  return `fal-${model.key}`;
}

export function falCapabilities(model: FalModel, price: PriceModel, displayName?: string, resultUrlTtlSeconds = 86_400): BackendCapabilities {
  return {
    displayName: displayName ?? model.displayName,
    provider: 'fal',
    statusNote: model.statusNote,
    // A paid platform with an SLA, but models come and go: after the first-party APIs.
    stabilityRank: 2,
    characters: { binding: 'reference-images', max: model.maxCharacters, mention: model.mention },
    seconds: [...model.seconds].sort((a, b) => a - b),
    sizes: { landscape: sizesOf(model, 'landscape'), portrait: sizesOf(model, 'portrait') },
    price,
    // IN_QUEUE carries `queue_position`; IN_PROGRESS carries logs, sometimes with a percentage.
    progress: 'queue-position',
    // fal publishes no render time per model; two minutes is the bot's own figure, shown only as an estimate.
    typicalRenderSeconds: 120,
    completion: 'webhook',
    resultUrlTtlSeconds,
    remix: false,
    cancel: true,
    imageInput: false,
    // fal bills successful requests; a content-policy rejection is not charged.
    chargesForModeratedJobs: false,
  };
}

function sizesOf(model: FalModel, orientation: Orientation): Partial<Record<Resolution, string>> {
  const sizes: Partial<Record<Resolution, string>> = {};
  for (const resolution of RESOLUTIONS) {
    const size = model.tiers[resolution]?.[orientation];
    if (size) sizes[resolution] = size;
  }
  return sizes;
}

const submittedSchema = z.object({
  request_id: z.string().min(1),
  status_url: z.string().nullish(),
  response_url: z.string().nullish(),
  cancel_url: z.string().nullish(),
});

const statusSchema = z.object({
  status: z.string().min(1),
  queue_position: z.number().int().nonnegative().nullish(),
  logs: z.array(z.object({ message: z.string() }).passthrough()).nullish(),
  error: z.unknown().optional(),
  error_type: z.string().nullish(),
});

export const falVideoResultSchema = z.object({
  video: z.object({ url: z.string().url(), content_type: z.string().nullish(), file_size: z.number().nullish() }),
});

const cancelSchema = z.object({ status: z.string().nullish() }).passthrough();

/** The app part of a model id: status and result live under `{owner}/{app}`, not under the full model path. */
export function falAppPath(endpoint: string): string {
  return endpoint.split('/').slice(0, 2).join('/');
}

/** A percentage in fal's progress logs ("Generating... 42%"), when the model writes one. */
export function progressFromLogs(logs: { message: string }[] | null | undefined): number | undefined {
  if (!logs) return undefined;
  for (let i = logs.length - 1; i >= 0; i--) {
    const m = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(logs[i]!.message);
    if (m) return Math.max(0, Math.min(100, Math.round(Number(m[1]))));
  }
  return undefined;
}

export function createFalBackend(options: FalBackendOptions): FalBackend {
  const { model } = options;
  const id = falBackendId(model);
  const log = options.logger.child({ backend: id });
  const capabilities = falCapabilities(
    model,
    applyPriceOverride({ kind: 'per-second', microsPerSecond: falPriceTable(model) }, options.priceOverrides),
    options.displayName,
    options.resultUrlTtlSeconds,
  );
  const http: ProviderHttp = backendHttp(options, {
    backend: id,
    baseUrl: options.queueUrl,
    // fal's scheme is `Key`, not `Bearer`.
    authHeaders: { authorization: `Key ${options.apiKey}` },
  });
  const app = falAppPath(model.endpoint.standard);
  const requestPath = (requestId: string) => `/${app}/requests/${encodeURIComponent(requestId)}`;
  const resultUrls = new Map<string, string>();
  const lifecycle = JSON.stringify({ expiration_duration_seconds: capabilities.resultUrlTtlSeconds });
  const classify = (operation: string, userChose?: GenerationRequest['userChose']) => falClassifier({ backend: id, logger: log, operation, userChose });

  const invalid = (message: string) => new ProviderError({ kind: 'invalid_input', backend: id, message: `${id}: ${message}` });

  const duration = (seconds: number): string | number =>
    model.durationFormat === 'number' ? seconds : model.durationFormat === 'seconds-suffix' ? `${seconds}s` : String(seconds);

  const referenceInput = async (request: GenerationRequest): Promise<Record<string, unknown>> => {
    if (request.characters.length === 0) return {};
    if (request.characters.length > model.maxCharacters) throw invalid(`at most ${model.maxCharacters} characters per video`);
    const frames = framesOf(id, request.characters);
    const { style, field, maxImages } = model.references;
    if (style === 'elements') {
      // One element per character, in tag order: characters[0] is `@Element1`.
      const elements = await Promise.all(
        frames.map(async (f) => ({
          frontal_image_url: await imageDataUri(f.frontal),
          reference_image_urls: await Promise.all((f.references.length > 0 ? f.references : [f.frontal]).slice(0, 3).map(imageDataUri)),
        })),
      );
      return { [field]: elements };
    }
    if (style === 'frontal-images') {
      // One image per character, so `@Image{n}` names character n.
      return { [field]: await Promise.all(frames.slice(0, maxImages).map((f) => imageDataUri(f.frontal))) };
    }
    return { [field]: await Promise.all(pooledFrames(frames, maxImages).map(imageDataUri)) };
  };

  const submit = async (request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }> => {
    if (request.remixOfProviderJobId !== undefined) throw invalid('this backend cannot remix');
    if (request.imagePath !== undefined) throw invalid('this backend takes no starting image');
    const withoutReferences = request.characters.length === 0 && model.endpoint.withoutReferences !== undefined;
    const tier = model.tiers[request.resolution];
    if (!tier) throw invalid(`no ${request.resolution} output`);
    const endpoint = withoutReferences ? model.endpoint.withoutReferences! : (tier.endpoint ?? model.endpoint.standard);
    const input = {
      ...model.extraInput,
      prompt: request.prompt,
      duration: duration(request.seconds),
      aspect_ratio: request.orientation === 'portrait' ? '9:16' : '16:9',
      ...(model.sendsResolution && { resolution: request.resolution }),
      // Sent every time: the models' defaults differ (Veo and Seedance on, Kling O3 off) and the price follows it.
      ...(model.audioField !== undefined && { [model.audioField]: request.audio === 'on' }),
      ...(await referenceInput(request)),
    };
    const submitted = await http.json(submittedSchema, {
      method: 'POST',
      path: `/${endpoint}`,
      operation: 'queue.submit',
      json: input,
      headers: { 'x-fal-object-lifecycle-preference': lifecycle },
      refine: classify('queue.submit', request.userChose),
      // fal documents no idempotency key, so a submit is never retried (a retry could bill a second video).
      ...(request.webhookUrl !== undefined && { query: { fal_webhook: request.webhookUrl } }),
      ...(signal && { signal }),
    });
    log.debug({ jobId: request.jobId, providerJobId: submitted.request_id, endpoint }, 'request queued');
    return { providerJobId: submitted.request_id };
  };

  /**
   * Reads the finished request's output; a failed request answers its error here (a 422
   * `content_policy_violation`, or a request-level `{detail, error_type}`). `onRetryable` hears
   * fal's `X-Fal-Retryable` verdict on the last error answer.
   */
  const readResult = async (providerJobId: string, signal?: AbortSignal, onRetryable?: (retryable: boolean | undefined) => void): Promise<string> => {
    const classifyResult = classify('queue.result');
    const result = await http.json(falVideoResultSchema, {
      method: 'GET',
      path: requestPath(providerJobId),
      operation: 'queue.result',
      refine: (answer) => {
        const verdict = classifyResult(answer);
        onRetryable?.(verdict?.replay);
        return verdict;
      },
      ...(signal && { signal }),
    });
    resultUrls.set(providerJobId, result.video.url);
    return result.video.url;
  };

  const status = async (providerJobId: string, signal?: AbortSignal): Promise<ProviderStatus> => {
    const s = await http.json(statusSchema, {
      method: 'GET',
      path: `${requestPath(providerJobId)}/status`,
      query: { logs: '1' },
      operation: 'queue.status',
      refine: classify('queue.status'),
      ...(signal && { signal }),
    });
    const none = { progress: undefined, queuePosition: undefined, error: undefined, seconds: undefined };
    if (s.status === 'IN_QUEUE') return { ...none, state: 'queued', queuePosition: s.queue_position ?? undefined };
    if (s.status === 'IN_PROGRESS') return { ...none, state: 'running', progress: progressFromLogs(s.logs) };
    if (s.status === 'COMPLETED') {
      let retryable: boolean | undefined;
      try {
        await readResult(providerJobId, signal, (r) => (retryable = r));
        return { ...none, state: 'completed', progress: 100 };
      } catch (error) {
        // COMPLETED only means the worker stopped; the result endpoint says whether it failed, and why.
        // An error answer there (after the HTTP layer's own retries) ends the job, unless fal says
        // `X-Fal-Retryable: true`: polling a finished request again cannot change its answer.
        if (error instanceof ProviderError && error.kind !== 'auth' && error.status !== undefined && retryable !== true) {
          log.warn({ providerJobId, kind: error.kind, code: error.providerCode, status: error.status }, 'completed request has no result');
          return { ...none, state: 'failed', error };
        }
        throw error;
      }
    }
    log.warn({ providerJobId, status: s.status }, 'unknown fal queue status, treating it as running');
    return { ...none, state: 'running' };
  };

  const openResult = (providerJobId: string, signal?: AbortSignal): Promise<ResultStream> =>
    downloadFreshest(
      resultUrls.get(providerJobId),
      () => readResult(providerJobId, signal),
      (url) => downloadResult(http, options, url, { signal }),
    );

  const cancel = async (providerJobId: string): Promise<void> => {
    try {
      await http.json(cancelSchema, { method: 'PUT', path: `${requestPath(providerJobId)}/cancel`, operation: 'queue.cancel' });
    } catch (error) {
      // 400 ALREADY_COMPLETED or 404: nothing left to stop.
      if (error instanceof ProviderError && (error.kind === 'not_found' || error.kind === 'invalid_input' || error.kind === 'rejected_request')) return;
      throw error;
    }
  };

  return { id, capabilities, model, webhookProtocol: 'fal', submit, status, openResult, cancel, close: () => http.close() };
}

/** A fal webhook body (`{request_id, status: OK|ERROR, payload, error}`) as a provider status. */
export function falWebhookStatus(backend: string, body: { status: string; error?: unknown; payload?: unknown }): ProviderStatus {
  const none = { progress: undefined, queuePosition: undefined, error: undefined, seconds: undefined };
  if (body.status === 'OK') return { ...none, state: 'completed', progress: 100 };
  const code = providerCodeFromBody(body.payload) ?? providerCodeFromBody(body);
  const kind = kindForProviderCode(code) ?? 'transient';
  return {
    ...none,
    state: 'failed',
    error: new ProviderError({ kind, backend, message: `${backend}: request failed${code ? ` (${code})` : ''}`, ...(code !== undefined && { providerCode: code }) }),
  };
}
