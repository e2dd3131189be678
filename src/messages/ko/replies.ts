/** 답변 문장 (src/core/message-codes-replies.ts): Korean sentences for replies. */
import type { ReplyParams, StatusPhrase } from '../../core/message-codes-replies.js';
import type { Markup } from '../../core/markup.js';
import { render, type Sentences } from '../../core/messages.js';
import { routeReason } from './outcomes.js';
import { formatUsd as usd } from '../../core/money.js';
import type { BoardState, ShotLine } from '../../core/types.js';

/** `45초`, `2분 05초`. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m > 0 ? `${m}분 ${String(sec).padStart(2, '0')}초` : `${sec}초`;
}

const ORIENTATION = { landscape: '가로', portrait: '세로' } as const;
const sound = (on: 'on' | 'off'): string => (on === 'on' ? '소리 있음' : '무음');

function status(p: StatusPhrase): string {
  switch (p.state) {
    case 'awaiting_approval':
      return `관리자 승인 대기 중 (예상 ${usd(p.estimateMicros)}, 예약됨)`;
    case 'queued':
      return p.position !== undefined ? `대기 중, ${p.position}번째` : '대기 중';
    case 'submitting':
      return '제출 중';
    case 'submitted':
      return '제출됨';
    case 'running':
      return p.elapsed ? `생성 중, ${p.elapsed}` : `생성 중 ${p.percentBar ?? ''}`.trim();
    case 'downloading':
      return '완성된 영상을 내려받는 중';
    case 'delivering':
      return '영상을 올리는 중';
    case 'delivered':
      return `전달됨 (${usd(p.priceMicros)})`;
    case 'failed':
      return `실패: ${p.reason ?? '알 수 없는 이유'}`;
    case 'cancelled':
      if (p.how === 'denied') return `${p.byName} 님이 거절함${p.reason ? `: ${p.reason}` : ''}`;
      return p.how === 'expired' ? '제때 승인되지 않아 예약이 풀림' : '취소됨';
  }
}

function shotStatus(l: ShotLine, m: Markup): string {
  switch (l.status) {
    case 'approval':
      return `승인 대기 중 (${usd(l.micros)})`;
    case 'waiting':
      return `샷 ${l.shot - 1}을(를) 기다리는 중`;
    case 'queued':
      return '대기 중';
    case 'rendering':
      return `렌더링 ${l.progress}%`;
    case 'done':
      return `완료 (${l.seconds}초, ${usd(l.micros)})`;
    case 'failed':
      return `실패, ${l.reason ? render(l.reason, m) : '이유가 주어지지 않음'}`;
  }
}

// A board that ends `cancelled` was not approved (board-approval.ts), hence that word.
const BOARD_STATE: Record<BoardState, string> = {
  awaiting_approval: '관리자 승인 대기 중',
  cancelled: '승인되지 않음',
  rendering: '렌더링 중',
  incomplete: '실패한 샷 재시도 대기 중',
  joining: '샷 잇는 중',
  delivering: '영상 올리는 중',
  delivered: '전달 완료',
  failed: '실패',
};

export const replies: Sentences<ReplyParams> = {
  'accepted.head': (p, m) =>
    `작업 ${m.code(p.jobId)} 접수: ${p.seconds}초 ${ORIENTATION[p.orientation]} ${p.resolution}, ${sound(p.sound)}${p.takes ? ` 영상 ${p.takes.count}테이크` : ''}, ${p.backendName}에서, ` +
    (p.takes ? `예상 비용 합계 ${usd(p.estimateMicros)} (테이크당 ${usd(p.takes.eachMicros)}).` : `예상 비용 ${usd(p.estimateMicros)}.`),
  'accepted.takes': (p, m) => `테이크: ${p.ids.map((id, i) => `${i + 1}. ${m.code(id)}`).join(', ')}. 테이크마다 별도 작업입니다. 마음에 드는 것을 Keep 버튼이나 /sora keep <작업> 으로 남기세요.`,
  'take.label': (p) => `테이크 ${p.index}/${p.of}`,
  'accepted.budget-left': (p) => `이번 달 남은 예산: 팀 ${usd(p.tenantLeftMicros)}, 내 예산 ${usd(p.userLeftMicros)}.`,
  'accepted.why': (p) => `이 백엔드를 고른 이유: ${typeof p.reason === 'string' ? p.reason : routeReason(p.reason)}.`,
  'accepted.defaults': (p, m) => `이 채널의 기본값을 적용했습니다: ${p.options.map((d) => m.option(d.option, d.value)).join(', ')}.`,
  'accepted.awaiting-approval': (p, m) =>
    `${m.bold('관리자 승인 대기:')} 예상 비용이 승인 기준 ${usd(p.thresholdMicros)}을(를) 넘습니다. 금액은 예약해 두었고, 관리자가 승인할 때까지 아무것도 실행되지 않습니다 (${Math.round(p.expiresInMs / 3_600_000)}시간이 지나면 예약이 풀립니다).`,
  'duration.cheaper': (p, m) =>
    `${p.backendName}에서 요청대로 정확히 ${p.seconds}초 (${usd(p.estimateMicros)}); ${m.option('backend', p.cheaperBackendId)}는 ${p.cheaperSeconds}초를 ${usd(p.cheaperMicros)}에 만듭니다.`,
  'duration.differs': (p, m) => {
    const keeping = p.characterNames ? `${p.characterNames}을(를) 유지할 수 있는 ` : '';
    const which = p.forcedName ?? `${keeping}${p.policy === 'cost' ? '가장 저렴한' : '가장 안정적인'} 백엔드`;
    const made = `요청 ${p.askedSeconds}초; ${which}는 ${p.madeSeconds}초를 만듭니다 (${usd(p.estimateMicros)})`;
    if (p.exact) return `${made}; ${m.option('backend', p.exact.backendId)}는 정확히 ${p.askedSeconds}초를 만듭니다 (${usd(p.exact.estimateMicros)}).`;
    return `${made}; ${keeping}백엔드 중 정확히 ${p.askedSeconds}초를 만드는 곳은 없습니다.`;
  },
  'elapsed.no-percent': (p) => `${duration(p.elapsedMs)} 지남 (이 제공자는 진행률을 알려 주지 않습니다)`,
  'elapsed.estimate': (p) =>
    `${duration(p.elapsedMs)} 지남, ${p.leftMs > 0 ? `약 ${duration(p.leftMs)} 남음` : '평소보다 오래 걸리는 중'} (추정: 여기서는 보통 ${duration(p.typicalMs)} 걸립니다)`,
  'made': (p) => `${p.resolution}, ${sound(p.sound)}`,
  'delivered.probed': (p) => `${p.width}x${p.height}, ${p.sound === 'on' ? (p.hasAudio ? '소리 있음' : '소리 트랙 없음') : '무음'}`,
  'denied.expired': () => '제때 승인한 사람이 없어 영상을 만들지 않았습니다.',
  'denied.by': (p) => `${p.byName} 님이 거절했습니다${p.reason ? `: ${p.reason}` : '.'}`,
  'job.status': status,
  'shot.line': (p, m) => `샷 ${p.shot}: ${shotStatus(p, m)}`,
  'board.head': (p, m) => `${p.kind === 'extension' ? '연장' : '스토리보드'} ${m.code(p.boardId)} (${p.requesterName} 님): ${BOARD_STATE[p.state]}${p.continuous ? ' (샷을 차례대로)' : ''}.`,
  'board.total': (p) => `합계: ${usd(p.chargedMicros)} 청구${p.heldMicros > 0 ? `, ${usd(p.heldMicros)} 예약` : ''}.`,
  'job.line': (p, m) => `${m.code(p.jobId)}${p.take ? ` (테이크 ${p.take.index}/${p.take.of}${p.take.kept ? ', 선택됨' : ''})` : ''} ${p.requesterName}: "${p.prompt}" (${p.backend}), ${p.status}`,
  'job.kept': (p, m) => `요청 ${m.code(p.requestId)}의 테이크 ${p.index}/${p.of} (작업 ${m.code(p.jobId)})을(를) 남겼습니다. 이제 이 요청의 어느 테이크로 리믹스, 연장, from_job을 해도 이 테이크를 씁니다.`,
  'jobs.none': () => '아직 영상이 없습니다. /sora generate 로 시작해 보세요.',
  'job.cancelled': (p, m) => `작업 ${m.code(p.jobId)}을(를) 취소했습니다. 예약된 ${usd(p.estimateMicros)}은(는) 예산으로 돌아갔습니다.`,
  'character.created': (p) => `@${p.name} 캐릭터를 만들었습니다. 프롬프트에서 이름을 부르세요. 예: /sora generate @${p.name} 카메라를 향해 손을 흔든다`,
  'character.owner': (p) => `만든 사람: ${p.ownerName}. 출처: ${p.source.kind === 'url' ? p.source.url : p.source.kind === 'job' ? `작업 ${p.source.jobId}` : p.source.fileName}.`,
  'characters.none': () => '이 팀에는 아직 캐릭터가 없습니다. /character create <이름> --video_url <링크> 로 만들어 보세요.',
  'character.line': (p) => `• @${p.name}${p.description ? ` — ${p.description}` : ''} (${p.ownerName} 님)`,
  'character.deleted': (p) => `@${p.name} 캐릭터를 삭제했습니다.`,
  'spend.title': (p) => `${p.month} 지출`,
  'spend.line': (p) => `${p.label}: ${usd(p.spentMicros)}${p.reservedMicros > 0 ? ` (+${usd(p.reservedMicros)} 예약)` : ''}${p.capMicros !== undefined ? ` / ${usd(p.capMicros)}` : ''}`,
  'spend.team': () => '팀',
  'spend.you': () => '나',
  'spend.videos': (p) => `영상: ${p.count}개`,
  'spend.official-user': (p) => `${p.backendName} 공식 가격 기준: ${usd(p.officialMicros)}`,
  'spend.left': (p) => `남은 예산: ${usd(p.leftMicros)}. 멤버별 기본 한도: ${usd(p.userCapMicros)}.`,
  'spend.by-member': () => '멤버별',
  'spend.by-backend': () => '백엔드별',
  'spend.count': (p) => `영상 ${p.count}개`,
  'spend.compare': (p) => {
    const diff = p.officialMicros - p.paidMicros;
    return (
      `같은 영상을 ${p.backendName} 공식 가격으로 만들었다면 ${usd(p.officialMicros)}이 들었을 것입니다` +
      (diff > 0 ? ` (${usd(diff)} 절약).` : diff < 0 ? ` (낸 금액보다 ${usd(-diff)} 적음).` : '.')
    );
  },
  'spend.csv': (p) => `CSV: 작업 ${p.rows}건 (${p.fileName}).`,
  'spend.takes': () => '요청별 테이크',
  'takes.line': (p, m) => {
    const parts = [`테이크 ${p.takes}개`, `${p.delivered}개 전달`];
    if (p.failed > 0) parts.push(`${p.failed}개 실패 (청구 안 됨)`);
    parts.push(`${usd(p.chargedMicros)} 청구`);
    if (p.heldMicros > 0) parts.push(`${usd(p.heldMicros)} 예약`);
    parts.push(p.kept === undefined ? '아직 고른 테이크 없음' : `테이크 ${p.kept} 선택`);
    return `${m.code(p.requestId)} (${p.requesterName}): ${parts.join(', ')}`;
  },
  'budget.updated': () => '예산을 바꿨습니다.',
  'budget.title': (p) => `${p.month} 예산`,
  'budget.policy': (p) => `백엔드 선택 기준: ${p.policy === 'cost' ? '가장 저렴한 백엔드 우선' : '가장 안정적인 백엔드 우선'}.`,
  'budget.sound': (p, m) =>
    `기본 소리: ${p.audio === 'on' ? '켬 (백엔드가 지원하면 소리와 함께 만듭니다)' : `끔 (백엔드가 지원하면 무음으로 만듭니다. 소리를 원하면 ${m.option('audio', 'on')})`}.`,
  'budget.member-cap': (p) => `• ${p.name} 님의 한도: ${usd(p.capMicros)}`,
};
