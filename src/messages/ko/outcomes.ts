/** 결과 (src/core/message-codes-outcomes.ts): Korean failures, route reasons, readiness, storyboard notices. */
import type { UserChosenField } from '../../core/errors.js';
import type { OutcomeParams, RouteReason } from '../../core/message-codes-outcomes.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';
import { errors } from './errors.js';

/** Each option the person chose, with its object particle (the words are fixed, so the particle is too). */
const FIELD_OBJECT: Record<UserChosenField, string> = {
  seconds: '길이를',
  orientation: '방향을',
  resolution: '해상도를',
  audio: '소리 설정을',
  image: '시작 이미지를',
  prompt: '프롬프트를',
};

const ORIENTATION = { landscape: '가로', portrait: '세로' } as const;

const FAILURE_KIND: Record<OutcomeParams['failure.provider']['kind'], string> = {
  auth: '인증 실패',
  quota: '크레딧 부족',
  rate_limit: '요청 한도 초과',
  moderation: '콘텐츠 정책 차단',
  invalid_input: '입력 거부',
  rejected_request: '요청 거부',
  binding_missing: '캐릭터 없음',
  not_found: '영상 없음',
  expired: '링크 만료',
  too_large: '파일이 너무 큼',
  transient: '일시적 오류',
};

function providerFailure(p: OutcomeParams['failure.provider']): string {
  const name = p.backendName;
  switch (p.kind) {
    case 'moderation':
      return `${name}이(가) 콘텐츠 정책에 따라 이 요청을 막았습니다. 프롬프트를 바꿔 쓰거나 (다른 참조를 써서) 다시 시도하세요.`;
    case 'auth':
      return `${name}이(가) 봇의 인증 정보를 거부했습니다. 관리자가 이 백엔드의 API 키를 확인해야 합니다.`;
    case 'quota':
      return `${name} 계정의 크레딧이 떨어졌습니다. 관리자가 충전하거나 다른 백엔드를 골라야 합니다.`;
    case 'rate_limit':
      return `${name}이(가) 지금 봇의 요청 수를 제한하고 있습니다. 몇 분 뒤에 다시 시도하세요.`;
    case 'invalid_input':
      return p.field
        ? `${name}이(가) 선택한 ${FIELD_OBJECT[p.field]} 받아들이지 못했습니다. 다른 ${FIELD_OBJECT[p.field]} 골라 보세요.`
        : `${name}이(가) 이 요청을 받아들이지 못했습니다. 프롬프트를 바꿔 쓰거나 다른 백엔드를 골라 보세요.`;
    case 'rejected_request':
      // 봇이 만든 요청: 사용자의 잘못으로 읽히면 안 됩니다.
      return `${name}이(가) 봇이 만든 요청을 거부했습니다. 사용자 잘못이 아니라 봇의 문제이며, 봇을 운영하는 팀에 알렸습니다. 나중에 다시 시도하거나 다른 백엔드를 골라 보세요.`;
    case 'binding_missing':
      return `${name}이(가) 프롬프트에 나온 캐릭터를 더 이상 알지 못하고, 다시 준비하지도 못했습니다. 다시 시도하거나 다른 백엔드를 골라 보세요.`;
    case 'not_found':
      return `${name}에 이 영상이 더 이상 없습니다. 다시 생성하세요.`;
    case 'expired':
      return `저장하기 전에 ${name}의 영상 내려받기 링크가 만료되었습니다. 작업을 다시 시도하세요.`;
    case 'too_large':
      return `${name}에서 완성된 영상이 봇이 받을 수 있는 크기보다 커서 저장하지 않았습니다.`;
    case 'transient':
      return `${name}에 지금 문제가 있어 영상을 만들지 못했습니다. 잠시 뒤에 다시 시도하세요.`;
  }
}

export function routeReason(r: RouteReason): string {
  switch (r.kind) {
    case 'forced':
      return `${r.backendName} (요청한 대로)`;
    case 'provider':
      return `${r.backendName}: 이 요청을 처리할 수 있는 ${r.provider} 백엔드 ${r.count}개 중 가장 저렴한 곳 (요청한 대로)`;
    case 'policy': {
      const policy = r.policy === 'cost' ? '가장 저렴한' : '가장 안정적인';
      const holds = r.characters.length > 0 ? `${r.characters.join(', ')}을(를) 유지${r.exactSeconds !== undefined ? '하고' : '할 수 있는'} ` : '';
      const exactly = r.exactSeconds !== undefined ? `정확히 ${r.exactSeconds}초를 만들 수 있는 ` : '';
      const can = `${holds}${exactly}`;
      const chosen = r.pool !== undefined ? `${r.backendName}: ${can}백엔드 ${r.pool}개 중 ${policy} 곳` : `${r.backendName}: ${policy} 백엔드 (팀 정책 "${r.policy}")`;
      return r.skipped.length > 0 ? `${chosen}; 최근 실패한 ${r.skipped.join(', ')}은(는) 건너뜀` : chosen;
    }
    case 'fallback':
      return `${r.backendName}: ${r.failedName}이(가) 실패해서 (${FAILURE_KIND[r.failure]}) 다음 백엔드가 만들었습니다`;
    case 'board_shared':
      return `${r.backendName}이(가) 모든 샷을 만들${r.characters.length > 0 ? `고 ${r.characters.join(', ')}을(를) 유지하므로` : '므로'} 모습이 그대로 유지됩니다`;
    case 'board_split':
      return '모든 샷을 만들 수 있는 백엔드가 하나도 없어서, 샷마다 캐릭터가 맞는 백엔드로 보냅니다';
  }
}

const Kind = (kind: 'storyboard' | 'extension') => (kind === 'extension' ? '연장' : '스토리보드');

export const outcomes: Sentences<OutcomeParams> = {
  'failure.provider': providerFailure,
  'failure.internal': () => '영상을 만드는 중에 봇 내부에서 문제가 생겼습니다. 예산은 청구되지 않았습니다. 다시 시도하세요.',
  'failure.deadline': (p) => `${p.backendName}이(가) ${p.minutes}분 안에 영상을 끝내지 못해 작업을 멈췄습니다. 청구된 것은 없습니다. 다시 시도하세요.`,
  'failure.provider_cancelled': (p) => `${p.backendName} 쪽에서 작업을 취소했습니다. 청구된 것은 없습니다. 다시 시도하세요.`,
  'failure.download': (p) => `완성된 영상을 ${p.backendName}에서 내려받지 못했습니다. 청구된 것은 없습니다. 다시 시도하세요.`,
  'failure.fallback_over_budget': (p) => `${p.failedName}이(가) 실패했고, 다음 백엔드(${p.nextName})는 남은 예산보다 비쌉니다. 청구된 것은 없습니다.`,
  'failure.not_approved': (p) => (p.byName !== undefined ? `${p.byName} 님이 거절했습니다${p.reason ? `: ${p.reason}` : '.'}` : '제때 승인한 사람이 없습니다.'),
  'board.shots_failed': (p) =>
    `샷 ${p.shots.join(', ')}을(를) 만들지 못했습니다 (${p.reason ?? '실패'}). 나머지 샷은 여기 있습니다. 영상을 완성하려면 실패한 샷을 다시 시도하세요. 실패한 샷은 청구되지 않았습니다.`,
  'board.join_failed': () => '샷은 만들었지만 하나의 영상으로 잇지 못했습니다. Shots 버튼이나 /sora status 로 샷을 하나씩 볼 수 있습니다.',
  'board.shot_lost': () => '기록이 사라졌습니다',
  'board.shot_cancelled': () => '취소됨',
  'route.reason': routeReason,
  'character.readiness': (p, m) =>
    p.state === 'ready' ? '준비됨' : p.state === 'on-first-use' ? '여기서 처음 영상에 쓰일 때 자동으로 준비됩니다' : p.why ? errors['backend.why']({ why: p.why }, m) : '캐릭터를 쓸 수 없습니다',
  'board.accepted': (p, m) =>
    p.lead
      ? `연장 ${m.code(p.boardId)} 접수: ${m.code(p.lead.jobId)} (${p.lead.seconds}초) 뒤에 ${p.seconds}초 더, ${p.backendNames.join(', ')}에서, 예상 비용 ${usd(p.estimateMicros)}. 길어진 영상은 ${p.lead.jobId}이(가) 있던 곳에 올라옵니다.`
      : `스토리보드 ${m.code(p.boardId)} 접수: 샷 ${p.shots}개, ${p.seconds}초 ${ORIENTATION[p.orientation]}, ${p.backendNames.join(', ')}에서, 예상 비용 합계 ${usd(p.estimateMicros)}.`,
  'board.accepted-shot': (p) => `샷 ${p.shot}: ${p.seconds}초 "${p.prompt}" (${usd(p.estimateMicros)})`,
  'board.continuous': () => '샷은 차례대로 만들어지며, 각 샷은 앞 샷의 마지막 프레임에서 시작합니다.',
  'board.accepted-awaiting': (p, m) => `승인 기준 ${usd(p.thresholdMicros)}을(를) 넘습니다. 금액은 예약해 두었고, 관리자가 승인하면 샷이 시작됩니다 (${m.code(`/sora approve ${p.boardId}`)}).`,
  'board.decided': (p, m) =>
    p.approved
      ? `${p.requesterName} 님의 ${Kind(p.kind)} ${m.code(p.boardId)}을(를) 승인했습니다. 샷 ${p.shots}개가 지금 시작됩니다.`
      : `${p.requesterName} 님의 ${Kind(p.kind)} ${m.code(p.boardId)}을(를) 거절했습니다. ${usd(p.totalMicros)}은(는) 예산으로 돌아갔습니다.`,
  'board.awaiting': (p, m) => {
    const commands = `${m.code(`/sora approve ${p.boardId}`)}, ${m.code(`/sora deny ${p.boardId} --reason …`)}`;
    const how = p.buttons ? `아래 버튼(또는 ${commands})으로` : `(${commands})`;
    return `예상 비용 합계 ${usd(p.totalMicros)}, 승인 기준 ${usd(p.thresholdMicros)}을(를) 넘습니다. 금액은 예약해 두었고, 관리자가 ${how} 승인할 때까지 어떤 샷도 시작하지 않습니다.`;
  },
  'board.decision-notice': (p, m) =>
    p.approvedBy !== undefined
      ? `${Kind(p.kind)} ${m.code(p.boardId)}을(를) ${p.approvedBy} 님이 승인했습니다. 샷이 지금 시작됩니다.`
      : `${Kind(p.kind)} ${m.code(p.boardId)}은(는) 승인되지 않았습니다. ${p.denied ?? ''}`.trim(),
  'board.denied': (p) => {
    const who = p.expired || p.byName === undefined ? '제때 승인한 사람이 없습니다' : `${p.byName} 님이 거절했습니다${p.reason ? `: ${p.reason}` : ''}`;
    return `${who}. ${usd(p.totalMicros)}은(는) 예산으로 돌아갔고, 샷은 만들지 않았습니다.`;
  },
};
