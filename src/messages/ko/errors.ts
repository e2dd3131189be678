/** 거절과 실패 (src/core/message-codes-errors.ts): Korean refusals and failures. */
import type { ErrorParams } from '../../core/message-codes-errors.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';
import type { JobState } from '../../core/types.js';

export const JOB_STATE: Record<JobState, string> = {
  awaiting_approval: '승인 대기 중',
  queued: '대기 중',
  submitting: '제출 중',
  submitted: '제출됨',
  running: '생성 중',
  downloading: '내려받는 중',
  delivering: '올리는 중',
  delivered: '전달 완료',
  failed: '실패',
  cancelled: '취소됨',
};

export const errors: Sentences<ErrorParams> = {
  'internal': () => '봇 쪽에서 문제가 생겼습니다. 요금은 청구되지 않았습니다. 다시 시도해 보시고, 계속되면 봇 관리자에게 알려 주세요 (자세한 내용은 로그에 있습니다).',
  // Not yet given a code: the English sentence, rather than nothing.
  'text': (p) => p.en,
  'unknown_command': (p) => `${p.name} 명령은 없습니다.`,
  'admin_only': (p) => `${p.name}은(는) ${p.adminsAre ?? '관리자'}만 쓸 수 있습니다.`,
  'admins.discord': () => '서버 관리 권한이 있는 멤버',
  'not_in_server': () => '이 봇은 팀이 예산과 캐릭터를 함께 쓰는 서버에서 동작합니다. 서버 채널에서 사용해 주세요.',
  'shutting_down': () => '봇이 다시 시작하는 중이라 잠시 새 영상을 받지 않습니다. 조금 뒤에 다시 시도해 주세요.',
  'budget_exceeded': (p) => {
    const s = p.subject;
    const what =
      s.kind === 'video'
        ? `이 영상의 예상 비용은 ${usd(s.estimateMicros)}인데`
        : s.kind === 'takes'
          ? `이 영상 ${s.count}테이크의 예상 비용은 합계 ${usd(s.eachMicros * s.count)} (테이크당 ${usd(s.eachMicros)})인데`
          : `${s.kind === 'extension' ? '이 연장' : `샷 ${s.count}개`}의 예상 비용은 합계 ${usd(s.totalMicros)}인데`;
    const advice = s.kind === 'video' ? '더 짧은 영상으로 시도하거나' : s.kind === 'takes' ? '테이크 수를 줄이거나 더 짧은 영상으로 시도하거나' : '샷을 줄이거나 더 짧게 시도하거나';
    return `${what}, ${p.scope === 'tenant' ? '팀의' : '내'} 월 한도 ${usd(p.capMicros)} 중 ${usd(p.leftMicros)}만 남았습니다. 비용은 나가지 않았습니다. ${advice}, 관리자에게 /budget set 으로 한도를 올려 달라고 요청하세요.`;
  },
  'unknown_job': (p) => (p.visible ? `이 팀에 내가 볼 수 있는 작업 ${p.jobId}이(가) 없습니다.` : `이 팀에 작업 ${p.jobId}이(가) 없습니다.`),
  'cancel.not_allowed': (p) => `작업 ${p.jobId}은(는) ${p.requesterName} 님이나 관리자만 취소할 수 있습니다.`,
  'cancel.already_finished': (p) => `작업 ${p.jobId}은(는) 이미 ${JOB_STATE[p.state]} 상태입니다.`,
  'cancel.too_late': (p) => `작업 ${p.jobId}은(는) 이미 만들어져 올리는 중이라 취소할 수 없습니다.`,
  'remix.not_finished': (p) => `작업 ${p.jobId}이(가) 아직 끝나지 않아 리믹스할 수 없습니다.`,
  'extend.not_finished': (p) => `${p.board ? '스토리보드' : '작업'} ${p.id}에는 봇이 아직 가지고 있는 완성된 동영상이 없어 이어 만들 수 없습니다.`,
  'already_decided': (p) =>
    p.outcome === 'expired'
      ? `작업 ${p.jobId}은(는) 결정 없이 만료되었습니다.`
      : p.outcome === 'undecided'
        ? `작업 ${p.jobId}은(는) 승인을 기다리고 있지 않습니다 (현재 ${p.state ? JOB_STATE[p.state] : '없음'}).`
        : `작업 ${p.jobId}은(는) 이미 ${p.byName} 님이 ${p.outcome === 'approved' ? '승인' : '거절'}했습니다.`,
  'attachment.missing': () => '첨부 파일이 봇에 도착하지 않았습니다. 다시 첨부해 주세요.',
  'attachment.too_big': (p) => `첨부 파일이 ${p.sizeMiB.toFixed(1)} MiB입니다. 봇은 ${p.maxMiB} MiB까지 받습니다.`,
  'no_attachments': () => '여기서는 첨부 파일을 쓸 수 없습니다.',
  'not_a_mention': (p) => `${p.ref}은(는) 멤버 멘션이 아닙니다. @를 입력하고 목록에서 멤버를 골라 멘션으로 만들어 주세요.`,
  'thread.discord': (p, m) => `작업 ${m.code(p.jobId)}의 스레드를 열 수 없어 작업을 취소했고, 요금은 청구되지 않았습니다. 이 채널에서 봇의 권한을 확인한 뒤 다시 시도해 주세요.`,
  'thread.slack_not_in_channel': () => '이 대화에 글을 올릴 수 없어 영상을 시작하지 않았고, 비용도 나가지 않았습니다. 저를 채널에 추가하거나 (/invite) 제가 있는 채널을 이용해 주세요.',
  'thread.slack_refused': () => 'Slack이 메시지를 받지 않아 영상을 시작하지 않았고, 비용도 나가지 않았습니다. 잠시 뒤에 다시 시도해 주세요.',
  'slack.unreadable_command': () => 'Slack이 보낸 명령을 읽을 수 없었습니다. 다시 시도해 주세요.',
};
