/**
 * Taking a generation in: validate (characters named, an image the team holds, a remix of a finished job),
 * route, price, reserve and persist the job (acceptance.ts), once the Studio is ready (reconciled). All local and fast, so an adapter can do it
 * before answering its platform; the Studio's `launch` then shows the job and starts it.
 */
import { acceptJob, draftJob } from './acceptance.js';
import type { AuditedLedger } from './audited-ledger.js';
import type { CharacterRegistry } from './characters.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import type { JobRepository } from './ports.js';
import { requireHeldImage } from './media-ownership.js';
import { resolveMentions } from './mentions.js';
import type { Micros } from './money.js';
import type { Backend, Logger, MediaStore } from './ports.js';
import { routeJob } from './router.js';
import type { Accepted } from './studio.js';
import type { TeamDesk } from './team-desk.js';
import type { TenantSettingsRepository } from './tenant-settings.js';
import type { Actor, GenerationInput, Resolution, Sound, SurfaceRef } from './types.js';

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
}

export class JobIntake {
  constructor(private readonly deps: JobIntakeDeps) {}

  /**
   * A generation, with an `--image` the adapter fetched (or the console named): the image is checked and
   * taken into the team's folder, owned by the job from then on, and dropped again if the request is refused.
   */
  async accept(actor: Actor, input: GenerationInput, surface: SurfaceRef, imageSource: string | undefined): Promise<Accepted> {
    if (imageSource === undefined) return this.request(actor, input, surface);
    const image = await this.deps.media.importFile(imageSource, 'image', actor.tenant);
    try {
      return await this.request(actor, { ...input, imagePath: image.path }, surface);
    } catch (error) {
      await this.deps.media.discard([image.path]);
      throw error;
    }
  }

  private async request(actor: Actor, asked: GenerationInput, surface: SurfaceRef): Promise<Accepted> {
    const rules = await this.deps.team.rulesFor(actor, asked);
    const input = rules.input;
    await requireHeldImage(this.deps.media, input.imagePath);
    const registry = await this.deps.characters.all(actor.tenant);
    const named = resolveMentions(input.prompt, registry);
    let forced = input.backend;
    if (input.remixOf) {
      const original = await this.deps.jobs.getForTenant(actor.tenant, input.remixOf);
      if (!original) throw new UserFacingError('unknown_job', `There is no job ${input.remixOf} in this team.`);
      if (original.state !== 'delivered') throw new UserFacingError('not_finished', `Job ${original.id} has not finished, so it cannot be remixed yet.`);
      const originalBackend = this.deps.backends.get(original.backend);
      // A provider-side remix keeps the original's look; elsewhere the remix is a fresh generation.
      if (!forced && originalBackend?.capabilities.remix) forced = original.backend;
    }
    const settings = await this.deps.settings.routingFor(actor.tenant);
    const route = routeJob([...this.deps.backends.values()], {
      characters: named,
      seconds: input.seconds,
      orientation: input.orientation,
      resolution: input.resolution,
      audio: input.audio ?? settings.audio,
      audioChosen: input.audio !== undefined,
      hasImage: input.imagePath !== undefined,
      forced,
      policy: rules.policy ?? settings.policy,
      isOpen: (b) => this.deps.breaker.isOpen(b),
      filesReachable: this.deps.publicUrl !== undefined,
    });
    const first = route.candidates[0]!;
    const now = this.deps.clock.now();
    const job = draftJob({
      actor,
      input,
      surface,
      characterKeys: named.map((c) => c.key),
      route,
      officialMicros: this.deps.referencePrice(first.seconds, input.resolution, first.audio),
      now,
      deadlineMs: this.deps.jobDeadlineMs,
    });
    this.deps.team.markForApproval(job, rules.threshold);
    const caps = await this.deps.settings.capsFor(actor.tenant, actor.userId);
    const { logger } = this.deps;
    const reservation = await acceptJob({ jobs: this.deps.jobs, ledger: this.deps.ledger, logger, reservedElsewhere: (r, ok) => this.deps.ledger.reserved(r, ok) }, job, actor, caps);
    this.deps.logger.info({ job: job.id, tenant: job.tenant, backend: job.backend, estimate: job.estimateMicros }, 'job accepted');
    return {
      job,
      estimateMicros: job.estimateMicros,
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
