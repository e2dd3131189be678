/** 작업 스레드의 문장 (src/core/message-codes-surfaces.ts): Korean words around a job on the chat surfaces. */
import type { SurfaceParams } from '../../core/message-codes-surfaces.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';

const ORIENTATION = { landscape: '가로', portrait: '세로' } as const;

export const surfaces: Sentences<SurfaceParams> = {
  'thread.asked': (p) => `${p.requesterName} 님이 ${p.seconds}초 영상을 요청했습니다 (예상 ${usd(p.estimateMicros)}).`,
  'thread.request': (p, m) => `${p.who} 님의 영상 요청${p.remixOf ? ` (${m.code(p.remixOf)} 리믹스)` : ''}:`,
  'thread.estimate-label': () => '예상 비용',
  'thread.estimate': (p) => `${usd(p.estimateMicros)} · ${p.seconds}초 ${ORIENTATION[p.orientation]} · ${p.backendName}`,
  'thread.budget-label': () => '이번 달 남은 예산',
  'thread.budget': (p) => `팀 ${usd(p.tenantLeftMicros)} · ${p.who} ${usd(p.userLeftMicros)}`,
  'thread.follow': (p, m) => `작업 ${m.code(p.jobId)} · 진행 상황과 영상은 스레드에 올라옵니다.`,
  'control.unsupported': (p) => `이 ${p.what === 'button' ? '버튼' : '양식'}은 더 이상 지원하지 않습니다. 대신 ${p.use} 을(를) 쓰세요.`,
  'form.remix-title': () => '이 영상 리믹스',
  'form.remix-prompt': () => '무엇을 바꿀까요?',
  'form.slack-remix-title': () => '영상 리믹스',
  'form.generate': () => '만들기',
  'form.cancel': () => '취소',
  'form.remix-note': (p, m) => `작업 ${m.code(p.jobId)}을(를) 바꿔 만듭니다. 비용은 쓰기 전에 먼저 보여 드립니다.`,
  'form.storyboard-title': () => '스토리보드',
  'form.price-it': () => '가격 보기',
  'form.storyboard-note': (p) => `칸마다 샷 하나, ${p.maxShots}개까지. 샷 끝에 그 샷만의 --seconds N 을 붙일 수 있습니다. 비용은 쓰기 전에 먼저 보여 드립니다.`,
  'form.shot': (p) => `샷 ${p.shot}`,
  'form.slack-extend-title': () => '영상 연장',
  'form.extend': () => '연장',
  'form.extend-note': (p, m) => `${p.board ? '스토리보드' : '작업'} ${m.code(p.id)}의 마지막 프레임에서 이어 만듭니다. 길어진 영상은 그 스레드에 올라옵니다. 비용은 쓰기 전에 먼저 보여 드립니다.`,
  'form.extend-title': () => '이 영상 연장',
  'form.extend-prompt': () => '다음에 무슨 일이 일어나나요? (비우면 같은 프롬프트)',
  'form.extend-seconds': (p) => `늘릴 초 (비우면 ${p.defaultSeconds})`,
  'board.shots-posted': (p, m) => `${m.code(p.boardId)}의 샷들은 스레드에 하나씩 올렸습니다.`,
  'characters.title': () => '캐릭터',
  'spend.amount': (p) => `${usd(p.spentMicros)}${p.reservedMicros > 0 ? ` (+${usd(p.reservedMicros)} 예약)` : ''}${p.capMicros !== undefined ? ` / ${usd(p.capMicros)}` : ''}`,
  'spend.left-label': () => '남은 예산',
  'spend.videos-label': () => '영상',
  'spend.member-cap-label': () => '멤버별 기본 한도',
  'spend.official-short': (p) => `${p.backendName} 공식 가격 기준: ${usd(p.officialMicros)}${p.savedMicros ? ` (${usd(p.savedMicros)} 절약)` : ''}.`,
  'note.failed': (p, m) => `요청하신 영상 ${m.code(p.jobId)}${p.take ? ` (테이크 ${p.take.index}/${p.take.of}, 다른 테이크는 계속 진행합니다)` : ''} 생성에 실패했습니다: ${p.reason}`,
  'note.approved': (p, m) => `요청하신 영상 ${m.code(p.jobId)}을(를) ${p.byName} 님이 승인했습니다. 이제 대기열에 들어갑니다.`,
  'note.denied': (p, m) => `요청하신 영상 ${m.code(p.jobId)}: ${p.denied}`,
  'cost.files-sent': (p, m) => `${p.fileNames.map((f) => m.code(f)).join(', ')} 파일은 봇과의 개인 메시지로 보냈습니다. 본인만 볼 수 있습니다.`,
};
