/**
 * Jobs persisted on every transition, plus two indexes: the active set (what a
 * restarted process must resume) and each tenant's recent jobs (status,
 * autocomplete). The active set is split into shards so that holding
 * thousands of jobs in flight does not rewrite one ever-growing document.
 */
import { createHash } from 'node:crypto';
import { DocumentCache } from './document-cache.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { JobRepository, KeyValueStore } from './ports.js';
import { TERMINAL_STATES, type JobRecord, type TenantId } from './types.js';

const ACTIVE_SHARDS = 32;
const RECENT_PER_TENANT = 50;

/**
 * A record written before resolutions and sound (`input.quality`, no `audio`) reads as its
 * equivalent: standard was 720p, high 1080p; the sound is what its backend makes (settlement
 * falls back to the backend's other price when it has no silent one).
 */
export function upgraded(job: JobRecord): JobRecord {
  if (job.audio !== undefined || !job.input) return job;
  const legacy = job.input as { quality?: string };
  return {
    ...job,
    input: { ...job.input, resolution: job.input.resolution ?? (legacy.quality === 'high' ? '1080p' : '720p'), audio: job.input.audio },
    audio: job.audio ?? 'off',
  };
}

export class JobStore implements JobRepository {
  private readonly mutex = new KeyedMutex();
  private readonly indexes: DocumentCache;

  constructor(private readonly store: KeyValueStore) {
    this.indexes = new DocumentCache(store);
  }

  private shardOf(jobId: string): string {
    const n = createHash('sha1').update(jobId).digest()[0]! % ACTIVE_SHARDS;
    return `jobs:active:${n}`;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const job = await this.store.get<JobRecord>(`job:${jobId}`);
    return job && upgraded(job);
  }

  /** A job as seen by a tenant: another tenant's job does not exist. */
  async getForTenant(tenant: TenantId, jobId: string): Promise<JobRecord | undefined> {
    const job = await this.get(jobId);
    return job && job.tenant === tenant ? job : undefined;
  }

  /**
   * Writes a new job as the write-ahead intent of its acceptance: the active
   * index names it first, then the record exists. A process killed anywhere in
   * between leaves something the start-up reconciliation finds (an index entry
   * with no record, or a record with no reservation) and removes.
   */
  async create(job: JobRecord): Promise<void> {
    await this.editList(this.shardOf(job.id), (ids) => (ids.includes(job.id) ? ids : [...ids, job.id]));
    await this.store.set(`job:${job.id}`, job);
  }

  /** Lists an accepted (reserved) job among its tenant's recent jobs. */
  async publish(job: JobRecord): Promise<void> {
    await this.editList(`jobs:recent:${job.tenant}`, (ids) => (ids.includes(job.id) ? ids : [job.id, ...ids].slice(0, RECENT_PER_TENANT)));
  }

  /** Removes a job that was never accepted: the record first, so no index can name a half-removed job for long. */
  async discard(job: JobRecord): Promise<void> {
    await this.store.delete(`job:${job.id}`);
    await this.unindex(job.id);
    await this.editList(`jobs:recent:${job.tenant}`, (ids) => ids.filter((id) => id !== job.id));
  }

  /** Puts a live job back in the active index (a record written by an older version before its index entry). */
  async reindex(job: JobRecord): Promise<void> {
    await this.editList(this.shardOf(job.id), (ids) => (ids.includes(job.id) ? ids : [...ids, job.id]));
  }

  async unindex(jobId: string): Promise<void> {
    await this.editList(this.shardOf(jobId), (ids) => ids.filter((id) => id !== jobId));
  }

  /** Every id the active index names, whether or not its record exists. */
  async activeIds(): Promise<string[]> {
    const out: string[] = [];
    for (let n = 0; n < ACTIVE_SHARDS; n++) out.push(...((await this.indexes.read<string[]>(`jobs:active:${n}`)) ?? []));
    return out;
  }

  async isActive(jobId: string): Promise<boolean> {
    return ((await this.indexes.read<string[]>(this.shardOf(jobId))) ?? []).includes(jobId);
  }

  async isRecent(job: JobRecord): Promise<boolean> {
    return ((await this.indexes.read<string[]>(`jobs:recent:${job.tenant}`)) ?? []).includes(job.id);
  }

  /** Persists a transition; leaving the active set when the job reaches a terminal state. */
  async save(job: JobRecord): Promise<void> {
    await this.store.set(`job:${job.id}`, job);
    if (TERMINAL_STATES.has(job.state)) await this.editList(this.shardOf(job.id), (ids) => ids.filter((id) => id !== job.id));
  }

  async activeJobs(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (let n = 0; n < ACTIVE_SHARDS; n++) {
      for (const id of (await this.indexes.read<string[]>(`jobs:active:${n}`)) ?? []) {
        const job = await this.get(id);
        if (job && !TERMINAL_STATES.has(job.state)) out.push(job);
      }
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async recent(tenant: TenantId): Promise<JobRecord[]> {
    const ids = (await this.indexes.read<string[]>(`jobs:recent:${tenant}`)) ?? [];
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    return jobs.filter((j): j is JobRecord => j !== undefined && j.tenant === tenant);
  }

  private editList(key: string, edit: (ids: string[]) => string[]): Promise<void> {
    return this.mutex.run(key, async () => {
      const ids = (await this.indexes.read<string[]>(key)) ?? [];
      await this.indexes.write(key, edit(ids));
    });
  }
}
