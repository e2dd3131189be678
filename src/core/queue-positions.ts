/**
 * Tells each job waiting for a slot its place in line when the line moves.
 * Batched: one pass at most once a second, and only to jobs whose place
 * changed, so a line of thousands moving one step is not thousands of edits
 * per dispatch.
 */
import type { Clock } from './clock.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { JobNotifier } from './job-notifier.js';
import type { Scheduler } from './scheduler.js';
import { TERMINAL_STATES } from './types.js';

export class QueuePositions {
  /** The place each waiting job was last told. */
  private readonly shown = new Map<string, number>();
  private dirty = false;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly lifecycle: JobLifecycle,
    private readonly notifier: JobNotifier,
    private readonly clock: Clock,
  ) {}

  /** The line moved: tell the waiting jobs within a second. */
  moved(): void {
    this.dirty = true;
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    // Not tracked by the runner's tasks: waiting on it would keep `idle()` from ever resolving on a stopped clock.
    void this.clock.sleep(1_000).then(async () => {
      this.scheduled = false;
      if (!this.dirty || this.stopped) return;
      this.dirty = false;
      for (const [jobId, position] of this.scheduler.positions()) {
        if (this.shown.get(jobId) === position) continue;
        const job = await this.lifecycle.get(jobId);
        if (!job || TERMINAL_STATES.has(job.state)) continue;
        this.shown.set(jobId, position);
        await this.notifier.notify(job, { type: 'queued', position });
      }
    });
  }

  /** The job left the line (it runs, ended, or this process stops driving it). */
  forget(jobId: string): void {
    this.shown.delete(jobId);
  }

  stop(): void {
    this.stopped = true;
  }
}
