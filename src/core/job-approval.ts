/**
 * Requests waiting for an admin's approval: a single job, or a storyboard
 * (extension) whose summed estimate is above the threshold (board-approval.ts).
 * Such a request is accepted and reserved like any other, then waits in
 * `awaiting_approval` (job-lifecycle.ts) instead of running, with an expiry
 * entry in a timer queue on the injected clock. Approve lets it run; deny and
 * expiry cancel it and release its money.
 *
 * The decision is a compare-and-set on the stored record (`claim`): it runs
 * under the record's lock and reads the stored state first, so of two
 * simultaneous clicks exactly one decides and the other finds it decided.
 * The state is stored, so a restart finds the request still waiting (and
 * re-arms its expiry) or already decided.
 */
import { BOT, type AuditLog } from './audit-log.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { IllegalTransition, JobClosed, type JobLifecycle } from './job-lifecycle.js';
import type { JobNotifier } from './job-notifier.js';
import { formatUsd, type Micros } from './money.js';
import type { Ledger, Logger } from './ports.js';
import type { Scheduler } from './scheduler.js';
import { TimerQueue } from './timer-queue.js';
import type { Approval, BoardState, JobRecord, JobState, TenantId } from './types.js';

export interface Decider {
  id: string;
  name: string;
}

export type Decision = NonNullable<Approval['decision']>;

/** What waits for a decision: a job or a board. */
export interface Awaiting {
  id: string;
  tenant: TenantId;
  requesterId: string;
  requesterName: string;
  approval?: Approval;
}

/** The request was no longer waiting when a decision came; `current` is how it stands now. */
export class NotWaiting extends Error {
  constructor(readonly current: { approval?: Approval; state: JobState | BoardState } | undefined) {
    super('no longer waiting for approval');
  }
}

/** How one kind of request is decided on; everything else (expiry, audit, who is told) is shared. */
export interface ApprovalSubject<S extends Awaiting> {
  /** `board` changes the words of "already decided". */
  kind: 'job' | 'board';
  /** Records the decision if `id` still waits (approved: it also moves on); throws NotWaiting otherwise. */
  claim(id: string, decision: Decision): Promise<S>;
  /** Approved: it runs now. */
  proceed(subject: S): Promise<void>;
  /** Denied or expired: it is cancelled and every reservation it holds released. Safe to repeat. */
  release(subject: S): Promise<void>;
  notify(subject: S, event: { type: 'approved'; byName: string } | { type: 'denied'; byName: string | undefined; reason: string | undefined; expired: boolean }): Promise<void>;
  /** What it holds, for the audit line. */
  amountMicros(subject: S): Promise<Micros>;
}

export class Approvals<S extends Awaiting> {
  private readonly expiries: TimerQueue;

  constructor(
    private readonly subject: ApprovalSubject<S>,
    private readonly deps: { clock: Clock; logger: Logger; audit: AuditLog | undefined },
  ) {
    this.expiries = new TimerQueue(deps.clock, (id) => {
      this.expire(id).catch((error: unknown) => deps.logger.error({ err: error, [subject.kind]: id }, 'could not expire an approval'));
    });
  }

  /** A request now waiting (new, or found waiting after a restart): its expiry is armed. */
  wait(waiting: S): void {
    this.expiries.schedule(waiting.id, waiting.approval?.expiresAt ?? this.deps.clock.now());
  }

  stop(): void {
    this.expiries.stop();
  }

  /** What it holds (held until decided): a job's estimate, a board's summed estimate. */
  amountOf(subject: S): Promise<Micros> {
    return this.subject.amountMicros(subject);
  }

  async approve(id: string, by: Decider): Promise<S> {
    const decided = await this.decide(id, { outcome: 'approved', byId: by.id, byName: by.name, at: this.deps.clock.now() });
    this.expiries.remove(id);
    await this.deps.audit?.append(decided.tenant, { action: 'approve', by, member: memberOf(decided), jobId: id, detail: `approved ${formatUsd(await this.subject.amountMicros(decided))}` });
    this.deps.logger.info({ [this.subject.kind]: id, by: by.id }, `${this.subject.kind} approved`);
    await this.subject.notify(decided, { type: 'approved', byName: by.name });
    await this.subject.proceed(decided);
    return decided;
  }

  async deny(id: string, by: Decider, reason: string | undefined): Promise<S> {
    const decided = await this.decide(id, { outcome: 'denied', byId: by.id, byName: by.name, at: this.deps.clock.now(), ...(reason && { reason }) });
    await this.close(decided, by, reason);
    return decided;
  }

  /** A request found decided but not yet released after a restart (a crash between the two): released now. */
  async finish(decided: S): Promise<void> {
    const d = decided.approval?.decision;
    if (d && d.outcome !== 'approved') await this.subject.release(decided);
  }

  private async expire(id: string): Promise<void> {
    let decided: S;
    try {
      decided = await this.decide(id, { outcome: 'expired', byId: BOT.id, byName: BOT.name, at: this.deps.clock.now() });
    } catch (error) {
      if (error instanceof UserFacingError) return; // decided meanwhile
      throw error;
    }
    await this.close(decided, undefined, undefined);
  }

  /**
   * The decision is stored first, then the money moves: a second decision can no longer take it, and a
   * crash between the two leaves it decided and holding money, which a restart releases (`finish`, reconcile).
   */
  private async close(decided: S, by: Decider | undefined, reason: string | undefined): Promise<void> {
    this.expiries.remove(decided.id);
    const amount = await this.subject.amountMicros(decided);
    await this.subject.release(decided);
    await this.deps.audit?.append(decided.tenant, {
      action: by ? 'deny' : 'approval-expired',
      by: by ?? BOT,
      member: memberOf(decided),
      jobId: decided.id,
      detail: by ? `denied ${formatUsd(amount)}${reason ? `: ${reason}` : ''}` : `nobody approved ${formatUsd(amount)} in time`,
    });
    this.deps.logger.info({ [this.subject.kind]: decided.id, by: by?.id, expired: !by }, `${this.subject.kind} denied`);
    await this.subject.notify(decided, { type: 'denied', byName: by?.name, reason, expired: !by });
  }

  /** The compare-and-set: only a request still waiting is decided; anyone after the first learns who decided. */
  private async decide(id: string, decision: Decision): Promise<S> {
    try {
      return await this.subject.claim(id, decision);
    } catch (error) {
      if (!(error instanceof NotWaiting)) throw error;
      const d = error.current?.approval?.decision;
      const what = this.subject.kind === 'board' ? ({ what: 'board' } as const) : {};
      const state = error.current?.state;
      throw new UserFacingError(
        msg(
          'already_decided',
          d
            ? { jobId: id, outcome: d.outcome, ...what, ...(d.byName !== undefined && { byName: d.byName }) }
            : { jobId: id, outcome: 'undecided', ...what, ...(state && { state }) },
        ),
      );
    }
  }
}

const memberOf = (s: Awaiting) => ({ id: s.requesterId, name: s.requesterName });

/** Single jobs: approve puts the job in the scheduler's line; deny and expiry cancel it and release its reservation. */
export function jobApprovals(deps: {
  lifecycle: JobLifecycle;
  notifier: JobNotifier;
  scheduler: Scheduler;
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  audit: AuditLog | undefined;
}): Approvals<JobRecord> {
  const subject: ApprovalSubject<JobRecord> = {
    kind: 'job',
    async claim(jobId, decision) {
      const to = decision.outcome === 'approved' ? 'queued' : 'cancelled';
      try {
        return await deps.lifecycle.transition(jobId, to, (job) => {
          if (job.state !== 'awaiting_approval' || !job.approval) throw new IllegalTransition(jobId, job.state, to);
          return { approval: { ...job.approval, decision } };
        });
      } catch (error) {
        if (!(error instanceof JobClosed) && !(error instanceof IllegalTransition)) throw error;
        throw new NotWaiting(error instanceof JobClosed ? error.job : await deps.lifecycle.get(jobId));
      }
    },
    async proceed(job) {
      deps.scheduler.enqueue({ jobId: job.id, tenant: job.tenant, backend: job.backend });
    },
    // The job is already cancelled by its claim; a crash before this line leaves an ended job holding money, which the start-up reconciliation releases.
    async release(job) {
      await deps.ledger.release(job.tenant, job.ledgerMonth, job.id);
    },
    notify: (job, event) => deps.notifier.notify(job, event),
    amountMicros: async (job) => job.estimateMicros,
  };
  return new Approvals(subject, deps);
}

export type JobApprovals = Approvals<JobRecord>;
