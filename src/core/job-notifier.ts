/**
 * Tells a job's chat surface what happened, one event at a time per job and
 * in the order they happened: a cancel never races the progress edit it
 * replaces, and a surface never needs its own per-job promise chain. Progress
 * is thinned to what the platform tolerates; state changes always go out.
 */
import type { Clock } from './clock.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { Logger, Surface } from './ports.js';
import { TERMINAL_STATES, type JobEvent, type JobRecord, type SurfaceRef } from './types.js';

interface Pace {
  lastAt: number;
  lastPhase: string;
}

export class JobNotifier {
  readonly surfaces = new Map<string, Surface>();
  /** Hears the events of storyboard shots instead of the chat surface: the board shows them (board-runner.ts). */
  boardListener: ((job: JobRecord, event: JobEvent) => Promise<void>) | undefined;
  /** The tail of each job's event chain, only while an event is being shown. */
  private readonly tails = new Map<string, Promise<void>>();
  /** When each live job last showed progress; dropped when the job ends. */
  private readonly pace = new Map<string, Pace>();

  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Queues `event` behind the job's earlier events and resolves once it was shown
   * (or failed to show: a status message that could not be edited never stops the job).
   */
  notify(job: JobRecord, event: JobEvent, options: { paced?: boolean } = {}): Promise<void> {
    const surface = this.surfaces.get(job.surface.platform);
    if (!surface) return Promise.resolve();
    if (event.type === 'progress' && !options.paced && !this.progressDue(job.id, job.surface.platform, event.phase)) return Promise.resolve();
    if (event.type !== 'progress' && event.type !== 'queued') this.pace.delete(job.id);
    const listener = job.board ? this.boardListener : undefined;
    if (listener) return this.inOrder(job.id, () => listener(job, event).catch((error: unknown) => this.log.warn({ err: error, job: job.id, event: event.type }, 'storyboard update failed')));
    return this.inOrder(job.id, () => this.show(surface, job, event));
  }

  /**
   * Shows `finished` in the job's order and returns the surface's patch; throws when the
   * surface could not take it, so delivery can try again. Undefined: no surface for the platform yet.
   */
  async deliver(job: JobRecord, event: Extract<JobEvent, { type: 'finished' }>): Promise<{ patch: Partial<SurfaceRef> | void } | undefined> {
    const surface = this.surfaces.get(job.surface.platform);
    if (!surface) return undefined;
    this.pace.delete(job.id);
    // A shot is posted by its board, joined with the others (see `delivered`).
    if (job.board) return { patch: undefined };
    return { patch: await this.inOrder(job.id, () => surface.update(job, event)) };
  }

  /** After a shot was stored as delivered: its board hears it, and may join and post. */
  async delivered(job: JobRecord): Promise<void> {
    if (!job.board || !this.boardListener || job.resultPath === undefined) return;
    await this.boardListener(job, { type: 'finished', path: job.resultPath, bytes: job.resultBytes ?? 0 });
  }

  /** Runs `step` after every earlier step of the same job has settled. */
  private inOrder<T>(jobId: string, step: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(jobId);
    const result = previous ? previous.then(step) : step();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(jobId, tail);
    void tail.then(() => {
      if (this.tails.get(jobId) === tail) this.tails.delete(jobId);
    });
    return result;
  }

  /** Forgets a job's pacing (it ended, or this process stops driving it). */
  forget(jobId: string): void {
    this.pace.delete(jobId);
  }

  /**
   * Whether a progress event of this phase may be shown now (and, if so, counts it as shown):
   * lets a caller skip reading the job's record for an update the platform would not take.
   */
  progressDue(jobId: string, platform: string, phase: string): boolean {
    const surface = this.surfaces.get(platform);
    if (!surface) return false;
    const intervalMs = surface.progressIntervalMs;
    const now = this.clock.now();
    const pace = this.pace.get(jobId);
    if (pace && pace.lastPhase === phase && now - pace.lastAt < intervalMs) return false;
    if (pace) {
      pace.lastAt = now;
      pace.lastPhase = phase;
    } else this.pace.set(jobId, { lastAt: now, lastPhase: phase });
    return true;
  }

  private async show(surface: Surface, job: JobRecord, event: JobEvent): Promise<void> {
    try {
      const patch = await surface.update(job, event);
      if (!patch) return;
      const merge = (stored: JobRecord) => ({ surface: { ...stored.surface, ...patch } as SurfaceRef });
      // A live job's ref goes through the lifecycle's checks; an ended one is written as it stands.
      if (TERMINAL_STATES.has(job.state)) await this.lifecycle.amendEvenIfEnded(job.id, merge);
      else await this.lifecycle.amend(job.id, merge).catch(() => this.lifecycle.amendEvenIfEnded(job.id, merge));
    } catch (error) {
      this.log.warn({ err: error, job: job.id, event: event.type }, 'surface update failed');
    }
  }
}
