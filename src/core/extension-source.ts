/**
 * What `/sora extend` continues: a delivered job (its kept take), or a
 * delivered board (a storyboard's joined video, or an earlier extension's
 * longer video). Either way the extension needs the same few facts: the file
 * whose last frame starts the new part, the characters to hold, the shape and
 * sound of the video, and where the longer video is posted (the original's
 * thread). Who may extend is who may see the original (visibility.ts).
 */
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import type { JobRepository, MediaStore, Surface } from './ports.js';
import { hasVideo, type BoardRecord, type JobRecord, type Orientation, type Resolution, type Sound, type SurfaceRef } from './types.js';

export interface ExtensionSource {
  /** The job or board id, as the extension's `lead` names it. */
  id: string;
  path: string;
  seconds: number;
  /** The prompt the new part repeats when none is given: the video's last one. */
  prompt: string;
  /** Every character the video shows, in order of first mention. */
  characterKeys: string[];
  orientation: Orientation;
  resolution: Resolution;
  /** The new part's length when none is given: as long as the last part of the original. */
  defaultSeconds: number | undefined;
  audio: Sound;
  surface: SurfaceRef;
}

export function isBoardId(id: string): boolean {
  return id.startsWith('b_');
}

/** A delivered job still held: continues in the job's own thread. */
export async function jobSource(job: JobRecord, media: MediaStore): Promise<ExtensionSource> {
  if (!hasVideo(job) || !job.resultPath || !(await media.holds(job.resultPath))) {
    throw new UserFacingError(msg('extend.not_finished', { id: job.id, board: false }), { code: 'not_finished' });
  }
  return {
    id: job.id,
    path: job.resultPath,
    seconds: job.seconds,
    prompt: job.input.prompt,
    characterKeys: job.characterKeys,
    orientation: job.input.orientation,
    resolution: job.input.resolution,
    defaultSeconds: job.input.seconds,
    audio: job.audio,
    surface: job.surface,
  };
}

/**
 * A delivered board still held: the joined video with the characters of all its shots, posted in the
 * board's thread. The board's ref also names its own status and delivery messages, which the
 * extension must not take for its own: the platform's surface gives the ref of its thread alone.
 */
export async function boardSource(board: BoardRecord, deps: { jobs: JobRepository; media: MediaStore; surfaces: ReadonlyMap<string, Surface> }): Promise<ExtensionSource> {
  if (board.state !== 'delivered' || !board.resultPath || !(await deps.media.holds(board.resultPath))) {
    throw new UserFacingError(msg('extend.not_finished', { id: board.id, board: true }), { code: 'not_finished' });
  }
  const shots = await Promise.all(board.shots.map((id) => deps.jobs.get(id)));
  const made = shots.filter((j): j is JobRecord => j !== undefined);
  const last = made.at(-1);
  if (!last) throw new UserFacingError(msg('extend.not_finished', { id: board.id, board: true }), { code: 'not_finished' });
  const surface = deps.surfaces.get(board.surface.platform);
  return {
    id: board.id,
    path: board.resultPath,
    seconds: board.seconds,
    prompt: last.input.prompt,
    characterKeys: [...new Set(made.flatMap((j) => j.characterKeys))],
    orientation: last.input.orientation,
    resolution: last.input.resolution,
    defaultSeconds: last.input.seconds ?? last.seconds,
    // The joined video has sound where any of its parts has it (the join gives the others silence).
    audio: made.some((j) => j.audio === 'on') ? 'on' : 'off',
    surface: surface?.threadOfBoard ? surface.threadOfBoard(board.surface) : board.surface,
  };
}
