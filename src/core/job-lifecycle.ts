/**
 * A job's life, as data. The table below is the only place that says which
 * state may follow which; `JobLifecycle.transition` is the only writer of
 * `JobRecord.state`. It refuses a move the table does not allow and persists
 * the new state before returning, so the side effect that follows (a provider
 * call, a download, a post) always happens after the store knows about it.
 *
 *   awaiting_approval ─→ (approved) queued ; denied or expired → cancelled
 *   queued ─→ submitting ─→ submitted ─→ running ─→ downloading ─→ delivering ─→ delivered
 *      ↑           │            └────────────────────↗
 *      └─ fallback ┘      failed / cancelled from any state before `downloading`;
 *                         failed also from the two after it (the result could not be saved or posted)
 *
 * A storyboard is a parent record with a table of its own (BOARD_TRANSITIONS);
 * its shots are ordinary jobs that live by the table above:
 *
 *   awaiting_approval ─→ (approved) rendering ; denied or expired → cancelled
 *   rendering ─→ joining ─→ delivering ─→ delivered
 *      ↑   └─→ incomplete (a shot failed)
 *      └─ retry ─┘          failed from any rendering state (not from awaiting_approval)
 */
import type { JobRepository } from './ports.js';
import type { Clock } from './clock.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { BoardRepository } from './board-store.js';
import {
  TERMINAL_BOARD_STATES,
  TERMINAL_STATES,
  type BoardRecord,
  type BoardState,
  type JobPhase,
  type JobEvent,
  type JobRecord,
  type JobState,
} from './types.js';

/** Every allowed move. A state missing from a list cannot follow it. */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  // Reserved but above the team's approval threshold: an admin approves (into line) or denies; expiry denies.
  awaiting_approval: ['queued', 'cancelled'],
  // Waiting for a slot: the scheduler dispatches it, or it is refused/cancelled while waiting.
  queued: ['submitting', 'failed', 'cancelled'],
  // Characters bound and the provider called; a fallback puts it back in line for the next backend.
  submitting: ['submitted', 'queued', 'failed', 'cancelled'],
  // A provider can report completion without ever reporting progress.
  submitted: ['running', 'downloading', 'failed', 'cancelled'],
  running: ['downloading', 'failed', 'cancelled'],
  // Made and being saved or posted: too late to cancel (the provider has billed it), not too late to fail.
  downloading: ['delivering', 'failed'],
  delivering: ['delivered', 'failed'],
  delivered: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** Every allowed move of a storyboard (or extension), the parent of its shot jobs. */
export const BOARD_TRANSITIONS: Readonly<Record<BoardState, readonly BoardState[]>> = {
  // Its sum is above the approval threshold, reserved, shots not started: approved, its shots start;
  // denied or expired, its shots are cancelled and released (board-approval.ts).
  awaiting_approval: ['rendering', 'cancelled'],
  // Shots in flight. All delivered: join them; all ended with one failed: wait for a retry.
  rendering: ['joining', 'incomplete', 'failed'],
  // "Retry shot N" puts a new job in the failed shot's place.
  incomplete: ['rendering', 'failed'],
  // ffmpeg joins the delivered shots; a join that cannot be made fails the board (shots stay charged: they were delivered).
  joining: ['delivering', 'failed'],
  delivering: ['delivered', 'failed'],
  delivered: [],
  failed: [],
  cancelled: [],
};

/** The job already ended (someone else, e.g. cancel, got there first). */
export class JobClosed extends Error {
  constructor(readonly job: JobRecord) {
    super(`job ${job.id} is ${job.state}`);
  }
}

/** Another writer (another replica) changed the job between this one's read and its write. */
export class JobMovedOn extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} changed in the store while this process was moving it`);
  }
}

/** How often a write re-reads a job another replica changed under it before giving up. */
const WRITE_ATTEMPTS = 5;

/**
 * A move the table does not allow. In one process it is a bug in the caller; across replicas it
 * also means another one moved the job first (a replica taken for dead that was only slow).
 */
export class IllegalTransition extends Error {
  constructor(
    readonly jobId: string,
    readonly from: JobState,
    readonly to: JobState,
  ) {
    super(`job ${jobId} cannot go from ${from} to ${to}`);
  }
}

/** Fields a transition may change besides the state (never the state itself, never the id). */
export type JobPatch = Partial<Omit<JobRecord, 'id' | 'state' | 'tenant'>>;

export class JobLifecycle {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly jobs: JobRepository,
    private readonly clock: Clock,
  ) {}

  /** Reads the stored record: the store is the truth, nothing is cached between transitions. */
  get(jobId: string): Promise<JobRecord | undefined> {
    return this.jobs.get(jobId);
  }

  /**
   * Moves a job to `to`, applying `patch`, and persists it before returning.
   * Throws JobClosed if the job already ended, IllegalTransition if the table forbids the move.
   */
  transition(jobId: string, to: JobState, patch: JobPatch | ((job: JobRecord) => JobPatch) = {}): Promise<JobRecord> {
    return this.write(jobId, to, patch);
  }

  /** Changes fields of a live job without moving it (progress, the surface's message ids, the rendered prompt). */
  amend(jobId: string, patch: JobPatch | ((job: JobRecord) => JobPatch)): Promise<JobRecord> {
    return this.write(jobId, undefined, patch);
  }

  /** Changes the surface ref of a job that may already have ended (a final message's id). */
  amendEvenIfEnded(jobId: string, patch: (job: JobRecord) => JobPatch): Promise<void> {
    return this.mutex.run(jobId, async () => {
      const job = await this.jobs.get(jobId);
      if (job) await this.jobs.save({ ...job, ...patch(job) });
    });
  }

  private write(jobId: string, to: JobState | undefined, patch: JobPatch | ((job: JobRecord) => JobPatch)): Promise<JobRecord> {
    // The mutex orders this process's writes; the compare-and-set in `save` orders the replicas'.
    return this.mutex.run(jobId, async () => {
      let seenState: JobState | undefined;
      for (let attempt = 1; ; attempt++) {
        const job = await this.jobs.get(jobId);
        if (!job) throw new Error(`job ${jobId} vanished from the store`);
        if (TERMINAL_STATES.has(job.state)) throw new JobClosed(job);
        // A move decided on one state is not made from another: of an approval and a denial racing on
        // two replicas, the second finds the job no longer waiting. Only a field change is re-applied.
        if (to !== undefined && seenState !== undefined && job.state !== seenState) throw new IllegalTransition(jobId, job.state, to);
        seenState = job.state;
        if (to !== undefined && !canTransition(job.state, to)) throw new IllegalTransition(jobId, job.state, to);
        const changes = typeof patch === 'function' ? patch(job) : patch;
        const next: JobRecord = { ...job, ...changes, state: to ?? job.state, updatedAt: this.clock.now() };
        try {
          await this.jobs.save(next, job);
          return next;
        } catch (error) {
          if (!(error instanceof JobMovedOn) || attempt >= WRITE_ATTEMPTS) throw error;
        }
      }
    });
  }
}

/** Fields a board transition may change besides its state. */
export type BoardPatch = Partial<Omit<BoardRecord, 'id' | 'state' | 'tenant'>>;

/** The one writer of `BoardRecord.state`, by BOARD_TRANSITIONS; persists before returning, like JobLifecycle. */
export class BoardLifecycle {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly boards: BoardRepository,
    private readonly clock: Clock,
  ) {}

  get(boardId: string): Promise<BoardRecord | undefined> {
    return this.boards.get(boardId);
  }

  transition(boardId: string, to: BoardState, patch: BoardPatch | ((board: BoardRecord) => BoardPatch) = {}): Promise<BoardRecord> {
    return this.write(boardId, to, patch);
  }

  amend(boardId: string, patch: BoardPatch | ((board: BoardRecord) => BoardPatch)): Promise<BoardRecord> {
    return this.write(boardId, undefined, patch);
  }

  private write(boardId: string, to: BoardState | undefined, patch: BoardPatch | ((board: BoardRecord) => BoardPatch)): Promise<BoardRecord> {
    // The mutex orders this process's writes; the compare-and-set in `save` orders the replicas', as for jobs.
    return this.mutex.run(boardId, async () => {
      let seenState: BoardState | undefined;
      for (let attempt = 1; ; attempt++) {
        const board = await this.boards.get(boardId);
        if (!board) throw new Error(`board ${boardId} vanished from the store`);
        if (TERMINAL_BOARD_STATES.has(board.state)) throw new BoardClosed(board);
        // A move decided on one state is not made from another; only a field change is re-applied.
        if (to !== undefined && seenState !== undefined && board.state !== seenState) throw new IllegalBoardTransition(board, to);
        seenState = board.state;
        if (to !== undefined && !BOARD_TRANSITIONS[board.state].includes(to)) throw new IllegalBoardTransition(board, to);
        const changes = typeof patch === 'function' ? patch(board) : patch;
        const next: BoardRecord = { ...board, ...changes, state: to ?? board.state, updatedAt: this.clock.now() };
        try {
          await this.boards.save(next, board);
          return next;
        } catch (error) {
          if (!(error instanceof BoardMovedOn) || attempt >= WRITE_ATTEMPTS) throw error;
        }
      }
    });
  }
}

/** Another writer (another replica) changed the board between this one's read and its write. */
export class BoardMovedOn extends Error {
  constructor(readonly boardId: string) {
    super(`board ${boardId} changed in the store while this process was moving it`);
  }
}

/** A board move the table does not allow (of two decisions on a waiting board, the second). */
export class IllegalBoardTransition extends Error {
  constructor(
    readonly board: BoardRecord,
    readonly to: BoardState,
  ) {
    super(`board ${board.id} cannot go from ${board.state} to ${to}`);
  }
}

/** The board already ended. */
export class BoardClosed extends Error {
  constructor(readonly board: BoardRecord) {
    super(`board ${board.id} is ${board.state}`);
  }
}

/**
 * The words a surface shows for what a job is doing: from the event when there
 * is one, else from the stored state. `backendName` is the display name of the
 * job's current backend (after a fallback, the one it moved to).
 */
export function stageOf(job: JobRecord, backendName: string, event?: JobEvent): string {
  if (event?.type === 'progress') return phaseText(event.phase, backendName);
  switch (job.state) {
    case 'awaiting_approval':
      return 'awaiting approval';
    case 'queued':
      return job.triedBackends.length > 0 ? phaseText('retrying', backendName) : 'queued';
    case 'submitting':
      return phaseText('sending', backendName);
    case 'submitted':
      return 'submitted';
    case 'running':
      return phaseText('generating', backendName);
    case 'downloading':
      return phaseText('downloading', backendName);
    case 'delivering':
      return phaseText('uploading', backendName);
    default:
      return job.state;
  }
}

export function phaseText(phase: JobPhase, backendName: string): string {
  switch (phase) {
    case 'sending':
      return `sending to ${backendName}`;
    case 'provider-queue':
      return `waiting in ${backendName}'s queue`;
    case 'generating':
      return 'generating';
    case 'downloading':
      return 'downloading';
    case 'uploading':
      return 'uploading';
    case 'retrying':
      return `retrying on ${backendName}`;
  }
}
