/**
 * Planning and accepting a storyboard, before anything runs: every shot's
 * characters are resolved, the shots are routed (one backend for the whole
 * board when one can hold every character, so the look stays the same), and
 * the whole sum is reserved at once or the board is refused with what is left.
 *
 * Acceptance follows acceptance.ts: the board and its shot jobs are written
 * as intents, then ONE ledger write reserves every shot (the commit point),
 * then they are listed. `reconcileBoards` removes a board whose shots never
 * reserved, after `reconcileAcceptance` removed those shots.
 */
import { acceptJobs, capRefusal, draftJob } from './acceptance.js';
import type { RouteReason } from './message-codes-outcomes.js';
import type { BoardRepository } from './board-store.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { newBoardId } from './ids.js';
import { resolveMentions } from './mentions.js';
import type { Micros } from './money.js';
import type { Backend, BudgetCaps, JobRepository, Ledger, Logger, ReservationResult } from './ports.js';
import { routeJob, type Route, type RouteRequest } from './router.js';
import type { Actor, BoardRecord, Character, GenerationInput, JobRecord, Orientation, Resolution, Sound, SurfaceRef } from './types.js';

export const MAX_SHOTS = 5;

export interface ShotRequest {
  prompt: string;
  seconds?: number;
  orientation?: Orientation;
}

export interface StoryboardRequest {
  shots: ShotRequest[];
  /** Applies to every shot that does not say its own. */
  seconds?: number;
  orientation: Orientation;
  resolution: Resolution;
  /** `--audio`; undefined leaves it to the team's default (preferred, not required, as for one video). */
  audio: Sound | undefined;
  /** The sound preferred over the team's default when `audio` is not given (an extension: its original's). */
  preferredAudio?: Sound;
  backend?: string;
  continuous: boolean;
}

export interface PlannedShot {
  input: GenerationInput;
  characters: Character[];
  route: Route;
}

/** Resolves, checks and routes every shot; throws a sentence for the first thing that cannot be made. */
export function planShots(
  backends: readonly Backend[],
  registry: ReadonlyMap<string, Character>,
  request: StoryboardRequest,
  routing: Pick<RouteRequest, 'policy' | 'isOpen' | 'filesReachable'> & { defaultAudio: Sound },
  startImage?: string,
): { shots: PlannedShot[]; reason: RouteReason } {
  const count = request.shots.length;
  if (count === 0 || count > MAX_SHOTS) throw new UserFacingError(msg('storyboard.shot_count', { count, max: MAX_SHOTS }), { code: 'shot_count' });
  const orientations = new Set(request.shots.map((s) => s.orientation ?? request.orientation));
  if (orientations.size > 1) {
    throw new UserFacingError(msg('storyboard.mixed_orientation'), { code: 'mixed_orientation' });
  }
  const orientation = [...orientations][0]!;
  // Every shot's characters first: an unknown @name refuses the board before anything is priced.
  const named = request.shots.map((s) => resolveMentions(s.prompt, registry));
  const everyone = [...new Map(named.flat().map((c) => [c.key, c])).values()];
  // A continuous board's shots after the first start from an image; the first goes to the same kind of backend.
  const { defaultAudio, ...policy } = routing;
  const sound = { audio: request.audio ?? request.preferredAudio ?? defaultAudio, audioChosen: request.audio !== undefined };
  const base = { orientation, resolution: request.resolution, ...sound, hasImage: request.continuous, forced: request.backend, ...policy };
  const inputs: GenerationInput[] = request.shots.map((s, i) => ({
    prompt: s.prompt,
    seconds: s.seconds ?? request.seconds,
    orientation,
    resolution: request.resolution,
    audio: request.audio,
    backend: request.backend,
    imagePath: i === 0 ? startImage : undefined,
    remixOf: undefined,
  }));

  const shared = sharedBackend(backends, inputs, everyone, base);
  if (shared) return { shots: inputs.map((input, i) => ({ input, characters: named[i]!, route: shared.routes[i]! })), reason: shared.reason };
  // No one backend fits every shot: each shot goes where its own characters fit.
  const shots = inputs.map((input, i) => ({ input, characters: named[i]!, route: routeJob(backends, { ...base, characters: named[i]!, seconds: input.seconds }) }));
  return { shots, reason: { kind: 'board_split' } };
}

/** One backend that can make every shot with all the board's characters, first in each shot's route; undefined when none can. */
function sharedBackend(
  backends: readonly Backend[],
  inputs: GenerationInput[],
  everyone: Character[],
  base: Omit<RouteRequest, 'characters' | 'seconds'>,
): { routes: Route[]; reason: RouteReason } | undefined {
  let routes: Route[];
  try {
    routes = inputs.map((input) => routeJob(backends, { ...base, characters: everyone, seconds: input.seconds }));
  } catch (error) {
    if (error instanceof UserFacingError) return undefined;
    throw error;
  }
  const pick = (id: string) => routes.map((r) => r.candidates.find((c) => c.backend.id === id));
  const total = (id: string) => pick(id).reduce((sum, c) => sum + (c?.estimateMicros ?? 0), 0);
  // As for one video, a backend that makes the asked lengths exactly comes before a cheaper one that does not.
  const exact = (id: string) => pick(id).filter((c, i) => inputs[i]!.seconds === undefined || c?.seconds === inputs[i]!.seconds).length;
  let common = routes[0]!.candidates.map((c) => c.backend.id).filter((id) => routes.every((r) => r.candidates.some((c) => c.backend.id === id)));
  if (common.length === 0) return undefined;
  // Under the cost policy the cheapest whole board wins, not the cheapest first shot.
  if (base.policy === 'cost') common = [...common].sort((a, b) => exact(b) - exact(a) || total(a) - total(b));
  const chosen = common[0]!;
  const name = routes[0]!.candidates.find((c) => c.backend.id === chosen)!.backend.capabilities.displayName;
  const ordered = routes.map((r) => ({ ...r, candidates: [...r.candidates].sort((a, b) => Number(b.backend.id === chosen) - Number(a.backend.id === chosen)) }));
  return { routes: ordered, reason: { kind: 'board_shared', backendName: name, characters: everyone.map((c) => `@${c.name}`) } };
}

/** The board and its shot jobs as the plan placed them, not yet durable. */
export function draftBoard(draft: {
  actor: Actor;
  shots: PlannedShot[];
  surface: SurfaceRef;
  continuous: boolean;
  kind: BoardRecord['kind'];
  lead?: BoardRecord['lead'];
  officialMicros: (seconds: number, resolution: Resolution, audio: Sound) => Micros;
  now: number;
  deadlineMs: number;
}): { board: BoardRecord; jobs: JobRecord[] } {
  const id = newBoardId();
  const jobs = draft.shots.map((shot, i) => {
    const first = shot.route.candidates[0]!;
    const job = draftJob({
      actor: draft.actor,
      input: shot.input,
      surface: draft.surface,
      characterKeys: shot.characters.map((c) => c.key),
      route: shot.route,
      officialMicros: draft.officialMicros(first.seconds, shot.input.resolution, first.audio),
      now: draft.now,
      deadlineMs: draft.deadlineMs,
    });
    return { ...job, board: { id, shot: i } };
  });
  const board: BoardRecord = {
    id,
    tenant: draft.actor.tenant,
    requesterId: draft.actor.userId,
    requesterName: draft.actor.displayName,
    ...(draft.actor.place && { place: draft.actor.place }),
    kind: draft.kind,
    continuous: draft.continuous,
    shots: jobs.map((j) => j.id),
    retries: jobs.map(() => 0),
    ...(draft.lead && { lead: draft.lead }),
    state: 'rendering',
    resultPath: undefined,
    resultBytes: undefined,
    seconds: (draft.lead?.seconds ?? 0) + jobs.reduce((sum, j) => sum + j.seconds, 0),
    error: undefined,
    surface: draft.surface,
    started: false,
    createdAt: draft.now,
    updatedAt: draft.now,
  };
  return { board, jobs };
}

interface AcceptDeps {
  boards: BoardRepository;
  jobs: JobRepository;
  ledger: Ledger;
  logger: Logger;
}

/** The board, then its shots accepted together (acceptJobs), then the board listed. Undoes its writes when refused. */
export async function acceptBoard(deps: AcceptDeps, board: BoardRecord, jobs: JobRecord[], actor: Actor, caps: BudgetCaps): Promise<{ tenantLeftMicros: Micros; userLeftMicros: Micros }> {
  await deps.boards.create(board);
  const undoBoard = () => deps.boards.discard(board).catch((e: unknown) => deps.logger.warn({ err: e, board: board.id }, 'could not remove an unaccepted board; the next start will'));
  let reservation: ReservationResult;
  try {
    reservation = await acceptJobs(deps, jobs, actor, caps);
  } catch (error) {
    await undoBoard();
    throw error;
  }
  if (!reservation.ok) await undoBoard();
  const left = refusedOrLeft(board, jobs, reservation);
  try {
    // A crash before this write leaves an unlisted board whose shots hold money: reconcileBoards lists it.
    await deps.boards.publish(board);
  } catch (error) {
    // A write that failed in a live process: nothing the person was told about may run, so undo it all, money first.
    for (const job of jobs) await deps.ledger.release(job.tenant, job.ledgerMonth, job.id);
    for (const job of jobs) await deps.jobs.discard(job).catch((e: unknown) => deps.logger.warn({ err: e, job: job.id }, 'could not remove an unaccepted shot; the next start will'));
    await undoBoard();
    throw error;
  }
  return left;
}

/** What is left after the reservation, or the sentence naming the cap that refused the sum. */
function refusedOrLeft(board: BoardRecord, jobs: JobRecord[], reservation: ReservationResult): { tenantLeftMicros: Micros; userLeftMicros: Micros } {
  if (reservation.ok) return reservation;
  const total = jobs.reduce((sum, j) => sum + j.estimateMicros, 0);
  throw capRefusal(reservation, board.kind === 'extension' ? { kind: 'extension', totalMicros: total } : { kind: 'shots', count: jobs.length, totalMicros: total });
}

/**
 * After `reconcileAcceptance`: a board none of whose shots exists was never accepted (its shots'
 * intents were removed for want of a reservation), and goes too. Returns how many went. `ids`: the
 * boards taken over from a replica that stopped (by default, the live boards this process drives).
 */
export async function reconcileBoards(deps: Omit<AcceptDeps, 'ledger'>, ids?: string[]): Promise<number> {
  let removed = 0;
  for (const id of ids ?? (await deps.boards.activeIds())) {
    const board = await deps.boards.get(id);
    if (!board) {
      await deps.boards.unindex(id);
      continue;
    }
    if (board.started) continue;
    const shots = await Promise.all(board.shots.map((jobId) => deps.jobs.get(jobId)));
    if (shots.every((s) => s === undefined)) {
      await deps.boards.discard(board);
      removed++;
      deps.logger.warn({ board: id, tenant: board.tenant }, 'reconcile: removed a storyboard whose acceptance stopped before its reservation');
    } else {
      await deps.boards.publish(board);
    }
  }
  return removed;
}
