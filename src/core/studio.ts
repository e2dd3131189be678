/**
 * The Studio: the platform-neutral use cases behind one narrow facade. Chat
 * adapters and the console call these and render what comes back; backends,
 * the store, media and surfaces are ports. Its parts (job store, ledger,
 * runner…) are not on the facade: tests reach them through studio-internals.ts.
 */
import { reconcileAcceptance } from './acceptance.js';
import { KeyValueBoardStore, type BoardRepository } from './board-store.js';
import { PagedAuditLog, type AuditLog } from './audit-log.js';
import { AuditedLedger } from './audited-ledger.js';
import { BudgetForecast } from './budget-forecast.js';
import { QuietTurns } from './quiet-turns.js';
import { cancelJob } from './cancellation.js';
import { BudgetDesk, type BudgetView, type CostReport } from './budget-desk.js';
import { CharacterCatalog, type CharacterView } from './character-catalog.js';
import { DocumentCharacterRegistry, type CharacterRegistry } from './characters.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { JobIntake, type Accepted, type OpenSurface } from './job-intake.js';
import { msg } from './messages.js';
import { JobRunner } from './job-runner.js';
import { JobStore } from './job-store.js';
import { KeyValueLedger } from './ledger.js';
import { filesInUse } from './media-ownership.js';
import type { Backend, JobRepository, KeyValueStore, Ledger, Logger, MediaStore, Surface } from './ports.js';
import { referencePriceOf } from './pricing.js';
import { FairScheduler, type Scheduler } from './scheduler.js';
import { reconcileBoards } from './storyboard-plan.js';
import { StoryboardDesk } from './storyboard-desk.js';
import { Sight } from './visibility.js';
import { TakeDesk } from './takes.js';
import { TeamDesk } from './team-desk.js';
import { keepInternals } from './studio-internals.js';
import { DocumentTenantSettings, type SettingsDefaults, type TenantSettingsRepository } from './tenant-settings.js';
import { JobClosed } from './job-lifecycle.js';
import {
  type Actor,
  type Character,
  type GenerationInput,
  type JobRecord,
  type Resolution,
  type Sound,
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
  /** A job awaiting approval is released after this long without a decision (default 24 h). */
  approvalTimeoutMs?: number;
  concurrency: { perBackend: number; perTenant: number };
  /** Base for provider webhooks (`{publicUrl}/webhooks/{backend}`), when the bot is reachable. */
  publicUrl: string | undefined;
  /** Tables (src/store/sql) instead of the key-value documents: the ledger and jobs come as a pair. */
  ledger?: Ledger;
  jobs?: JobRepository;
  /** The audit trail and storyboards in tables (src/store/sql): replicas append to the one, each drives its own boards. */
  audit?: AuditLog;
  boards?: BoardRepository;
  /** How long providers take relative to real ones (job-context.ts `providerPace`). */
  providerPace?: number;
  characters?: CharacterRegistry;
  settings?: TenantSettingsRepository;
  scheduler?: Scheduler;
  /** On a store replicas share: how long a quote may reuse a team's settings and characters (recent-reads.ts). */
  quoteReadsMs?: number;
  /** The arrivals the stores also yield to (the SQLite replay guard's writes), when the app shares them. */
  arrivals?: QuietTurns;
}

/**
 * What `launch` starts: a new generation (with an image file the surface fetched, if any), or a
 * remix of a finished job; and the surface reference the job starts with.
 */
export type LaunchRequest = { surface: SurfaceRef; takes?: number } & ({ input: GenerationInput; imageSource?: string } | { remixOf: string; prompt: string });

export type { Accepted, OpenSurface } from './job-intake.js';
export type { CharacterView } from './character-catalog.js';
export type { BudgetView, CostReport } from './budget-desk.js';

/** How often a job that could not be shown is asked to cancel before the next start is left to run it. */
const CANCEL_ATTEMPTS = 3;

export class Studio {
  private readonly jobs: JobRepository;
  private readonly characters: CharacterRegistry;
  private readonly settings: TenantSettingsRepository;
  private readonly ledger: AuditedLedger;
  private readonly scheduler: Scheduler;
  private readonly breaker: CircuitBreaker;
  private readonly runner: JobRunner;
  /** Storyboards and extensions (storyboard-desk.ts). */
  readonly boards: StoryboardDesk;
  /** Approvals, access, channel defaults, warnings and the audit trail (team-desk.ts). */
  readonly team: TeamDesk;
  readonly audit: AuditLog;
  /** `--takes`: the kept take of a request (takes.ts). */
  readonly takes: TakeDesk;
  private readonly backends: Map<string, Backend>;
  private readonly catalog: CharacterCatalog;
  private readonly desk: BudgetDesk;
  private readonly intake: JobIntake;
  private readonly forecast: BudgetForecast;
  /** Commands arriving at this process; work that can wait yields to them (quiet-turns.ts). */
  readonly arrivals: QuietTurns;
  private accepting = true;
  private reconciled: Promise<unknown> | undefined;

  constructor(private readonly options: StudioOptions) {
    this.backends = new Map(options.backends.map((b) => [b.id, b]));
    this.arrivals = options.arrivals ?? new QuietTurns();
    this.jobs = options.jobs ?? new JobStore(options.store);
    this.characters = options.characters ?? new DocumentCharacterRegistry(options.store);
    this.settings = options.settings ?? new DocumentTenantSettings(options.store, options.defaults);
    this.audit = options.audit ?? new PagedAuditLog(options.store, options.clock);
    // Every reserve, settle and release is appended to the audit trail, whichever ledger holds the money.
    this.ledger = new AuditedLedger(options.ledger ?? new KeyValueLedger(options.store), this.audit);
    this.breaker = new CircuitBreaker(options.clock);
    this.scheduler =
      options.scheduler ??
      new FairScheduler({ perBackend: () => options.concurrency.perBackend, perTenant: options.concurrency.perTenant });
    const { clock, logger, media, jobDeadlineMs, publicUrl } = options;
    const parts = { jobs: this.jobs, characters: this.characters, settings: this.settings, ledger: this.ledger, breaker: this.breaker, audit: this.audit };
    const referencePrice = (seconds: number, resolution: Resolution, audio: Sound) => referencePriceOf(this.backends.get(options.referencePriceBackend)?.capabilities, seconds, resolution, audio);
    const capsFor = (tenant: TenantId, userId: string) => this.settings.capsFor(tenant, userId);
    const pace = options.providerPace;
    this.runner = new JobRunner({ ...parts, scheduler: this.scheduler, backends: this.backends, media, clock, logger, publicUrl, referencePrice, capsFor, ...(pace && { providerPace: pace }) });
    const visibleJob = (actor: Actor, jobId: string) => this.visibleJob(actor, jobId);
    this.takes = new TakeDesk({ jobs: this.jobs, lifecycle: this.runner.lifecycle });
    const resultOf = (job: JobRecord) => this.takes.resultOf(job);
    const approvalTimeoutMs = options.approvalTimeoutMs ?? 24 * 60 * 60_000;
    this.boards = new StoryboardDesk({
      ...{ ...parts, boards: options.boards ?? new KeyValueBoardStore(options.store), backends: () => this.backendList(), media, clock, logger, runner: this.runner, jobDeadlineMs },
      filesReachable: publicUrl !== undefined,
      referencePrice,
      resultOf,
      ready: () => this.ready(),
      approvalTimeoutMs,
    });
    const boards = { approvals: this.boards.approvals, board: (actor: Actor, boardId: string) => this.boards.board(actor, boardId) };
    this.team = new TeamDesk({ ...parts, approvals: this.runner.approvals, boards, backends: this.backends, surfaces: this.runner.surfaces, clock, logger, approvalTimeoutMs, visibleJob });
    // `--from_job` of a request made with takes takes its kept one.
    const visibleResult = async (actor: Actor, jobId: string) => resultOf(await visibleJob(actor, jobId));
    this.catalog = new CharacterCatalog({ ...parts, backends: this.backends, media, clock, logger, publicUrl, visibleJob: visibleResult });
    this.desk = new BudgetDesk({ ...parts, backends: this.backends, clock, logger, defaults: options.defaults, referencePriceBackend: options.referencePriceBackend });
    this.intake = new JobIntake({ ...parts, team: this.team, backends: this.backends, media, clock, logger, publicUrl, jobDeadlineMs, referencePrice, quoteReadsMs: options.quoteReadsMs });
    this.forecast = new BudgetForecast({ ledger: this.ledger, clock, arrivals: this.arrivals, quote: (actor, input, takes) => this.intake.quote(actor, input, { platform: 'quote' }, takes) });
    keepInternals(this, { ...parts, scheduler: this.scheduler, runner: this.runner, accept: (...request) => this.accept(...request) });
  }

  get clock(): Clock { return this.options.clock; }

  backendList(): Backend[] { return [...this.backends.values()]; }

  backend(id: string): Backend | undefined { return this.backends.get(id); }

  attachSurface(surface: Surface): void {
    this.runner.surfaces.set(surface.platform, surface);
  }

  /**
   * Settles what an unclean stop left of acceptances (see acceptance.ts). Runs
   * once, before this process accepts its first request and before it resumes.
   */
  reconcile(): Promise<unknown> {
    const deps = { jobs: this.jobs, ledger: this.ledger, logger: this.options.logger };
    this.reconciled ??= reconcileAcceptance(deps)
      .then(() => reconcileBoards({ ...deps, boards: this.boards.boardStore }))
      .catch((error: unknown) => {
        this.reconciled = undefined; // a store that failed once is asked again by the next request
        throw error;
      });
    return this.reconciled;
  }

  private async ready(): Promise<void> {
    if (!this.accepting) throw new UserFacingError(msg('shutting_down'));
    await this.reconcile();
  }

  /** Resumes every unfinished job from the store: the restart path. */
  async resume(): Promise<number> {
    await this.reconcile();
    const jobs = await this.runner.resume();
    return jobs + (await this.boards.resume());
  }

  /** Resumes the jobs and storyboards taken over from a replica no longer seen (already claimed): jobs first, so a board's shots are followed. */
  async takeOver(jobs: JobRecord[], boardIds: string[] = []): Promise<number> {
    return (await this.runner.resume(jobs)) + (await this.boards.takeOver(boardIds));
  }

  /** Resolves once no job is running or waiting for a slot (the console's piped mode exits then). */
  idle(): Promise<void> { return this.runner.idle(); }

  /** Stops taking new jobs and stops the runner's loops; state is already persisted per transition. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    this.boards.stop();
    await this.runner.stop();
  }

  // -------------------------------------------------------------------------
  // Generation
  // -------------------------------------------------------------------------

  /**
   * Starts a job in two phases that only the core may order: accept (validate, route, price, reserve
   * and persist, all local and fast, so an adapter can do it before answering the platform), then
   * `openSurface` shows the job where it will live, and only then does it run. When the surface cannot
   * be opened the job is cancelled and its reservation released, so nothing is spent, and the error
   * goes back to the adapter.
   */
  async launch(actor: Actor, request: LaunchRequest, openSurface: OpenSurface): Promise<Accepted> {
    const takes = request.takes ?? 1;
    const accepted = await this.forecast.acceptAnswering(actor, 'input' in request ? request.input : undefined, takes, openSurface.acknowledge, () =>
      'remixOf' in request ? this.remix(actor, request.remixOf, request.prompt, request.surface, takes) : this.accept(actor, request.input, request.surface, request.imageSource, takes),
    );
    const jobs = accepted.takes ?? [accepted.job];
    try {
      const opened = await openSurface(accepted);
      const started: JobRecord[] = [];
      for (const [i, job] of jobs.entries()) started.push(await this.runner.start(job.id, Array.isArray(opened) ? (opened[i] ?? {}) : opened));
      return { ...accepted, job: started[0]!, ...(accepted.takes && { takes: started }) };
    } catch (error) {
      this.options.logger.info({ err: error, jobs: jobs.map((j) => j.id) }, 'the job could not be shown where it was asked for; cancelling it');
      for (const { id } of jobs) await this.cancelUnshown(id);
      throw error;
    }
  }

  /**
   * A job nobody can see must not keep its money: a store that fails once (a query timeout under load)
   * is asked again, and a job still left holding its reservation is run by the next start, as one whose
   * adapter died before it was shown.
   */
  private async cancelUnshown(jobId: string): Promise<void> {
    for (let attempt = 1; attempt <= CANCEL_ATTEMPTS; attempt++) {
      try {
        await this.runner.cancel(jobId, 'the bot');
        return;
      } catch (error) {
        if (error instanceof JobClosed) return;
        this.options.logger.warn({ err: error, job: jobId, attempt }, 'could not cancel a job that was not shown');
        if (attempt < CANCEL_ATTEMPTS) await this.options.clock.sleep(attempt * 1_000);
      }
    }
  }

  /** Accept and start at once, for a surface with nothing to open first (tests, scripts). */
  generate(actor: Actor, input: GenerationInput, surface: SurfaceRef): Promise<Accepted> {
    return this.launch(actor, { input, surface }, async () => ({}));
  }

  /** A generation, with an `--image` file the adapter fetched (or the console named). */
  private async accept(actor: Actor, input: GenerationInput, surface: SurfaceRef, imageSource: string | undefined, takes = 1): Promise<Accepted> {
    await this.ready();
    return this.intake.accept(actor, input, surface, imageSource, takes);
  }

  /** Every file a live character of these teams or a job in flight still needs (for the media sweep). */
  async filesInUse(tenants: TenantId[]): Promise<Set<string>> {
    return filesInUse(this.characters, this.jobs, tenants);
  }

  /** A remix of a request made with `--takes` varies its kept take. */
  private async remix(actor: Actor, jobId: string, prompt: string, surface: SurfaceRef, takes: number): Promise<Accepted> {
    const original = await this.takes.resultOf(await this.visibleJob(actor, jobId));
    return this.accept(actor, { ...original.input, prompt, remixOf: original.id, backend: undefined }, surface, undefined, takes);
  }

  /** "Keep" on a take: it becomes its request's result (takes.ts). */
  async keep(actor: Actor, jobId: string): Promise<JobRecord> { return this.takes.keep(actor, await this.visibleJob(actor, jobId)); }

  /** Cancels a job: the requester or an admin (cancellation.ts). Releases its reservation. */
  async cancel(actor: Actor, jobId: string): Promise<JobRecord> {
    const parts = { boardOf: (id: string) => this.boards.boardStore.get(id), cancel: (id: string, by: string) => this.runner.cancel(id, by), record: this.team.record.bind(this.team) };
    return cancelJob(parts, actor, await this.visibleJob(actor, jobId));
  }

  async job(actor: Actor, jobId: string): Promise<JobRecord> { return this.visibleJob(actor, jobId); }

  /** The tenant's recent jobs that this actor can see (see visibility.ts). */
  async recentJobs(actor: Actor): Promise<JobRecord[]> {
    return new Sight(actor).filter(await this.jobs.recent(actor.tenant));
  }

  /** A job the actor can see; one that exists elsewhere reads exactly like one that does not. */
  private async visibleJob(actor: Actor, jobId: string): Promise<JobRecord> {
    const job = await this.jobs.getForTenant(actor.tenant, jobId);
    if (!job || !(await new Sight(actor).sees(job))) throw new UserFacingError(msg('unknown_job', { jobId, visible: true }));
    return job;
  }

  /** Current queue position of a waiting job. */
  queuePosition(jobId: string): number | undefined { return this.scheduler.position(jobId); }

  // -------------------------------------------------------------------------
  // Characters (src/core/character-catalog.ts) and money (src/core/budget-desk.ts)
  // -------------------------------------------------------------------------

  createCharacter(actor: Actor, request: Parameters<CharacterCatalog['createCharacter']>[1]): Promise<CharacterView> { return this.catalog.createCharacter(actor, request); }

  listCharacters(actor: Actor): Promise<Character[]> { return this.catalog.listCharacters(actor); }

  showCharacter(actor: Actor, name: string): Promise<CharacterView> { return this.catalog.showCharacter(actor, name); }

  async deleteCharacter(actor: Actor, name: string): Promise<Character> {
    const deleted = await this.catalog.deleteCharacter(actor, name);
    await this.team.record(actor, 'character-delete', `deleted @${deleted.name} (owner ${deleted.ownerName})`);
    return deleted;
  }

  viewCharacter(character: Character): CharacterView { return this.catalog.viewCharacter(character); }

  suggestCharacters(tenant: TenantId, typed: string, limit?: number): Promise<string[]> { return this.catalog.suggestCharacters(tenant, typed, limit); }

  suggestJobs(actor: Actor, typed: string, limit?: number): Promise<JobRecord[]> { return this.catalog.suggestJobs(actor, typed, limit); }

  costReport(actor: Actor, request: Parameters<BudgetDesk['costReport']>[1]): Promise<CostReport> { return this.desk.costReport(actor, request); }

  exportCsv(actor: Actor, period: Parameters<BudgetDesk['exportCsv']>[1]): ReturnType<BudgetDesk['exportCsv']> { return this.desk.exportCsv(actor, period); }

  spending(actor: Actor, period: Parameters<BudgetDesk['spending']>[1]): ReturnType<BudgetDesk['spending']> { return this.desk.spending(actor, period); }

  budget(actor: Actor): Promise<BudgetView> { return this.desk.budget(actor); }

  setBudget(actor: Actor, change: Parameters<BudgetDesk['setBudget']>[1]): Promise<BudgetView> { return this.desk.setBudget(actor, change); }

  /** A verified provider event (webhook) for a job: wakes its loop at once. */
  providerEvent(backend: string, providerJobId: string, status?: import('./ports.js').ProviderStatus): boolean {
    return this.runner.wake(backend, providerJobId, status);
  }
}

