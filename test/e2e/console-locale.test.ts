/**
 * The console speaks the language of its environment (LC_ALL, LC_MESSAGES,
 * LANG): `npm start` under LANG=ko_KR.UTF-8 answers in Korean, plain text
 * with the console's `--option` syntax. A real child process with a piped
 * script, the simulator over real HTTP, SQLite in a temp DATA_DIR.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runPipedBot } from '../helpers/piped-bot.js';

describe('console adapter in Korean', () => {
  it('LANG=ko_KR.UTF-8: the acceptance (with why its backend), a storyboard, a refusal and /cost come in Korean', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-ko-'));
    try {
      const script = [
        '/sora generate a paper boat on a rainy street --seconds 4',
        '/sora status j_nope',
        '/cost',
        '/sora generate @nobody dances on the roof',
        '/sora generate a paper boat --quality high --resolution 720p',
        '/sora storyboard a fox wakes | a fox runs --seconds 4',
        '/settings show',
      ];
      const result = await runPipedBot(script.join('\n'), {
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'warn',
        SIMULATOR_SECONDS_PER_VIDEO_SECOND: '0.05',
        LANG: 'ko_KR.UTF-8',
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /작업 j_\w+ 접수: 4초 가로 720p, (무음|소리 있음), .+에서, 예상 비용 \$\d+\.\d{2}\./);
      assert.match(result.stdout, /이번 달 남은 예산: 팀 \$\d+\.\d{2}, 내 예산 \$\d+\.\d{2}\./);
      assert.match(result.stdout, /\n이 백엔드를 고른 이유: [^\n]+: [^\n]*가장 (저렴한|안정적인) (백엔드|곳)/);
      // A storyboard's acceptance: its head, a line per shot, and why its backend.
      assert.match(result.stdout, /\n스토리보드 b_\w+ 접수: 샷 2개, 8초 가로, .+에서, 예상 비용 합계 \$\d+\.\d{2}\.\n샷 1: 4초 "a fox wakes" \(\$\d+\.\d{2}\)\n샷 2: 4초 "a fox runs" \(\$\d+\.\d{2}\)\n/);
      assert.match(result.stdout, /\n이 백엔드를 고른 이유: [^\n]+이\(가\) 모든 샷을 만들므로 모습이 그대로 유지됩니다\.\n/);
      assert.match(result.stdout, /\n이 팀에 내가 볼 수 있는 작업 j_nope이\(가\) 없습니다\.\n/);
      assert.match(result.stdout, /\n\d{4}-\d{2} 지출\n팀: \$\d/);
      // Refusals the core words as codes: a character and the console's own option syntax.
      assert.match(result.stdout, /\n이 팀에 @nobody 캐릭터가 없습니다\. 이 팀에는 아직 캐릭터가 없습니다\. \/character create 로 만들어 보세요\.\n/);
      assert.match(result.stdout, /\n--quality high은\(는\) 1080p인데 --resolution은\(는\) 720p입니다\. --resolution만 주세요\.\n/);
      // The team's settings, as the console's admin reads them.
      assert.match(result.stdout, /\n설정\n승인: 없음 \(\/budget set --approve-above USD 로 정할 수 있습니다\)\.\n영상을 만들 수 있는 사람: 모든 멤버\.\n80% 경고: 한도를 넘긴 답변에 표시합니다\.\n/);
      // Plain text still: no markup.
      assert.doesNotMatch(result.stdout, /[`*]/);
      assert.doesNotMatch(result.stdout, /There is no job|accepted:|Spend for|There is no character|means 1080p|the cheapest|the most stable|makes every shot|Who may make videos/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
