/**
 * Kling's two video formats, behind one small interface the Kling backend
 * picks from by configuration (KLING_API_FORMAT):
 * - `legacy`: `POST /v1/videos/omni-video` with `element_list:[{element_id}]` (int64 numbers), a string
 *   `duration`, `mode` std|pro; read back with `GET /v1/videos/omni-video/{task_id | external_task_id}`
 *   (https://app.klingai.com/global/dev/document-api/apiReference/model/OmniVideo).
 * - `kling-3.0`: `POST /omni-video/kling-3.0-omni` with `contents[]`, `settings{resolution, duration:int, audio}`
 *   and `options{external_task_id}`; read back with `GET /tasks?task_ids=` (`data[].outputs[].url`).
 *   Seen in relay code (QuantumNous/new-api, read 2026-12-02); the lookup by `external_task_ids` is *unconfirmed*.
 * Both look the task up by `external_task_id` before creating it: Kling refuses a repeated
 * `external_task_id`, so after a crash the task the first attempt made is found instead of resubmitted.
 */
import { z } from 'zod';
import { ProviderError } from '../core/errors.js';
import type { GenerationRequest } from '../core/ports.js';
import type { ProviderHttp } from './http/client.js';

export type KlingApiFormat = 'legacy' | 'kling-3.0';

export interface KlingTaskView {
  state: 'queued' | 'running' | 'completed' | 'failed';
  url: string | undefined;
  seconds: number | undefined;
  message: string;
}

export interface KlingVideoApi {
  /** Returns the task id, creating the task only when no task carries `request.idempotencyKey` yet. */
  submit(request: GenerationRequest, elementIds: string[], signal?: AbortSignal): Promise<string>;
  read(taskId: string, signal?: AbortSignal): Promise<KlingTaskView>;
}

export interface KlingVideoDeps {
  id: string;
  http: ProviderHttp;
  model: string;
  /** Throws the classified ProviderError when `code` is not 0. */
  unwrap<T>(answer: { code: number; data?: T | null | undefined; request_id?: string | null | undefined; message?: string | null | undefined }, operation: string): T;
}

const envelope = <T extends z.ZodType>(data: T) =>
  z.object({ code: z.number(), message: z.string().nullish(), request_id: z.string().nullish(), data: data.nullish() });

const durationOf = (value: string | number | null | undefined): number | undefined => {
  const n = value === undefined || value === null ? Number.NaN : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/**
 * Kling element ids are int64 JSON numbers. Node 20 has no `JSON.rawJSON`, so an id above 2^53 cannot be
 * written as an exact number literal: refuse it rather than send a neighbouring element's id.
 */
export function elementIdNumber(id: string, backend: string): number {
  const n = Number(id);
  if (!/^\d+$/.test(id) || !Number.isSafeInteger(n)) {
    throw new ProviderError({ kind: 'rejected_request', backend, message: `${backend}: element id ${id} is beyond 2^53 and cannot be sent exactly` });
  }
  return n;
}

const legacyTask = z.object({
  task_id: z.string().min(1),
  task_status: z.string().nullish(),
  task_status_msg: z.string().nullish(),
  task_result: z.object({ videos: z.array(z.object({ url: z.string().url(), duration: z.union([z.string(), z.number()]).nullish() })).nullish() }).nullish(),
});

export function legacyVideoApi(deps: KlingVideoDeps): KlingVideoApi {
  const { http, id } = deps;
  const get = async (taskOrExternalId: string, signal?: AbortSignal) =>
    deps.unwrap(
      await http.json(envelope(legacyTask), { method: 'GET', path: `/v1/videos/omni-video/${encodeURIComponent(taskOrExternalId)}`, operation: 'omni-video.get', ...(signal && { signal }) }),
      'omni-video.get',
    );
  return {
    async submit(request, elementIds, signal) {
      try {
        return (await get(request.idempotencyKey, signal)).task_id;
      } catch (error) {
        if (!(error instanceof ProviderError && error.kind === 'not_found')) throw error;
      }
      const answer = await http.json(envelope(legacyTask), {
        method: 'POST',
        path: '/v1/videos/omni-video',
        operation: 'omni-video.create',
        json: {
          model_name: deps.model,
          // Already rendered: characters[n-1] is `<<<element_n>>>`, the n-th entry of element_list.
          prompt: request.prompt,
          ...(elementIds.length > 0 && { element_list: elementIds.map((e) => ({ element_id: elementIdNumber(e, id) })) }),
          mode: request.resolution === '1080p' ? 'pro' : 'std',
          // A string on this endpoint.
          duration: String(request.seconds),
          aspect_ratio: request.orientation === 'portrait' ? '9:16' : '16:9',
          external_task_id: request.idempotencyKey,
        },
        ...(signal && { signal }),
      });
      return deps.unwrap(answer, 'omni-video.create').task_id;
    },
    async read(taskId, signal) {
      const task = await get(taskId, signal);
      const video = task.task_result?.videos?.[0];
      const message = task.task_status_msg ?? '';
      switch (task.task_status) {
        case 'submitted':
          return { state: 'queued', url: undefined, seconds: undefined, message };
        case 'succeed':
          return video ? { state: 'completed', url: video.url, seconds: durationOf(video.duration), message } : { state: 'running', url: undefined, seconds: undefined, message };
        case 'failed':
          return { state: 'failed', url: undefined, seconds: undefined, message };
        default:
          return { state: 'running', url: undefined, seconds: undefined, message };
      }
    },
  };
}

const omni30Task = z.object({
  id: z.string().min(1),
  status: z.string(),
  message: z.string().nullish(),
  outputs: z.array(z.object({ type: z.string(), url: z.string(), duration: z.union([z.string(), z.number()]).nullish() })).nullish(),
});

export function omni30VideoApi(deps: KlingVideoDeps): KlingVideoApi {
  const { http } = deps;
  const list = async (query: Record<string, string>, signal?: AbortSignal) =>
    deps.unwrap(await http.json(envelope(z.array(omni30Task)), { method: 'GET', path: '/tasks', query, operation: 'tasks.get', ...(signal && { signal }) }), 'tasks.get');
  return {
    async submit(request, elementIds, signal) {
      const existing = (await list({ external_task_ids: request.idempotencyKey }, signal))[0];
      if (existing) return existing.id;
      const answer = await http.json(envelope(z.object({ id: z.string().min(1) })), {
        method: 'POST',
        path: '/omni-video/kling-3.0-omni',
        operation: 'omni-video-3.0.create',
        json: {
          contents: [
            { type: 'prompt', text: request.prompt },
            // Content ids `element_n` are what `<<<element_n>>>` in the prompt names.
            ...elementIds.map((e, i) => ({ type: 'element', element_id: e, id: `element_${i + 1}` })),
          ],
          settings: {
            resolution: request.resolution,
            duration: request.seconds,
            // `native` makes sound (priced higher), `off` a silent video.
            audio: request.audio === 'on' ? 'native' : 'off',
            aspect_ratio: request.orientation === 'portrait' ? '9:16' : '16:9',
          },
          options: { external_task_id: request.idempotencyKey },
        },
        ...(signal && { signal }),
      });
      return deps.unwrap(answer, 'omni-video-3.0.create').id;
    },
    async read(taskId, signal) {
      const task = (await list({ task_ids: taskId }, signal)).find((t) => t.id === taskId);
      if (!task) throw new ProviderError({ kind: 'not_found', backend: deps.id, message: `${deps.id}: task ${taskId} is unknown` });
      const message = task.message ?? '';
      const video = task.outputs?.find((o) => o.type === 'video' && o.url);
      switch (task.status) {
        case 'submitted':
          return { state: 'queued', url: undefined, seconds: undefined, message };
        case 'succeeded':
        case 'succeed':
          return video ? { state: 'completed', url: video.url, seconds: durationOf(video.duration), message } : { state: 'running', url: undefined, seconds: undefined, message };
        case 'failed':
          return { state: 'failed', url: undefined, seconds: undefined, message };
        default:
          return { state: 'running', url: undefined, seconds: undefined, message };
      }
    },
  };
}
