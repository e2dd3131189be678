/**
 * The Studio: the platform-neutral use cases. Chat adapters call these and
 * render what comes back; backends, the store, media and surfaces are ports.
 */
import { reconcileAcceptance } from './acceptance.js';
import { CharacterRegistry } from './characters.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { newJobId, newSubmissionKey } from './ids.js';
import { JobRunner } from './job-runner.js';
import { JobStore } from './job-store.js';
import { KeyValueLedger, monthOf, previousMonth } from './ledger.js';
import { filesInUse, filesOfCharacter, requireHeldImage, takeClip } from './media-ownership.js';
import { CHARACTER_NAME, characterKey, closestNames, resolveMentions } from './mentions.js';
import { formatUsd, type Micros } from './money.js';
import type { Backend, KeyValueStore, Ledger, Logger, MediaStore, MonthSummary, Surface } from './ports.js';
import { estimateFor } from './pricing.js';
import { routeJob, unsuitability, type DurationNotice } from './router.js';
import { FairScheduler, type Scheduler } from './scheduler.js';
import { Sight } from './visibility.js';
import { TenantSettingsRepository, type RoutingPolicy, type SettingsDefaults } from './tenant-settings.js';
import {
  TERMINAL_STATES,
  type Actor,
  type Character,
  type GenerationInput,
  type JobRecord,
  type Quality,
  type SurfaceRef,
  type TenantId,
} from './types.js';

export interface StudioOptions {
  store: KeyValueStore;
  clock: Clock;
  logger: Logger;
  backends: Backend[];
  media: MediaStore;
  defaults: SettingsDefaults;
  /** Backend whose price list is "official" in /cost comparisons. */
  referencePriceBackend: string;
  jobDeadlineMs: number;
  concurrency: { perBackend: number; perTenant: number };
  /** Base for provider webhooks (`{publicUrl}/webhooks/{backend}`), when the bot is reachable. */
  publicUrl: string | undefined;
  ledger?: Ledger;
  scheduler?: Scheduler;
}

export interface Accepted {
  job: JobRecord;
  estimateMicros: Micros;
  tenantLeftMicros: Micros;
  userLeftMicros: Micros;
  backendName: string;
  reason: string;
  /** What the acceptance says about the length asked for (see router). */
  duration?: DurationNotice;
}

export interface CharacterView {
  character: Character;
  /** Per backend: ready (bound), on first use (created lazily), or why not. */
  readiness: { backend: string; name: string; state: 'ready' | 'on-first-use' | 'unsupported'; note: string }[];
}

export interface CostReport {
  tenant: TenantId;
  month: string;
  summary: MonthSummary;
  tenantCapMicros: Micros;
  userCapMicros: Micros;
  /** Present when the report was asked for one member. */
  user: { id: string; name: string; capMicros: Micros } | undefined;
  referenceBackendName: string;
  backendNames: Record<string, string>;
}

export interface BudgetView {
  month: string;
  policy: RoutingPolicy;
  tenantCapMicros: Micros;
  tenantSpentMicros: Micros;
  tenantReservedMicros: Micros;
  userCapMicros: Micros;
  userSpentMicros: Micros;
  userReservedMicros: Micros;
  userCaps: { userId: string; name: string; capMicros: Micros }[];
}

export class Studio {
  readonly jobs: JobStore;
  readonly characters: CharacterRegistry;
  readonly settings: TenantSettingsRepository;
  readonly ledger: Ledger;
  readonly scheduler: Scheduler;
  readonly breaker: CircuitBreaker;
  readonly runner: JobRunner;
  private readonly backends: Map<string, Backend>;
  private accepting = true;
  private reconciled: Promise<unknown> | undefined;

  constructor(private readonly options: StudioOptions) {
    this.backends = new Map(options.backends.map((b) => [b.id, b]));
    this.jobs = new JobStore(options.store);
    this.characters = new CharacterRegistry(options.store);
    this.settings = new TenantSettingsRepository(options.store, options.defaults);
    this.ledger = options.ledger ?? new KeyValueLedger(options.store);
    this.breaker = new CircuitBreaker(options.clock);
    this.scheduler =
      options.scheduler ??
      new FairScheduler({ perBackend: () => options.concurrency.perBackend, perTenant: options.concurrency.perTenant });
    this.runner = new JobRunner({
      jobs: this.jobs,
      characters: this.characters,
      ledger: this.ledger,
      scheduler: this.scheduler,
      breaker: this.breaker,
      backends: this.backends,
      media: options.media,
      clock: options.clock,
      logger: options.logger,
      publicUrl: options.publicUrl,
      referencePrice: (seconds, quality) => this.referencePrice(seconds, quality),
      capsFor: (tenant, userId) => this.settings.capsFor(tenant, userId),
    });
  }

  get clock(): Clock {
    return this.options.clock;
  }

  backendList(): Backend[] {
    return [...this.backends.values()];
  }

  backend(id: string): Backend | undefined {
    return this.backends.get(id);
  }

  attachSurface(surface: Surface): void {
    this.runner.surfaces.set(surface.platform, surface);
  }

  /**
   * Settles what an unclean stop left of acceptances (see acceptance.ts). Runs
   * once, before this process accepts its first request and before it resumes.
   */
  reconcile(): Promise<unknown> {
    this.reconciled ??= reconcileAcceptance({ jobs: this.jobs, ledger: this.ledger, logger: this.options.logger }).catch((error: unknown) => {
      this.reconciled = undefined; // a store that failed once is asked again by the next request
      throw error;
    });
    return this.reconciled;
  }

  /** Resumes every unfinished job from the store: the restart path. */
  async resume(): Promise<number> {
    await this.reconcile();
    return this.runner.resume();
  }

  /** Stops taking new jobs and stops the runner's loops; state is already persisted per transition. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    await this.runner.stop();
  }

  // -------------------------------------------------------------------------
  // Generation
  // -------------------------------------------------------------------------

  private referencePrice(seconds: number, quality: Quality): Micros {
    const reference = this.backends.get(this.options.referencePriceBackend);
    return reference ? estimateFor(reference.capabilities, seconds, quality) : 0;
  }

  /**
   * Validates, routes, prices and reserves budget, then persists the job. The
   * job runs once the adapter has posted its status message and calls
   * `startJob` (or at once through `generate`). Everything here is local and
   * fast, so adapters can call it before answering the platform.
   */
  async requestGeneration(actor: Actor, input: GenerationInput, surface: SurfaceRef): Promise<Accepted> {
    if (!this.accepting) throw new UserFacingError('shutting_down', 'The bot is restarting and not taking new videos for a moment. Try again shortly.');
    await this.reconcile();
    await requireHeldImage(this.options.media, input.imagePath);
    const registry = await this.characters.all(actor.tenant);
    const named = resolveMentions(input.prompt, registry);
    let forced = input.backend;
    if (input.remixOf) {
      const original = await this.jobs.getForTenant(actor.tenant, input.remixOf);
      if (!original) throw new UserFacingError('unknown_job', `There is no job ${input.remixOf} in this team.`);
      if (original.state !== 'delivered') throw new UserFacingError('not_finished', `Job ${original.id} has not finished, so it cannot be remixed yet.`);
      const originalBackend = this.backends.get(original.backend);
      // A provider-side remix keeps the original's look; elsewhere the remix is a fresh generation.
      if (!forced && originalBackend?.capabilities.remix) forced = original.backend;
    }
    const policy = await this.settings.policyFor(actor.tenant);
    const route = routeJob(this.backendList(), {
      characters: named,
      seconds: input.seconds,
      orientation: input.orientation,
      quality: input.quality,
      hasImage: input.imagePath !== undefined,
      forced,
      policy,
      isOpen: (b) => this.breaker.isOpen(b),
      filesReachable: this.options.publicUrl !== undefined,
    });
    const first = route.candidates[0]!;
    const now = this.options.clock.now();
    const job: JobRecord = {
      id: newJobId(),
      tenant: actor.tenant,
      requesterId: actor.userId,
      requesterName: actor.displayName,
      input,
      characterKeys: named.map((c) => c.key),
      backend: first.backend.id,
      fallbacks: route.candidates.slice(1).map((c) => c.backend.id),
      triedBackends: [],
      routeReason: route.reason,
      seconds: first.seconds,
      size: first.size,
      renderedPrompt: undefined,
      estimateMicros: first.estimateMicros,
      priceMicros: undefined,
      officialMicros: this.referencePrice(first.seconds, input.quality),
      ledgerMonth: monthOf(now),
      state: 'queued',
      started: false,
      progress: 0,
      submissionKey: newSubmissionKey(),
      providerJobId: undefined,
      resultPath: undefined,
      resultBytes: undefined,
      error: undefined,
      surface,
      place: actor.place,
      createdAt: now,
      updatedAt: now,
      submittedAt: undefined,
      completedAt: undefined,
      deadlineAt: now + this.options.jobDeadlineMs,
      polls: 0,
    };
    const caps = await this.settings.capsFor(actor.tenant, actor.userId);
    // The job is written before the money is held and the reservation is the commit point
    // (acceptance.ts): wherever this process dies, the next start finds either an intent
    // with no reservation to remove, or a reserved job to resume.
    await this.jobs.create(job);
    const undo = () => this.jobs.discard(job).catch((e: unknown) => this.options.logger.warn({ err: e, job: job.id }, 'could not remove an unaccepted job; the next start will'));
    let reservation: Awaited<ReturnType<Ledger['reserve']>>;
    try {
      reservation = await this.ledger.reserve({
        tenant: actor.tenant,
        userId: actor.userId,
        userName: actor.displayName,
        jobId: job.id,
        month: job.ledgerMonth,
        micros: job.estimateMicros,
        caps,
      });
    } catch (error) {
      await undo();
      throw error;
    }
    if (!reservation.ok) {
      await undo();
      const who = reservation.scope === 'tenant' ? 'the team has' : 'you have';
      const whose = reservation.scope === 'tenant' ? "the team's" : 'your';
      throw new UserFacingError(
        'budget_exceeded',
        `This video is estimated at ${formatUsd(job.estimateMicros)}, but ${who} ${formatUsd(reservation.leftMicros)} left of ${whose} ${formatUsd(reservation.capMicros)} monthly cap. Nothing was spent. Try a shorter video, or ask an admin to raise the cap with /budget set.`,
      );
    }
    try {
      await this.jobs.publish(job);
    } catch (error) {
      // Money first, as everywhere: a crash between the two leaves an intent without a reservation.
      await this.ledger.release(job.tenant, job.ledgerMonth, job.id);
      await undo();
      throw error;
    }
    this.options.logger.info({ job: job.id, tenant: job.tenant, backend: job.backend, estimate: job.estimateMicros }, 'job accepted');
    return {
      job,
      estimateMicros: job.estimateMicros,
      tenantLeftMicros: reservation.tenantLeftMicros,
      userLeftMicros: reservation.userLeftMicros,
      backendName: first.backend.capabilities.displayName,
      reason: route.reason,
      ...(route.duration && { duration: route.duration }),
    };
  }

  /**
   * A generation with an `--image` the adapter fetched (or the console named): the image is checked and
   * taken into the team's folder, owned by the job from then on, and dropped again if the request is refused.
   */
  async requestGenerationWithImage(actor: Actor, input: GenerationInput, surface: SurfaceRef, imageSource: string | undefined): Promise<Accepted> {
    if (imageSource === undefined) return this.requestGeneration(actor, input, surface);
    const image = await this.options.media.importFile(imageSource, 'image', actor.tenant);
    try {
      return await this.requestGeneration(actor, { ...input, imagePath: image.path }, surface);
    } catch (error) {
      await this.options.media.discard([image.path]);
      throw error;
    }
  }

  /** Every file a live character of these teams or a job in flight still needs (for the media sweep). */
  async filesInUse(tenants: TenantId[]): Promise<Set<string>> {
    return filesInUse(this.characters, this.jobs, tenants);
  }

  /** Attaches the adapter's surface reference and lets the scheduler run the job. */
  async startJob(jobId: string, surfacePatch: Partial<SurfaceRef> = {}): Promise<JobRecord> {
    return this.runner.start(jobId, surfacePatch);
  }

  /** Accept and start in one step (console, tests). */
  async generate(actor: Actor, input: GenerationInput, surface: SurfaceRef): Promise<Accepted> {
    const accepted = await this.requestGeneration(actor, input, surface);
    accepted.job = await this.startJob(accepted.job.id);
    return accepted;
  }

  async remix(actor: Actor, jobId: string, prompt: string, surface: SurfaceRef): Promise<Accepted> {
    const original = await this.visibleJob(actor, jobId);
    return this.requestGeneration(actor, { ...original.input, prompt, remixOf: original.id, backend: undefined }, surface);
  }

  /** Cancels a job: the requester or an admin. Releases its reservation. */
  async cancel(actor: Actor, jobId: string): Promise<JobRecord> {
    const job = await this.visibleJob(actor, jobId);
    if (job.requesterId !== actor.userId && !actor.isAdmin) {
      throw new UserFacingError('not_allowed', `Only ${job.requesterName} or an admin can cancel job ${job.id}.`);
    }
    if (TERMINAL_STATES.has(job.state)) throw new UserFacingError('already_finished', `Job ${job.id} is already ${job.state}.`);
    if (job.state === 'downloading' || job.state === 'delivering') {
      throw new UserFacingError('too_late', `Job ${job.id} has already been made and is being posted, so it can no longer be cancelled.`);
    }
    return this.runner.cancel(job.id, actor.displayName);
  }

  async job(actor: Actor, jobId: string): Promise<JobRecord> {
    return this.visibleJob(actor, jobId);
  }

  /** The tenant's recent jobs that this actor can see (see visibility.ts). */
  async recentJobs(actor: Actor): Promise<JobRecord[]> {
    return new Sight(actor).filter(await this.jobs.recent(actor.tenant));
  }

  /** A job the actor can see; one that exists elsewhere reads exactly like one that does not. */
  private async visibleJob(actor: Actor, jobId: string): Promise<JobRecord> {
    const job = await this.jobs.getForTenant(actor.tenant, jobId);
    if (!job || !(await new Sight(actor).sees(job))) throw new UserFacingError('unknown_job', `There is no job ${jobId} in this team that you can see.`);
    return job;
  }

  /** Current queue position of a waiting job. */
  queuePosition(jobId: string): number | undefined {
    return this.scheduler.position(jobId);
  }

  // -------------------------------------------------------------------------
  // Characters
  // -------------------------------------------------------------------------

  async createCharacter(
    actor: Actor,
    request: { name: string; description: string | undefined; clipPath?: string; url?: string; fromJob?: string },
  ): Promise<CharacterView> {
    const name = request.name.trim().replace(/^@/, '');
    if (!CHARACTER_NAME.test(name)) {
      throw new UserFacingError('bad_name', 'Character names are 2–32 letters, digits, _ or -, with no spaces (e.g. mascot or team_robot).');
    }
    const key = characterKey(name);
    const sources = [request.clipPath, request.url, request.fromJob].filter((s) => s !== undefined && s !== '');
    if (sources.length !== 1) {
      throw new UserFacingError('bad_source', 'Give exactly one source for the character: a video clip, --video_url, or --from_job.');
    }
    if (await this.characters.get(actor.tenant, key)) {
      throw new UserFacingError('name_taken', `This team already has a character called @${name}. Pick another name or delete the old one first.`);
    }
    const media = this.options.media;
    let clipPath: string;
    let source: Character['source'];
    if (request.clipPath) {
      clipPath = await takeClip(media, actor.tenant, { clipPath: request.clipPath });
      source = { kind: 'clip', fileName: request.clipPath.split(/[\\/]/).pop() ?? 'clip.mp4' };
    } else if (request.url) {
      clipPath = await takeClip(media, actor.tenant, { url: request.url });
      source = { kind: 'url', url: request.url };
    } else {
      const job = await this.visibleJob(actor, request.fromJob!);
      if (job.state !== 'delivered' || !job.resultPath) {
        throw new UserFacingError('not_finished', `Job ${job.id} has no finished video to take the character from.`);
      }
      try {
        clipPath = await takeClip(media, actor.tenant, { resultPath: job.resultPath });
      } catch (error) {
        // Too large, over the quota or not a video: the sentence says so. Only a missing file means "gone".
        if (error instanceof UserFacingError && error.code !== 'source_missing') throw error;
        this.options.logger.warn({ err: error, job: job.id }, 'source video of job is gone');
        throw new UserFacingError('source_gone', `The video of job ${job.id} is no longer stored. Use a clip or a link instead.`);
      }
      source = { kind: 'job', jobId: job.id };
    }
    const character: Character = {
      tenant: actor.tenant,
      name,
      key,
      description: (request.description ?? '').trim(),
      ownerId: actor.userId,
      ownerName: actor.displayName,
      source,
      clipPath,
      bindings: {},
      createdAt: this.options.clock.now(),
    };
    if (!(await this.characters.add(character))) {
      await media.discard([clipPath]);
      throw new UserFacingError('name_taken', `This team already has a character called @${name}.`);
    }
    this.options.logger.info({ tenant: actor.tenant, character: key, source: source.kind }, 'character created');
    return this.viewCharacter(character);
  }

  async listCharacters(actor: Actor): Promise<Character[]> {
    return [...(await this.characters.all(actor.tenant)).values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  async showCharacter(actor: Actor, name: string): Promise<CharacterView> {
    return this.viewCharacter(await this.requireCharacter(actor, name));
  }

  async deleteCharacter(actor: Actor, name: string): Promise<Character> {
    const character = await this.requireCharacter(actor, name);
    if (character.ownerId !== actor.userId && !actor.isAdmin) {
      throw new UserFacingError('not_allowed', `Only ${character.ownerName} (who created @${character.name}) or an admin can delete it.`);
    }
    await this.characters.remove(actor.tenant, character.key);
    await this.options.media.discard(filesOfCharacter(character));
    for (const [backendId, binding] of Object.entries(character.bindings)) {
      const backend = this.backends.get(backendId);
      if (!backend?.deleteCharacter) continue;
      // Best effort: the registry entry is already gone, a provider-side leftover only costs storage.
      backend.deleteCharacter(binding).catch((error: unknown) => this.options.logger.warn({ err: error, backend: backendId }, 'could not delete provider-side character'));
    }
    return character;
  }

  private async requireCharacter(actor: Actor, name: string): Promise<Character> {
    const registry = await this.characters.all(actor.tenant);
    const character = registry.get(characterKey(name.replace(/^@/, '')));
    if (!character) {
      const close = closestNames(name.replace(/^@/, ''), [...registry.values()].map((c) => c.name));
      throw new UserFacingError(
        'unknown_character',
        `There is no character called @${name.replace(/^@/, '')} in this team.${close.length ? ` Did you mean ${close.map((c) => `@${c}`).join(' or ')}?` : ''}`,
      );
    }
    return character;
  }

  viewCharacter(character: Character): CharacterView {
    const readiness = this.backendList().map((backend) => {
      const caps = backend.capabilities;
      const base = { backend: backend.id, name: caps.displayName };
      if (character.bindings[backend.id]) return { ...base, state: 'ready' as const, note: 'ready' };
      const why = unsuitability(backend, {
        characters: [character],
        seconds: undefined,
        orientation: 'landscape',
        quality: 'standard',
        hasImage: false,
        filesReachable: this.options.publicUrl !== undefined,
      });
      if (why || (caps.characters.binding !== 'reference-images' && !backend.createCharacter)) {
        return { ...base, state: 'unsupported' as const, note: why ?? 'cannot hold characters' };
      }
      return { ...base, state: 'on-first-use' as const, note: 'prepared automatically the first time a video uses it here' };
    });
    return { character, readiness };
  }

  /** Autocomplete: this tenant's character names starting with (or containing) the typed text. */
  async suggestCharacters(tenant: TenantId, typed: string, limit = 25): Promise<string[]> {
    const t = characterKey(typed.replace(/^@/, ''));
    const names = [...(await this.characters.all(tenant)).values()].map((c) => c.name).sort();
    return [...names.filter((n) => characterKey(n).startsWith(t)), ...names.filter((n) => !characterKey(n).startsWith(t) && characterKey(n).includes(t))].slice(0, limit);
  }

  async suggestJobs(actor: Actor, typed: string, limit = 25): Promise<JobRecord[]> {
    const matching = (await this.jobs.recent(actor.tenant)).filter((j) => j.id.startsWith(typed.trim()));
    return (await new Sight(actor).filter(matching)).slice(0, limit);
  }

  // -------------------------------------------------------------------------
  // Cost and budget
  // -------------------------------------------------------------------------

  async costReport(actor: Actor, request: { period: 'this-month' | 'last-month'; userId?: string }): Promise<CostReport> {
    const current = monthOf(this.options.clock.now());
    const month = request.period === 'last-month' ? previousMonth(current) : current;
    const summary = await this.ledger.summary(actor.tenant, month);
    const caps = await this.settings.capsFor(actor.tenant, request.userId ?? actor.userId);
    const settings = await this.settings.get(actor.tenant);
    const backendNames = Object.fromEntries(this.backendList().map((b) => [b.id, b.capabilities.displayName]));
    const reference = this.backends.get(this.options.referencePriceBackend);
    let user: CostReport['user'];
    if (request.userId) {
      const line = summary.byUser[request.userId];
      user = { id: request.userId, name: line?.name ?? request.userId, capMicros: caps.userCapMicros };
    }
    return {
      tenant: actor.tenant,
      month,
      summary,
      tenantCapMicros: caps.tenantCapMicros,
      userCapMicros: settings.userCapMicros ?? this.options.defaults.userCapMicros,
      user,
      referenceBackendName: reference?.capabilities.displayName ?? this.options.referencePriceBackend,
      backendNames,
    };
  }

  async budget(actor: Actor): Promise<BudgetView> {
    const month = monthOf(this.options.clock.now());
    const summary = await this.ledger.summary(actor.tenant, month);
    const settings = await this.settings.get(actor.tenant);
    const caps = await this.settings.capsFor(actor.tenant, actor.userId);
    const me = summary.byUser[actor.userId];
    return {
      month,
      policy: settings.policy ?? this.options.defaults.policy,
      tenantCapMicros: caps.tenantCapMicros,
      tenantSpentMicros: summary.total.spentMicros,
      tenantReservedMicros: summary.total.reservedMicros,
      userCapMicros: caps.userCapMicros,
      userSpentMicros: me?.spentMicros ?? 0,
      userReservedMicros: me?.reservedMicros ?? 0,
      userCaps: Object.entries(settings.userCaps).map(([userId, capMicros]) => ({ userId, name: summary.byUser[userId]?.name ?? userId, capMicros })),
    };
  }

  /** Admins only: the team cap, one member's cap, or the routing policy. */
  async setBudget(actor: Actor, change: { amountMicros?: Micros; userId?: string; policy?: RoutingPolicy }): Promise<BudgetView> {
    if (!actor.isAdmin) throw new UserFacingError('not_allowed', 'Only admins can change budgets or the routing policy.');
    if (change.amountMicros === undefined && change.policy === undefined) {
      throw new UserFacingError('nothing_to_set', 'Say what to set: an amount in USD (e.g. /budget set 20), and/or --policy cost|stability.');
    }
    if (change.userId !== undefined && change.amountMicros === undefined) {
      throw new UserFacingError('nothing_to_set', 'Give the amount for that member, e.g. /budget set 5 --user @alice.');
    }
    await this.settings.update(actor.tenant, (s) => {
      if (change.amountMicros !== undefined) {
        if (change.userId) s.userCaps[change.userId] = change.amountMicros;
        else s.tenantCapMicros = change.amountMicros;
      }
      if (change.policy) s.policy = change.policy;
    });
    this.options.logger.info({ tenant: actor.tenant, by: actor.userId, change }, 'budget changed');
    return this.budget(actor);
  }

  /** A verified provider event (webhook) for a job: wakes its loop at once. */
  providerEvent(backend: string, providerJobId: string, status?: import('./ports.js').ProviderStatus): boolean {
    return this.runner.wake(backend, providerJobId, status);
  }
}

