/**
 * Drives each job through its life:
 *   queued → submitting → submitted → running → downloading → delivering → delivered
 * with failed and cancelled as the other ends. Every transition is written to
 * the store before the next side effect, so a restarted process picks up each
 * job where it stood: the idempotency key is persisted before the provider is
 * called, the provider id before polling, and the file before delivery.
 */
import type { Logger } from 'pino';
import type { CharacterRegistry } from './characters.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Clock, SleepHandle } from './clock.js';
import { describeProviderFailure, isAbortError, ProviderError, UserFacingError } from './errors.js';
import type { JobStore } from './job-store.js';
import { KeyedMutex } from './keyed-mutex.js';
import { renderPromptForBackend } from './mentions.js';
import type { Micros } from './money.js';
import { nextPollDelayMs, POLL_FIRST_MS } from './polling.js';
import type { Backend, BoundCharacter, Ledger, MediaStore, ProviderStatus, Surface } from './ports.js';
import { estimateFor, fitSeconds, priceFor } from './pricing.js';
import type { Scheduler } from './scheduler.js';
import { TERMINAL_STATES, type Character, type CharacterBinding, type JobEvent, type JobRecord, type Quality, type SurfaceRef } from './types.js';

export interface JobRunnerDeps {
  jobs: JobStore;
  characters: CharacterRegistry;
  ledger: Ledger;
  scheduler: Scheduler;
  breaker: CircuitBreaker;
  backends: ReadonlyMap<string, Backend>;
  media: MediaStore;
  clock: Clock;
  logger: Logger;
  publicUrl: string | undefined;
  referencePrice: (seconds: number, quality: Quality) => Micros;
  capsFor: (tenant: string, userId: string) => Promise<{ tenantCapMicros: Micros; userCapMicros: Micros }>;
}

/** Raised inside a job's loop when someone else (cancel) already ended it. */
class JobClosed extends Error {
  constructor(readonly job: JobRecord) {
    super(`job ${job.id} is ${job.state}`);
  }
}

/**
 * In-memory handle of a job this process is driving. Thousands are alive at
 * once, so it stays small: one AbortController for the job's whole life, and
 * its waits are woken through the clock's sleep handle (it is its own
 * handle), not through a fresh controller and `AbortSignal.any` per wait.
 */
class LiveJob implements SleepHandle {
  readonly abort = new AbortController();
  pendingStatus: ProviderStatus | undefined;
  lastSurfaceAt = 0;
  lastStage = '';
  /** When progress was last written to the store (progress in between stays in memory). */
  lastPersistedAt = 0;
  /** `backend:providerJobId` while the job is registered for webhooks. */
  providerKey: string | undefined;
  /** Whether the job still holds its scheduler slot. */
  holdsSlot = true;
  /** Set by the clock while a wait is pending. */
  interrupt: (() => void) | undefined;

  constructor(readonly id: string) {}

  /** Sleeps on the clock, or less if a webhook wakes the job; rejects when the job is aborted. */
  wait(clock: Clock, ms: number): Promise<void> {
    if (this.pendingStatus) return Promise.resolve();
    return clock.sleep(ms, this.abort.signal, this);
  }

  wake(status: ProviderStatus | undefined): void {
    if (status) this.pendingStatus = status;
    this.interrupt?.();
  }
}

const DOWNLOAD_ATTEMPTS = 4;
const MAX_CONSECUTIVE_POLL_ERRORS = 30;
/** Progress is persisted at most this often; every state change is persisted at once. */
const PROGRESS_PERSIST_MS = 15_000;

export class JobRunner {
  readonly surfaces = new Map<string, Surface>();
  private readonly live = new Map<string, LiveJob>();
  private readonly byProviderId = new Map<string, string>();
  private readonly cache = new Map<string, JobRecord>();
  private readonly jobMutex = new KeyedMutex();
  private readonly bindingMutex = new KeyedMutex();
  private readonly tasks = new Set<Promise<void>>();
  private positionsDirty = false;
  private positionsScheduled = false;
  private stopped = false;

  constructor(private readonly deps: JobRunnerDeps) {
    deps.scheduler.onDispatch((entry) => {
      this.markPositionsDirty();
      this.track(this.drive(entry.jobId));
    });
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  private track(task: Promise<void>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** Jobs this process is driving right now. */
  get inFlight(): number {
    return this.live.size;
  }

  /** Resolves when no job is being driven and none waits (console's piped mode, tests). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0 || this.deps.scheduler.waiting > 0) {
      await Promise.allSettled([...this.tasks]);
      if (this.tasks.size === 0 && this.deps.scheduler.waiting > 0 && this.deps.scheduler.running === 0) break;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const live of this.live.values()) live.abort.abort(new Error('shutting down'));
    await Promise.allSettled([...this.tasks]);
  }

  // -------------------------------------------------------------------------
  // State: every write goes through `update`, serialized per job
  // -------------------------------------------------------------------------

  private async load(jobId: string): Promise<JobRecord | undefined> {
    return this.cache.get(jobId) ?? (await this.deps.jobs.get(jobId));
  }

  private update(jobId: string, change: (job: JobRecord) => void, options: { persist?: boolean } = {}): Promise<JobRecord> {
    return this.jobMutex.run(jobId, async () => {
      const job = await this.load(jobId);
      if (!job) throw new Error(`job ${jobId} vanished from the store`);
      if (TERMINAL_STATES.has(job.state)) throw new JobClosed(job);
      const before = job.state;
      change(job);
      job.updatedAt = this.deps.clock.now();
      if (TERMINAL_STATES.has(job.state)) {
        this.cache.delete(jobId);
        this.queuedPositions.delete(jobId);
      } else this.cache.set(jobId, job);
      if (options.persist !== false || job.state !== before) await this.deps.jobs.save(job);
      return job;
    });
  }

  async start(jobId: string, surfacePatch: Partial<SurfaceRef>): Promise<JobRecord> {
    const job = await this.update(jobId, (j) => {
      j.surface = { ...j.surface, ...surfacePatch } as SurfaceRef;
      j.started = true;
    });
    this.deps.scheduler.enqueue({ jobId, tenant: job.tenant, backend: job.backend });
    const position = this.deps.scheduler.position(jobId);
    if (position !== undefined) await this.notify(job, { type: 'queued', position });
    return job;
  }

  async resume(): Promise<number> {
    const active = (await this.deps.jobs.activeJobs()).filter((job) => !this.live.has(job.id) && !this.cache.has(job.id));
    for (const job of active) {
      // Jobs this process already drives are skipped: resuming them again would race their own loop.
      this.cache.set(job.id, job);
      if (!job.started) {
        // The adapter died between accepting and posting; run the job anyway so
        // the reservation turns into a video the surface can still deliver.
        job.started = true;
        await this.deps.jobs.save(job);
      }
      if (job.state === 'downloading' || job.state === 'delivering') this.track(this.drive(job.id));
      else this.deps.scheduler.enqueue({ jobId: job.id, tenant: job.tenant, backend: job.backend });
    }
    if (active.length > 0) this.log.info({ jobs: active.length }, 'resumed unfinished jobs');
    return active.length;
  }

  // -------------------------------------------------------------------------
  // Driving one job
  // -------------------------------------------------------------------------

  private async drive(jobId: string): Promise<void> {
    if (this.stopped) return;
    const live = new LiveJob(jobId);
    this.live.set(jobId, live);
    try {
      let job = await this.load(jobId);
      if (!job || TERMINAL_STATES.has(job.state)) return;
      if (job.state === 'queued' || job.state === 'submitting') {
        const submitted = await this.submit(job, live);
        if (submitted === 'requeued') {
          live.holdsSlot = false; // the fallback already moved the slot to the next backend
          return;
        }
        if (!submitted) return;
        job = submitted;
      }
      if (job.state === 'submitted' || job.state === 'running') {
        const followed = await this.follow(job, live);
        this.releaseSlot(live);
        if (!followed) return;
        job = followed;
      }
      this.releaseSlot(live);
      if (job.state === 'downloading') {
        const downloaded = await this.download(job, live);
        if (!downloaded) return;
        job = downloaded;
      }
      if (job.state === 'delivering') await this.deliver(job, live);
    } catch (error) {
      if (error instanceof JobClosed) return;
      if (this.stopped && (isAbortError(error) || live.abort.signal.aborted)) return;
      if (live.abort.signal.aborted) return; // cancelled: `cancel` did the bookkeeping
      this.log.error({ err: error, job: jobId }, 'job failed unexpectedly');
      await this.fail(jobId, 'Something went wrong inside the bot while making this video. Your budget was not charged; try again.', 'internal');
    } finally {
      this.releaseSlot(live);
      this.live.delete(jobId);
      // By the key the job registered: a finished job has left `cache`, so its record can't say.
      if (live.providerKey && this.byProviderId.get(live.providerKey) === jobId) this.byProviderId.delete(live.providerKey);
    }
  }

  private releaseSlot(live: LiveJob): void {
    if (live.holdsSlot) this.deps.scheduler.finish(live.id);
    live.holdsSlot = false;
  }

  private backendOf(job: JobRecord): Backend {
    const backend = this.deps.backends.get(job.backend);
    if (!backend) throw new UserFacingError('backend_gone', `The backend this job was sent to (${job.backend}) is no longer configured.`);
    return backend;
  }

  /** Submits the job, or moves it to the next backend, or fails it. */
  private async submit(job: JobRecord, live: LiveJob): Promise<JobRecord | 'requeued' | undefined> {
    let backend: Backend | undefined;
    try {
      backend = this.backendOf(job);
      const registry = await this.deps.characters.all(job.tenant);
      const characters = job.characterKeys.map((key) => registry.get(key)).filter((c): c is Character => c !== undefined);
      if (characters.length !== job.characterKeys.length) {
        throw new UserFacingError('character_deleted', 'A character named in this prompt was deleted before the video started.');
      }
      const bound = await this.bindCharacters(job, backend, characters, live.abort.signal);
      const prompt = renderPromptForBackend(
        job.input.prompt,
        characters,
        backend.capabilities.characters.mention,
        new Map(bound.map((b, i) => [characters[i]!.key, b.binding])),
      );
      let remixOfProviderJobId: string | undefined;
      if (job.input.remixOf) {
        const original = await this.deps.jobs.get(job.input.remixOf);
        if (original?.backend === backend.id && backend.capabilities.remix) remixOfProviderJobId = original.providerJobId;
      }
      job = await this.update(job.id, (j) => {
        j.state = 'submitting';
        j.stage = 'submitting';
        j.renderedPrompt = prompt;
      });
      await this.notify(job, { type: 'progress', stage: `sending to ${backend.capabilities.displayName}`, progress: 0, position: undefined });
      const { providerJobId } = await backend.submit(
        {
          jobId: job.id,
          // One key per (job, backend): a resubmission after a crash reuses it; a fallback does not collide.
          idempotencyKey: `${job.submissionKey}-${backend.id}`,
          prompt,
          seconds: job.seconds,
          size: job.size,
          orientation: job.input.orientation,
          quality: job.input.quality,
          characters: bound,
          imagePath: job.input.imagePath,
          remixOfProviderJobId,
          webhookUrl:
            backend.capabilities.completion === 'webhook' && this.deps.publicUrl ? `${this.deps.publicUrl}/webhooks/${backend.id}` : undefined,
        },
        live.abort.signal,
      );
      this.deps.breaker.recordSuccess(backend.id);
      try {
        job = await this.update(job.id, (j) => {
          j.state = 'submitted';
          j.stage = 'submitted';
          j.providerJobId = providerJobId;
          j.submittedAt = this.deps.clock.now();
        });
      } catch (error) {
        // Cancelled while the provider was accepting it: don't leave it running there.
        if (error instanceof JobClosed) backend.cancel?.(providerJobId).catch(() => {});
        throw error;
      }
      live.providerKey = `${backend.id}:${providerJobId}`;
      this.byProviderId.set(live.providerKey, job.id);
      this.log.info({ job: job.id, backend: backend.id, providerJobId }, 'job submitted');
      return job;
    } catch (error) {
      if (error instanceof JobClosed || live.abort.signal.aborted) throw error;
      if (error instanceof ProviderError && backend) {
        this.log.warn({ err: error, job: job.id, backend: backend.id, kind: error.kind, requestId: error.requestId }, 'submit failed');
        if (error.fallbackWorthy) this.deps.breaker.recordFailure(backend.id);
        const current = (await this.load(job.id)) ?? job;
        if (error.fallbackWorthy && current.fallbacks.length > 0) return this.fallBack(current, error);
        await this.fail(job.id, describeProviderFailure(error, backend.capabilities.displayName), error.kind, error.kind === 'moderation' && backend.capabilities.chargesForModeratedJobs);
        return undefined;
      }
      if (error instanceof UserFacingError) {
        this.log.warn({ err: error, job: job.id }, 'job refused before submission');
        await this.fail(job.id, error.userMessage, error.code);
        return undefined;
      }
      throw error;
    }
  }

  /** Moves a job whose backend failed to the next candidate, re-pricing its reservation. */
  private async fallBack(job: JobRecord, error: ProviderError): Promise<'requeued' | undefined> {
    const failed = this.backendOf(job);
    const nextId = job.fallbacks[0]!;
    const next = this.deps.backends.get(nextId);
    if (!next) {
      await this.fail(job.id, describeProviderFailure(error, failed.capabilities.displayName), error.kind);
      return undefined;
    }
    const seconds = fitSeconds(job.input.seconds, next.capabilities.seconds);
    const estimate = estimateFor(next.capabilities, seconds, job.input.quality);
    // Moving to a pricier backend must still fit the caps.
    const caps = await this.deps.capsFor(job.tenant, job.requesterId);
    const adjusted = await this.deps.ledger.adjust({
      tenant: job.tenant,
      userId: job.requesterId,
      userName: job.requesterName,
      jobId: job.id,
      month: job.ledgerMonth,
      micros: estimate,
      caps,
    });
    if (!adjusted.ok) {
      await this.fail(
        job.id,
        `${failed.capabilities.displayName} failed, and the next backend (${next.capabilities.displayName}) would cost more than the budget left. Nothing was charged.`,
        'fallback_over_budget',
      );
      return undefined;
    }
    const moved = await this.update(job.id, (j) => {
      j.triedBackends.push(j.backend);
      j.backend = next.id;
      j.fallbacks = j.fallbacks.slice(1);
      j.seconds = seconds;
      j.size = next.capabilities.sizes[j.input.orientation][j.input.quality] ?? j.size;
      j.estimateMicros = estimate;
      j.officialMicros = this.deps.referencePrice(seconds, j.input.quality);
      j.state = 'queued';
      j.stage = `retrying on ${next.capabilities.displayName}`;
      j.routeReason = `${next.capabilities.displayName}: ${failed.capabilities.displayName} failed (${error.kind.replace('_', ' ')}), so the next backend ran`;
    });
    this.log.info({ job: job.id, from: failed.id, to: next.id }, 'falling back to the next backend');
    await this.notify(moved, { type: 'progress', stage: moved.stage, progress: 0, position: undefined });
    this.deps.scheduler.finish(job.id);
    this.deps.scheduler.enqueue({ jobId: job.id, tenant: job.tenant, backend: next.id });
    return 'requeued';
  }

  /** Gives each named character the binding this backend needs, creating it the first time. */
  private async bindCharacters(job: JobRecord, backend: Backend, characters: Character[], signal: AbortSignal): Promise<BoundCharacter[]> {
    const out: BoundCharacter[] = [];
    for (const character of characters) {
      const binding = await this.bindingMutex.run(`${job.tenant}:${character.key}:${backend.id}`, async () => {
        const fresh = (await this.deps.characters.get(job.tenant, character.key)) ?? character;
        const existing = fresh.bindings[backend.id];
        if (existing) return existing;
        const created = await this.createBinding(job, backend, fresh, signal);
        await this.deps.characters.setBinding(job.tenant, character.key, backend.id, created);
        this.log.info({ tenant: job.tenant, character: character.key, backend: backend.id, kind: created.kind }, 'character bound to backend');
        return created;
      });
      out.push({ name: character.name, description: character.description, binding });
    }
    return out;
  }

  private async createBinding(job: JobRecord, backend: Backend, character: Character, signal: AbortSignal): Promise<CharacterBinding> {
    const kind = backend.capabilities.characters.binding;
    const needsFrames = kind === 'reference-images' || kind === 'element';
    const frames = needsFrames && character.clipPath ? await this.deps.media.extractFrames(character.clipPath, 4) : [];
    if (kind === 'reference-images') {
      if (frames.length === 0) {
        throw new UserFacingError('no_frames', `Reference frames for @${character.name} could not be cut from its clip, so ${backend.capabilities.displayName} cannot use it.`);
      }
      return { kind: 'reference-images', frontal: frames[0]!, references: frames.slice(1), createdAt: this.deps.clock.now() };
    }
    if (!backend.createCharacter) {
      throw new UserFacingError('no_binding', `${backend.capabilities.displayName} cannot hold characters.`);
    }
    let providerJobId: string | undefined;
    if (character.source.kind === 'job') {
      const sourceJob = await this.deps.jobs.get(character.source.jobId);
      if (sourceJob?.backend === backend.id) providerJobId = sourceJob.providerJobId;
    }
    const clipUrl =
      character.source.kind === 'url'
        ? character.source.url
        : character.clipPath
          ? this.deps.media.publicUrlFor(character.clipPath, 60 * 60_000)
          : undefined;
    return backend.createCharacter(
      { name: character.name, description: character.description, clipPath: character.clipPath, clipUrl, providerJobId, frames },
      signal,
    );
  }

  /** Polls (or waits for a webhook) until the provider finishes, fails, or the deadline passes. */
  private async follow(job: JobRecord, live: LiveJob): Promise<JobRecord | undefined> {
    const backend = this.backendOf(job);
    live.providerKey = `${backend.id}:${job.providerJobId}`;
    this.byProviderId.set(live.providerKey, job.id);
    const clock = this.deps.clock;
    const webhook = backend.capabilities.completion === 'webhook' && this.deps.publicUrl !== undefined;
    let previousProgress: number | undefined;
    let delay: number | undefined;
    let errors = 0;
    // A resumed job is caught up at once; a fresh one gives the provider a moment.
    let wait = job.state === 'running' || job.polls > 0 ? 0 : webhook ? nextPollDelayMs({ elapsedMs: 0, progress: undefined, previousProgress: undefined, previousDelayMs: undefined, webhook }) : POLL_FIRST_MS;
    for (;;) {
      const untilDeadline = job.deadlineAt - clock.now();
      if (untilDeadline <= 0) {
        backend.cancel?.(job.providerJobId!).catch(() => {});
        const minutes = Math.round((job.deadlineAt - job.createdAt) / 60_000);
        await this.fail(job.id, `${backend.capabilities.displayName} did not finish the video within ${minutes} minutes, so the job was stopped. Nothing was charged; try again.`, 'deadline');
        return undefined;
      }
      await live.wait(clock, Math.min(wait, untilDeadline));
      let status = live.pendingStatus;
      live.pendingStatus = undefined;
      if (!status) {
        if (clock.now() >= job.deadlineAt) continue;
        try {
          job.polls += 1;
          status = await backend.status(job.providerJobId!, live.abort.signal);
          errors = 0;
        } catch (error) {
          if (live.abort.signal.aborted) throw error;
          if (!(error instanceof ProviderError)) throw error;
          errors += 1;
          this.log.warn({ err: error, job: job.id, kind: error.kind, requestId: error.requestId }, 'status check failed');
          if (error.kind === 'not_found' || error.kind === 'auth' || errors >= MAX_CONSECUTIVE_POLL_ERRORS) {
            await this.fail(job.id, describeProviderFailure(error, backend.capabilities.displayName), error.kind);
            return undefined;
          }
          wait = Math.max(error.retryAfterMs ?? 0, Math.min(60_000, 2_000 * 2 ** Math.min(errors, 5)));
          continue;
        }
      }
      switch (status.state) {
        case 'queued':
        case 'running': {
          const progress = Math.max(0, Math.min(99, Math.round(status.progress ?? 0)));
          const stage = status.state === 'queued' ? `waiting in ${backend.capabilities.displayName}'s queue` : 'generating';
          const stateChange = job.state !== 'running' && status.state === 'running';
          const persist = stateChange || clock.now() - live.lastPersistedAt >= PROGRESS_PERSIST_MS;
          job = await this.update(
            job.id,
            (j) => {
              if (status!.state === 'running') j.state = 'running';
              j.progress = progress;
              j.stage = stage;
            },
            { persist },
          );
          if (persist) live.lastPersistedAt = clock.now();
          await this.notify(job, { type: 'progress', stage, progress, position: status.queuePosition });
          const elapsedMs = clock.now() - (job.submittedAt ?? job.createdAt);
          delay = nextPollDelayMs({ elapsedMs, progress: status.state === 'running' ? status.progress : undefined, previousProgress, previousDelayMs: delay, webhook });
          previousProgress = status.progress;
          wait = delay;
          continue;
        }
        case 'completed':
          return this.update(job.id, (j) => {
            j.state = 'downloading';
            j.stage = 'downloading';
            j.progress = 100;
            j.completedAt = clock.now();
            if (status!.seconds) j.seconds = status!.seconds;
          });
        case 'failed': {
          const error = status.error ?? new ProviderError({ kind: 'transient', backend: backend.id, message: 'provider reported failure without a reason' });
          this.log.warn({ err: error, job: job.id, kind: error.kind, code: error.providerCode }, 'provider failed the job');
          await this.fail(job.id, describeProviderFailure(error, backend.capabilities.displayName), error.kind, error.kind === 'moderation' && backend.capabilities.chargesForModeratedJobs);
          return undefined;
        }
        case 'cancelled':
          await this.fail(job.id, `${backend.capabilities.displayName} cancelled the job on its side. Nothing was charged; try again.`, 'provider_cancelled');
          return undefined;
      }
    }
  }

  /** Copies the result into DATA_DIR the moment it exists (provider URLs expire), then settles. */
  private async download(job: JobRecord, live: LiveJob): Promise<JobRecord | undefined> {
    const backend = this.backendOf(job);
    await this.notify(job, { type: 'progress', stage: 'downloading', progress: 100, position: undefined });
    let lastError: unknown;
    for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
      try {
        const stream = await backend.openResult(job.providerJobId!, live.abort.signal);
        const saved = await this.deps.media.saveResult(job.id, stream, live.abort.signal);
        const price = priceFor(backend.capabilities.price, job.seconds, job.input.quality);
        // Settle only once the file is ours: a video we could not save is not charged to the team.
        await this.deps.ledger.settle({
          tenant: job.tenant,
          jobId: job.id,
          month: job.ledgerMonth,
          backend: backend.id,
          priceMicros: price,
          officialMicros: job.officialMicros,
        });
        return await this.update(job.id, (j) => {
          j.state = 'delivering';
          j.stage = 'uploading';
          j.resultPath = saved.path;
          j.resultBytes = saved.bytes;
          j.priceMicros = price;
        });
      } catch (error) {
        if (error instanceof JobClosed || live.abort.signal.aborted) throw error;
        lastError = error;
        if (error instanceof UserFacingError) break;
        if (error instanceof ProviderError && !error.retryable && error.kind !== 'expired') break;
        this.log.warn({ err: error, job: job.id, attempt }, 'download failed');
        if (attempt < DOWNLOAD_ATTEMPTS) await live.wait(this.deps.clock, 2_000 * 2 ** (attempt - 1));
      }
    }
    const message =
      lastError instanceof UserFacingError
        ? lastError.userMessage
        : lastError instanceof ProviderError
          ? describeProviderFailure(lastError, backend.capabilities.displayName)
          : `The finished video could not be downloaded from ${backend.capabilities.displayName}. Nothing was charged; try again.`;
    if (!(lastError instanceof ProviderError || lastError instanceof UserFacingError)) this.log.error({ err: lastError, job: job.id }, 'download failed');
    await this.fail(job.id, message, lastError instanceof ProviderError ? lastError.kind : 'download');
    return undefined;
  }

  /** Hands the file to the chat surface until it sticks; the surface makes repeats harmless. */
  private async deliver(job: JobRecord, live: LiveJob): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const surface = this.surfaces.get(job.surface.platform);
      if (surface) {
        try {
          const patch = await surface.update(job, { type: 'finished', path: job.resultPath!, bytes: job.resultBytes ?? 0 });
          await this.update(job.id, (j) => {
            j.state = 'delivered';
            j.stage = 'delivered';
            if (patch) j.surface = { ...j.surface, ...patch } as SurfaceRef;
          });
          this.log.info({ job: job.id, price: job.priceMicros }, 'job delivered');
          return;
        } catch (error) {
          if (error instanceof JobClosed) throw error;
          this.log.warn({ err: error, job: job.id, attempt }, 'delivery to the chat platform failed; will retry');
        }
      } else {
        this.log.warn({ job: job.id, platform: job.surface.platform }, 'no chat surface for this job yet; will retry');
      }
      await live.wait(this.deps.clock, Math.min(5 * 60_000, 1_000 * 2 ** Math.min(attempt, 8)));
    }
  }

  /** Ends a job as failed; its reservation is released unless the provider's policy bills it. */
  async fail(jobId: string, userMessage: string, code: string, charge = false): Promise<void> {
    const current = await this.load(jobId);
    if (!current || TERMINAL_STATES.has(current.state)) return;
    // The ledger goes first: a crash between the two writes then leaves an active job that the
    // next process fails again (release and settle are idempotent), never a failed job whose
    // reservation stays held for ever (found by test/e2e/crash-safety.test.ts).
    if (charge) {
      const backend = this.deps.backends.get(current.backend);
      const price = backend ? priceFor(backend.capabilities.price, current.seconds, current.input.quality) : current.estimateMicros;
      await this.deps.ledger.settle({ tenant: current.tenant, jobId, month: current.ledgerMonth, backend: current.backend, priceMicros: price, officialMicros: 0 });
    } else {
      await this.deps.ledger.release(current.tenant, current.ledgerMonth, jobId);
    }
    let job: JobRecord;
    try {
      job = await this.update(jobId, (j) => {
        j.state = 'failed';
        j.stage = 'failed';
        j.error = { code, message: userMessage };
      });
    } catch (error) {
      if (error instanceof JobClosed) return;
      throw error;
    }
    this.deps.scheduler.remove(jobId);
    this.log.info({ job: jobId, code, charged: charge }, 'job failed');
    await this.notify(job, { type: 'failed', reason: userMessage }, true);
  }

  async cancel(jobId: string, byName: string): Promise<JobRecord> {
    this.deps.scheduler.remove(jobId);
    // Stop the job's own loop first, so it cannot settle after the release below.
    this.live.get(jobId)?.abort.abort(new Error('cancelled'));
    const current = await this.load(jobId);
    if (current && !TERMINAL_STATES.has(current.state)) {
      // Money before state, as in `fail`: a crash between the two leaves a job that
      // resumes without a reservation, never a reservation no job will release.
      await this.deps.ledger.release(current.tenant, current.ledgerMonth, jobId);
    }
    const job = await this.update(jobId, (j) => {
      j.state = 'cancelled';
      j.stage = 'cancelled';
    });
    const backend = this.deps.backends.get(job.backend);
    if (job.providerJobId && backend?.cancel) {
      backend.cancel(job.providerJobId).catch((error: unknown) => this.log.warn({ err: error, job: jobId }, 'provider cancel failed'));
    }
    this.deps.scheduler.finish(jobId);
    this.markPositionsDirty();
    this.log.info({ job: jobId, by: byName }, 'job cancelled');
    await this.notify(job, { type: 'cancelled', byName }, true);
    return job;
  }

  /** A verified webhook: hand the status to the job's loop and wake it. */
  wake(backend: string, providerJobId: string, status: ProviderStatus | undefined): boolean {
    const jobId = this.byProviderId.get(`${backend}:${providerJobId}`);
    const live = jobId ? this.live.get(jobId) : undefined;
    if (!live) return false;
    live.wake(status);
    return true;
  }

  // -------------------------------------------------------------------------
  // Surfaces
  // -------------------------------------------------------------------------

  /** Reports to the job's surface; progress is throttled to what the platform tolerates. */
  private async notify(job: JobRecord, event: JobEvent, force = false): Promise<void> {
    const surface = this.surfaces.get(job.surface.platform);
    if (!surface) return;
    const live = this.live.get(job.id);
    if (!force && event.type === 'progress' && live) {
      const now = this.deps.clock.now();
      const stageChanged = event.stage !== live.lastStage;
      if (!stageChanged && now - live.lastSurfaceAt < surface.progressIntervalMs) return;
      live.lastSurfaceAt = now;
      live.lastStage = event.stage;
    }
    try {
      const patch = await surface.update(job, event);
      if (patch && !TERMINAL_STATES.has(job.state)) {
        await this.update(job.id, (j) => {
          j.surface = { ...j.surface, ...patch } as SurfaceRef;
        }).catch(() => {});
      } else if (patch) {
        const stored = await this.deps.jobs.get(job.id);
        if (stored) await this.deps.jobs.save({ ...stored, surface: { ...stored.surface, ...patch } as SurfaceRef });
      }
    } catch (error) {
      // A status message that could not be edited must never stop the job itself.
      this.log.warn({ err: error, job: job.id, event: event.type }, 'surface update failed');
    }
  }

  private markPositionsDirty(): void {
    this.positionsDirty = true;
    if (this.positionsScheduled || this.stopped) return;
    this.positionsScheduled = true;
    // Batched: one pass tells every waiting job its new place, at most once a second.
    // Not tracked in `tasks`: waiting on it would keep `idle()` from ever resolving on a stopped clock.
    void this.deps.clock.sleep(1_000).then(async () => {
        this.positionsScheduled = false;
        if (!this.positionsDirty || this.stopped) return;
        this.positionsDirty = false;
        for (const [jobId, position] of this.deps.scheduler.positions()) {
          const job = this.cache.get(jobId);
          if (!job) continue;
          const known = this.queuedPositions.get(jobId);
          if (known === position) continue;
          this.queuedPositions.set(jobId, position);
          await this.notify(job, { type: 'queued', position }, true);
        }
      });
  }

  private readonly queuedPositions = new Map<string, number>();
}
