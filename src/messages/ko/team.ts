/** 팀 설정 (src/core/message-codes-team.ts): Korean words for the team controls. */
import type { TeamParams } from '../../core/message-codes-team.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';

export const team: Sentences<TeamParams> = {
  'settings.title': (p) => (p.changed ? '설정을 바꿨습니다.' : '설정'),
  'settings.approval': (p) => `승인: ${p.approveAboveMicros !== undefined ? `${usd(p.approveAboveMicros)}을(를) 넘는 영상은 관리자 승인을 기다립니다` : '없음 (/budget set --approve-above USD 로 정할 수 있습니다)'}.`,
  'settings.access': (p) =>
    `영상을 만들 수 있는 사람: ${p.allowed.length > 0 ? `관리자와 ${p.allowed.join(', ')} 멤버` : '모든 멤버'}${p.blocked.length > 0 ? `; 차단: ${p.blocked.join(', ')}` : ''}.`,
  'settings.approvers': (p) => `관리자 말고 승인할 수 있는 그룹: ${p.groups.join(', ')}.`,
  'settings.alerts': (p) => `80% 경고: ${p.channel ? `한도를 넘긴 답변과 ${p.channel}에` : '한도를 넘긴 답변에'} 표시합니다.`,
  'settings.channel': (p, m) =>
    p.defaults ? `이 채널의 기본값: ${p.defaults.length > 0 ? p.defaults.map((d) => m.option(d.option, d.value)).join(' ') : '없음'}.` : '이 채널에는 따로 정한 기본값이 없습니다.',
  'settings.others': (p) => `다른 채널 ${p.count}곳에 기본값이 있습니다.`,
  'audit.empty': () => '감사 기록이 비어 있습니다.',
  'job.decided': (p, m) =>
    p.approved
      ? `${p.requesterName} 님의 작업 ${m.code(p.jobId)}을(를) 승인했습니다. 이제 차례를 기다립니다.`
      : `${p.requesterName} 님의 작업 ${m.code(p.jobId)}을(를) 거절했습니다. ${usd(p.estimateMicros)}은(는) 예산으로 돌아갔습니다.`,
  'budget.warning': (p) => {
    const whose = p.scope === 'team' ? '팀이 ' : p.memberName ? `${p.memberName} 님이 ` : '';
    return `⚠️ ${whose}이번 달 ${p.scope === 'team' ? '팀 ' : ''}한도 ${usd(p.capMicros)}의 ${p.percent}%를 썼습니다 (${usd(p.usedMicros)}, 진행 중인 영상 포함).`;
  },
};
