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
  'cost.files-sent': (p, m) => `${p.fileNames.map((f) => m.code(f)).join(', ')} 파일은 봇과의 개인 메시지로 보냈습니다. 본인만 볼 수 있습니다.`,
};
