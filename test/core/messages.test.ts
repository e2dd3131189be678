/**
 * The message catalogs: every language has a sentence for every code (the
 * types insist; this checks the objects the bot actually loads), the Korean
 * ones are Korean, and platform language tags resolve as each platform sends them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProviderFailure, ProviderError, UserFacingError } from '../../src/core/errors.js';
import { chatMarkdown, discordMarkdown, inLocale, plainText } from '../../src/core/markup.js';
import { LOCALES, localeFromEnv, msg, render, resolveLocale } from '../../src/core/messages.js';
import { boardAwaitingText, boardDecisionNotice, describeBoard } from '../../src/core/present-board.js';
import { describeReply, describeRouteReason, jobLine } from '../../src/core/present.js';
import { describeWarning } from '../../src/core/team-rules.js';
import type { Reply } from '../../src/core/replies.js';
import type { BoardRecord, Character, JobRecord, ShotLine } from '../../src/core/types.js';
import { CATALOGS } from '../../src/messages/index.js';

const HANGUL = /[\uAC00-\uD7A3]/;

describe('message catalogs', () => {
  it('every language covers exactly the English codes, each with a sentence', () => {
    const codes = Object.keys(CATALOGS.en).sort();
    assert.ok(codes.length > 50, `only ${codes.length} codes`);
    for (const locale of LOCALES) {
      assert.deepEqual(Object.keys(CATALOGS[locale]).sort(), codes, locale);
      for (const code of codes) assert.equal(typeof (CATALOGS[locale] as Record<string, unknown>)[code], 'function', `${locale} ${code}`);
    }
  });

  it('the Korean sentences are Korean, not English copies', () => {
    // Sample parameters shaped loosely: every sentence must render without throwing and, but for the
    // untranslated pass-through, contain Hangul or differ from the English.
    const sample = (key: string | symbol): unknown => {
      if (key === 'state') return 'queued';
      if (key === 'source') return { kind: 'job', jobId: 'j_1' };
      if (key === 'subject') return { kind: 'video', estimateMicros: 3 };
      if (['options', 'ids', 'fileNames', 'names', 'suggestions', 'groupNames', 'available', 'providers', 'backendNames', 'characters', 'skipped', 'allowed', 'blocked', 'groups', 'defaults'].includes(String(key))) return ['j_1'];
      if (key === 'why') return { kind: 'no_image' };
      if (key === 'refusals') return [{ backendName: 'x', why: { kind: 'no_sound' } }];
      if (key === 'exact' || key === 'take' || key === 'kept') return undefined;
      return typeof key === 'string' && /Micros|Ms|Seconds|seconds|count|rows|position|width|height|MiB|Bytes|Mb|index|of|takes|delivered|failed|shot|max|status/.test(key) ? 3 : 'x';
    };
    const loose = new Proxy({}, { get: (_t, key) => sample(key) });
    // Codes whose parameters a loose sample cannot shape (a `kind` that picks the sentence, a list named like a count).
    const shaped: Record<string, unknown> = {
      'failure.provider': { kind: 'transient', backendName: 'x' },
      'route.reason': { kind: 'policy', backendName: 'x', policy: 'cost', characters: [], skipped: [] },
      'board.shots_failed': { shots: [2] },
    };
    const untranslated: string[] = [];
    for (const code of Object.keys(CATALOGS.en)) {
      if (code === 'text') continue;
      const params = shaped[code] ?? loose;
      const ko = (CATALOGS.ko as Record<string, (p: unknown, m: unknown) => string>)[code]!(params, inLocale(plainText, 'ko'));
      const en = (CATALOGS.en as Record<string, (p: unknown, m: unknown) => string>)[code]!(params, plainText);
      if (!HANGUL.test(ko) && ko === en) untranslated.push(code);
    }
    assert.deepEqual(untranslated, []);
  });

  it('resolves Discord, Slack and POSIX language tags, English for anything unknown', () => {
    assert.equal(resolveLocale('ko'), 'ko'); // Discord
    assert.equal(resolveLocale('ko-KR'), 'ko'); // Slack users.info
    assert.equal(resolveLocale('ko_KR.UTF-8'), 'ko'); // LANG
    assert.equal(resolveLocale('en-US'), 'en');
    assert.equal(resolveLocale('ja'), 'en');
    assert.equal(resolveLocale(undefined), 'en');
    assert.equal(resolveLocale('C.UTF-8'), 'en');
    assert.equal(localeFromEnv({ LANG: 'ko_KR.UTF-8' }), 'ko');
    assert.equal(localeFromEnv({ LANG: 'ko_KR.UTF-8', LC_ALL: 'C' }), 'en', 'LC_ALL wins');
    assert.equal(localeFromEnv({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'ko_KR.UTF-8' }), 'ko', 'LC_MESSAGES over LANG');
    assert.equal(localeFromEnv({ LC_ALL: '', LANG: 'ko_KR' }), 'ko', 'an empty LC_ALL is unset');
  });

  it('renders one refusal per reader: language and option syntax', () => {
    const refusal = new UserFacingError(msg('budget_exceeded', { subject: { kind: 'video', estimateMicros: 1_200_000 }, scope: 'user', leftMicros: 500_000, capMicros: 5_000_000 }));
    assert.equal(refusal.code, 'budget_exceeded');
    assert.match(refusal.userMessage, /^This video is estimated at \$1\.20, but you have \$0\.50 left of your \$5\.00 monthly cap\./);
    assert.match(refusal.sentence(inLocale(discordMarkdown, 'ko')), /예상 비용은 \$1\.20.*\$0\.50만 남았습니다/);
    const option = { code: 'budget.sound', params: { audio: 'off' } } as const;
    assert.match(render(option, plainText), /--audio on asks for sound/);
    assert.match(render(option, chatMarkdown), /`--audio on` asks for sound/);
    assert.match(render(option, discordMarkdown), /`audio:on` asks for sound/);
    assert.match(render(option, inLocale(discordMarkdown, 'ko')), /`audio:on`/);
  });

  it("a storyboard's status for its reader: head, one line per shot and the total, in Korean", () => {
    const board = { id: 'b_1', kind: 'storyboard', requesterName: 'kim', state: 'rendering', continuous: false } as BoardRecord;
    const lines: ShotLine[] = [
      { shot: 1, jobId: 'j_1', status: 'done', progress: 100, seconds: 4, micros: 400_000 },
      { shot: 2, jobId: 'j_2', status: 'rendering', progress: 45, seconds: 4, micros: 400_000 },
    ];
    assert.equal(
      describeBoard(board, lines, inLocale(plainText, 'ko')),
      ['스토리보드 b_1 (kim 님): 렌더링 중.', '샷 1: 완료 (4초, $0.40) j_1', '샷 2: 렌더링 45% j_2', '합계: $0.40 청구, $0.40 예약.'].join('\n'),
    );
    assert.equal(describeBoard(board, lines, plainText).split('\n')[0], 'Storyboard b_1 by kim: rendering.');
  });

  it('a provider failure in each language; a request the bot built never reads as the person’s fault', () => {
    const ko = inLocale(plainText, 'ko');
    const blocked = new ProviderError({ kind: 'rejected_request', backend: 'fal', message: '422 loras: extra field' });
    const english = render(describeProviderFailure(blocked, 'Wan on fal'), plainText);
    assert.match(english, /This is the bot's problem, not yours/);
    const korean = render(describeProviderFailure(blocked, 'Wan on fal'), ko);
    assert.equal(korean, 'Wan on fal이(가) 봇이 만든 요청을 거부했습니다. 사용자 잘못이 아니라 봇의 문제이며, 봇을 운영하는 팀에 알렸습니다. 나중에 다시 시도하거나 다른 백엔드를 골라 보세요.');
    assert.doesNotMatch(korean, /422|loras/, 'no provider wording');
    const field = new ProviderError({ kind: 'invalid_input', backend: 'openai', message: 'bad seconds', field: 'seconds' });
    assert.equal(render(describeProviderFailure(field, 'OpenAI'), ko), 'OpenAI이(가) 선택한 길이를 받아들이지 못했습니다. 다른 길이를 골라 보세요.');
    // Kept with the job: /sora status reads it in the reader's language; a record from before keeps its English.
    const job = { id: 'j_1', state: 'failed', requesterName: 'kim', backend: 'fal', input: { prompt: 'a boat' }, progress: 0, error: { code: 'transient', message: 'English', said: describeProviderFailure(new ProviderError({ kind: 'transient', backend: 'fal', message: 'x' }), 'Wan on fal') } } as unknown as JobRecord;
    assert.match(jobLine(job, undefined, ko), /실패: Wan on fal에 지금 문제가 있어 영상을 만들지 못했습니다\./);
    assert.match(jobLine({ ...job, error: { code: 'transient', message: 'Old English sentence.' } }, undefined, ko), /실패: Old English sentence\./);
  });

  it('why a backend was chosen, in Korean: the team policy, characters and an exact length, a fallback', () => {
    const ko = inLocale(plainText, 'ko');
    assert.equal(
      describeRouteReason({ kind: 'policy', backendName: 'Kling', policy: 'cost', pool: 2, characters: ['@mascot'], exactSeconds: 8, skipped: ['OpenAI'] }, ko),
      'Kling: @mascot을(를) 유지하고 정확히 8초를 만들 수 있는 백엔드 2개 중 가장 저렴한 곳; 최근 실패한 OpenAI은(는) 건너뜀',
    );
    assert.equal(describeRouteReason({ kind: 'policy', backendName: 'OpenAI', policy: 'stability', characters: [], skipped: [] }, ko), 'OpenAI: 가장 안정적인 백엔드 (팀 정책 "stability")');
    assert.equal(describeRouteReason({ kind: 'fallback', backendName: 'Kling', failedName: 'OpenAI', failure: 'transient' }, ko), 'Kling: OpenAI이(가) 실패해서 (일시적 오류) 다음 백엔드가 만들었습니다');
    assert.equal(describeRouteReason({ kind: 'forced', backendName: 'Kling' }, plainText), 'Kling, as requested');
    assert.equal(describeRouteReason('stored before reasons were messages', ko), 'stored before reasons were messages');
  });

  it("a character's readiness per backend, in Korean", () => {
    const character = { name: 'mascot', ownerName: 'kim', source: { kind: 'job', jobId: 'j_1' } } as Character;
    const view = {
      character,
      readiness: [
        { backend: 'openai', name: 'OpenAI', state: 'ready' as const },
        { backend: 'kling', name: 'Kling', state: 'on-first-use' as const },
        { backend: 'veo', name: 'Veo', state: 'unsupported' as const, why: { kind: 'no_characters' as const } },
      ],
    };
    const text = describeReply({ kind: 'character', view, created: false }, inLocale(plainText, 'ko'));
    assert.match(text, /• OpenAI: 준비됨\n• Kling: 여기서 처음 영상에 쓰일 때 자동으로 준비됩니다\n• Veo: 캐릭터를 쓸 수 없습니다$/);
    assert.match(describeReply({ kind: 'character', view, created: false }, plainText), /• Kling: prepared automatically the first time a video uses it here/);
  });

  it("a storyboard's acceptance and an admin's decision, in Korean; its thread's notices in English", () => {
    const ko = inLocale(plainText, 'ko');
    const shot = (prompt: string) => ({ seconds: 4, estimateMicros: 400_000, input: { prompt, orientation: 'landscape' } }) as unknown as JobRecord;
    const board = { id: 'b_1', kind: 'storyboard', requesterName: 'kim', state: 'awaiting_approval', continuous: true, shots: ['j_1', 'j_2'], approval: { thresholdMicros: 500_000, expiresAt: 0 } } as unknown as BoardRecord;
    const accepted = { board, shots: [shot('a fox wakes'), shot('a fox runs')], backendNames: ['OpenAI', 'OpenAI'], estimateMicros: 800_000, tenantLeftMicros: 9_000_000, userLeftMicros: 4_000_000, reason: { kind: 'board_shared', backendName: 'OpenAI', characters: [] } };
    const text = describeReply({ kind: 'board-accepted', accepted } as Reply, ko);
    assert.equal(
      text,
      [
        '스토리보드 b_1 접수: 샷 2개, 8초 가로, OpenAI에서, 예상 비용 합계 $0.80.',
        '샷 1: 4초 "a fox wakes" ($0.40)',
        '샷 2: 4초 "a fox runs" ($0.40)',
        '샷은 차례대로 만들어지며, 각 샷은 앞 샷의 마지막 프레임에서 시작합니다.',
        '승인 기준 $0.50을(를) 넘습니다. 금액은 예약해 두었고, 관리자가 승인하면 샷이 시작됩니다 (/sora approve b_1).',
        '이번 달 남은 예산: 팀 $9.00, 내 예산 $4.00.',
        '이 백엔드를 고른 이유: OpenAI이(가) 모든 샷을 만들므로 모습이 그대로 유지됩니다.',
      ].join('\n'),
    );
    const approved = { ...board, approval: { thresholdMicros: 500_000, expiresAt: 0, decision: { outcome: 'approved', byId: 'boss', byName: 'boss', at: 0 } } } as BoardRecord;
    assert.equal(describeReply({ kind: 'board-decided', board: approved, totalMicros: 800_000 } as Reply, ko), 'kim 님의 스토리보드 b_1을(를) 승인했습니다. 샷 2개가 지금 시작됩니다.');
    const denied = { type: 'denied', byName: 'boss', reason: 'too long', expired: false, totalMicros: 800_000 } as const;
    assert.equal(boardDecisionNotice(board, denied, ko), '스토리보드 b_1은(는) 승인되지 않았습니다. boss 님이 거절했습니다: too long. $0.80은(는) 예산으로 돌아갔고, 샷은 만들지 않았습니다.');
    // The thread is read by everyone there, so the surfaces pass English markup.
    assert.equal(boardDecisionNotice(board, denied, plainText), 'Storyboard b_1 was not approved. Denied by boss: too long. Its $0.80 went back to the budget and no shot was made.');
    assert.match(boardAwaitingText(board, { type: 'awaiting-approval', lines: [], totalMicros: 800_000, thresholdMicros: 500_000, expiresAt: 0 }, ko), /^예상 비용 합계 \$0\.80, 승인 기준 \$0\.50을\(를\) 넘습니다/);
  });

  it('the team controls in Korean: a decision, the settings, the 80% warning', () => {
    const ko = inLocale(plainText, 'ko');
    const job = { id: 'j_1', requesterName: 'kim', estimateMicros: 1_200_000, approval: { thresholdMicros: 1_000_000, expiresAt: 0, decision: { outcome: 'denied', byId: 'b', byName: 'boss', at: 0 } } } as unknown as JobRecord;
    assert.equal(describeReply({ kind: 'decided', job }, ko), 'kim 님의 작업 j_1을(를) 거절했습니다. $1.20은(는) 예산으로 돌아갔습니다.');
    assert.equal(describeReply({ kind: 'decided', job }, plainText), 'Denied job j_1 for kim; its $1.20 went back to the budget.');
    const view = { settings: { approveAboveMicros: 1_000_000, access: { allowedGroups: [{ id: 'g', name: 'makers' }], blocked: [], approverGroups: [] } }, channel: { id: 'C1', defaults: { seconds: 8 } } };
    assert.equal(
      describeReply({ kind: 'settings', view, changed: false } as unknown as Reply, ko),
      ['설정', '승인: $1.00을(를) 넘는 영상은 관리자 승인을 기다립니다.', '영상을 만들 수 있는 사람: 관리자와 makers 멤버.', '80% 경고: 한도를 넘긴 답변에 표시합니다.', '이 채널의 기본값: --seconds 8.'].join('\n'),
    );
    assert.equal(describeWarning({ scope: 'team', usedMicros: 8_500_000, capMicros: 10_000_000, alertsChannel: undefined }, undefined, ko), '⚠️ 팀이 이번 달 팀 한도 $10.00의 85%를 썼습니다 ($8.50, 진행 중인 영상 포함).');
    assert.match(describeWarning({ scope: 'team', usedMicros: 8_500_000, capMicros: 10_000_000, alertsChannel: undefined }), /^⚠️ The team has used 85% of the team's \$10\.00 cap this month/);
  });
});
