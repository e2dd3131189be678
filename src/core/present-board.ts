/**
 * Words for storyboards: the acceptance, one status line per shot, and the
 * total. Every surface uses these, with its own markup (present.ts).
 */
import { plainText } from './markup.js';
import { msg, render, words } from './messages.js';
import { formatUsd, type Micros } from './money.js';
import type { Markup } from './present.js';
import type { Reply } from './replies.js';
import type { BoardEvent, BoardRecord, ShotLine } from './types.js';

export function describeBoardAccepted(reply: Extract<Reply, { kind: 'board-accepted' }>, m: Markup): string {
  const a = reply.accepted;
  const b = a.board;
  const seconds = a.shots.reduce((sum, j) => sum + j.seconds, 0);
  const backends = [...new Set(a.backendNames)].join(', ');
  const orientation = a.shots[0]!.input.orientation;
  const head =
    b.kind === 'extension'
      ? `Extension ${m.code(b.id)} accepted: ${seconds}s more after ${m.code(b.lead!.jobId)} (${b.lead!.seconds}s) on ${backends}, estimated ${formatUsd(a.estimateMicros)}. The longer video is posted where ${b.lead!.jobId} was.`
      : `Storyboard ${m.code(b.id)} accepted: ${a.shots.length} shots, ${seconds}s ${orientation} on ${backends}, estimated ${formatUsd(a.estimateMicros)} together.`;
  const shots = b.kind === 'extension' ? [] : a.shots.map((j, i) => `Shot ${i + 1}: ${j.seconds}s "${clip(j.input.prompt)}" (${formatUsd(j.estimateMicros)})`);
  return [
    head,
    ...shots,
    ...(b.continuous && b.kind !== 'extension' ? ['The shots render one after another, each starting from the last frame of the one before.'] : []),
    ...(b.state === 'awaiting_approval' && b.approval
      ? [`That is above the ${formatUsd(b.approval.thresholdMicros)} approval threshold: the money is held and the shots start once an admin approves (${m.code(`/sora approve ${b.id}`)}).`]
      : []),
    `Budget left this month: team ${formatUsd(a.tenantLeftMicros)}, you ${formatUsd(a.userLeftMicros)}.`,
    `Why this backend: ${a.reason}.`,
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
    ...(board.error ? [board.error.message] : []),
  ].join('\n');
}

/** The answer to whoever approved or denied a board: what they decided, for whom, and where the money went. */
export function describeBoardDecision(board: BoardRecord, totalMicros: Micros, m: Markup): string {
  const what = board.kind === 'extension' ? 'extension' : 'storyboard';
  if (board.approval?.decision?.outcome === 'approved') return `Approved ${what} ${m.code(board.id)} for ${board.requesterName}; its ${board.shots.length} shot(s) start now.`;
  return `Denied ${what} ${m.code(board.id)} for ${board.requesterName}; its ${formatUsd(totalMicros)} went back to the budget.`;
}

/** The status of a board waiting for an admin: what it holds, the threshold, and how an admin decides. */
export function boardAwaitingText(board: BoardRecord, event: Extract<BoardEvent, { type: 'awaiting-approval' }>, m: Markup, buttons = true): string {
  const commands = `${m.code(`/sora approve ${board.id}`)}, ${m.code(`/sora deny ${board.id} --reason …`)}`;
  const how = buttons ? `with the buttons below (or ${commands})` : `(${commands})`;
  return `Estimated ${formatUsd(event.totalMicros)} in all, above the ${formatUsd(event.thresholdMicros)} approval threshold; the money is held and no shot starts until an admin approves ${how}.`;
}

/** What the requester is told in the board's thread when an admin decided (or nobody did). */
export function boardDecisionNotice(board: BoardRecord, event: Extract<BoardEvent, { type: 'approved' | 'denied' }>, m: Markup): string {
  // Never "your storyboard …": the Discord surface finds an earlier delivery of the joined video by those words.
  const what = `${board.kind === 'extension' ? 'Extension' : 'Storyboard'} ${m.code(board.id)}`;
  return event.type === 'approved' ? `${what} was approved by ${event.byName}; its shots start now.` : `${what} was not approved. ${boardDeniedText(event)}`;
}

/** How a board that waited for an admin ended, for its status message (denied by whom and why, or expired). */
export function boardDeniedText(event: Extract<BoardEvent, { type: 'denied' }>): string {
  const who = event.expired || event.byName === undefined ? 'Nobody approved it in time' : `Denied by ${event.byName}${event.reason ? `: ${event.reason}` : ''}`;
  return `${who}. Its ${formatUsd(event.totalMicros)} went back to the budget and no shot was made.`;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
