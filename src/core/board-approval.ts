/**
 * A storyboard or extension whose summed estimate is above the team's (or the
 * channel's) approval threshold waits for an admin as a single job does, with
 * the same code (job-approval.ts): its whole sum is reserved at acceptance,
 * the board waits in `awaiting_approval` (BOARD_TRANSITIONS) with its shots
 * unstarted, and the decision is one compare-and-set on the stored board.
 *
 * Approve moves the board to `rendering` and its runner starts the shots.
 * Deny and expiry first record the decision on the still-waiting board (so a
 * second click finds it decided), then cancel every shot and release its
 * reservation, then end the board: a crash in between leaves a decided board
 * that the next start finishes releasing (`Approvals.finish`).
 */
import type { AuditLog } from './audit-log.js';
import type { BoardRunner } from './board-runner.js';
import type { Clock } from './clock.js';
import { Approvals, NotWaiting, type ApprovalSubject } from './job-approval.js';
import { BoardClosed, IllegalBoardTransition, JobClosed, type BoardLifecycle, type JobLifecycle } from './job-lifecycle.js';
import { plainText } from './markup.js';
import { msg, render } from './messages.js';
import type { JobRepository, Ledger, Logger } from './ports.js';
import type { Micros } from './money.js';
import { TERMINAL_STATES, type BoardRecord } from './types.js';

export interface BoardApprovalDeps {
  lifecycle: BoardLifecycle;
  jobLifecycle: JobLifecycle;
  jobs: JobRepository;
  ledger: Ledger;
  runner: BoardRunner;
  clock: Clock;
  logger: Logger;
  audit: AuditLog | undefined;
}

export function boardApprovals(deps: BoardApprovalDeps): Approvals<BoardRecord> {
  const shotsOf = async (board: BoardRecord) => (await Promise.all(board.shots.map((id) => deps.jobs.get(id)))).flatMap((j) => (j ? [j] : []));
  const subject: ApprovalSubject<BoardRecord> = {
    kind: 'board',
    async claim(boardId, decision) {
      const decide = (board: BoardRecord) => {
        if (board.state !== 'awaiting_approval' || !board.approval || board.approval.decision) throw new NotWaiting(board);
        return { approval: { ...board.approval, decision } };
      };
      try {
        // Approved: it leaves the waiting state in the same write. Denied: it stays there, decided, until its shots are released.
        return decision.outcome === 'approved' ? await deps.lifecycle.transition(boardId, 'rendering', decide) : await deps.lifecycle.amend(boardId, decide);
      } catch (error) {
        if (error instanceof BoardClosed || error instanceof IllegalBoardTransition) throw new NotWaiting(error.board);
        throw error;
      }
    },
    async proceed(board) {
      await deps.runner.advance(board.id);
    },
    async release(board) {
      const d = board.approval?.decision;
      const said = msg('failure.not_approved', d?.outcome === 'denied' ? { byName: d.byName, ...(d.reason && { reason: d.reason }) } : {});
      const notApproved = { code: 'not_approved', message: render(said, plainText), said };
      for (const shot of await shotsOf(board)) {
        if (!TERMINAL_STATES.has(shot.state)) {
          await deps.jobLifecycle.transition(shot.id, 'cancelled', { error: notApproved }).catch((error: unknown) => {
            if (!(error instanceof JobClosed)) throw error;
          });
        }
        await deps.ledger.release(shot.tenant, shot.ledgerMonth, shot.id);
      }
      await deps.lifecycle.transition(board.id, 'cancelled', { error: notApproved }).catch((error: unknown) => {
        if (!(error instanceof BoardClosed)) throw error;
      });
    },
    async notify(board, event) {
      const current = (await deps.lifecycle.get(board.id)) ?? board;
      if (event.type === 'approved') return deps.runner.show(current, event);
      return deps.runner.show(current, { ...event, totalMicros: await subject.amountMicros(board) });
    },
    amountMicros: async (board): Promise<Micros> => (await shotsOf(board)).reduce((sum, j) => sum + j.estimateMicros, 0),
  };
  return new Approvals(subject, deps);
}
