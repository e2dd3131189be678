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
import { UserFacingError } from './errors.js';
import type { CapSubject } from './message-codes-errors.js';
import { msg } from './messages.js';
import type { Micros } from './money.js';
import type { Backend, BudgetCaps, JobRepository, Ledger, Logger, ReservationResult } from './ports.js';
import { newJobId, newSubmissionKey } from './ids.js';
import { monthOf } from './ledger.js';
import { routeJob, type Route, type RouteRequest } from './router.js';
import { TERMINAL_STATES, type Actor, type Character, type GenerationInput, type JobRecord, type Resolution, type Sound, type SurfaceRef } from './types.js';

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

export async function reconcileAcceptance(deps: { jobs: JobRepository; ledger: Ledger; logger: Logger }): Promise<AcceptanceRepairs> {
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

/**
 * Writes the intent, reserves (the commit point), then lists the job; undoes what it wrote when the
 * budget refuses or a write fails. Returns what is left of the caps.
 */
export async function acceptJob(
  deps: {
    jobs: JobRepository;
    ledger: Ledger;
    logger: Logger;
  },
  job: JobRecord,
  actor: Actor,
  caps: BudgetCaps,
): Promise<{ tenantLeftMicros: Micros; userLeftMicros: Micros }> {
  const request = {
    tenant: actor.tenant,
    userId: actor.userId,
    userName: actor.displayName,
    jobId: job.id,
    month: job.ledgerMonth,
    micros: job.estimateMicros,
    caps,
  };
  if (deps.jobs.createReserved) {
    // One transaction (src/store/sql), the audit entry in it: nothing to undo and nothing for the reconciliation to find.
    return refusedOrLeft(job, await deps.jobs.createReserved(job, request));
  }
  // The job is written before the money is held and the reservation is the commit point
  // (acceptance.ts): wherever this process dies, the next start finds either an intent
  // with no reservation to remove, or a reserved job to resume.
  await deps.jobs.create(job);
  const undo = () => deps.jobs.discard(job).catch((e: unknown) => deps.logger.warn({ err: e, job: job.id }, 'could not remove an unaccepted job; the next start will'));
  let reservation: ReservationResult;
  try {
    reservation = await deps.ledger.reserve(request);
  } catch (error) {
    await undo();
    throw error;
  }
  if (!reservation.ok) {
    await undo();
    return refusedOrLeft(job, reservation);
  }
  try {
    await deps.jobs.publish(job);
  } catch (error) {
    // Money first, as everywhere: a crash between the two leaves an intent without a reservation.
    await deps.ledger.release(job.tenant, job.ledgerMonth, job.id);
    await undo();
    throw error;
  }
  return reservation;
}

/**
 * Several jobs of one request (a storyboard's shots, the takes of `--takes N`) accepted together:
 * their intents, then every reservation in one write (the commit point), then listed; or, with a
 * store that has transactions, all of it in one. Either every job holds its money or none exists.
 * A refusal comes back (not thrown) so the caller can say what it refused in its own words.
 */
export async function acceptJobs(
  deps: {
    jobs: JobRepository;
    ledger: Ledger;
    logger: Logger;
  },
  jobs: JobRecord[],
  actor: Actor,
  caps: BudgetCaps,
): Promise<ReservationResult> {
  const requests = jobs.map((job) => ({ tenant: actor.tenant, userId: actor.userId, userName: actor.displayName, jobId: job.id, month: job.ledgerMonth, micros: job.estimateMicros, caps }));
  if (deps.jobs.createReservedAll) {
    // Tables (src/store/sql): the jobs, their money and its audit entries in one transaction.
    return deps.jobs.createReservedAll(jobs, requests);
  }
  for (const job of jobs) await deps.jobs.create(job);
  const undo = async () => {
    for (const job of jobs) await deps.jobs.discard(job).catch((e: unknown) => deps.logger.warn({ err: e, job: job.id }, 'could not remove an unaccepted job; the next start will'));
  };
  let reservation: ReservationResult;
  try {
    reservation = await deps.ledger.reserveAll(requests);
  } catch (error) {
    await undo();
    throw error;
  }
  if (!reservation.ok) {
    await undo();
    return reservation;
  }
  try {
    for (const job of jobs) await deps.jobs.publish(job);
  } catch (error) {
    for (const job of jobs) await deps.ledger.release(job.tenant, job.ledgerMonth, job.id);
    await undo();
    throw error;
  }
  return reservation;
}

/** The remaining budget after a reservation, or the sentence that says which cap refused it. */
function refusedOrLeft(job: JobRecord, reservation: ReservationResult): { tenantLeftMicros: Micros; userLeftMicros: Micros } {
  if (reservation.ok) return reservation;
  throw capRefusal(reservation, { kind: 'video', estimateMicros: job.estimateMicros });
}

/** What every refusal by the caps says: what was estimated at how much, but who has how much left of which cap; nothing was spent; what to try. */
export function capRefusal(reservation: Extract<ReservationResult, { ok: false }>, subject: CapSubject): UserFacingError {
  return new UserFacingError(
    msg('budget_exceeded', { subject, scope: reservation.scope === 'tenant' ? 'tenant' : 'user', leftMicros: reservation.leftMicros, capMicros: reservation.capMicros }),
  );
}

/** A new job as the router placed it, in state `queued`, not yet durable (see `acceptJob`). */
export function draftJob(draft: {
  actor: Actor;
  input: GenerationInput;
  surface: SurfaceRef;
  characterKeys: string[];
  route: Route;
  officialMicros: Micros;
  now: number;
  deadlineMs: number;
}): JobRecord {
  const { input, surface, now } = draft;
  const first = draft.route.candidates[0]!;
  return {
    id: newJobId(),
    tenant: draft.actor.tenant,
    requesterId: draft.actor.userId,
    requesterName: draft.actor.displayName,
    input,
    characterKeys: draft.characterKeys,
    backend: first.backend.id,
    fallbacks: draft.route.candidates.slice(1).map((c) => c.backend.id),
    triedBackends: [],
    routeReason: draft.route.reason,
    seconds: first.seconds,
    size: first.size,
    audio: first.audio,
    renderedPrompt: undefined,
    estimateMicros: first.estimateMicros,
    priceMicros: undefined,
    officialMicros: draft.officialMicros,
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
    place: draft.actor.place,
    createdAt: now,
    updatedAt: now,
    submittedAt: undefined,
    completedAt: undefined,
    deadlineAt: now + draft.deadlineMs,
    polls: 0,
  };
}

/** What placing one video needs besides the request itself. */
export interface PlacingParts {
  backends: readonly Backend[];
  isOpen: (backend: string) => boolean;
  /** The bot's files can be fetched from outside (PUBLIC_URL is set). */
  filesReachable: boolean;
  /** The same video at the reference price list, for /cost's comparison. */
  referencePrice: (seconds: number, resolution: Resolution, audio: Sound) => Micros;
  now: number;
  deadlineMs: number;
}

/**
 * Routes one video (its input gives the length, shape and resolution, and whether the user chose
 * the sound) and drafts its job at the first candidate: a new request and a retried storyboard shot.
 */
export function routeAndDraft(
  parts: PlacingParts,
  request: { actor: Actor; input: GenerationInput; surface: SurfaceRef; characters: Character[]; audio: Sound; hasImage: boolean; forced: string | undefined; policy: RouteRequest['policy'] },
): { job: JobRecord; route: Route } {
  const { input } = request;
  const route = routeJob(parts.backends, {
    characters: request.characters,
    seconds: input.seconds,
    orientation: input.orientation,
    resolution: input.resolution,
    audio: request.audio,
    audioChosen: input.audio !== undefined,
    hasImage: request.hasImage,
    forced: request.forced,
    policy: request.policy,
    isOpen: parts.isOpen,
    filesReachable: parts.filesReachable,
  });
  const first = route.candidates[0]!;
  const job = draftJob({
    actor: request.actor,
    input,
    surface: request.surface,
    characterKeys: request.characters.map((c) => c.key),
    route,
    officialMicros: parts.referencePrice(first.seconds, input.resolution, first.audio),
    now: parts.now,
    deadlineMs: parts.deadlineMs,
  });
  return { job, route };
}
