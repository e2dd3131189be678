/**
 * `--takes N`: N renders of one request, side by side. Each take is a job of
 * its own: its money, restarts, failure and retry are a single job's, and a
 * failed take is released like any failed job while the others deliver. The
 * takes are reserved together (acceptJobs in acceptance.ts, the pattern a
 * storyboard's shots use) and shown in one place. Unlike a storyboard they are
 * never joined, so they need no parent record: each take names its siblings
 * (`take.ids`), and the request is its takes.
 *
 * Keeping one marks it as the request's result: remix, extend and
 * `--from_job` given any take of the request use the kept one.
 */
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { newJobId, newSubmissionKey } from './ids.js';
import type { JobLifecycle } from './job-lifecycle.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { Micros } from './money.js';
import type { JobRepository } from './ports.js';
import { Sight } from './visibility.js';
import { hasVideo, type Actor, type JobRecord } from './types.js';

/** `--takes` goes from 1 (the default: one video) to 4. */
export const MAX_TAKES = 4;

/** The request's jobs: `first` alone, or `count` copies of it (new ids and idempotency keys), numbered. */
export function draftTakes(first: JobRecord, count: number): JobRecord[] {
  if (count <= 1) return [first];
  const jobs = [first, ...Array.from({ length: count - 1 }, () => ({ ...first, id: newJobId(), submissionKey: newSubmissionKey() }))];
  const ids = jobs.map((j) => j.id);
  return jobs.map((job, i) => ({ ...job, take: { ids, index: i + 1, kept: false } }));
}

/** `Take 2/3`, as every surface labels a take; empty for a single video. */
export function takeLabel(job: JobRecord): string {
  return job.take ? `Take ${job.take.index}/${job.take.ids.length}` : '';
}

/** One request made with `--takes`, as `/cost` lists it. */
export interface TakesLine {
  /** The first take's id, which the acceptance named. */
  requestId: string;
  requesterName: string;
  prompt: string;
  takes: number;
  delivered: number;
  failed: number;
  /** Charged for the delivered takes. */
  chargedMicros: Micros;
  /** Still held by takes that have not ended. */
  heldMicros: Micros;
  /** The kept take's number, if one is kept. */
  kept: number | undefined;
}

/** The month's requests with several takes among `jobs` (newest first, as the store lists them). */
export function takesPerRequest(jobs: JobRecord[], month: string): TakesLine[] {
  const lines = new Map<string, TakesLine>();
  for (const job of jobs) {
    if (!job.take || job.ledgerMonth !== month) continue;
    const requestId = job.take.ids[0]!;
    const line = lines.get(requestId) ?? { requestId, requesterName: job.requesterName, prompt: job.input.prompt, takes: job.take.ids.length, delivered: 0, failed: 0, chargedMicros: 0, heldMicros: 0, kept: undefined };
    if (job.state === 'delivered') {
      line.delivered++;
      line.chargedMicros += job.priceMicros ?? 0;
    } else if (job.state === 'failed' || job.state === 'cancelled') line.failed++;
    else line.heldMicros += job.estimateMicros;
    if (job.take.kept) line.kept = job.take.index;
    lines.set(requestId, line);
  }
  return [...lines.values()];
}

export class TakeDesk {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly deps: { jobs: JobRepository; lifecycle: JobLifecycle }) {}

  /**
   * What remix, extend and `--from_job` use for `job`: the kept take of its request when another
   * take is kept, else the job itself.
   */
  async resultOf(job: JobRecord): Promise<JobRecord> {
    if (!job.take || job.take.kept) return job;
    for (const id of job.take.ids) {
      if (id === job.id) continue;
      const sibling = await this.deps.jobs.getForTenant(job.tenant, id);
      if (sibling?.take?.kept) return sibling;
    }
    return job;
  }

  /** Marks `job` as its request's result, and no other take: the requester or an admin. */
  async keep(actor: Actor, job: JobRecord): Promise<JobRecord> {
    const take = job.take;
    if (!take) throw new UserFacingError(msg('take.single', { jobId: job.id }), { code: 'not_a_take' });
    if (job.requesterId !== actor.userId && !actor.isAdmin) {
      throw new UserFacingError(msg('take.not_allowed', { requestId: take.ids[0]!, requesterName: job.requesterName }), { code: 'not_allowed' });
    }
    if (!hasVideo(job)) {
      const noVideo = job.state === 'failed' || job.state === 'cancelled';
      throw new UserFacingError(msg('take.not_finished', { jobId: job.id, take: take.index, takes: take.ids.length, noVideo }), { code: 'not_finished' });
    }
    // One keep at a time per request, so two clicks on different takes never leave both kept.
    await this.mutex.run(take.ids[0]!, async () => {
      for (const id of take.ids) await this.deps.lifecycle.amendEvenIfEnded(id, (j) => (j.take ? { take: { ...j.take, kept: id === job.id } } : {}));
    });
    return (await this.deps.jobs.get(job.id)) ?? job;
  }

  /** The takes of the actor's visible requests this month, for `/cost`. */
  async lines(actor: Actor, month: string): Promise<TakesLine[]> {
    return takesPerRequest(await new Sight(actor).filter(await this.deps.jobs.recent(actor.tenant)), month);
  }
}
