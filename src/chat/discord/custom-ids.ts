/**
 * Button and modal ids carry the action and the job id only: they stay valid
 * across restarts (nothing in memory is needed to act on them), and the core
 * checks the job against the clicker's server and rights on every use.
 */
import { z } from 'zod';

/** `approve` and `deny` sit on a job awaiting an admin's approval; the core decides who may use them. */
export type JobAction = 'cancel' | 'remix' | 'retry' | 'extend' | 'keep' | 'approve' | 'deny';

const customIdSchema = z
  .string()
  .max(100)
  .regex(/^job:(cancel|remix|retry|extend|keep|approve|deny):(j_[0-9a-z]{4,32})$/)
  .transform((v) => {
    const [, action, jobId] = v.split(':');
    return { action: action as JobAction, jobId: jobId! };
  });

export function jobCustomId(action: JobAction, jobId: string): string {
  return `job:${action}:${jobId}`;
}

export function parseJobCustomId(customId: string): { action: JobAction; jobId: string } | undefined {
  const parsed = customIdSchema.safeParse(customId);
  return parsed.success ? parsed.data : undefined;
}

/** The text field of the remix modal. */
export const REMIX_PROMPT_FIELD = 'prompt';
/** The fields of the extend modal: what happens next, and for how long. */
export const EXTEND_FIELDS = { prompt: 'prompt', seconds: 'seconds' } as const;

/**
 * A storyboard's buttons: "Retry shot N" (`board:retry:b_…:N`), "Shots" (`board:shots:b_…`), "Extend"
 * (`board:extend:b_…`) on a delivered board, whose form carries the same id, and Approve or Deny on a board
 * waiting for an admin (`board:approve:b_…`, `board:deny:b_…`).
 */
const boardCustomIdSchema = z
  .string()
  .max(100)
  .regex(/^board:(retry:b_[0-9a-z]{4,32}:[1-5]|(shots|extend|approve|deny):b_[0-9a-z]{4,32})$/)
  .transform((v) => {
    const [, action, boardId, shot] = v.split(':');
    return action === 'retry' ? { action: 'retry' as const, boardId: boardId!, shot: Number(shot) } : { action: action as 'shots' | 'extend' | 'approve' | 'deny', boardId: boardId! };
  });

export const boardRetryCustomId = (boardId: string, shot: number) => `board:retry:${boardId}:${shot}`;
export const boardShotsCustomId = (boardId: string) => `board:shots:${boardId}`;
export const boardExtendCustomId = (boardId: string) => `board:extend:${boardId}`;
export const boardDecideCustomId = (action: 'approve' | 'deny', boardId: string) => `board:${action}:${boardId}`;

export function parseBoardCustomId(customId: string) {
  const parsed = boardCustomIdSchema.safeParse(customId);
  return parsed.success ? parsed.data : undefined;
}
