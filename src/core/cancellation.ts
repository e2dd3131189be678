/**
 * Who may cancel which job, and when. The requester or an admin may cancel a
 * job until its video is on its way (downloading or delivering: the provider
 * already made it). A shot of a storyboard waiting for approval belongs to the
 * board: cancelled alone, it would be made again, with money reserved anew,
 * once the board is approved; an admin's Deny cancels the whole board. An
 * admin cancelling someone else's job leaves a line in the audit log.
 */
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { TERMINAL_STATES, type Actor, type BoardRecord, type JobRecord } from './types.js';

export interface CancellationParts {
  boardOf: (boardId: string) => Promise<BoardRecord | undefined>;
  cancel: (jobId: string, byName: string) => Promise<JobRecord>;
  record: (actor: Actor, action: 'cancel', detail: string, extra: { jobId: string; member: { id: string; name: string } }) => Promise<void>;
}

/** Cancels `job` (one the actor can see) for `actor`, or says why they may not. Its reservation is released. */
export async function cancelJob(parts: CancellationParts, actor: Actor, job: JobRecord): Promise<JobRecord> {
  if (job.requesterId !== actor.userId && !actor.isAdmin) {
    throw new UserFacingError(msg('cancel.not_allowed', { jobId: job.id, requesterName: job.requesterName }), { code: 'not_allowed' });
  }
  if (TERMINAL_STATES.has(job.state)) throw new UserFacingError(msg('cancel.already_finished', { jobId: job.id, state: job.state }), { code: 'already_finished' });
  if (job.state === 'downloading' || job.state === 'delivering') throw new UserFacingError(msg('cancel.too_late', { jobId: job.id }), { code: 'too_late' });
  const board = job.board && (await parts.boardOf(job.board.id));
  if (board && board.state === 'awaiting_approval') throw new UserFacingError(msg('cancel.board_waiting', { jobId: job.id, boardId: board.id }), { code: 'board_waiting' });
  const cancelled = await parts.cancel(job.id, actor.displayName);
  if (job.requesterId !== actor.userId) {
    await parts.record(actor, 'cancel', `cancelled ${job.requesterName}'s job`, { jobId: job.id, member: { id: job.requesterId, name: job.requesterName } });
  }
  return cancelled;
}
