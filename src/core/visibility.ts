/**
 * Who may see a job: the rule behind every job query (status, remix, retry,
 * cancel, `--from_job`, autocomplete). A job, its prompt and its video are
 * visible only where they were requested:
 *  - a channel's jobs (public or private) to the members of that channel;
 *  - a DM's jobs to the member who made them;
 *  - and never outside the tenant.
 * Membership is the adapter's knowledge (`actor.canSee`); the core only asks.
 */
import type { Actor, JobRecord, Place } from './types.js';

export function samePlace(a: Place | undefined, b: Place | undefined): boolean {
  return a !== undefined && b !== undefined && a.kind === b.kind && a.id === b.id;
}

/** A per-query view of what one actor can see; asks the adapter once per place. */
export class Sight {
  private readonly asked = new Map<string, Promise<boolean>>();

  constructor(private readonly actor: Actor) {}

  /** A job, or a storyboard: both are seen where they were requested. */
  async sees(job: Pick<JobRecord, 'tenant' | 'place' | 'requesterId'>): Promise<boolean> {
    const actor = this.actor;
    if (job.tenant !== actor.tenant) return false;
    // The console: one user, who sees everything of its tenant.
    if (actor.place === undefined) return true;
    // A job from before places were recorded: only its requester, never the whole team.
    if (job.place === undefined) return job.requesterId === actor.userId;
    if (job.place.kind === 'dm') return job.requesterId === actor.userId;
    if (samePlace(job.place, actor.place)) return true;
    const canSee = actor.canSee;
    if (!canSee) return false;
    const key = `${job.place.kind}:${job.place.id}`;
    let answer = this.asked.get(key);
    if (!answer) {
      // Fails closed: an adapter that cannot tell hides the job.
      answer = canSee(job.place).catch(() => false);
      this.asked.set(key, answer);
    }
    return answer;
  }

  async filter(jobs: JobRecord[]): Promise<JobRecord[]> {
    const seen = await Promise.all(jobs.map((j) => this.sees(j)));
    return jobs.filter((_, i) => seen[i]);
  }
}
