/**
 * Drives jobs through the life written down in job-lifecycle.ts. A job this
 * process is driving is either running one step (submit, poll, download,
 * deliver; see job-submit.ts, job-follow.ts, job-delivery.ts) or waiting as an
 * entry in ONE timer queue for its next step. No job is a suspended loop with
 * a timer of its own. Every state change goes through `JobLifecycle.transition`,
 * which persists it before the side effect that follows, so a restarted
 * process picks up each job where it stood.
 * How a job ends early (failed, cancelled) is in job-ends.ts.
 */
import { CharacterBinder } from './job-binding.js';
import { StoreUnavailable } from './errors.js';
import { msg, type Message } from './messages.js';
import { backendOrRefuse, DONE, LiveJob, wait, type JobRunnerDeps, type StepContext, type StepResult } from './job-context.js';
import { deliverStep, downloadStep } from './job-delivery.js';
import { JobEnds } from './job-ends.js';
import { firstPollDelay, pollStep } from './job-follow.js';
import { IllegalTransition, JobClosed, JobLifecycle, JobMovedOn } from './job-lifecycle.js';
import { jobApprovals, type JobApprovals } from './job-approval.js';
import { JobNotifier } from './job-notifier.js';
import { QueuePositions } from './queue-positions.js';
import { submitStep } from './job-submit.js';
import { StepSlots } from './step-slots.js';
import type { Logger, ProviderStatus, Surface } from './ports.js';
import { TimerQueue } from './timer-queue.js';
import { TERMINAL_STATES, type JobRecord, type SurfaceRef } from './types.js';

/** How long a step that could not reach the store waits before it runs again. */
const STORE_RETRY_MS = 5_000;

export type { JobRunnerDeps } from './job-context.js';

/** Steps running at once (see step-slots.ts): enough to keep every provider's HTTP pool busy. */
export const STEP_LIMIT = 64;

export class JobRunner {
  readonly lifecycle: JobLifecycle;
  /** Jobs waiting for an admin (job-approval.ts): approve, deny, expiry. */
  readonly approvals: JobApprovals;
  private readonly notifier: JobNotifier;
  private readonly ctx: StepContext;
  private readonly live = new Map<string, LiveJob>();
  private readonly byProviderId = new Map<string, string>();
  private readonly timers: TimerQueue;
  private readonly slots: StepSlots;
  private readonly tasks = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private readonly positions: QueuePositions;
  private readonly ends: JobEnds;
  private stopped = false;

  constructor(private readonly deps: JobRunnerDeps) {
    this.lifecycle = new JobLifecycle(deps.jobs, deps.clock);
    this.notifier = new JobNotifier(this.lifecycle, deps.clock, deps.logger);
    this.positions = new QueuePositions(deps.scheduler, this.lifecycle, this.notifier, deps.clock);
    this.timers = new TimerQueue(deps.clock, (jobId) => this.run(jobId));
    this.slots = new StepSlots(deps.stepLimit ?? STEP_LIMIT, (jobId) => this.begin(jobId));
    const { scheduler, ledger, clock, logger, audit } = deps;
    this.approvals = jobApprovals({ lifecycle: this.lifecycle, notifier: this.notifier, scheduler, ledger, clock, logger, audit });
    this.ends = new JobEnds({ deps, lifecycle: this.lifecycle, notifier: this.notifier, positions: this.positions, stopLive: (jobId) => this.stopLive(jobId) });
    this.ctx = {
      deps,
      lifecycle: this.lifecycle,
      notifier: this.notifier,
      binder: new CharacterBinder({ characters: deps.characters, jobs: deps.jobs, media: deps.media, clock: deps.clock, logger: deps.logger }),
      log: deps.logger,
      fail: (jobId, message, code, charge) => this.fail(jobId, message, code, charge),
      watch: (live, backend, providerJobId) => this.watch(live, backend, providerJobId),
      backendOf: (backendId) => backendOrRefuse(deps.backends, backendId),
    };
    deps.scheduler.onDispatch((entry) => {
      this.positions.moved();
      this.dispatch(entry.jobId);
    });
    deps.scheduler.onLineMoved?.(() => this.positions.moved());
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  /** The chat surfaces, by platform. */
  get surfaces(): Map<string, Surface> {
    return this.notifier.surfaces;
  }

  /** Where storyboard shots' events go instead of a surface (board-runner.ts). */
  set boardListener(listener: JobNotifier['boardListener']) {
    this.notifier.boardListener = listener;
  }

  /** Jobs this process is driving right now (running a step or waiting in the timer queue). */
  get inFlight(): number {
    return this.live.size;
  }

  /** Resolves when no job is being driven and none waits for a slot (console's piped mode, tests). */
  async idle(): Promise<void> {
    for (;;) {
      const { waiting, running } = this.deps.scheduler;
      if (this.tasks.size === 0 && this.live.size === 0 && (waiting === 0 || running === 0)) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.positions.stop();
    this.timers.stop();
    this.slots.clear();
    this.approvals.stop();
    for (const live of this.live.values()) live.abort?.abort(new Error('shutting down'));
    await Promise.allSettled([...this.tasks]);
  }

  async start(jobId: string, surfacePatch: Partial<SurfaceRef>): Promise<JobRecord> {
    const job = await this.lifecycle.amend(jobId, (j) => ({ surface: { ...j.surface, ...surfacePatch } as SurfaceRef, started: true }));
    if (job.state === 'awaiting_approval') {
      this.approvals.wait(job);
      await this.notifier.notify(job, { type: 'awaiting-approval', thresholdMicros: job.approval!.thresholdMicros, expiresAt: job.approval!.expiresAt });
      return job;
    }
    this.deps.scheduler.enqueue({ jobId, tenant: job.tenant, backend: job.backend });
    const position = this.deps.scheduler.position(jobId);
    if (position !== undefined) await this.notifier.notify(job, { type: 'queued', position });
    return job;
  }

  async resume(jobs?: JobRecord[]): Promise<number> {
    const waiting = new Set(this.deps.scheduler.positions().keys());
    // Jobs this process already drives or holds in line are skipped: resuming them again would race them.
    // A shot not yet started waits for its board (a continuous shot for the frame before it): the board starts it.
    const candidates = jobs ?? (await (this.deps.jobs.claimActive?.() ?? this.deps.jobs.activeJobs()));
    const active = candidates.filter((job) => !this.live.has(job.id) && !waiting.has(job.id) && (job.started || !job.board));
    for (let job of active) {
      // The adapter died between accepting and posting; run the job anyway so
      // the reservation turns into a video the surface can still deliver.
      if (!job.started) job = await this.lifecycle.amend(job.id, { started: true });
      if (job.state === 'awaiting_approval') this.approvals.wait(job);
      else if (job.state === 'downloading' || job.state === 'delivering') {
        const live = this.adopt(job.id);
        live.holdsSlot = false;
        this.run(job.id);
      } else this.deps.scheduler.enqueue({ jobId: job.id, tenant: job.tenant, backend: job.backend });
    }
    if (active.length > 0) this.log.info({ jobs: active.length }, 'resumed unfinished jobs');
    return active.length;
  }

  // -------------------------------------------------------------------------
  // Steps
  // -------------------------------------------------------------------------

  private adopt(jobId: string): LiveJob {
    let live = this.live.get(jobId);
    if (!live) {
      live = new LiveJob(jobId);
      this.live.set(jobId, live);
    }
    return live;
  }

  /** The scheduler gave the job a slot: it enters, and takes the step its stored state calls for. */
  private dispatch(jobId: string): void {
    if (this.stopped) return;
    const live = this.adopt(jobId);
    live.holdsSlot = true;
    live.step = 'enter';
    this.run(jobId);
  }

  /** Runs the job's next step once a step slot is free, unless it is already running or waiting for one. */
  private run(jobId: string): void {
    const live = this.live.get(jobId);
    if (!live || live.cancelled || this.stopped || live.abort || this.slots.has(jobId)) return;
    this.slots.request(jobId);
  }

  /** The job got a step slot; it gives the slot back when the step ends. */
  private begin(jobId: string): void {
    const live = this.live.get(jobId);
    if (!live || live.cancelled || this.stopped || live.abort) return this.slots.release();
    const task = this.steps(live);
    this.tasks.add(task);
    void task.finally(() => {
      this.tasks.delete(task);
      this.slots.release();
      this.signalIdle();
    });
  }

  private async steps(live: LiveJob): Promise<void> {
    for (;;) {
      const abort = new AbortController();
      live.abort = abort;
      let result: StepResult;
      try {
        result = await this.take(live, abort.signal);
      } catch (error) {
        result = DONE;
        if (error instanceof StoreUnavailable) {
          // The store is out of reach for now (a busy pool, a dropped connection): the step runs again later.
          this.log.warn({ job: live.id, step: live.step, err: error }, 'the store could not be reached; the step is retried');
          result = wait(STORE_RETRY_MS);
        } else if (error instanceof IllegalTransition || error instanceof JobMovedOn) {
          // Another replica moved the job on (it took this one for dead): it drives the job now, and
          // this process stops without touching its money or its messages.
          this.log.warn({ job: live.id, err: error }, 'another process moved this job on; this one stops driving it');
        } else if (!(error instanceof JobClosed) && !live.cancelled && !this.stopped) {
          this.log.error({ err: error, job: live.id }, 'job failed unexpectedly');
          await this.fail(live.id, msg('failure.internal'), 'internal').catch((e: unknown) => this.log.error({ err: e, job: live.id }, 'could not record the failure'));
        }
      } finally {
        live.abort = undefined;
      }
      // Leaving the provider (downloading, delivering) frees the slot for the next job in line.
      if (live.step === 'download' || live.step === 'deliver') this.releaseSlot(live);
      if (live.cancelled || this.stopped) return this.forget(live);
      switch (result.next) {
        case 'now':
          continue;
        case 'wait': {
          const now = this.deps.clock.now();
          const woken = live.step === 'poll' && (live.pendingStatus !== undefined || live.poked);
          live.poked = false;
          this.timers.schedule(live.id, woken ? now : now + result.ms);
          return;
        }
        case 'requeued':
          // The fallback re-priced the job for the next backend: back in line for that backend's slot.
          this.forget(live);
          this.deps.scheduler.enqueue({ jobId: live.id, tenant: result.tenant, backend: result.backend });
          return;
        case 'done':
          return this.forget(live);
      }
    }
  }

  private take(live: LiveJob, signal: AbortSignal): Promise<StepResult> {
    switch (live.step) {
      case 'enter':
        return this.enter(live);
      case 'submit':
        return submitStep(this.ctx, live, signal);
      case 'poll':
        return pollStep(this.ctx, live, signal);
      case 'download':
        return downloadStep(this.ctx, live, signal);
      case 'deliver':
        return deliverStep(this.ctx, live);
    }
  }

  /** Picks the step a (possibly resumed) job's stored state calls for. */
  private async enter(live: LiveJob): Promise<StepResult> {
    const job = await this.lifecycle.get(live.id);
    if (!job || TERMINAL_STATES.has(job.state)) return DONE;
    switch (job.state) {
      case 'queued':
      case 'submitting':
        live.step = 'submit';
        return { next: 'now' };
      case 'submitted':
      case 'running':
        live.follow(job);
        live.step = 'poll';
        this.watch(live, job.backend, job.providerJobId!);
        return { next: 'wait', ms: firstPollDelay(this.ctx, live) };
      case 'downloading':
        live.step = 'download';
        return { next: 'now' };
      default:
        live.step = 'deliver';
        return { next: 'now' };
    }
  }

  private watch(live: LiveJob, backend: string, providerJobId: string): void {
    live.providerKey = `${backend}:${providerJobId}`;
    this.byProviderId.set(live.providerKey, live.id);
  }

  private releaseSlot(live: LiveJob): void {
    if (live.holdsSlot) this.deps.scheduler.finish(live.id);
    live.holdsSlot = false;
  }

  /** The job leaves this process's hands (it ended, moved back in line, or the process stops). */
  private forget(live: LiveJob): void {
    this.releaseSlot(live);
    this.timers.remove(live.id);
    this.slots.drop(live.id);
    if (this.live.get(live.id) === live) this.live.delete(live.id);
    if (live.providerKey && this.byProviderId.get(live.providerKey) === live.id) this.byProviderId.delete(live.providerKey);
    this.notifier.forget(live.id);
    this.positions.forget(live.id);
    this.signalIdle();
  }

  /** Stops the job's own step first, so it cannot settle after a cancel releases its money. */
  private stopLive(jobId: string): void {
    const live = this.live.get(jobId);
    if (live) {
      live.cancelled = true;
      live.abort?.abort(new Error('cancelled'));
      if (!live.abort) this.forget(live);
    }
  }

  private signalIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Ends a job as failed; its reservation is released unless the provider's policy bills it (job-ends.ts). */
  fail(jobId: string, said: Message, code: string, charge = false): Promise<void> {
    return this.ends.fail(jobId, said, code, charge);
  }

  cancel(jobId: string, byName: string): Promise<JobRecord> {
    return this.ends.cancel(jobId, byName);
  }

  /** A verified webhook: the job's next poll takes this status, and happens now. */
  wake(backend: string, providerJobId: string, status: ProviderStatus | undefined): boolean {
    const jobId = this.byProviderId.get(`${backend}:${providerJobId}`);
    const live = jobId ? this.live.get(jobId) : undefined;
    if (!live) return false;
    if (status) live.pendingStatus = status;
    else live.poked = true;
    if (this.timers.has(live.id)) this.timers.schedule(live.id, this.deps.clock.now());
    return true;
  }
}
