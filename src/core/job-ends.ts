/**
 * How a job ends before delivery: failed or cancelled. Money first, then the
 * terminal state: a crash between the two leaves an active job that the next
 * process ends again (release and settle are idempotent), never a terminal job
 * whose reservation stays held for ever.
 */
import type { JobRunnerDeps } from './job-context.js';
import { settlementPrice } from './job-delivery.js';
import { plainText } from './markup.js';
import { render, type Message } from './messages.js';
import { canTransition, IllegalTransition, JobClosed, type JobLifecycle } from './job-lifecycle.js';
import type { JobNotifier } from './job-notifier.js';
import type { Backend } from './ports.js';
import type { QueuePositions } from './queue-positions.js';
import { TERMINAL_STATES, type JobRecord } from './types.js';

export interface JobEndsParts {
  deps: JobRunnerDeps;
  lifecycle: JobLifecycle;
  notifier: JobNotifier;
  positions: QueuePositions;
  /** Stops the step this process may be running for the job (the runner's live jobs). */
  stopLive: (jobId: string) => void;
}

export class JobEnds {
  constructor(private readonly parts: JobEndsParts) {}

  /** Ends a job as failed; its reservation is released unless the provider's policy bills it. */
  async fail(jobId: string, said: Message, code: string, charge = false): Promise<void> {
    const { deps, lifecycle, notifier, positions } = this.parts;
    const current = await lifecycle.get(jobId);
    if (!current || TERMINAL_STATES.has(current.state)) return;
    // The ledger goes first (found by test/e2e/crash-safety.test.ts).
    if (charge) {
      const backend = deps.backends.get(current.backend);
      const price = backend ? settlementPrice(backend.capabilities, current) : current.estimateMicros;
      await deps.ledger.settle({ tenant: current.tenant, jobId, month: current.ledgerMonth, backend: current.backend, priceMicros: price, officialMicros: 0 });
    } else {
      await deps.ledger.release(current.tenant, current.ledgerMonth, jobId);
    }
    // The English sentence stays the record's message (logs, the threads everyone reads); `said` renders per reader.
    const userMessage = render(said, plainText);
    let job: JobRecord;
    try {
      job = await lifecycle.transition(jobId, 'failed', { error: { code, message: userMessage, said } });
    } catch (error) {
      if (error instanceof JobClosed) return;
      throw error;
    }
    deps.scheduler.remove(jobId);
    positions.forget(jobId);
    deps.logger.info({ job: jobId, code, charged: charge }, 'job failed');
    await notifier.notify(job, { type: 'failed', reason: userMessage });
  }

  async cancel(jobId: string, byName: string): Promise<JobRecord> {
    const { deps, lifecycle, notifier, positions } = this.parts;
    const current = await lifecycle.get(jobId);
    if (!current) throw new Error(`job ${jobId} vanished from the store`);
    if (TERMINAL_STATES.has(current.state)) throw new JobClosed(current);
    if (!canTransition(current.state, 'cancelled')) throw new IllegalTransition(jobId, current.state, 'cancelled');
    deps.scheduler.remove(jobId);
    // Stop the job's own step first, so it cannot settle after the release below.
    this.parts.stopLive(jobId);
    // Money before state, as in `fail`: a crash between the two leaves a job that
    // resumes without a reservation, never a reservation no job will release.
    await deps.ledger.release(current.tenant, current.ledgerMonth, jobId);
    const job = await lifecycle.transition(jobId, 'cancelled');
    const backend: Backend | undefined = deps.backends.get(job.backend);
    if (job.providerJobId && backend?.cancel) {
      backend.cancel(job.providerJobId).catch((error: unknown) => deps.logger.warn({ err: error, job: jobId }, 'provider cancel failed'));
    }
    deps.scheduler.finish(jobId);
    positions.forget(jobId);
    positions.moved();
    deps.logger.info({ job: jobId, by: byName }, 'job cancelled');
    await notifier.notify(job, { type: 'cancelled', byName });
    return job;
  }
}
