/**
 * fal.ai's queue protocol (https://docs.fal.ai/model-apis/model-endpoints/queue) under `/fal`:
 *   POST /fal/{model_id}[?fal_webhook=URL]          → {request_id, status_url, response_url, cancel_url}
 *   GET  /fal/{owner}/{app}/requests/{id}/status     → IN_QUEUE (queue_position) | IN_PROGRESS (logs) | COMPLETED
 *   GET  /fal/{owner}/{app}/requests/{id}            → {video:{url}} or 422 {detail:[{type}]}
 *   PUT  /fal/{owner}/{app}/requests/{id}/cancel     → 202 | 400 ALREADY_COMPLETED
 *   GET  /fal/.well-known/jwks.json                  → the Ed25519 key webhooks are signed with
 * Auth is `Authorization: Key …`. Webhooks are signed over
 * `request_id\nuser_id\ntimestamp\nsha256hex(body)` with the simulator's key pair.
 *
 * Each submit is validated against the model's published input schema (src/simulator/schemas/fal-*.ts)
 * and refused as fal refuses it: 422 `{detail:[{loc, msg, type}]}`
 * (https://fal.ai/docs/documentation/model-apis/errors). Request-level failures answer
 * `{detail, error_type}` with `X-Fal-Error-Type` (https://fal.ai/docs/documentation/model-apis/request-errors)
 * and `X-Fal-Retryable`.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { HttpFailure, type Context, type SimKit, type SimProtocolModule } from './protocol.js';
import { frameSize, type SimJob } from './jobs.js';
import { createWebhookSender, type WebhookSender } from './webhook-sender.js';
import { falValidationBody } from './schemas/fal-common.js';
import { FAL_MODEL_SCHEMAS } from './schemas/fal.js';

/** A request-level error the result call answers for a COMPLETED request (set by tests). */
export interface FalRequestError {
  status: number;
  /** fal's `error_type`, e.g. `request_timeout` (504) or `runner_server_error` (500). */
  errorType: string;
  detail?: string;
  /** `X-Fal-Retryable`; absent = header not sent. */
  retryable?: boolean;
}

/** fal's request-level error answer: the body and the headers that carry the same facts. */
export function falRequestError(e: FalRequestError): HttpFailure {
  return new HttpFailure(e.status, e.errorType, e.detail ?? e.errorType.replace(/_/g, ' '), null, {
    'x-fal-error-type': e.errorType,
    ...(e.retryable !== undefined && { 'x-fal-retryable': String(e.retryable) }),
  });
}

const lifecycleSchema = z.object({ expiration_duration_seconds: z.number().int().nonnegative().optional() }).passthrough();

export interface FalSimOptions {
  /** Only this key is accepted when set; otherwise any non-empty key. */
  apiKey?: string;
  /** Webhook signing key pair (Ed25519); generated when absent. Tests sign forged deliveries with their own. */
  webhookKeys?: { privateKey: KeyObject; publicKey: KeyObject };
  /** The `user_id` fal puts in webhook signatures. */
  userId?: string;
}

export interface FalSim extends SimProtocolModule {
  webhookKeys: { privateKey: KeyObject; publicKey: KeyObject };
  webhooks: WebhookSender;
  userId: string;
  /** Signs a body exactly as fal does (tests use it to build valid and forged deliveries). */
  signWebhook(requestId: string, timestampSeconds: number, body: string, privateKey?: KeyObject): Record<string, string>;
  /** The model id each request was submitted to. */
  endpointOf(requestId: string): string | undefined;
  /** The `X-Fal-Object-Lifecycle-Preference` each request carried, parsed. */
  lifecycleOf(requestId: string): { expiration_duration_seconds?: number } | undefined;
  /** From now on, result calls for COMPLETED requests answer this request-level error (undefined clears it). */
  failResults(error: FalRequestError | undefined): void;
}

export function createFalProtocol(kit: SimKit, options: FalSimOptions = {}): FalSim {
  const keys = options.webhookKeys ?? generateKeyPairSync('ed25519');
  const userId = options.userId ?? 'sim-user';
  const webhooks = createWebhookSender({ clock: kit.clock, jobs: kit.jobs, stopping: kit.stopping });
  const endpoints = new Map<string, string>();
  const cancelled = new Set<string>();
  const lifecycles = new Map<string, { expiration_duration_seconds?: number }>();
  let resultError: FalRequestError | undefined;

  const job = (id: string): SimJob => {
    const j = kit.jobs.get(id);
    if (!j || j.protocol !== 'fal' || cancelled.has(id)) throw new HttpFailure(404, 'request_not_found', `Request ${id} not found`);
    return j;
  };

  const queuePosition = (j: SimJob): number => kit.jobs.list('fal').filter((x) => x.status === 'queued' && !cancelled.has(x.id)).indexOf(j);

  const resultBody = (j: SimJob) => ({
    video: { url: kit.signedUrl(`/fal/media/${j.id}.mp4`), content_type: 'video/mp4', file_name: `${j.id}.mp4` },
    seed: 42,
  });

  const failureDetail = (j: SimJob) => ({ detail: [{ loc: ['body', 'prompt'], msg: j.error?.message ?? 'failed', type: j.error?.code ?? 'internal_error' }] });

  const signWebhook = (requestId: string, timestampSeconds: number, body: string, privateKey = keys.privateKey): Record<string, string> => {
    const ts = String(timestampSeconds);
    const message = `${requestId}\n${userId}\n${ts}\n${createHash('sha256').update(body).digest('hex')}`;
    return {
      'x-fal-webhook-request-id': requestId,
      'x-fal-webhook-user-id': userId,
      'x-fal-webhook-timestamp': ts,
      'x-fal-webhook-signature': sign(null, Buffer.from(message), privateKey).toString('hex'),
    };
  };

  const webhookBody = (j: SimJob): string =>
    JSON.stringify(
      j.status === 'completed' && resultError
        ? { request_id: j.id, gateway_request_id: j.id, status: 'ERROR', payload: { detail: resultError.detail ?? resultError.errorType, error_type: resultError.errorType }, error: `Invalid status code: ${resultError.status}` }
        : j.status === 'completed'
        ? { request_id: j.id, gateway_request_id: j.id, status: 'OK', payload: resultBody(j), error: null }
        : { request_id: j.id, gateway_request_id: j.id, status: 'ERROR', payload: failureDetail(j), error: 'Invalid status code: 422' },
    );

  /** Tags in the prompt must point at references that were sent, as fal validates them. */
  const checkTags = (prompt: string, body: Record<string, unknown>, tags: readonly { tag: string; field: string }[]): void => {
    for (const { tag, field } of tags) {
      const list = body[field];
      const sent = Array.isArray(list) ? list.length : 0;
      for (const m of prompt.matchAll(new RegExp(`@${tag}(\\d+)`, 'g'))) {
        const n = Number(m[1]);
        if (n < 1 || n > sent) {
          throw new HttpFailure(422, 'invalid_reference', `@${tag}${n} does not match any provided ${tag.toLowerCase()}`, 'prompt');
        }
      }
    }
  };

  const requestRoute = (suffix: string) => new RegExp(`^/fal/([^/]+/[^/]+)/requests/([^/]+)${suffix}$`);

  const module: FalSim = {
    protocol: 'fal',
    prefix: '/fal',
    webhookKeys: keys,
    webhooks,
    userId,
    signWebhook,
    endpointOf: (id) => endpoints.get(id),
    lifecycleOf: (id) => lifecycles.get(id),
    failResults(error) {
      resultError = error;
    },
    authenticate(ctx: Context) {
      const auth = ctx.req.headers.authorization;
      const key = auth?.startsWith('Key ') ? auth.slice(4).trim() : undefined;
      if (!key || (options.apiKey !== undefined && key !== options.apiKey)) throw new HttpFailure(401, 'unauthorized', 'Invalid or missing API key');
    },
    // Validation errors are the 422 list; everything else is a request-level `{detail, error_type}`.
    errorBody: (failure) =>
      failure.status === 422 ? { detail: [{ loc: ['body', failure.param ?? 'input'], msg: failure.message, type: failure.code }] } : { detail: failure.message, error_type: failure.code },
    routes: [
      {
        method: 'GET',
        pattern: /^\/fal\/\.well-known\/jwks\.json$/,
        protocol: 'fal',
        route: 'fal.jwks',
        public: true,
        async handle(ctx) {
          const jwk = keys.publicKey.export({ format: 'jwk' });
          kit.sendJson(ctx.res, 200, { keys: [{ ...jwk, kid: 'sim-1', use: 'sig', alg: 'EdDSA' }] });
        },
      },
      {
        method: 'GET',
        pattern: /^\/fal\/media\/([^/]+)\.mp4$/,
        protocol: 'fal',
        route: 'fal.media',
        public: true,
        async handle(ctx) {
          const fault = kit.faults.take('fal', 'fal.media', 'result');
          if (fault?.fault === 'expired' || !kit.signedUrlValid(ctx.url)) {
            ctx.res.writeHead(403, { 'content-type': 'text/plain' }).end('AccessDenied');
            return;
          }
          await kit.sendVideo(ctx, job(ctx.params[0]!), fault);
        },
      },
      {
        method: 'GET',
        pattern: requestRoute('/status'),
        protocol: 'fal',
        route: 'fal.status',
        async handle(ctx) {
          const j = job(ctx.params[1]!);
          const base = `${kit.baseUrl()}/fal/${ctx.params[0]}/requests/${j.id}`;
          const logs = ctx.url.searchParams.get('logs') === '1';
          if (j.status === 'queued') {
            kit.sendJson(ctx.res, 202, { status: 'IN_QUEUE', queue_position: queuePosition(j), response_url: base });
          } else if (j.status === 'in_progress') {
            kit.sendJson(ctx.res, 202, {
              status: 'IN_PROGRESS',
              response_url: base,
              logs: logs ? [{ message: 'Starting generation', level: 'INFO' }, { message: `Generating video: ${j.progress}%`, level: 'INFO' }] : null,
            });
          } else {
            kit.sendJson(ctx.res, 200, { status: 'COMPLETED', response_url: base, logs: logs ? [] : null, metrics: { inference_time: j.seconds } });
          }
        },
      },
      {
        method: 'PUT',
        pattern: requestRoute('/cancel'),
        protocol: 'fal',
        route: 'fal.cancel',
        async handle(ctx) {
          const j = job(ctx.params[1]!);
          if (j.status === 'completed' || j.status === 'failed') {
            kit.sendJson(ctx.res, 400, { status: 'ALREADY_COMPLETED' });
            return;
          }
          cancelled.add(j.id);
          kit.jobs.remove(j.id);
          kit.sendJson(ctx.res, 202, { status: 'CANCELLATION_REQUESTED' });
        },
      },
      {
        method: 'GET',
        pattern: requestRoute(''),
        protocol: 'fal',
        route: 'fal.result',
        async handle(ctx) {
          const j = job(ctx.params[1]!);
          if (j.status === 'queued' || j.status === 'in_progress') throw new HttpFailure(400, 'request_in_progress', 'Request is still in progress');
          if (j.status === 'failed') {
            kit.sendJson(ctx.res, 422, failureDetail(j), { 'x-fal-retryable': 'false' });
            return;
          }
          if (resultError) throw falRequestError(resultError);
          kit.sendJson(ctx.res, 200, resultBody(j));
        },
      },
      {
        method: 'POST',
        pattern: /^\/fal\/(.+)$/,
        protocol: 'fal',
        route: 'fal.submit',
        async handle(ctx) {
          const endpoint = ctx.params[0]!;
          if (endpoint.includes('/requests/')) throw new HttpFailure(405, 'method_not_allowed', 'Method not allowed');
          const model = FAL_MODEL_SCHEMAS.get(endpoint);
          if (!model) throw new HttpFailure(404, 'not_found', `Application '${endpoint}' not found`);
          const lifecycleHeader = kit.header(ctx.req, 'x-fal-object-lifecycle-preference');
          let lifecycle: { expiration_duration_seconds?: number } | undefined;
          if (lifecycleHeader !== undefined) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(lifecycleHeader);
            } catch {
              parsed = undefined;
            }
            const checked = lifecycleSchema.safeParse(parsed);
            if (!checked.success) throw falRequestError({ status: 400, errorType: 'bad_request', detail: 'Invalid X-Fal-Object-Lifecycle-Preference header', retryable: false });
            lifecycle = checked.data;
          }
          const checked = model.schema.safeParse(ctx.record.json);
          if (!checked.success) {
            kit.sendJson(ctx.res, 422, falValidationBody(checked.error.issues));
            return;
          }
          const body = checked.data as { prompt?: string; duration?: string | number; aspect_ratio?: string; resolution?: string } & Record<string, unknown>;
          checkTags(body.prompt ?? '', body, model.tags);
          const seconds = typeof body.duration === 'number' ? body.duration : Number.parseInt(body.duration ?? '', 10) || 5;
          const made = model.output(body, endpoint);
          const references = ['elements', 'image_urls', 'reference_image_urls'].some((f) => Array.isArray(body[f]) && (body[f] as unknown[]).length > 0);
          const created = kit.idempotent(ctx, () =>
            kit.jobs.create({
              protocol: 'fal',
              prompt: body.prompt ?? '',
              seconds,
              size: frameSize(made.resolution, body.aspect_ratio === '9:16'),
              sound: made.sound,
              model: endpoint,
              characters: [],
              hasInputReference: references,
              ...(() => {
                const fault = kit.jobFault(ctx);
                return fault ? { fault } : {};
              })(),
            }),
          );
          endpoints.set(created.id, endpoint);
          if (lifecycle) lifecycles.set(created.id, lifecycle);
          const webhook = ctx.url.searchParams.get('fal_webhook');
          if (webhook) {
            webhooks.watch(created.id, webhook, (j, now) => {
              const text = webhookBody(j);
              return { headers: signWebhook(j.id, Math.floor(now / 1000), text), body: text };
            });
          }
          const app = endpoint.split('/').slice(0, 2).join('/');
          const base = `${kit.baseUrl()}/fal/${app}/requests/${created.id}`;
          kit.sendJson(ctx.res, 200, { request_id: created.id, gateway_request_id: created.id, status_url: `${base}/status`, response_url: base, cancel_url: `${base}/cancel`, queue_position: queuePosition(created) });
        },
      },
    ],
  };
  return module;
}
