/** 거절과 실패 (src/core/message-codes-errors.ts): Korean refusals and failures. */
import { formatByteSize as size } from '../../core/byte-size.js';
import type { BackendRefusal, ErrorParams, Unsuitability } from '../../core/message-codes-errors.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';
import type { BoardState, JobState } from '../../core/types.js';

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

/** Why a backend cannot take a request, as a clause after its name. */
function why(u: Unsuitability): string {
  switch (u.kind) {
    case 'no_characters':
      return '캐릭터를 쓸 수 없습니다';
    case 'too_many_characters':
      return `영상 하나에 캐릭터를 ${u.max}개까지만 쓸 수 있습니다`;
    case 'no_frames_source':
      return '참조 프레임이 필요한데, 지정한 캐릭터에 프레임을 자를 클립이 없습니다';
    case 'needs_public_url':
      return '캐릭터 클립을 가져오려면 PUBLIC_URL 설정이 필요합니다';
    case 'no_size':
      return `${u.resolution} ${u.orientation === 'portrait' ? '세로' : '가로'} 크기를 지원하지 않습니다`;
    case 'no_price':
      return `${u.resolution} 가격이 없습니다`;
    case 'no_sound':
      return '소리를 만들 수 없습니다';
    case 'no_silence':
      return '무음 영상을 만들 수 없습니다';
    case 'no_image':
      return '시작 이미지를 받지 않습니다';
  }
}

/** Who decides who may spend: the admin who last set the rules, or admins in general. */
const whoDecides = (changedBy: string | undefined) => (changedBy ? `${changedBy} 님이나 다른 관리자가 /settings access 로 정합니다` : '관리자가 /settings access 로 정합니다');

const refusals = (list: BackendRefusal[]) => list.map((r) => `${r.backendName}: ${why(r.why)}`).join('; ');
const kindOf = (kind: 'video' | 'image') => (kind === 'video' ? '영상 파일 (MP4, MOV, WebM)' : 'PNG, JPEG, WebP 이미지');

const BOARD_STATE: Record<BoardState, string> = {
  awaiting_approval: '승인 대기 중',
  rendering: '렌더링 중',
  incomplete: '실패한 장면 재시도 대기 중',
  joining: '장면 잇는 중',
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
  'cancel.board_waiting': (p, m) => `작업 ${m.code(p.jobId)}은(는) 관리자 결정을 기다리는 스토리보드 ${m.code(p.boardId)}의 샷이라 따로 취소할 수 없습니다. 관리자가 거절하면 스토리보드 전체가 취소되고 예약 금액이 풀립니다.`,
  'remix.not_finished': (p) => `작업 ${p.jobId}이(가) 아직 끝나지 않아 리믹스할 수 없습니다.`,
  'extend.not_yet': (p) => `작업 ${p.jobId}이(가) 아직 끝나지 않아 이어 만들 수 없습니다.`,
  'job.no_video_to': (p) => `작업 ${p.jobId}에는 ${p.to === 'remix' ? '리믹스할' : '이어 만들'} 완성된 영상이 없습니다.`,
  'button.not_here': () => '그 버튼은 이 채널의 작업에 속하지 않습니다.',
  'unknown_board': (p) => `이 팀에 내가 볼 수 있는 스토리보드 ${p.boardId}이(가) 없습니다.`,
  'storyboard.unknown_shot': (p) => `스토리보드 ${p.boardId}에는 샷 ${p.shot}이(가) 없습니다.`,
  'storyboard.shot_not_failed': (p) => `${p.boardId}의 샷 ${p.shot}은(는) 실패하지 않아 다시 시도할 것이 없습니다.`,
  'storyboard.shot_lost': (p) => `${p.boardId}의 샷 ${p.shot}은(는) 더 이상 다시 시도할 수 없습니다. 새 스토리보드를 시작하세요.`,
  'take.single': (p) => `작업 ${p.jobId}은(는) 여러 테이크 중 하나가 아닌 단일 영상이라 고를 것이 없습니다.`,
  'take.not_allowed': (p) => `작업 ${p.requestId}에서 어느 테이크를 남길지는 ${p.requesterName} 님이나 관리자만 고를 수 있습니다.`,
  'take.not_finished': (p) => `테이크 ${p.take}/${p.takes} (작업 ${p.jobId})은(는) 남길 수 없습니다: ${p.noVideo ? '영상이 없습니다' : '아직 끝나지 않았습니다'}.`,
  'access.blocked': (p) => `이 팀에서 영상을 만들 수 없습니다. ${whoDecides(p.changedBy)}. 비용은 나가지 않았습니다.`,
  'access.not_in_groups': (p) => `이 팀에서는 ${p.groupNames.join(', ')} 멤버만 영상을 만들 수 있습니다. ${whoDecides(p.changedBy)}. 비용은 나가지 않았습니다.`,
  'decide.not_allowed': (p) => `관리자${p.groupNames.length > 0 ? `나 ${p.groupNames.join(', ')} 멤버` : ''}만 영상을 승인하거나 거절할 수 있습니다.`,
  'decide.own_request': (p) =>
    `${p.board ? '스토리보드' : '작업'} ${p.id}은(는) 본인이 요청한 것이라 다른 관리자가 승인하거나 거절해야 합니다.${
      p.unknown === 'intent_off'
        ? ' 봇이 이 서버의 멤버 목록을 읽을 수 없어 (Server Members 인텐트가 꺼져 있음) 내가 유일한 관리자인지 알 수 없습니다. 서버 관리 권한이 있는 다른 멤버가 결정하거나, 봇 소유자가 Discord Developer Portal에서 "Server Members Intent"를 켜야 합니다.'
        : p.unknown === 'unreadable'
          ? ' 봇이 내가 유일한 관리자인지 확인하려고 이 서버의 멤버 목록을 읽지 못했습니다. 서버 관리 권한이 있는 다른 멤버가 결정합니다.'
          : ''
    }`,
  'extend.not_finished': (p) => `${p.board ? '스토리보드' : '작업'} ${p.id}에는 봇이 아직 가지고 있는 완성된 동영상이 없어 이어 만들 수 없습니다.`,
  'already_decided': (p) => {
    const what = p.what === 'board' ? '스토리보드' : '작업';
    const state = p.state === undefined ? '없음' : p.what === 'board' ? BOARD_STATE[p.state as BoardState] : JOB_STATE[p.state as JobState];
    return p.outcome === 'expired'
      ? `${what} ${p.jobId}은(는) 결정 없이 만료되었습니다.`
      : p.outcome === 'undecided'
        ? `${what} ${p.jobId}은(는) 승인을 기다리고 있지 않습니다 (현재 ${state}).`
        : `${what} ${p.jobId}은(는) 이미 ${p.byName} 님이 ${p.outcome === 'approved' ? '승인' : '거절'}했습니다.`;
  },
  'attachment.missing': () => '첨부 파일이 봇에 도착하지 않았습니다. 다시 첨부해 주세요.',
  'attachment.too_big': (p) => `첨부 파일이 ${p.sizeMiB.toFixed(1)} MiB입니다. 봇은 ${p.maxMiB} MiB까지 받습니다.`,
  'no_attachments': () => '여기서는 첨부 파일을 쓸 수 없습니다.',
  'not_a_mention': (p) => `${p.ref}은(는) 멤버 멘션이 아닙니다. @를 입력하고 목록에서 멤버를 골라 멘션으로 만들어 주세요.`,
  'thread.discord': (p, m) => `작업 ${m.code(p.jobId)}의 스레드를 열 수 없어 작업을 취소했고, 요금은 청구되지 않았습니다. 이 채널에서 봇의 권한을 확인한 뒤 다시 시도해 주세요.`,
  'thread.slack_not_in_channel': () => '이 대화에 글을 올릴 수 없어 영상을 시작하지 않았고, 비용도 나가지 않았습니다. 저를 채널에 추가하거나 (/invite) 제가 있는 채널을 이용해 주세요.',
  'thread.slack_refused': () => 'Slack이 메시지를 받지 않아 영상을 시작하지 않았고, 비용도 나가지 않았습니다. 잠시 뒤에 다시 시도해 주세요.',
  'slack.unreadable_command': () => 'Slack이 보낸 명령을 읽을 수 없었습니다. 다시 시도해 주세요.',
  'unknown_character': (p) =>
    `이 팀에 @${p.name} 캐릭터가 없습니다.${
      p.suggestions.length > 0
        ? ` 혹시 ${p.suggestions.map((s) => `@${s}`).join(' 또는 ')}을(를) 찾으셨나요?`
        : p.otherwise === 'create'
          ? ' 이 팀에는 아직 캐릭터가 없습니다. /character create 로 만들어 보세요.'
          : p.otherwise === 'list'
            ? ' /character list 에서 확인해 보세요.'
            : ''
    }`,
  'character.bad_name': () => '캐릭터 이름은 공백 없이 2–32자의 문자, 숫자, _ 또는 - 입니다 (예: mascot, team_robot).',
  'character.bad_source': (_p, m) => `캐릭터의 소스를 하나만 주세요: 영상 클립, ${m.flag('video_url')}, ${m.flag('from_job')} 중 하나.`,
  'character.name_taken': (p) => `이 팀에는 이미 @${p.name} 캐릭터가 있습니다.${p.advice ? ' 다른 이름을 고르거나 기존 캐릭터를 먼저 삭제하세요.' : ''}`,
  'character.job_not_finished': (p) => `작업 ${p.jobId}에는 캐릭터를 가져올 완성된 영상이 없습니다.`,
  'character.source_gone': (p) => `작업 ${p.jobId}의 영상은 더 이상 보관되어 있지 않습니다. 클립이나 링크를 대신 사용하세요.`,
  'character.not_allowed': (p) => `@${p.name}은(는) 만든 사람(${p.ownerName} 님)이나 관리자만 삭제할 수 있습니다.`,
  'character.gone_before_start': () => '이 프롬프트에 나온 캐릭터가 영상이 시작되기 전에 삭제되었습니다.',
  'binding.lost': (p) => `${p.backendName}이(가) @${p.name} 캐릭터를 더 이상 알지 못하고, 다시 등록하는 데도 실패했습니다. 요금은 청구되지 않았습니다. 다시 시도하거나 다른 백엔드를 고르세요.`,
  'binding.still_lost': (p) =>
    `${p.backendName}이(가) 다시 등록한 뒤에도 ${p.names.map((n) => `@${n}`).join(', ')}을(를) 알지 못했습니다. 요금은 청구되지 않았습니다. 다시 시도하거나 다른 백엔드를 고르세요.`,
  'binding.no_frames': (p) => `@${p.name}의 클립에서 참조 프레임을 잘라낼 수 없어 ${p.backendName}에서 쓸 수 없습니다.`,
  'binding.unsupported': (p) => `${p.backendName}은(는) 캐릭터를 쓸 수 없습니다.`,
  'image_gone': () => '그 영상의 이미지는 봇에 더 이상 보관되어 있지 않습니다. /sora generate 로 새 영상을 시작하고 이미지를 다시 첨부하세요.',
  'budget.nothing_to_set': (_p, m) =>
    `무엇을 설정할지 알려 주세요: USD 금액 (예: /budget set 20), ${m.option('policy', 'cost|stability')}, ${m.option('audio', 'on|off')}, ${m.option('approve-above', 'USD')}.`,
  'budget.member_amount': (_p, m) => `그 멤버의 금액을 주세요. 예: /budget set 5 ${m.option('user', '@alice')}.`,
  'settings.no_channel': () => '기본값을 정할 채널에서 /settings channel 을 실행하세요.',
  'settings.nothing_to_set': (_p, m) => `무엇을 설정할지 알려 주세요. 예: /settings channel ${m.option('orientation', 'portrait')} ${m.option('seconds', '8')}.`,
  'settings.unknown_backend': (p) => `여기에는 ${p.backend}(이)라는 백엔드나 제공자가 없습니다.`,
  'backend.why': (p) => why(p.why),
  'backend.unsuitable': (p, m) => `${p.backendName}: ${why(p.why)}. ${m.flag('backend')}을(를) 빼면 봇이 고릅니다.`,
  'backend.provider_unsuitable': (p, m) => `이 영상을 만들 수 있는 ${p.provider} 백엔드가 없습니다: ${refusals(p.refusals)}. ${m.flag('backend')}을(를) 빼면 봇이 고릅니다.`,
  'backend.none_suitable': (p) => `설정된 백엔드 중 이 영상을 만들 수 있는 것이 없습니다: ${refusals(p.refusals)}.`,
  'backend.unknown': (p) => `"${p.name}"(이)라는 백엔드가 없습니다. 사용 가능: ${p.available.join(', ')}${p.providers.length > 0 ? `, 또는 제공자: ${p.providers.join(', ')}` : ''}.`,
  'backend.gone': (p) => `이 작업을 보낸 백엔드(${p.backendId})가 더 이상 설정되어 있지 않습니다.`,
  'storyboard.shot_count': (p) => `스토리보드는 샷이 1–${p.max}개입니다. 이 스토리보드는 ${p.count}개입니다.`,
  'storyboard.too_many_shots': (p) => `스토리보드는 샷이 최대 ${p.max}개입니다. 이 스토리보드는 ${p.count}개입니다.`,
  'storyboard.mixed_orientation': () => '샷에 세로와 가로가 섞여 있습니다. 영상 하나는 한 가지 모양이니, 모든 샷의 방향을 같게 해 주세요.',
  'storyboard.no_shots': () => '샷을 | 로 나누어 주세요. 예: /sora storyboard @mascot wakes up | @mascot makes coffee.',
  // A shot's own flags are typed in the shots text on every platform, so they read as typed.
  'storyboard.shot_seconds': (p) => `샷 ${p.shot}: --seconds는 1에서 20 사이의 정수여야 합니다.`,
  'storyboard.shot_orientation': (p) => `샷 ${p.shot}: --orientation은 landscape 또는 portrait 여야 합니다.`,
  'storyboard.empty_shot': (p) => `샷 ${p.shot}에는 3자 이상의 프롬프트가 필요합니다.`,
  'options.quality_conflict': (p, m) => `${m.option('quality', p.quality)}은(는) ${p.means}인데 ${m.flag('resolution')}은(는) ${p.resolution}입니다. ${m.flag('resolution')}만 주세요.`,
  'no_ffmpeg.continue': () => '여기서는 봇이 영상에서 프레임을 잘라낼 수 없어 (ffmpeg 미설치) 영상을 이어 만들 수 없습니다.',
  'no_ffmpeg.join': () => '여기서는 봇이 영상을 이어 붙일 수 없습니다 (ffmpeg 미설치).',
  'disk_full': (p) => `봇의 디스크가 가득 차서 ${p.what === 'video' ? '영상' : '파일'}을 저장하지 못했습니다. 관리자가 공간을 비워야 합니다.`,
  'source.bad_type': (p) => `그 ${p.from === 'link' ? '링크' : '파일'}은(는) ${kindOf(p.kind)}이(가) 아니라서 봇이 쓸 수 없습니다.`,
  'source.missing': (p) => `봇이 ${p.fileName} 파일을 읽을 수 없습니다. 경로를 확인하세요.`,
  'source.too_large': (p) => `그 파일은 봇이 ${p.kind === 'video' ? '캐릭터 클립' : '참조 이미지'}으로 받는 ${size(p.maxBytes)}보다 큽니다.`,
  'source.disk_quota': (p) =>
    `팀이 이미 이 봇에 클립과 이미지 ${size(p.usedBytes)}를 보관 중이라, 이 파일(${size(p.incomingBytes)})을 더하면 팀 한도 ${size(p.quotaBytes)}를 넘습니다. /character delete 로 쓰지 않는 캐릭터를 지운 뒤 다시 시도하세요.`,
  'link.bad_url': () => '웹 링크로 보이지 않습니다. http:// 또는 https:// 로 시작하는 전체 주소를 붙여 넣어 주세요.',
  'link.bad_scheme': () => 'http:// 와 https:// 링크만 가져올 수 있습니다.',
  'link.unresolvable': (p) => `봇이 서버 ${p.host}을(를) 찾지 못했습니다. 링크를 확인하세요.`,
  'link.private_address': () => '그 링크는 사설 네트워크 주소를 가리키고 있어 봇이 가져오지 않습니다.',
  'link.redirects_nowhere': () => '그 링크는 아무 데로도 리디렉션하지 않아 가져올 것이 없었습니다.',
  'link.too_many_redirects': (p) => `그 링크는 ${p.max}번 넘게 리디렉션합니다. 최종 주소를 붙여 넣어 주세요.`,
  'link.http_error': (p) => `그 링크가 오류(HTTP ${p.status})로 응답해 가져올 것이 없었습니다. 공개된 링크인지 확인하세요.`,
  'link.timeout': (p) => `그 링크를 내려받는 데 ${p.seconds}초가 넘게 걸려 봇이 포기했습니다. 더 작은 파일이나 다른 호스트로 시도하세요.`,
  'link.unreachable': () => '봇이 그 링크를 내려받지 못했습니다. 공개된 링크인지 확인한 뒤 다시 시도하세요.',
  'console.no_file': (p) => `${p.path}에 파일이 없습니다.`,
  'slack_file.bad_ref': (_p, m) =>
    `Slack에 공유된 파일을 링크 (더 보기 → 링크 복사)나 F0123ABCD 같은 id로 알려 주세요. 웹 링크는 ${m.flag('video_url')}(으)로 주세요.`,
  'slack_file.cannot_open': (p) => `Slack 파일 ${p.fileId}을(를) 열 수 없습니다. 제가 있는 채널에 공유한 뒤 다시 시도하세요.`,
  'slack_file.cannot_download': (p) => `Slack 파일 ${p.fileId}을(를) 내려받을 수 없습니다.${p.missingScope ? ' 앱에 files:read 권한이 없을 수 있습니다.' : ''}`,
  'slack_file.wrong_type': (p) => `${p.name}은(는) ${p.kind === 'video' ? '영상' : '이미지'} 파일이 아닙니다.`,
  'slack_file.too_large': (p) => `${p.name}은(는) 소스 한도 ${p.limitMb} MB보다 큽니다.`,
  'slack_file.download_failed': (p) => `Slack에서 ${p.name}을(를) 내려받지 못했습니다. 다시 시도하세요.`,
};
