/**
 * The message catalogs: every language has a sentence for every code (the
 * types insist; this checks the objects the bot actually loads), the Korean
 * ones are Korean, and platform language tags resolve as each platform sends them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserFacingError } from '../../src/core/errors.js';
import { chatMarkdown, discordMarkdown, inLocale, plainText } from '../../src/core/markup.js';
import { LOCALES, localeFromEnv, msg, render, resolveLocale } from '../../src/core/messages.js';
import { describeBoard } from '../../src/core/present-board.js';
import type { BoardRecord, ShotLine } from '../../src/core/types.js';
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
      if (key === 'options' || key === 'ids' || key === 'fileNames' || key === 'names' || key === 'suggestions' || key === 'groupNames' || key === 'available' || key === 'providers') return ['j_1'];
      if (key === 'why') return { kind: 'no_image' };
      if (key === 'refusals') return [{ backendName: 'x', why: { kind: 'no_sound' } }];
      if (key === 'exact' || key === 'take' || key === 'kept') return undefined;
      return typeof key === 'string' && /Micros|Ms|Seconds|seconds|count|rows|position|width|height|MiB|Bytes|Mb|index|of|takes|delivered|failed|shot|max|status/.test(key) ? 3 : 'x';
    };
    const loose = new Proxy({}, { get: (_t, key) => sample(key) });
    const untranslated: string[] = [];
    for (const code of Object.keys(CATALOGS.en)) {
      if (code === 'text') continue;
      const ko = (CATALOGS.ko as Record<string, (p: unknown, m: unknown) => string>)[code]!(loose, inLocale(plainText, 'ko'));
      const en = (CATALOGS.en as Record<string, (p: unknown, m: unknown) => string>)[code]!(loose, plainText);
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
});
