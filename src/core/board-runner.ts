/**
 * Drives storyboards: a board's shots are jobs the JobRunner runs like any
 * other; this hears how each shot ends (through the JobNotifier) and moves the
 * board along BOARD_TRANSITIONS in job-lifecycle.ts: start the shots whose turn
 * it is, retry a failed shot once, wait for a "Retry shot N" when one still
 * fails, join the delivered shots in order and post the joined video.
 *
 * Nothing lives only in memory: every decision is read back from the stored
 * board and shot records, so `resume` after a crash takes the same decision.
 * Each shot is charged when its file is saved (job-delivery.ts) and released
 * when it fails, so a board costs exactly its delivered shots.
 */
import { BoardClosed, type BoardLifecycle } from './job-lifecycle.js';
import type { BoardRepository } from './board-store.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import type { JobRunner } from './job-runner.js';
import { KeyedMutex } from './keyed-mutex.js';
import { plainText } from './markup.js';
import { msg, render } from './messages.js';
import type { JobRepository, Logger, MediaStore, Surface } from './ports.js';
import { TERMINAL_BOARD_STATES, TERMINAL_STATES, type BoardEvent, type BoardRecord, type JobEvent, type JobRecord, type ShotLine } from './types.js';

export interface BoardRunnerDeps {
  boards: BoardRepository;
  lifecycle: BoardLifecycle;
  jobs: JobRepository;
  runner: JobRunner;
  media: MediaStore;
  clock: Clock;
  logger: Logger;
  /** Puts a new job in a failed shot's place (reserving again); false when the budget refuses. */
  redo: (board: BoardRecord, shot: number) => Promise<boolean>;
}

/** The retry a failed shot gets before the board waits for a person's "Retry shot N". */
const AUTOMATIC_RETRIES = 1;

export class BoardRunner {
  private readonly mutex = new KeyedMutex();
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly shownAt = new Map<string, number>();

  constructor(private readonly deps: BoardRunnerDeps) {
    deps.runner.boardListener = (job, event) => this.shotEvent(job, event);
  }

  private get surfaces(): Map<string, Surface> {
    return this.deps.runner.surfaces;
  }

  /** The adapter posted the board's status message: the shots whose turn it is start. */
  async start(boardId: string, surfacePatch: Record<string, unknown> = {}): Promise<BoardRecord> {
    await this.deps.lifecycle.amend(boardId, (b) => ({ surface: { ...b.surface, ...surfacePatch } as BoardRecord['surface'], started: true }));
    return this.advance(boardId);
  }

  /** The live boards this process drives pick up where their stored records say they stand. */
  async resume(ids: string[]): Promise<number> {
    for (const id of ids) {
      // An adapter that died between accepting and posting: the board runs anyway, as a single job would.
      const step = async () => {
        const board = await this.deps.boards.get(id);
        // Released while its approval was settled (storyboard-desk.ts `resume`): nothing left to drive.
        if (board && TERMINAL_BOARD_STATES.has(board.state)) return board;
        return board?.started === false ? this.start(id) : this.advance(id);
      };
      await step().catch((error: unknown) => this.deps.logger.error({ err: error, board: id }, 'could not resume a storyboard'));
    }
    return ids.length;
  }

  /** The status lines of a board, from its stored shots. */
  async lines(board: BoardRecord): Promise<ShotLine[]> {
    const shots = await Promise.all(board.shots.map((id) => this.deps.jobs.get(id)));
    return shots.map((job, i) => lineOf(board, i, job));
  }

  /** A shot's event: live ones refresh the status (paced), an ending moves the board. */
  private async shotEvent(job: JobRecord, event: JobEvent): Promise<void> {
    const boardId = job.board!.id;
    if (event.type === 'finished' || event.type === 'failed' || event.type === 'cancelled') {
      await this.advance(boardId);
      return;
    }
    const surface = this.surfaces.get(job.surface.platform);
    const now = this.deps.clock.now();
    if (event.type === 'progress' && surface && now - (this.shownAt.get(boardId) ?? 0) < surface.progressIntervalMs) return;
    this.shownAt.set(boardId, now);
    const board = await this.deps.boards.get(boardId);
    if (board?.started && board.state === 'rendering') await this.showStatus(board);
  }

  /** Runs `step` while no other step of this board runs (a person's retry against the board's own moves). */
  exclusive<T>(boardId: string, step: () => Promise<T>): Promise<T> {
    return this.mutex.run(boardId, step);
  }

  /** Takes every step the board's stored state calls for, one board at a time. */
  advance(boardId: string): Promise<BoardRecord> {
    return this.mutex.run(boardId, async () => {
      let board = await this.deps.boards.get(boardId);
      if (!board) throw new Error(`board ${boardId} vanished from the store`);
      try {
        if (board.state === 'rendering' && board.started) board = await this.render(board);
        if (board.state === 'joining') board = await this.join(board);
        if (board.state === 'delivering') board = await this.deliver(board);
      } catch (error) {
        if (error instanceof BoardClosed) return error.board;
        throw error;
      }
      return board;
    });
  }

  private async render(board: BoardRecord): Promise<BoardRecord> {
    const shots = await Promise.all(board.shots.map((id) => this.deps.jobs.get(id)));
    // A failed shot gets its automatic retry while it has one left (and the budget allows).
    let retried = false;
    for (const [i, job] of shots.entries()) {
      if (ended(job) && job?.state !== 'delivered' && (board.retries[i] ?? 0) < AUTOMATIC_RETRIES) {
        this.deps.logger.info({ board: board.id, shot: i + 1, job: job?.id }, 'retrying a failed shot once');
        if (await this.deps.redo(board, i)) retried = true;
        else board = await this.deps.lifecycle.amend(board.id, (b) => ({ retries: b.retries.map((n, k) => (k === i ? AUTOMATIC_RETRIES : n)) }));
      }
    }
    if (retried) return this.render((await this.deps.boards.get(board.id))!);

    if (shots.every((j) => j?.state === 'delivered')) {
      await this.showStatus(board);
      return this.deps.lifecycle.transition(board.id, 'joining');
    }
    if (shots.every(ended)) {
      const lines = shots.map((job, i) => lineOf(board, i, job));
      const failed = lines.filter((l) => l.status === 'failed');
      const first = failed[0]?.reason;
      const reason = render(msg('board.shots_failed', { shots: failed.map((l) => l.shot), ...(first && { reason: render(first, plainText) }) }), plainText);
      const next = await this.deps.lifecycle.transition(board.id, 'incomplete');
      const delivered = shots.flatMap((job, i) => (job?.state === 'delivered' && job.resultPath ? [{ shot: i + 1, path: job.resultPath }] : []));
      await this.show(next, { type: 'incomplete', lines, delivered, reason });
      return next;
    }
    await this.startDue(board, shots);
    await this.showStatus(board);
    return board;
  }

  /**
   * Starts the shots whose turn it is: all of them, or on a continuous board the first one not
   * yet made, once the shot before it is delivered, from that shot's last frame.
   */
  private async startDue(board: BoardRecord, shots: Array<JobRecord | undefined>): Promise<void> {
    for (const [i, job] of shots.entries()) {
      if (!job || job.started || TERMINAL_STATES.has(job.state)) continue;
      if (board.continuous) {
        const previous = i === 0 ? undefined : shots[i - 1];
        if (i > 0 && previous?.state !== 'delivered') return;
        const from = i === 0 ? board.lead?.path : previous!.resultPath;
        if (from && !job.input.imagePath) {
          const frame = await this.deps.media.lastFrame(from, board.tenant);
          await this.deps.runner.lifecycle.amend(job.id, (j) => ({ input: { ...j.input, imagePath: frame.path } }));
        }
      }
      await this.deps.runner.start(job.id, {});
      if (board.continuous) return;
    }
  }

  private async join(board: BoardRecord): Promise<BoardRecord> {
    const shots = await Promise.all(board.shots.map((id) => this.deps.jobs.get(id)));
    const paths = [...(board.lead ? [board.lead.path] : []), ...shots.map((j) => j!.resultPath!)];
    try {
      const joined = await this.deps.media.joinVideos(board.id, paths);
      return await this.deps.lifecycle.transition(board.id, 'delivering', { resultPath: joined.path, resultBytes: joined.bytes, seconds: Math.round(joined.seconds * 10) / 10 });
    } catch (error) {
      if (error instanceof BoardClosed) throw error;
      this.deps.logger.error({ err: error, board: board.id }, 'could not join the shots');
      const said = error instanceof UserFacingError ? error.said : msg('board.join_failed');
      const reason = render(said, plainText);
      const failed = await this.deps.lifecycle.transition(board.id, 'failed', { error: { code: 'join', message: reason, said } });
      await this.show(failed, { type: 'failed', reason });
      return failed;
    }
  }

  private async deliver(board: BoardRecord): Promise<BoardRecord> {
    const lines = await this.lines(board);
    const totalMicros = lines.reduce((sum, l) => sum + l.micros, 0);
    const surface = this.surfaces.get(board.surface.platform);
    if (!surface?.updateBoard) {
      this.deps.logger.warn({ board: board.id, platform: board.surface.platform }, 'no surface for this storyboard yet; it is delivered on the next start');
      return board;
    }
    // Marked before posting, as a job's delivery is (job-delivery.ts): a later attempt that finds the mark looks for the post first.
    const earlierAttemptAt = board.deliveryStartedAt;
    if (earlierAttemptAt === undefined) board = await this.deps.lifecycle.amend(board.id, { deliveryStartedAt: this.deps.clock.now() });
    const event = { type: 'finished' as const, path: board.resultPath!, bytes: board.resultBytes ?? 0, lines, totalMicros, ...(earlierAttemptAt !== undefined && { earlierAttemptAt }) };
    const marked = board;
    const patch = await this.inOrder(board.id, () => surface.updateBoard!(marked, event));
    const delivered = await this.deps.lifecycle.transition(board.id, 'delivered', (b) => (patch ? { surface: { ...b.surface, ...patch } } : {}));
    this.deps.logger.info({ board: board.id, shots: board.shots.length, charged: totalMicros }, 'storyboard delivered');
    return delivered;
  }

  private async showStatus(board: BoardRecord): Promise<void> {
    const lines = await this.lines(board);
    await this.show(board, { type: 'status', lines, totalMicros: lines.reduce((sum, l) => sum + l.micros, 0) });
  }

  /** Shows an event on the board's surface, in order; a status that could not be shown never stops the board. */
  async show(board: BoardRecord, event: BoardEvent): Promise<void> {
    const surface = this.surfaces.get(board.surface.platform);
    if (!surface?.updateBoard || !board.started) return;
    try {
      const patch = await this.inOrder(board.id, () => surface.updateBoard!(board, event));
      if (patch) await this.deps.lifecycle.amend(board.id, (b) => ({ surface: { ...b.surface, ...patch } })).catch(() => undefined);
    } catch (error) {
      this.deps.logger.warn({ err: error, board: board.id, event: event.type }, 'storyboard status update failed');
    }
  }

  private inOrder<T>(boardId: string, step: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(boardId) ?? Promise.resolve();
    const result = previous.then(step);
    const tail = result.catch(() => undefined);
    this.tails.set(boardId, tail);
    void tail.then(() => {
      if (this.tails.get(boardId) === tail) this.tails.delete(boardId);
    });
    return result;
  }
}

function ended(job: JobRecord | undefined): boolean {
  return job === undefined || TERMINAL_STATES.has(job.state);
}

export function lineOf(board: BoardRecord, index: number, job: JobRecord | undefined): ShotLine {
  const shot = index + 1;
  if (!job) return { shot, jobId: board.shots[index]!, status: 'failed', progress: 0, seconds: 0, micros: 0, reason: msg('board.shot_lost') };
  const base = { shot, jobId: job.id, progress: job.progress, seconds: job.seconds };
  switch (job.state) {
    case 'delivered':
      return { ...base, status: 'done', progress: 100, micros: job.priceMicros ?? 0 };
    case 'failed':
    case 'cancelled':
      return { ...base, status: 'failed', micros: 0, reason: job.error ? (job.error.said ?? msg('text', { en: job.error.message })) : msg('board.shot_cancelled') };
    case 'queued':
      return { ...base, status: board.state === 'awaiting_approval' ? 'approval' : job.started ? 'queued' : 'waiting', micros: job.estimateMicros };
    default:
      return { ...base, status: 'rendering', micros: job.priceMicros ?? job.estimateMicros };
  }
}
