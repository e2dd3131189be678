/** English sentences for replies (src/core/message-codes-replies.ts). */
import { formatDuration } from '../../core/durations.js';
import type { ReplyParams, StatusPhrase } from '../../core/message-codes-replies.js';
import type { Markup } from '../../core/markup.js';
import { render, type Sentences } from '../../core/messages.js';
import { routeReason } from './outcomes.js';
import { formatUsd as usd } from '../../core/money.js';
import type { BoardState, ShotLine } from '../../core/types.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function status(p: StatusPhrase): string {
  switch (p.state) {
    case 'awaiting_approval':
      return `awaiting an admin's approval (estimated ${usd(p.estimateMicros)}, held)`;
    case 'queued':
      return p.position !== undefined ? `queued, position ${p.position}` : 'queued';
    case 'submitting':
    case 'submitted':
      return p.state;
    case 'running':
      return p.elapsed ? `generating, ${p.elapsed}` : `generating ${p.percentBar ?? ''}`.trim();
    case 'downloading':
      return 'downloading the finished video';
    case 'delivering':
      return 'posting the video';
    case 'delivered':
      return `delivered (${usd(p.priceMicros)})`;
    case 'failed':
      return `failed: ${p.reason ?? 'unknown reason'}`;
    case 'cancelled':
      if (p.how === 'denied') return `denied by ${p.byName}${p.reason ? `: ${p.reason}` : ''}`;
      return p.how === 'expired' ? 'not approved in time; released' : 'cancelled';
  }
}

function shotStatus(l: ShotLine, m: Markup): string {
  switch (l.status) {
    case 'approval':
      return `waiting for approval (${usd(l.micros)})`;
    case 'waiting':
      return `waiting for shot ${l.shot - 1}`;
    case 'queued':
      return 'queued';
    case 'rendering':
      return `rendering ${l.progress}%`;
    case 'done':
      return `done (${l.seconds}s, ${usd(l.micros)})`;
    case 'failed':
      return `failed, ${l.reason ? render(l.reason, m) : 'no reason given'}`;
  }
}

const BOARD_STATE: Record<BoardState, string> = {
  awaiting_approval: "waiting for an admin's approval",
  cancelled: 'not approved',
  rendering: 'rendering',
  incomplete: 'waiting for a retry of its failed shots',
  joining: 'joining the shots',
  delivering: 'posting the video',
  delivered: 'delivered',
  failed: 'failed',
};

export const replies: Sentences<ReplyParams> = {
  'accepted.head': (p, m) =>
    `Job ${m.code(p.jobId)} accepted: ${p.takes ? `${p.takes.count} takes of a ` : ''}${p.seconds}s ${p.orientation} ${p.resolution}, ${p.sound === 'on' ? 'with sound' : 'silent'}, on ${p.backendName}, ` +
    (p.takes ? `estimated ${usd(p.estimateMicros)} together (${usd(p.takes.eachMicros)} each).` : `estimated ${usd(p.estimateMicros)}.`),
  'accepted.takes': (p, m) => `Takes: ${p.ids.map((id, i) => `${i + 1}. ${m.code(id)}`).join(', ')}. Each is its own job; keep the one you like with Keep or /sora keep <job>.`,
  'take.label': (p) => `Take ${p.index}/${p.of}`,
  'accepted.budget-left': (p) => `Budget left this month: team ${usd(p.tenantLeftMicros)}, you ${usd(p.userLeftMicros)}.`,
  'accepted.why': (p) => `Why this backend: ${typeof p.reason === 'string' ? p.reason : routeReason(p.reason)}.`,
  'accepted.defaults': (p, m) => `This channel's defaults applied: ${p.options.map((d) => m.option(d.option, d.value)).join(', ')}.`,
  'accepted.awaiting-approval': (p, m) =>
    `${m.bold('Waiting for an admin:')} the estimate is above the ${usd(p.thresholdMicros)} approval threshold. The money is held; nothing runs until an admin approves (or it is released after ${plural(Math.round(p.expiresInMs / 3_600_000), 'hour')}).`,
  'duration.cheaper': (p, m) =>
    `Exactly ${p.seconds} s as asked on ${p.backendName} (${usd(p.estimateMicros)}); ${m.option('backend', p.cheaperBackendId)} makes ${p.cheaperSeconds} s for ${usd(p.cheaperMicros)}.`,
  'duration.differs': (p, m) => {
    const keeping = p.characterNames ? ` that can keep ${p.characterNames}` : '';
    const which = p.forcedName ?? `the ${p.policy === 'cost' ? 'cheapest' : 'most stable'} backend${keeping}`;
    const made = `${p.askedSeconds} s asked; ${which} makes ${p.madeSeconds} s (${usd(p.estimateMicros)})`;
    if (p.exact) return `${made}; ${m.option('backend', p.exact.backendId)} makes exactly ${p.askedSeconds} s (${usd(p.exact.estimateMicros)}).`;
    return `${made}; no backend${keeping} makes exactly ${p.askedSeconds} s.`;
  },
  'elapsed.no-percent': (p) => `${formatDuration(p.elapsedMs)} elapsed (this provider reports no percentage)`,
  'elapsed.estimate': (p) =>
    `${formatDuration(p.elapsedMs)} elapsed, ${p.leftMs > 0 ? `about ${formatDuration(p.leftMs)} left` : 'taking longer than usual'} (estimate: renders here usually take ${formatDuration(p.typicalMs)})`,
  'made': (p) => `${p.resolution}, ${p.sound === 'on' ? 'with sound' : 'silent'}`,
  // A silent video may still carry a silent track, so only a missing track says something about sound paid for.
  'delivered.probed': (p) => `${p.width}x${p.height}, ${p.sound === 'on' ? (p.hasAudio ? 'with sound' : 'no sound track') : 'silent'}`,
  'denied.expired': () => 'Nobody approved this video in time, so it was not made.',
  'denied.by': (p) => `Denied by ${p.byName}${p.reason ? `: ${p.reason}` : '.'}`,
  'job.status': status,
  'shot.line': (p, m) => `Shot ${p.shot}: ${shotStatus(p, m)}`,
  'board.head': (p, m) => `${p.kind === 'extension' ? 'Extension' : 'Storyboard'} ${m.code(p.boardId)} by ${p.requesterName}: ${BOARD_STATE[p.state]}${p.continuous ? ' (shots in turn)' : ''}.`,
  'board.total': (p) => `Total: ${usd(p.chargedMicros)} charged${p.heldMicros > 0 ? `, ${usd(p.heldMicros)} reserved` : ''}.`,
  'job.line': (p, m) => `${m.code(p.jobId)}${p.take ? ` (take ${p.take.index}/${p.take.of}${p.take.kept ? ', kept' : ''})` : ''} ${p.requesterName}: "${p.prompt}" on ${p.backend}, ${p.status}`,
  'job.kept': (p, m) => `Kept take ${p.index}/${p.of} (job ${m.code(p.jobId)}) of request ${m.code(p.requestId)}: remix, extend and --from_job of any of its takes now use it.`,
  'jobs.none': () => 'No videos yet. Start one with /sora generate.',
  'job.cancelled': (p, m) => `Cancelled job ${m.code(p.jobId)}; its reserved ${usd(p.estimateMicros)} went back to the budget.`,
  'character.created': (p) => `Created @${p.name}. Name it in a prompt, e.g. /sora generate @${p.name} waves at the camera.`,
  'character.owner': (p) => `Owner: ${p.ownerName}. Source: ${p.source.kind === 'url' ? p.source.url : p.source.kind === 'job' ? `job ${p.source.jobId}` : p.source.fileName}.`,
  'characters.none': () => 'This team has no characters yet. Create one with /character create <name> --video_url <link>.',
  'character.line': (p) => `• @${p.name}${p.description ? ` — ${p.description}` : ''} (by ${p.ownerName})`,
  'character.deleted': (p) => `Deleted @${p.name}.`,
  'spend.title': (p) => `Spend for ${p.month}`,
  'spend.line': (p) => `${p.label}: ${usd(p.spentMicros)}${p.reservedMicros > 0 ? ` (+${usd(p.reservedMicros)} reserved)` : ''}${p.capMicros !== undefined ? ` of ${usd(p.capMicros)}` : ''}`,
  'spend.team': () => 'Team',
  'spend.you': () => 'You',
  'spend.videos': (p) => `Videos: ${p.count}`,
  'spend.official-user': (p) => `At ${p.backendName} official prices: ${usd(p.officialMicros)}`,
  'spend.left': (p) => `Left: ${usd(p.leftMicros)}. Default cap per member: ${usd(p.userCapMicros)}.`,
  'spend.by-member': () => 'By member',
  'spend.by-backend': () => 'By backend',
  'spend.count': (p) => plural(p.count, 'video'),
  'spend.compare': (p) => {
    const diff = p.officialMicros - p.paidMicros;
    return (
      `At ${p.backendName} official prices the same videos would have cost ${usd(p.officialMicros)}` +
      (diff > 0 ? ` (you saved ${usd(diff)}).` : diff < 0 ? ` (${usd(-diff)} less than you paid).` : '.')
    );
  },
  'spend.csv': (p) => `CSV: ${plural(p.rows, 'job')} (${p.fileName}).`,
  'spend.takes': () => 'Takes per request',
  'takes.line': (p, m) => {
    const parts = [`${p.takes} takes`, `${p.delivered} delivered`];
    if (p.failed > 0) parts.push(`${p.failed} failed (not charged)`);
    parts.push(`${usd(p.chargedMicros)} charged`);
    if (p.heldMicros > 0) parts.push(`${usd(p.heldMicros)} held`);
    parts.push(p.kept === undefined ? 'none kept yet' : `take ${p.kept} kept`);
    return `${m.code(p.requestId)} (${p.requesterName}): ${parts.join(', ')}`;
  },
  'budget.updated': () => 'Budget updated.',
  'budget.title': (p) => `Budget for ${p.month}`,
  'budget.policy': (p) => `Routing policy: ${p.policy === 'cost' ? 'cheapest backend first' : 'most stable backend first'}.`,
  'budget.sound': (p, m) =>
    `Default sound: ${p.audio === 'on' ? 'on (videos come with sound where the backend can)' : `off (silent where the backend can; ${m.option('audio', 'on')} asks for sound)`}.`,
  'budget.member-cap': (p) => `• Cap for ${p.name}: ${usd(p.capMicros)}`,
};
