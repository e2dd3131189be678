/**
 * Switchable failures for the simulator, modelled on what real video providers
 * and resellers do (docs/providers.md, apiyi row): expired keys (401), rate limits
 * with `retry-after`, 5xx storms, slow answers, dropped connections, moderation
 * blocks, jobs stuck at 99%, result URLs that expire, results too big to keep.
 *
 * A fault applies N times (`times`) or until cleared, to one protocol or both,
 * and to one route or to the routes where it makes sense by default.
 */
import { z } from 'zod';

export type SimProtocol = 'openai' | 'apiyi' | 'fal' | 'gemini' | 'kling' | 'vidu';

export const SIM_PROTOCOLS = ['openai', 'apiyi', 'fal', 'gemini', 'kling', 'vidu'] as const;

/** Route names, used for faults, request counts and the last-request record. */
export const SIM_ROUTES = [
  'openai.create',
  'openai.list',
  'openai.get',
  'openai.content',
  /** The signed download URL `content` redirects to, as a CDN would serve it. */
  'openai.cdn',
  'openai.remix',
  'openai.extend',
  'openai.delete',
  'openai.character.create',
  'openai.character.get',
  'apiyi.generate',
  'apiyi.task',
  'apiyi.file',
  'apiyi.character.create',
  'apiyi.character.extract',
  'apiyi.character.list',
  'fal.submit',
  'fal.status',
  'fal.result',
  'fal.cancel',
  'fal.media',
  'fal.jwks',
  'gemini.predict',
  'gemini.operation',
  'gemini.download',
  'kling.element.create',
  'kling.element.get',
  'kling.element.delete',
  'kling.video.create',
  'kling.video.get',
  'kling.file',
  'kling.omni30.create',
  'kling.tasks',
  'vidu.subject.create',
  'vidu.subject.delete',
  'vidu.reference2video',
  'vidu.text2video',
  'vidu.creations',
  'vidu.file',
] as const;

export type SimRoute = (typeof SIM_ROUTES)[number];

export const FAULT_KINDS = [
  '401',
  '429',
  '500',
  'slow',
  'reset',
  'moderation',
  'stall',
  'cameo_denied',
  'expired',
  'oversized',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** Where a fault bites: on any request, on result downloads, or on the job a create call makes. */
export type FaultScope = 'request' | 'result' | 'job';

const SCOPE: Record<FaultKind, FaultScope> = {
  '401': 'request',
  '429': 'request',
  '500': 'request',
  slow: 'request',
  reset: 'request',
  moderation: 'job',
  stall: 'job',
  cameo_denied: 'job',
  expired: 'result',
  oversized: 'result',
};

/** Routes a fault applies to when no route is named. */
const DEFAULT_ROUTES: Record<FaultScope, ReadonlySet<SimRoute> | 'all'> = {
  request: 'all',
  result: new Set(['openai.content', 'openai.cdn', 'apiyi.file', 'fal.media', 'gemini.download', 'kling.file', 'vidu.file']),
  job: new Set(['openai.create', 'openai.remix', 'openai.extend', 'apiyi.generate', 'fal.submit', 'gemini.predict', 'kling.video.create', 'kling.omni30.create', 'vidu.reference2video', 'vidu.text2video']),
};

export const faultSpecSchema = z.object({
  protocol: z.enum([...SIM_PROTOCOLS, 'any']).default('any'),
  fault: z.enum(FAULT_KINDS),
  route: z.enum(SIM_ROUTES).optional(),
  /** Job faults only: applies only to a create call whose body contains this text (one shot of a storyboard). */
  bodyIncludes: z.string().min(1).optional(),
  /** Applies this many times, then removes itself; absent = until cleared. */
  times: z.number().int().positive().optional(),
  /** 429: the `retry-after` header in seconds (default 1). */
  retryAfterSeconds: z.number().nonnegative().optional(),
  /** 429: also send `retry-after-ms`. */
  retryAfterMs: z.number().int().nonnegative().optional(),
  /** 429: send `retry-after` as an HTTP date this many ms ahead instead of seconds. */
  retryAfterDateMs: z.number().int().nonnegative().optional(),
  /** slow: hold the answer this long on the simulator clock; absent = until the client gives up. */
  holdMs: z.number().int().nonnegative().optional(),
  /** expired: status of an expired OpenAI content URL (404 or 410; apiyi URLs answer 403). */
  expiredStatus: z.union([z.literal(404), z.literal(410)]).optional(),
  /** oversized: how many bytes the result claims and streams (default 64 MiB). */
  oversizedBytes: z.number().int().positive().optional(),
});

export type FaultSpec = z.input<typeof faultSpecSchema>;
type ParsedFaultSpec = z.output<typeof faultSpecSchema>;

export interface ActiveFault extends ParsedFaultSpec {
  id: string;
  /** Uses left; undefined = until cleared. */
  remaining: number | undefined;
  hits: number;
}

export class FaultController {
  private faults: ActiveFault[] = [];
  private seq = 0;

  /** Arms a fault. Throws a zod error on a bad spec. */
  inject(spec: FaultSpec): ActiveFault {
    const parsed = faultSpecSchema.parse(spec);
    const fault: ActiveFault = { ...parsed, id: `fault_${++this.seq}`, remaining: parsed.times, hits: 0 };
    this.faults.push(fault);
    return { ...fault };
  }

  /** Removes one fault by id, or all of them. */
  clear(id?: string): void {
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /**
   * Takes (and counts one use of) the first armed fault of `scope` that matches
   * this protocol and route.
   */
  take(protocol: SimProtocol, route: SimRoute, scope: FaultScope, body?: string): ActiveFault | undefined {
    const index = this.faults.findIndex(
      (f) => SCOPE[f.fault] === scope && matches(f, protocol, route) && (f.bodyIncludes === undefined || (body?.includes(f.bodyIncludes) ?? false)),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.hits++;
    if (fault.remaining !== undefined) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults.splice(index, 1);
    }
    return { ...fault };
  }
}

function matches(fault: ActiveFault, protocol: SimProtocol, route: SimRoute): boolean {
  if (fault.protocol !== 'any' && fault.protocol !== protocol) return false;
  if (fault.route !== undefined) return fault.route === route;
  const routes = DEFAULT_ROUTES[SCOPE[fault.fault]];
  return routes === 'all' || routes.has(route);
}
