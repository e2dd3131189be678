/**
 * The storyboard use cases: request a board or an extension (plan, price,
 * reserve the sum at once), start it once the adapter posted its status,
 * retry a failed shot, and show a board with its shots. The board's life after
 * acceptance is BoardRunner's (board-runner.ts).
 */
import { acceptJob, routeAndDraft } from './acceptance.js';
import type { AuditLog } from './audit-log.js';
import { boardApprovals } from './board-approval.js';
import { BoardRunner } from './board-runner.js';
import type { BoardRepository } from './board-store.js';
import type { CharacterRegistry } from './characters.js';
import type { RouteReason } from './message-codes-outcomes.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { boardSource, isBoardId, jobSource } from './extension-source.js';
import type { Approvals } from './job-approval.js';
import { BoardLifecycle } from './job-lifecycle.js';
import type { JobRunner } from './job-runner.js';
import { resolveMentions } from './mentions.js';
import type { Micros } from './money.js';
import type { Backend, JobRepository, Ledger, Logger, MediaStore } from './ports.js';
import { acceptBoard, draftBoard, planShots, reconcileBoards, type StoryboardRequest } from './storyboard-plan.js';
import type { TenantSettingsRepository } from './tenant-settings.js';
import { approvalThreshold, requireMaySpend } from './team-rules.js';
import { Sight } from './visibility.js';
import type { Actor, BoardRecord, JobRecord, Resolution, ShotLine, Sound, SurfaceRef } from './types.js';

export type { StoryboardRequest, ShotRequest } from './storyboard-plan.js';

export interface StoryboardDeskDeps {
  boards: BoardRepository;
  jobs: JobRepository;
  characters: CharacterRegistry;
  ledger: Ledger;
  settings: TenantSettingsRepository;
  breaker: CircuitBreaker;
  backends: () => Backend[];
  media: MediaStore;
  clock: Clock;
  logger: Logger;
  runner: JobRunner;
  filesReachable: boolean;
  jobDeadlineMs: number;
  referencePrice: (seconds: number, resolution: Resolution, audio: Sound) => Micros;
  /** The job that stands for `job`'s request: its kept take, if another take is kept (takes.ts). */
  resultOf: (job: JobRecord) => Promise<JobRecord>;
  /** Settles an unclean stop and refuses while shutting down, as for single jobs. */
  ready: () => Promise<void>;
  /** A board above the approval threshold is released after this long without a decision. */
  approvalTimeoutMs: number;
  audit: AuditLog | undefined;
}

export interface AcceptedBoard {
  board: BoardRecord;
  shots: JobRecord[];
  estimateMicros: Micros;
  tenantLeftMicros: Micros;
  userLeftMicros: Micros;
  /** Display names of the backends the shots go to, in shot order. */
  backendNames: string[];
  reason: RouteReason;
}

export class StoryboardDesk {
  readonly lifecycle: BoardLifecycle;
  readonly runner: BoardRunner;
  /** Boards whose sum waits for an admin (board-approval.ts). */
  readonly approvals: Approvals<BoardRecord>;

  constructor(private readonly deps: StoryboardDeskDeps) {
    this.lifecycle = new BoardLifecycle(deps.boards, deps.clock);
    this.runner = new BoardRunner({
      boards: deps.boards,
      lifecycle: this.lifecycle,
      jobs: deps.jobs,
      runner: deps.runner,
      media: deps.media,
      clock: deps.clock,
      logger: deps.logger,
      redo: (board, shot) => this.redo(board, shot, requesterOf(board)).then(() => true, (error: unknown) => this.refusedRetry(board, shot, error)),
    });
    const { jobs, ledger, clock, logger, audit } = deps;
    this.approvals = boardApprovals({ lifecycle: this.lifecycle, jobLifecycle: deps.runner.lifecycle, jobs, ledger, runner: this.runner, clock, logger, audit });
  }

  get boardStore(): BoardRepository {
    return this.deps.boards;
  }

  /** Plans every shot, then reserves the whole sum at once, or refuses with what is left. */
  async request(actor: Actor, request: StoryboardRequest, surface: SurfaceRef): Promise<AcceptedBoard> {
    await this.deps.ready();
    return this.accept(actor, request, surface, 'storyboard');
  }

  /**
   * Continues a delivered video from its last frame, with its characters, on a backend that takes a
   * start image; the original and the new part are joined and posted in the original's thread. The
   * original is a job (its kept take) or a board: a storyboard's joined video, or an earlier extension.
   */
  async extend(actor: Actor, id: string, change: { prompt?: string; seconds?: number; audio?: Sound | undefined }): Promise<AcceptedBoard> {
    await this.deps.ready();
    const original = isBoardId(id)
      ? await boardSource(await this.visibleBoard(actor, id), { jobs: this.deps.jobs, media: this.deps.media, surfaces: this.deps.runner.surfaces })
      : await jobSource(await this.deps.resultOf(await this.visibleJob(actor, id)), this.deps.media);
    const registry = await this.deps.characters.all(actor.tenant);
    let prompt = change.prompt ?? original.prompt;
    // The same characters: any the new prompt leaves out are named again so the backend holds them.
    const missing = original.characterKeys.filter((key) => registry.has(key) && !resolveMentions(prompt, registry).some((c) => c.key === key));
    if (missing.length > 0) prompt += `, with ${missing.map((key) => `@${registry.get(key)!.name}`).join(' and ')}`;
    const frame = await this.deps.media.lastFrame(original.path, actor.tenant);
    try {
      const seconds = change.seconds ?? original.defaultSeconds;
      const request: StoryboardRequest = {
        shots: [{ prompt, ...(change.seconds !== undefined && { seconds: change.seconds }) }],
        seconds,
        orientation: original.orientation,
        resolution: original.resolution,
        // Unless asked otherwise, the extension prefers the original's sound; a backend that takes a start
        // image but not that sound still makes it (the join gives a silent part a silent track).
        audio: change.audio,
        preferredAudio: original.audio,
        continuous: true,
      };
      const lead = { jobId: original.id, path: original.path, seconds: original.seconds };
      return await this.accept(actor, request, { ...original.surface, extensionOf: original.id }, 'extension', { lead, startImage: frame.path });
    } catch (error) {
      await this.deps.media.discard([frame.path]);
      throw error;
    }
  }

  private async accept(
    actor: Actor,
    request: StoryboardRequest,
    surface: SurfaceRef,
    kind: BoardRecord['kind'],
    extension?: { lead: NonNullable<BoardRecord['lead']>; startImage: string },
  ): Promise<AcceptedBoard> {
    // The team's rules before anything is reserved: who may spend, and the approval threshold on the sum.
    const rules = await this.deps.settings.get(actor.tenant);
    requireMaySpend(rules, actor);
    const registry = await this.deps.characters.all(actor.tenant);
    const { policy, audio } = await this.deps.settings.routingFor(actor.tenant);
    const routing = { policy, defaultAudio: audio, isOpen: (b: string) => this.deps.breaker.isOpen(b), filesReachable: this.deps.filesReachable };
    const plan = planShots(this.deps.backends(), registry, request, routing, extension?.startImage);
    const { board, jobs } = draftBoard({
      actor,
      shots: plan.shots,
      surface,
      continuous: request.continuous,
      kind,
      ...(extension && { lead: extension.lead }),
      officialMicros: this.deps.referencePrice,
      now: this.deps.clock.now(),
      deadlineMs: this.deps.jobDeadlineMs,
    });
    // The threshold applies to the whole sum, so splitting a video into shots cannot bypass it.
    markForApproval(board, jobs, approvalThreshold(rules, actor), this.deps.approvalTimeoutMs);
    const caps = await this.deps.settings.capsFor(actor.tenant, actor.userId);
    const reservation = await acceptBoard({ boards: this.deps.boards, jobs: this.deps.jobs, ledger: this.deps.ledger, logger: this.deps.logger }, board, jobs, actor, caps);
    const estimateMicros = jobs.reduce((sum, j) => sum + j.estimateMicros, 0);
    this.deps.logger.info({ board: board.id, tenant: board.tenant, shots: jobs.length, estimate: estimateMicros }, 'storyboard accepted');
    return {
      board,
      shots: jobs,
      estimateMicros,
      ...reservation,
      backendNames: plan.shots.map((s) => s.route.candidates[0]!.backend.capabilities.displayName),
      reason: plan.reason,
    };
  }

  /** The adapter posted the board's status message: its shots start, or it shows that it waits for an admin. */
  async start(boardId: string, surfacePatch: Partial<SurfaceRef> = {}): Promise<BoardRecord> {
    const board = await this.runner.start(boardId, surfacePatch);
    if (board.state === 'awaiting_approval') await this.awaitDecision(board);
    return board;
  }

  /**
   * Every live board this process drives picks up where it stood (or `taken`, boards taken over from a
   * replica that stopped); a waiting one has its expiry armed again, a decided one is released.
   */
  async resume(taken?: string[]): Promise<number> {
    const ids = taken ?? (await this.deps.boards.activeIds());
    for (const id of ids) {
      const board = await this.deps.boards.get(id);
      if (board?.state !== 'awaiting_approval') continue;
      if (board.approval?.decision) await this.approvals.finish(board).catch((error: unknown) => this.deps.logger.error({ err: error, board: id }, 'could not release a denied storyboard'));
      else if (board.started) this.approvals.wait(board);
      else await this.start(id).catch((error: unknown) => this.deps.logger.error({ err: error, board: id }, 'could not resume a storyboard'));
    }
    return this.runner.resume(ids);
  }

  /** Boards taken over from a replica that stopped: settled as at a start (reconcileBoards), then resumed. */
  async takeOver(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    await reconcileBoards({ boards: this.deps.boards, jobs: this.deps.jobs, logger: this.deps.logger }, ids);
    return this.resume(ids);
  }

  stop(): void {
    this.approvals.stop();
  }

  private async awaitDecision(board: BoardRecord): Promise<void> {
    this.approvals.wait(board);
    const lines = await this.runner.lines(board);
    const totalMicros = lines.reduce((sum, l) => sum + l.micros, 0);
    await this.runner.show(board, { type: 'awaiting-approval', lines, totalMicros, thresholdMicros: board.approval!.thresholdMicros, expiresAt: board.approval!.expiresAt });
  }

  /** A board the actor can see, for a decision on it (team-desk.ts). */
  board(actor: Actor, boardId: string): Promise<BoardRecord> {
    return this.visibleBoard(actor, boardId);
  }

  /** "Retry shot N": a new job in the failed shot's place, reserved again (by whoever retries). */
  async retry(actor: Actor, boardId: string, shot: number): Promise<BoardRecord> {
    const board = await this.visibleBoard(actor, boardId);
    const index = shot - 1;
    const current = board.shots[index] === undefined ? undefined : await this.deps.jobs.get(board.shots[index]!);
    if (board.shots[index] === undefined) throw new UserFacingError(msg('storyboard.unknown_shot', { boardId: board.id, shot }), { code: 'unknown_shot' });
    if (board.state !== 'incomplete' || (current && current.state !== 'failed' && current.state !== 'cancelled')) {
      throw new UserFacingError(msg('storyboard.shot_not_failed', { boardId: board.id, shot }), { code: 'not_failed' });
    }
    await this.runner.exclusive(board.id, () => this.redo(board, index, actor));
    return this.runner.advance(board.id);
  }

  /** A board and one status line per shot. */
  async view(actor: Actor, boardId: string): Promise<{ board: BoardRecord; lines: ShotLine[] }> {
    const board = await this.visibleBoard(actor, boardId);
    return { board, lines: await this.runner.lines(board) };
  }

  /** The delivered shots' files, in order (the "Shots" button). */
  async shotFiles(actor: Actor, boardId: string): Promise<{ shot: number; path: string }[]> {
    const board = await this.visibleBoard(actor, boardId);
    const shots = await Promise.all(board.shots.map((id) => this.deps.jobs.get(id)));
    return shots.flatMap((job, i) => (job?.state === 'delivered' && job.resultPath ? [{ shot: i + 1, path: job.resultPath }] : []));
  }

  async recent(actor: Actor): Promise<BoardRecord[]> {
    const sight = new Sight(actor);
    const boards = await this.deps.boards.recent(actor.tenant);
    const seen = await Promise.all(boards.map((b) => sight.sees(b)));
    return boards.filter((_, i) => seen[i]);
  }

  /**
   * Puts a new job in shot `index`'s place. The board names it before it exists: a crash in
   * between leaves a shot the board reads as failed (retry again), never a reserved job no board counts.
   */
  private async redo(board: BoardRecord, index: number, actor: Actor): Promise<void> {
    const old = await this.deps.jobs.get(board.shots[index]!);
    if (!old) throw new UserFacingError(msg('storyboard.shot_lost', { boardId: board.id, shot: index + 1 }), { code: 'shot_lost' });
    // Whoever retries spends: a member blocked since the board began cannot.
    requireMaySpend(await this.deps.settings.get(board.tenant), actor);
    const registry = await this.deps.characters.all(board.tenant);
    const named = resolveMentions(old.input.prompt, registry);
    const { policy } = await this.deps.settings.routingFor(board.tenant);
    const input = { ...old.input, imagePath: index === 0 ? old.input.imagePath : undefined };
    const placing = {
      backends: this.deps.backends(),
      isOpen: (b: string) => this.deps.breaker.isOpen(b),
      filesReachable: this.deps.filesReachable,
      referencePrice: this.deps.referencePrice,
      now: this.deps.clock.now(),
      deadlineMs: this.deps.jobDeadlineMs,
    };
    const { job: draft } = routeAndDraft(placing, {
      actor,
      input,
      surface: board.surface,
      characters: named,
      // The retried shot keeps the sound the failed one was priced with (the user's choice, or what the board made).
      audio: input.audio ?? old.audio,
      hasImage: board.continuous,
      forced: input.backend,
      policy,
    });
    const job: JobRecord = { ...draft, board: { id: board.id, shot: index } };
    const swap = (b: BoardRecord, id: string, retries: number) => ({ shots: b.shots.map((s, k) => (k === index ? id : s)), retries: b.retries.map((n, k) => (k === index ? n + retries : n)) });
    const wasIncomplete = board.state === 'incomplete';
    if (wasIncomplete) await this.lifecycle.transition(board.id, 'rendering', (b) => swap(b, job.id, 1));
    else await this.lifecycle.amend(board.id, (b) => swap(b, job.id, 1));
    try {
      const caps = await this.deps.settings.capsFor(board.tenant, actor.userId);
      await acceptJob({ jobs: this.deps.jobs, ledger: this.deps.ledger, logger: this.deps.logger }, job, actor, caps);
    } catch (error) {
      // Refused (budget): the failed shot takes its place back, and the board waits as before.
      if (wasIncomplete) await this.lifecycle.transition(board.id, 'incomplete', (b) => swap(b, old.id, 0));
      else await this.lifecycle.amend(board.id, (b) => swap(b, old.id, 0));
      throw error;
    }
    this.deps.logger.info({ board: board.id, shot: index + 1, job: job.id }, 'shot retried');
  }

  private refusedRetry(board: BoardRecord, shot: number, error: unknown): false {
    this.deps.logger.warn({ err: error, board: board.id, shot: shot + 1 }, 'the automatic retry of a failed shot was refused');
    return false;
  }

  private async visibleJob(actor: Actor, jobId: string): Promise<JobRecord> {
    const job = await this.deps.jobs.getForTenant(actor.tenant, jobId);
    if (!job || !(await new Sight(actor).sees(job))) throw new UserFacingError(msg('unknown_job', { jobId, visible: true }));
    return job;
  }

  private async visibleBoard(actor: Actor, boardId: string): Promise<BoardRecord> {
    const board = await this.deps.boards.getForTenant(actor.tenant, boardId);
    if (!board || !(await new Sight(actor).sees(board))) throw new UserFacingError(msg('unknown_board', { boardId }));
    return board;
  }
}

/** Whoever asked for the board pays for its automatic retry. */
function requesterOf(board: BoardRecord): Actor {
  return { tenant: board.tenant, userId: board.requesterId, displayName: board.requesterName, isAdmin: false, ...(board.place && { place: board.place }) };
}

/**
 * A board whose whole sum is above the threshold waits for an admin, as a single job does: it is reserved all
 * the same (the money is held) and its shots start only once it is approved.
 */
function markForApproval(board: BoardRecord, shots: JobRecord[], threshold: Micros | undefined, timeoutMs: number): void {
  const sum = shots.reduce((total, j) => total + j.estimateMicros, 0);
  if (threshold === undefined || sum <= threshold) return;
  board.state = 'awaiting_approval';
  board.approval = { thresholdMicros: threshold, expiresAt: board.createdAt + timeoutMs };
}
