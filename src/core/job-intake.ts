/**
 * Taking a generation in: validate (characters named, an image the team holds, a remix of a finished job),
 * route, price, reserve and persist the job (acceptance.ts), once the Studio is ready (reconciled). All local and fast, so an adapter can do it
 * before answering its platform; the Studio's `launch` then shows the job and starts it.
 */
import { acceptJob, acceptJobs, capRefusal, routeAndDraft } from './acceptance.js';
import type { AuditedLedger } from './audited-ledger.js';
import type { CharacterRegistry } from './characters.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import type { RouteReason } from './message-codes-outcomes.js';
import { requireHeldImage } from './media-ownership.js';
import { resolveMentions } from './mentions.js';
import type { Micros } from './money.js';
import type { Backend, BudgetCaps, JobRepository, Logger, MediaStore, ReservationResult } from './ports.js';
import type { DurationNotice } from './router.js';
import type { TeamDesk } from './team-desk.js';
import type { AppliedDefault, CapWarning } from './team-rules.js';
import { RecentReads } from './recent-reads.js';
import { capsOf, routingOf, type TenantSettings, type TenantSettingsRepository } from './tenant-settings.js';
import { draftTakes } from './takes.js';
import { hasVideo, type Actor, type Character, type GenerationInput, type JobRecord, type Resolution, type Sound, type SurfaceRef, type TenantId } from './types.js';

/** A request accepted: its job (reserved and durable), what it costs, and why it went where it did. */
export interface Accepted {
  job: JobRecord;
  estimateMicros: Micros;
  tenantLeftMicros: Micros;
  userLeftMicros: Micros;
  backendName: string;
  reason: RouteReason;
  /** What the acceptance says about the length asked for (see router). */
  duration?: DurationNotice;
  /** The channel's defaults used because the user left those options open. */
  appliedDefaults?: AppliedDefault[];
  /** Caps this request took past 80% (said once a month). */
  warnings?: CapWarning[];
  /** With `--takes N` (N > 1): every take in order, `job` being the first; `estimateMicros` is their sum. */
  takes?: JobRecord[];
}

/**
 * Shows an accepted job where it will live (a Discord or Slack thread, a console line) and returns
 * what the job's SurfaceRef needs to find that place again: one patch for every job, or one per take
 * in order (each take has its own status message in the shared thread). When it throws, the jobs are
 * cancelled and their reservations released; a UserFacingError it throws is the sentence the person sees.
 */
export type OpenSurface = ((accepted: Accepted) => Promise<Partial<SurfaceRef> | Partial<SurfaceRef>[]>) & {
  /** The platform's acknowledgement, sent before the acceptance when the forecast knows it will pass (budget-forecast.ts). */
  acknowledge?: () => Promise<void>;
};

export interface JobIntakeDeps {
  jobs: JobRepository;
  team: TeamDesk;
  characters: CharacterRegistry;
  settings: TenantSettingsRepository;
  ledger: AuditedLedger;
  breaker: CircuitBreaker;
  backends: Map<string, Backend>;
  media: MediaStore;
  clock: Clock;
  logger: Logger;
  publicUrl: string | undefined;
  jobDeadlineMs: number;
  referencePrice: (seconds: number, resolution: Resolution, audio: Sound) => Micros;
  /** On a store replicas share: how long a quote may reuse a team's settings and characters (recent-reads.ts). */
  quoteReadsMs?: number;
}

/** Where a draft reads the team's settings and characters. */
interface TeamReads {
  settings: (tenant: TenantId) => Promise<TenantSettings>;
  characters: (tenant: TenantId) => Promise<Map<string, Character>>;
}

export class JobIntake {
  /** The acceptance's reads: the store's, as they are now. */
  private readonly fresh: TeamReads;
  private readonly forQuotes: TeamReads;

  constructor(private readonly deps: JobIntakeDeps) {
    this.fresh = { settings: (tenant) => deps.settings.get(tenant), characters: (tenant) => deps.characters.all(tenant) };
    const ttl = deps.quoteReadsMs ?? 0;
    if (ttl <= 0) {
      this.forQuotes = this.fresh;
      return;
    }
    const settings = new RecentReads(deps.clock, ttl, this.fresh.settings);
    const characters = new RecentReads(deps.clock, ttl, this.fresh.characters);
    this.forQuotes = { settings: (tenant) => settings.read(tenant), characters: (tenant) => characters.read(tenant) };
  }

  /**
   * A generation, with an `--image` the adapter fetched (or the console named): the image is checked and
   * taken into the team's folder, owned by the job from then on, and dropped again if the request is refused.
   */
  async accept(actor: Actor, input: GenerationInput, surface: SurfaceRef, imageSource: string | undefined, takes = 1): Promise<Accepted> {
    if (imageSource === undefined) return this.request(actor, input, surface, takes);
    const image = await this.deps.media.importFile(imageSource, 'image', actor.tenant);
    try {
      return await this.request(actor, { ...input, imagePath: image.path }, surface, takes);
    } catch (error) {
      await this.deps.media.discard([image.path]);
      throw error;
    }
  }

  /**
   * What the request would cost and under which caps, with every check the acceptance makes but the
   * reservation: a refusal throws the same sentence (budget-forecast.ts asks before answering first).
   */
  async quote(actor: Actor, input: GenerationInput, surface: SurfaceRef, count: number): Promise<{ estimateMicros: Micros; caps: BudgetCaps }> {
    const { takes, caps } = await this.draft(actor, input, surface, count, this.forQuotes);
    return { estimateMicros: takes.reduce((sum, j) => sum + j.estimateMicros, 0), caps };
  }

  /** Validated, routed and priced; not yet reserved or stored. */
  private async draft(actor: Actor, asked: GenerationInput, surface: SurfaceRef, count: number, reads: TeamReads = this.fresh) {
    const rules = this.deps.team.rulesFor(actor, asked, await reads.settings(actor.tenant));
    const input = rules.input;
    await requireHeldImage(this.deps.media, input.imagePath);
    const registry = await reads.characters(actor.tenant);
    const named = resolveMentions(input.prompt, registry);
    let forced = input.backend;
    if (input.remixOf) {
      const original = await this.deps.jobs.getForTenant(actor.tenant, input.remixOf);
      if (!original) throw new UserFacingError(msg('unknown_job', { jobId: input.remixOf, visible: false }));
      if (!hasVideo(original)) throw new UserFacingError(msg('remix.not_finished', { jobId: original.id }), { code: 'not_finished' });
      const originalBackend = this.deps.backends.get(original.backend);
      // A provider-side remix keeps the original's look; elsewhere the remix is a fresh generation.
      if (!forced && originalBackend?.capabilities.remix) forced = original.backend;
    }
    const settings = routingOf(rules.settings, this.deps.settings.defaults);
    const placing = {
      backends: [...this.deps.backends.values()],
      isOpen: (b: string) => this.deps.breaker.isOpen(b),
      filesReachable: this.deps.publicUrl !== undefined,
      referencePrice: this.deps.referencePrice,
      now: this.deps.clock.now(),
      deadlineMs: this.deps.jobDeadlineMs,
    };
    const audio = input.audio ?? settings.audio;
    const policy = rules.policy ?? settings.policy;
    const { job, route } = routeAndDraft(placing, { actor, input, surface, characters: named, audio, hasImage: input.imagePath !== undefined, forced, policy });
    // The takes of one request wait for one decision when together they cost more than the threshold.
    this.deps.team.markForApproval(job, rules.threshold, count);
    const takes = draftTakes(job, count);
    const caps = capsOf(rules.settings, this.deps.settings.defaults, actor.userId);
    return { rules, job, route, takes, caps };
  }

  private async request(actor: Actor, asked: GenerationInput, surface: SurfaceRef, count: number): Promise<Accepted> {
    const { rules, job, route, takes, caps } = await this.draft(actor, asked, surface, count);
    const first = route.candidates[0]!;
    const deps = { jobs: this.deps.jobs, ledger: this.deps.ledger, logger: this.deps.logger };
    const reservation = count === 1 ? await acceptJob(deps, job, actor, caps) : refusedTakesOrLeft(takes, await acceptJobs(deps, takes, actor, caps));
    const estimateMicros = takes.reduce((sum, j) => sum + j.estimateMicros, 0);
    this.deps.logger.info({ job: job.id, tenant: job.tenant, backend: job.backend, estimate: estimateMicros, takes: count }, 'job accepted');
    return {
      job: takes[0]!,
      ...(count > 1 && { takes }),
      estimateMicros,
      tenantLeftMicros: reservation.tenantLeftMicros,
      userLeftMicros: reservation.userLeftMicros,
      backendName: first.backend.capabilities.displayName,
      reason: route.reason,
      ...(route.duration && { duration: route.duration }),
      appliedDefaults: rules.applied,
      warnings: await this.deps.team.warningsAfter(actor, job, reservation, caps),
    };
  }
}

/** What is left after the takes were reserved, or the sentence naming the cap that refused all of them. */
function refusedTakesOrLeft(takes: JobRecord[], reservation: ReservationResult): { tenantLeftMicros: Micros; userLeftMicros: Micros } {
  if (reservation.ok) return reservation;
  throw capRefusal(reservation, { kind: 'takes', count: takes.length, eachMicros: takes[0]!.estimateMicros });
}
