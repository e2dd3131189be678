/**
 * Words for storyboards: the acceptance, one status line per shot, and the
 * total. Every surface uses these, with its own markup (present.ts).
 */
import { formatUsd } from './money.js';
import type { Markup } from './present.js';
import type { Reply } from './replies.js';
import type { BoardRecord, ShotLine } from './types.js';

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
    `Budget left this month: team ${formatUsd(a.tenantLeftMicros)}, you ${formatUsd(a.userLeftMicros)}.`,
    `Why this backend: ${a.reason}.`,
  ].join('\n');
}

/** `Shot 2: rendering 45%`, `Shot 1: done (4s, $0.40)`. */
export function shotLineText(line: ShotLine): string {
  switch (line.status) {
    case 'waiting':
      return `Shot ${line.shot}: waiting for shot ${line.shot - 1}`;
    case 'queued':
      return `Shot ${line.shot}: queued`;
    case 'rendering':
      return `Shot ${line.shot}: rendering ${line.progress}%`;
    case 'done':
      return `Shot ${line.shot}: done (${line.seconds}s, ${formatUsd(line.micros)})`;
    case 'failed':
      return `Shot ${line.shot}: failed, ${line.reason ?? 'no reason given'}`;
  }
}

const STATE: Record<BoardRecord['state'], string> = {
  rendering: 'rendering',
  incomplete: 'waiting for a retry of its failed shots',
  joining: 'joining the shots',
  delivering: 'posting the video',
  delivered: 'delivered',
  failed: 'failed',
};

/** The board with one line per shot and the total: `/sora status <board>`. */
export function describeBoard(board: BoardRecord, lines: ShotLine[], m: Markup): string {
  const charged = lines.filter((l) => l.status === 'done').reduce((sum, l) => sum + l.micros, 0);
  const held = lines.filter((l) => l.status !== 'done' && l.status !== 'failed').reduce((sum, l) => sum + l.micros, 0);
  const what = board.kind === 'extension' ? 'Extension' : 'Storyboard';
  return [
    `${what} ${m.code(board.id)} by ${board.requesterName}: ${STATE[board.state]}${board.continuous ? ' (shots in turn)' : ''}.`,
    ...lines.map((l) => `${shotLineText(l)} ${m.code(l.jobId)}`),
    `Total: ${formatUsd(charged)} charged${held > 0 ? `, ${formatUsd(held)} reserved` : ''}.`,
    ...(board.error ? [board.error.message] : []),
  ].join('\n');
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
