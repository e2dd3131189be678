/**
 * Jobs waiting for an admin's approval. Such a job is accepted and reserved
 * like any other, then sits in `awaiting_approval` (job-lifecycle.ts) instead
 * of the scheduler's line, with an expiry entry in a timer queue on the
 * injected clock. Approve moves it into line; deny and expiry cancel it and
 * release its money.
 *
 * The decision is the lifecycle's transition out of `awaiting_approval`: it
 * runs under the job's lock and reads the stored state first, so of two
 * simultaneous clicks exactly one moves the job and the other finds it decided.
 * The state is stored, so a restart finds the job still waiting (and re-arms
 * its expiry) or already decided.
 */
import { BOT, type AuditLog } from './audit-log.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { IllegalTransition, JobClosed, type JobLifecycle } from './job-lifecycle.js';
import type { JobNotifier } from './job-notifier.js';
import { formatUsd } from './money.js';
import type { Ledger, Logger } from './ports.js';
import type { Scheduler } from './scheduler.js';
import { TimerQueue } from './timer-queue.js';
import type { Approval, JobRecord } from './types.js';

export interface Decider {
  id: string;
  name: string;
}

export class JobApprovals {
  private readonly expiries: TimerQueue;

  constructor(
    private readonly deps: {
      lifecycle: JobLifecycle;
      notifier: JobNotifier;
      scheduler: Scheduler;
      ledger: Ledger;
      clock: Clock;
      logger: Logger;
      audit: AuditLog | undefined;
    },
  ) {
    this.expiries = new TimerQueue(deps.clock, (jobId) => {
      this.expire(jobId).catch((error: unknown) => deps.logger.error({ err: error, job: jobId }, 'could not expire an approval'));
    });
  }

  /** A job now waiting (new, or found waiting after a restart): its expiry is armed. */
  wait(job: JobRecord): void {
    this.expiries.schedule(job.id, job.approval?.expiresAt ?? this.deps.clock.now());
  }

  stop(): void {
    this.expiries.stop();
  }

  async approve(jobId: string, by: Decider): Promise<JobRecord> {
    const job = await this.decide(jobId, 'queued', { outcome: 'approved', byId: by.id, byName: by.name, at: this.deps.clock.now() });
    this.expiries.remove(jobId);
    await this.deps.audit?.append(job.tenant, { action: 'approve', by, member: { id: job.requesterId, name: job.requesterName }, jobId, detail: `approved ${formatUsd(job.estimateMicros)}` });
    this.deps.logger.info({ job: jobId, by: by.id }, 'job approved');
    await this.deps.notifier.notify(job, { type: 'approved', byName: by.name });
    this.deps.scheduler.enqueue({ jobId, tenant: job.tenant, backend: job.backend });
    return job;
  }

  async deny(jobId: string, by: Decider, reason: string | undefined): Promise<JobRecord> {
    const decision = { outcome: 'denied' as const, byId: by.id, byName: by.name, at: this.deps.clock.now(), ...(reason && { reason }) };
    const job = await this.decide(jobId, 'cancelled', decision);
    await this.close(job, by, reason);
    return job;
  }

  private async expire(jobId: string): Promise<void> {
    let job: JobRecord;
    try {
      job = await this.decide(jobId, 'cancelled', { outcome: 'expired', byId: BOT.id, byName: BOT.name, at: this.deps.clock.now() });
    } catch (error) {
      if (error instanceof UserFacingError) return; // decided meanwhile
      throw error;
    }
    await this.close(job, undefined, undefined);
  }

  /**
   * The state moves first, then the money: a second decision can no longer take the job, and a crash
   * between the two leaves an ended job holding a reservation, which the start-up reconciliation releases.
   */
  private async close(job: JobRecord, by: Decider | undefined, reason: string | undefined): Promise<void> {
    this.expiries.remove(job.id);
    await this.deps.ledger.release(job.tenant, job.ledgerMonth, job.id);
    const member = { id: job.requesterId, name: job.requesterName };
    await this.deps.audit?.append(job.tenant, {
      action: by ? 'deny' : 'approval-expired',
      by: by ?? BOT,
      member,
      jobId: job.id,
      detail: by ? `denied ${formatUsd(job.estimateMicros)}${reason ? `: ${reason}` : ''}` : `nobody approved ${formatUsd(job.estimateMicros)} in time`,
    });
    this.deps.logger.info({ job: job.id, by: by?.id, expired: !by }, 'job denied');
    await this.deps.notifier.notify(job, { type: 'denied', byName: by?.name, reason, expired: !by });
  }

  /** The compare-and-set: only a job still awaiting approval moves; anyone after the first learns who decided. */
  private async decide(jobId: string, to: 'queued' | 'cancelled', decision: NonNullable<Approval['decision']>): Promise<JobRecord> {
    try {
      return await this.deps.lifecycle.transition(jobId, to, (job) => {
        if (job.state !== 'awaiting_approval' || !job.approval) throw new IllegalTransition(jobId, job.state, to);
        return { approval: { ...job.approval, decision } };
      });
    } catch (error) {
      if (!(error instanceof JobClosed) && !(error instanceof IllegalTransition)) throw error;
      const job = error instanceof JobClosed ? error.job : await this.deps.lifecycle.get(jobId);
      const d = job?.approval?.decision;
      throw new UserFacingError(
        msg('already_decided', d ? { jobId, outcome: d.outcome, ...(d.byName !== undefined && { byName: d.byName }) } : { jobId, outcome: 'undecided', ...(job && { state: job.state }) }),
      );
    }
  }
}
