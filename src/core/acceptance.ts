/**
 * Acceptance is atomic across a crash. The store has no multi-key
 * transaction, so a request becomes durable in three writes, each of which a
 * killed process may be the last to make:
 *
 *   1. the job enters the active index, then its record is written (the intent);
 *   2. the ledger reserves its estimate (one write of the tenant's month document);
 *   3. the job is listed among the tenant's recent jobs.
 *
 * The reservation is the commit point. A job whose intent exists but whose
 * reservation does not was never accepted; a job that holds one was. Once, at
 * start and before this process accepts anything, `reconcileAcceptance` looks
 * at every trace the writes above can leave and settles each into one of two
 * ends: no reservation and no job, or a job the runner resumes with its
 * reservation.
 */
import type { JobStore } from './job-store.js';
import type { Ledger, Logger } from './ports.js';
import { TERMINAL_STATES } from './types.js';

export interface AcceptanceRepairs {
  /** Active-index entries that named no record (killed between the two intent writes). */
  danglingIndexEntries: number;
  /** Intents that never reserved: record and index entries removed. */
  discardedIntents: number;
  /** Reserved jobs missing from the tenant's recent list: listed again. */
  republished: number;
  /** Live jobs holding a reservation but missing from the active index: indexed again, so they resume. */
  reindexed: number;
  /** Reservations whose job does not exist or has ended: released. */
  released: number;
}

export async function reconcileAcceptance(deps: { jobs: JobStore; ledger: Ledger; logger: Logger }): Promise<AcceptanceRepairs> {
  const { jobs, ledger, logger } = deps;
  const repairs: AcceptanceRepairs = { danglingIndexEntries: 0, discardedIntents: 0, republished: 0, reindexed: 0, released: 0 };

  for (const id of await jobs.activeIds()) {
    const job = await jobs.get(id);
    if (!job || TERMINAL_STATES.has(job.state)) {
      // An ended job whose index removal was cut short is just as harmless to drop.
      await jobs.unindex(id);
      if (!job) {
        repairs.danglingIndexEntries++;
        logger.warn({ job: id }, 'reconcile: dropped an active-index entry that names no job');
      }
      continue;
    }
    if (job.started) continue;
    const held = await ledger.held(job.tenant, job.ledgerMonth, job.id);
    if (held === undefined) {
      await jobs.discard(job);
      repairs.discardedIntents++;
      logger.warn({ job: id, tenant: job.tenant }, 'reconcile: removed a job whose acceptance stopped before its reservation');
    } else if (!(await jobs.isRecent(job))) {
      await jobs.publish(job);
      repairs.republished++;
      logger.warn({ job: id, tenant: job.tenant }, 'reconcile: listed an accepted job that a crash left unlisted; it will be resumed');
    }
  }

  for (const open of await ledger.openReservations()) {
    const job = await jobs.get(open.jobId);
    if (!job || job.tenant !== open.tenant || TERMINAL_STATES.has(job.state)) {
      await ledger.release(open.tenant, open.month, open.jobId);
      repairs.released++;
      logger.warn({ job: open.jobId, tenant: open.tenant, month: open.month, micros: open.micros, state: job?.state }, 'reconcile: released a reservation that no live job holds');
    } else if (!(await jobs.isActive(job.id))) {
      await jobs.reindex(job);
      if (!(await jobs.isRecent(job))) await jobs.publish(job);
      repairs.reindexed++;
      logger.warn({ job: job.id, tenant: job.tenant }, 'reconcile: indexed a reserved job the active index had lost; it will be resumed');
    }
  }

  const total = Object.values(repairs).reduce((a, b) => a + b, 0);
  if (total > 0) logger.info({ repairs }, 'reconciled acceptance after an unclean stop');
  return repairs;
}
