/**
 * Words for storyboards: the acceptance, one status line per shot, and the
 * total. Every surface uses these, with its own markup (present.ts).
 */
import { plainText } from './markup.js';
import { msg, render, words } from './messages.js';
import type { Micros } from './money.js';
import type { Markup } from './present.js';
import type { Reply } from './replies.js';
import type { BoardEvent, BoardRecord, ShotLine } from './types.js';

export function describeBoardAccepted(reply: Extract<Reply, { kind: 'board-accepted' }>, m: Markup): string {
  const a = reply.accepted;
  const b = a.board;
  const t = words(m);
  const head = t('board.accepted', {
    kind: b.kind,
    boardId: b.id,
    shots: a.shots.length,
    seconds: a.shots.reduce((sum, j) => sum + j.seconds, 0),
    orientation: a.shots[0]!.input.orientation,
    backendNames: [...new Set(a.backendNames)],
    estimateMicros: a.estimateMicros,
    ...(b.kind === 'extension' && { lead: { jobId: b.lead!.jobId, seconds: b.lead!.seconds } }),
  });
  const shots = b.kind === 'extension' ? [] : a.shots.map((j, i) => t('board.accepted-shot', { shot: i + 1, seconds: j.seconds, prompt: clip(j.input.prompt), estimateMicros: j.estimateMicros }));
  return [
    head,
    ...shots,
    ...(b.continuous && b.kind !== 'extension' ? [t('board.continuous')] : []),
    ...(b.state === 'awaiting_approval' && b.approval ? [t('board.accepted-awaiting', { boardId: b.id, thresholdMicros: b.approval.thresholdMicros })] : []),
    t('accepted.budget-left', { tenantLeftMicros: a.tenantLeftMicros, userLeftMicros: a.userLeftMicros }),
    t('accepted.why', { reason: a.reason }),
  ].join('\n');
}

/**
 * `Shot 2: rendering 45%`, `Shot 1: done (4s, $0.40)`, in English: the board's
 * status message in its thread is read by everyone there, not one reader.
 */
export function shotLineText(line: ShotLine): string {
  return render(msg('shot.line', line), plainText);
}

/** The board with one line per shot and the total: `/sora status <board>`. */
export function describeBoard(board: BoardRecord, lines: ShotLine[], m: Markup): string {
  const charged = lines.filter((l) => l.status === 'done').reduce((sum, l) => sum + l.micros, 0);
  const held = lines.filter((l) => l.status !== 'done' && l.status !== 'failed').reduce((sum, l) => sum + l.micros, 0);
  const t = words(m);
  const kind = board.kind === 'extension' ? 'extension' : 'storyboard';
  return [
    t('board.head', { kind, boardId: board.id, requesterName: board.requesterName, state: board.state, continuous: board.continuous }),
    ...lines.map((l) => `${t('shot.line', l)} ${m.code(l.jobId)}`),
    t('board.total', { chargedMicros: charged, heldMicros: held }),
    ...(board.error ? [board.error.said ? render(board.error.said, m) : board.error.message] : []),
  ].join('\n');
}

/** The answer to whoever approved or denied a board: what they decided, for whom, and where the money went. */
export function describeBoardDecision(board: BoardRecord, totalMicros: Micros, m: Markup): string {
  const approved = board.approval?.decision?.outcome === 'approved';
  return render(msg('board.decided', { kind: board.kind, boardId: board.id, requesterName: board.requesterName, approved, shots: board.shots.length, totalMicros }), m);
}

/**
 * The status of a board waiting for an admin: what it holds, the threshold, and how an admin decides.
 * In the board's thread, read by everyone there, so the surfaces pass an English markup (as for shot lines).
 */
export function boardAwaitingText(board: BoardRecord, event: Extract<BoardEvent, { type: 'awaiting-approval' }>, m: Markup, buttons = true): string {
  return render(msg('board.awaiting', { boardId: board.id, totalMicros: event.totalMicros, thresholdMicros: event.thresholdMicros, buttons }), m);
}

/** What the requester is told in the board's thread when an admin decided (or nobody did). */
export function boardDecisionNotice(board: BoardRecord, event: Extract<BoardEvent, { type: 'approved' | 'denied' }>, m: Markup): string {
  const decided = event.type === 'approved' ? { approvedBy: event.byName } : { denied: boardDeniedText(event, m) };
  return render(msg('board.decision-notice', { kind: board.kind, boardId: board.id, ...decided }), m);
}

/** How a board that waited for an admin ended, for its status message (denied by whom and why, or expired). */
export function boardDeniedText(event: Extract<BoardEvent, { type: 'denied' }>, m: Markup = plainText): string {
  const { byName, reason, expired, totalMicros } = event;
  return render(msg('board.denied', { expired, totalMicros, ...(byName !== undefined && { byName }), ...(reason && { reason }) }), m);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
