/**
 * What the runner's steps share: the ports they use, and the small in-memory
 * record of a job this process is driving. The full JobRecord stays in the
 * store and is read when the job changes state or is delivered; the live
 * record holds only what the scheduler needs between two steps.
 */
import type { AuditLog } from './audit-log.js';
import type { CharacterRegistry } from './characters.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg, type Message } from './messages.js';
import type { CharacterBinder } from './job-binding.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { JobNotifier } from './job-notifier.js';
import type { Micros } from './money.js';
import type { Backend, JobRepository, Ledger, Logger, MediaStore, ProviderStatus } from './ports.js';
import type { Scheduler } from './scheduler.js';
import type { JobRecord, Resolution, Sound } from './types.js';

export interface JobRunnerDeps {
  jobs: JobRepository;
  characters: CharacterRegistry;
  ledger: Ledger;
  scheduler: Scheduler;
  breaker: CircuitBreaker;
  backends: ReadonlyMap<string, Backend>;
  media: MediaStore;
  clock: Clock;
  logger: Logger;
  publicUrl: string | undefined;
  referencePrice: (seconds: number, resolution: Resolution, audio: Sound) => Micros;
  capsFor: (tenant: string, userId: string) => Promise<{ tenantCapMicros: Micros; userCapMicros: Micros }>;
  /** Steps running at once (default STEP_LIMIT in job-runner.ts). */
  stepLimit?: number;
  /** Where approvals, denials and expiries are recorded (money moves are recorded by the ledger). */
  audit?: AuditLog;
  /**
   * How long the providers take relative to real ones (1, the default). The poll schedule of polling.ts
   * is made for real renders, a minute or more; the simulator told to render faster is looked at
   * proportionally sooner, so a fast demo is not held by the 5 s a real provider needs first.
   */
  providerPace?: number;
}

/** The step a live job takes next when its turn comes. */
export type Step = 'enter' | 'submit' | 'poll' | 'download' | 'deliver';

/** What a step asks of the runner: run the next step now, wake it later, or let it go. */
export type StepResult = { next: 'now' } | { next: 'wait'; ms: number } | { next: 'done' } | { next: 'requeued'; tenant: string; backend: string };

export const NOW: StepResult = { next: 'now' };
export const DONE: StepResult = { next: 'done' };
export const wait = (ms: number): StepResult => ({ next: 'wait', ms });

/** A job this process is driving, between two steps. Thousands are alive at once, so it stays small. */
export class LiveJob {
  step: Step = 'enter';
  /** Only while a step talks to a provider: cancel aborts it. */
  abort: AbortController | undefined;
  cancelled = false;
  /** A status a webhook delivered, taken by the next poll step instead of asking the provider. */
  pendingStatus: ProviderStatus | undefined;
  /** A webhook said "look now" without a status while a step was running. */
  poked = false;
  /** Whether the job still holds its scheduler slot (from dispatch until the provider is done). */
  holdsSlot = true;
  /** `backend:providerJobId` while the job is registered for webhooks. */
  providerKey: string | undefined;
  // What polling needs, copied from the record when the job was submitted or resumed.
  backend = '';
  /** The chat platform the job is shown on (its surface). */
  platform = '';
  providerJobId: string | undefined;
  deadlineAt = 0;
  /** When the provider accepted the job (or the job was created): the poll schedule's origin. */
  since = 0;
  running = false;
  polls = 0;
  progress = 0;
  delay: number | undefined;
  previousProgress: number | undefined;
  errors = 0;
  lastPersistedAt = 0;
  /** Attempts of the current download or delivery. */
  attempt = 0;

  constructor(readonly id: string) {}

  /** Loads the poll fields from a stored record. */
  follow(job: JobRecord): void {
    this.backend = job.backend;
    this.platform = job.surface.platform;
    this.providerJobId = job.providerJobId;
    this.deadlineAt = job.deadlineAt;
    this.since = job.submittedAt ?? job.createdAt;
    this.running = job.state === 'running';
    this.polls = job.polls;
    this.progress = job.progress;
  }
}

/** Everything a step function may use. */
export interface StepContext {
  deps: JobRunnerDeps;
  lifecycle: JobLifecycle;
  notifier: JobNotifier;
  binder: CharacterBinder;
  log: Logger;
  /** Ends a job as failed, money first (see JobRunner.fail). */
  fail(jobId: string, said: Message, code: string, charge?: boolean): Promise<void>;
  /** Registers a submitted job for webhooks. */
  watch(live: LiveJob, backend: string, providerJobId: string): void;
  backendOf(backendId: string): Backend;
}

export function backendOrRefuse(backends: ReadonlyMap<string, Backend>, backendId: string): Backend {
  const backend = backends.get(backendId);
  if (!backend) throw new UserFacingError(msg('backend.gone', { backendId }), { code: 'backend_gone' });
  return backend;
}
