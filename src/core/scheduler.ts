/**
 * A fair scheduler: jobs wait per backend, tenants take turns (round-robin),
 * and concurrency is capped per backend and per tenant. It reports each
 * waiting job's honest queue position. It lives in memory; the job store is
 * the source of truth, and a restarted process re-enqueues from it. Replicas
 * sharing Postgres use the same port on tables (src/store/sql/cluster-scheduler.ts).
 */

export interface SchedulerEntry {
  jobId: string;
  tenant: string;
  backend: string;
}

export interface Scheduler {
  enqueue(entry: SchedulerEntry): void;
  /** Removes a waiting job (cancel). Returns whether it was waiting. */
  remove(jobId: string): boolean;
  /** Frees the running slot of a job that no longer occupies the provider. */
  finish(jobId: string): void;
  /** 1-based position among jobs waiting for the same backend; undefined once running. */
  position(jobId: string): number | undefined;
  /** All waiting jobs' positions, computed in one pass. */
  positions(): Map<string, number>;
  onDispatch(handler: (entry: SchedulerEntry) => void): void;
  /** Positions changed without a dispatch here (another replica took a slot or joined the line). */
  onLineMoved?(handler: () => void): void;
  readonly waiting: number;
  readonly running: number;
}

export class FairScheduler implements Scheduler {
  /** backend → tenant → FIFO of waiting entries. */
  private readonly queues = new Map<string, Map<string, SchedulerEntry[]>>();
  /** When each tenant was last served, per backend: the least recently served tenant goes first. */
  private readonly lastServed = new Map<string, Map<string, number>>();
  private serveCount = 0;
  private readonly runningJobs = new Map<string, SchedulerEntry>();
  private readonly runningByBackend = new Map<string, number>();
  private readonly runningByTenant = new Map<string, number>();
  private handler: (entry: SchedulerEntry) => void = () => {};
  private waitingCount = 0;
  private pumping = false;

  constructor(
    private readonly limits: { perBackend: (backend: string) => number; perTenant: number },
  ) {}

  onDispatch(handler: (entry: SchedulerEntry) => void): void {
    this.handler = handler;
  }

  get waiting(): number {
    return this.waitingCount;
  }

  get running(): number {
    return this.runningJobs.size;
  }

  enqueue(entry: SchedulerEntry): void {
    if (this.runningJobs.has(entry.jobId) || this.position(entry.jobId) !== undefined) return;
    const byTenant = this.queues.get(entry.backend) ?? new Map<string, SchedulerEntry[]>();
    this.queues.set(entry.backend, byTenant);
    const queue = byTenant.get(entry.tenant) ?? [];
    byTenant.set(entry.tenant, queue);
    queue.push(entry);
    this.waitingCount++;
    this.pump();
  }

  remove(jobId: string): boolean {
    for (const byTenant of this.queues.values()) {
      for (const [tenant, queue] of byTenant) {
        const i = queue.findIndex((e) => e.jobId === jobId);
        if (i !== -1) {
          queue.splice(i, 1);
          if (queue.length === 0) byTenant.delete(tenant);
          this.waitingCount--;
          return true;
        }
      }
    }
    return false;
  }

  finish(jobId: string): void {
    const entry = this.runningJobs.get(jobId);
    if (!entry) return;
    this.runningJobs.delete(jobId);
    this.runningByBackend.set(entry.backend, (this.runningByBackend.get(entry.backend) ?? 1) - 1);
    this.runningByTenant.set(entry.tenant, (this.runningByTenant.get(entry.tenant) ?? 1) - 1);
    this.pump();
  }

  position(jobId: string): number | undefined {
    for (const [backend, byTenant] of this.queues) {
      for (const queue of byTenant.values()) {
        if (queue.some((e) => e.jobId === jobId)) return this.order(backend).indexOf(jobId) + 1;
      }
    }
    return undefined;
  }

  positions(): Map<string, number> {
    const out = new Map<string, number>();
    for (const backend of this.queues.keys()) this.order(backend).forEach((id, i) => out.set(id, i + 1));
    return out;
  }

  /** The order in which this backend's waiting jobs would run: one per tenant per round. */
  private order(backend: string): string[] {
    const byTenant = this.queues.get(backend);
    if (!byTenant) return [];
    return takingTurns(byTenant, this.rotation(backend, byTenant)).map((e) => e.jobId);
  }

  /** Tenants with waiting jobs on this backend, least recently served first (never served: first). */
  private rotation(backend: string, byTenant: Map<string, SchedulerEntry[]>): string[] {
    const served = this.lastServed.get(backend);
    return [...byTenant.keys()].sort((a, b) => (served?.get(a) ?? 0) - (served?.get(b) ?? 0));
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let dispatched = true;
      while (dispatched) {
        dispatched = false;
        for (const [backend, byTenant] of this.queues) {
          if ((this.runningByBackend.get(backend) ?? 0) >= this.limits.perBackend(backend)) continue;
          const tenant = this.rotation(backend, byTenant).find((t) => (this.runningByTenant.get(t) ?? 0) < this.limits.perTenant);
          if (!tenant) continue;
          const queue = byTenant.get(tenant)!;
          const entry = queue.shift()!;
          if (queue.length === 0) byTenant.delete(tenant);
          // Served tenants go to the back of the line.
          const served = this.lastServed.get(backend) ?? new Map<string, number>();
          served.set(tenant, ++this.serveCount);
          this.lastServed.set(backend, served);
          this.waitingCount--;
          this.runningJobs.set(entry.jobId, entry);
          this.runningByBackend.set(backend, (this.runningByBackend.get(backend) ?? 0) + 1);
          this.runningByTenant.set(entry.tenant, (this.runningByTenant.get(entry.tenant) ?? 0) + 1);
          this.handler(entry);
          dispatched = true;
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * Waiting entries in the order they would run: one per tenant per round, tenants in the given order.
 * Shared with the cluster scheduler (src/store/sql/cluster-scheduler.ts), so both lines read alike.
 */
export function takingTurns<T>(byTenant: ReadonlyMap<string, readonly T[]>, tenants: readonly string[]): T[] {
  const out: T[] = [];
  for (let round = 0; ; round++) {
    let any = false;
    for (const t of tenants) {
      const e = byTenant.get(t)?.[round];
      if (e !== undefined) {
        out.push(e);
        any = true;
      }
    }
    if (!any) return out;
  }
}
