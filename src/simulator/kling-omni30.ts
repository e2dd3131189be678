/**
 * Kling's 3.0 omni format (schema and sources in ./schemas/kling.ts) and the
 * JWT shape check the Kling simulator shares with it:
 *   POST /kling/omni-video/kling-3.0-omni  {contents[], settings{}, options{external_task_id}} → {data:{id}}
 *   GET  /kling/tasks?task_ids=a,b | ?external_task_ids=x → {data:[{id, status, message, outputs:[{type, url}]}]}
 */
import type { z } from 'zod';
import { HttpFailure, type Context, type RouteDef, type SimKit } from './protocol.js';
import { frameSize, type SimJob } from './jobs.js';
import type { omni30Schema } from './schemas/kling.js';

/** Why a Bearer JWT is not acceptable (shape, algorithm, times), or undefined. Kling codes 1000–1004. */
export function klingJwtFailure(token: string, nowSeconds: number): { code: string; message: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return { code: '1000', message: 'Authorization token is malformed' };
  let header: { alg?: string };
  let claims: { iss?: string; exp?: number; nbf?: number };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return { code: '1000', message: 'Authorization token is malformed' };
  }
  if (header.alg !== 'HS256') return { code: '1000', message: 'Unsupported token algorithm' };
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return { code: '1004', message: 'Authorization token has expired' };
  if (typeof claims.nbf !== 'number' || claims.nbf > nowSeconds) return { code: '1003', message: 'Authorization token is not yet valid' };
  if (!claims.iss) return { code: '1002', message: 'Token has no issuer' };
  return undefined;
}

export interface Omni30Deps {
  kit: SimKit;
  ok(ctx: Context, data: unknown): void;
  checkElements(ids: string[]): void;
  claimExternal(external: string | undefined): void;
  createJob(ctx: Context, prompt: string, ids: string[], seconds: number, output: { size: string; sound: boolean }, model: string, external: string | undefined): SimJob;
  videoJob(id: string): SimJob;
  externalOf(jobId: string): string | undefined;
  externalIds: Map<string, string>;
  schema: typeof omni30Schema;
}

export function klingOmni30Routes(deps: Omni30Deps): RouteDef[] {
  const { kit } = deps;
  const task = (j: SimJob) => ({
    id: j.id,
    // *Unconfirmed* status words: the relay accepts `succeeded` and `succeed`; this answers `succeeded`.
    status: j.status === 'queued' ? 'submitted' : j.status === 'in_progress' ? 'processing' : j.status === 'completed' ? 'succeeded' : 'failed',
    message: j.status === 'failed' ? (j.error?.message ?? 'failed') : '',
    external_task_id: deps.externalOf(j.id) ?? null,
    outputs: j.status === 'completed' ? [{ type: 'video', url: kit.signedUrl(`/kling/files/${j.id}.mp4`), duration: String(j.seconds) }] : [],
  });
  return [
    {
      method: 'POST',
      pattern: /^\/kling\/omni-video\/kling-3\.0-omni$/,
      protocol: 'kling',
      route: 'kling.omni30.create',
      async handle(ctx) {
        const body: z.infer<typeof omni30Schema> = kit.parse(deps.schema, ctx.record.json);
        const prompt = body.contents.find((c) => c.type === 'prompt');
        if (!prompt || prompt.type !== 'prompt') throw new HttpFailure(400, '1201', 'contents needs one prompt', 'contents');
        const elements = body.contents.filter((c) => c.type === 'element');
        const ids = elements.map((c) => (c.type === 'element' ? c.element_id : ''));
        const contentIds = elements.map((c) => (c.type === 'element' ? c.id : ''));
        if (new Set(contentIds).size !== contentIds.length) throw new HttpFailure(400, '1201', 'duplicate content id', 'contents');
        deps.checkElements(ids);
        for (const m of prompt.text.matchAll(/<<<([a-z_]+\d+)>>>/g)) {
          if (!contentIds.includes(m[1]!)) throw new HttpFailure(400, '1201', `<<<${m[1]}>>> names no content id`, 'contents');
        }
        if (ids.length > 7) throw new HttpFailure(400, '1201', 'images + elements must not exceed 7', 'contents');
        if (!body.settings?.aspect_ratio) throw new HttpFailure(400, '1201', 'settings.aspect_ratio is required without a first frame or video input', 'settings');
        const external = body.options?.external_task_id;
        deps.claimExternal(external);
        const settings = body.settings;
        // `audio: native` makes sound; `off` (and, unconfirmed, a missing field) a silent clip.
        const output = { size: frameSize(settings.resolution ?? '720p', settings.aspect_ratio === '9:16'), sound: settings.audio === 'native' };
        const job = deps.createJob(ctx, prompt.text, ids, settings.duration ?? 5, output, 'kling-3.0-omni', external);
        deps.ok(ctx, { id: job.id });
      },
    },
    {
      method: 'GET',
      pattern: /^\/kling\/tasks$/,
      protocol: 'kling',
      route: 'kling.tasks',
      async handle(ctx) {
        const byId = (ctx.url.searchParams.get('task_ids') ?? '').split(',').filter(Boolean);
        const byExternal = (ctx.url.searchParams.get('external_task_ids') ?? '').split(',').filter(Boolean);
        if (byId.length === 0 && byExternal.length === 0) throw new HttpFailure(400, '1201', 'task_ids is required', 'task_ids');
        // Unknown ids are simply absent from `data`, as a list query answers.
        const jobs = [...byId, ...byExternal.map((x) => deps.externalIds.get(x) ?? '')]
          .map((id) => kit.jobs.get(id))
          .filter((j): j is SimJob => j !== undefined && j.protocol === 'kling');
        deps.ok(ctx, jobs.map(task));
      },
    },
  ];
}
