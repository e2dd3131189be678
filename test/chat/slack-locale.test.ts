/**
 * Slack tells the bot a member's language in `users.info` when asked with
 * `include_locale` (api.slack.com/methods/users.info): a member whose Slack is
 * in Korean (`ko-KR`) gets Korean replies, with the shared `--option` syntax,
 * and everyone else keeps English. The real Bolt app over signed HTTP, the
 * fake Slack Web API and the provider simulator; no module of ours mocked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CHANNEL, messageText, startSlackBot, waitReal, type SlackBot } from '../fakes/slack/harness.js';

describe('Slack replies in the member’s language', () => {
  let s: SlackBot;
  before(async () => {
    s = await startSlackBot();
    s.fake.users.set('U0KIM', { id: 'U0KIM', name: 'kim', real_name: 'Kim', locale: 'ko-KR' });
    s.fake.users.set('U0ADMIN', { id: 'U0ADMIN', name: 'dana', real_name: 'Dana', is_admin: true });
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice', locale: 'en-US' });
  });
  after(async () => s.stop());

  test('the bot asks Slack for the locale and answers a refusal in Korean to ko-KR, in English to en-US', async () => {
    const ko = await s.slash('/sora', 'status j_nope', 'U0KIM');
    const koAnswer = await s.fake.nextResponseTo(ko.responseUrl);
    assert.equal(koAnswer.response_type, 'ephemeral');
    assert.equal(koAnswer.text, '이 팀에 내가 볼 수 있는 작업 j_nope이(가) 없습니다.');
    const info = s.fake.callsTo('users.info').find((c) => c.args.user === 'U0KIM');
    assert.ok(info && (info.args.include_locale === true || info.args.include_locale === 'true'), 'users.info is asked for the locale');

    const en = await s.slash('/sora', 'status j_nope', 'U0ALICE');
    assert.equal((await s.fake.nextResponseTo(en.responseUrl)).text, 'There is no job j_nope in this team that you can see.');
  });

  test('a generation opens its thread with a Korean acceptance, and /sora status answers in Korean', async () => {
    const before = s.fake.topLevel(CHANNEL).length;
    await s.slash('/sora', 'generate a paper boat on a rainy street --seconds 4', 'U0KIM');
    await s.drive(() => s.fake.topLevel(CHANNEL).length > before);
    const parent = messageText(s.fake.topLevel(CHANNEL).at(-1));
    assert.match(parent, /Kim 님이 4초 영상을 요청했습니다 \(예상 \$\d+\.\d{2}\)\./);
    assert.match(parent, /<@U0KIM> 님의 영상 요청:/);
    assert.match(parent, /\*예상 비용\*/);
    assert.match(parent, /\*이번 달 남은 예산\*/);
    assert.match(parent, /진행 상황과 영상은 스레드에 올라옵니다/);
    const jobId = /(j_[0-9a-z]+)/.exec(parent)![1]!;

    const status = await s.slash('/sora', `status ${jobId}`, 'U0KIM');
    const line = String((await s.fake.nextResponseTo(status.responseUrl)).text);
    assert.match(line, new RegExp(`^\`${jobId}\` Kim: "a paper boat on a rainy street" \\(`));
    assert.match(line, /(대기 중|제출|생성 중|전달됨|내려받는|올리는)/);
    // The route reason is kept with the job as data, so it too reads in Korean (not `the cheapest backend`).
    assert.match(line, /이 백엔드를 고른 이유: [^\n]+: [^\n]*가장 (저렴한|안정적인) (백엔드|곳)/);
    assert.doesNotMatch(line, /the cheapest|the most stable|as requested/);
  });

  test('a budget refusal in Korean names the Slack command the member types', async () => {
    const set = await s.slash('/budget', 'set 0.10', 'U0ADMIN');
    assert.match(String((await s.fake.nextResponseTo(set.responseUrl)).text), /Budget updated/, 'the admin reads English');
    const refused = await s.slash('/sora', 'generate a long sweeping drone shot --seconds 8', 'U0KIM');
    const text = String((await s.fake.nextResponseTo(refused.responseUrl)).text);
    assert.match(text, /^이 영상의 예상 비용은 \$\d+\.\d{2}인데, 팀의 월 한도 \$0\.10 중 \$\d+\.\d{2}만 남았습니다\. 비용은 나가지 않았습니다\./);
    assert.match(text, /\/budget set/);
  });

  test('/cost in Korean: the blocks a Korean member reads, not only their fallback text', async () => {
    const cost = await s.slash('/cost', '', 'U0KIM');
    const answer = await s.fake.nextResponseTo(cost.responseUrl);
    const blocks = JSON.stringify(answer.blocks);
    assert.match(blocks, /"type":"header","text":\{"type":"plain_text","text":"\d{4}-\d{2} 지출"/);
    assert.match(blocks, /\*영상\*/);
    assert.doesNotMatch(blocks, /Spend for|\*Videos\*|reserved|official prices/);
  });

  test('the storyboard form opens in Korean: its title, buttons and a field per shot', async () => {
    const opened = s.openedViews().length;
    await s.slash('/sora', 'storyboard --seconds 4', 'U0KIM');
    await waitReal(() => s.openedViews().length > opened, 'the storyboard form');
    const form = JSON.stringify(s.openedViews().at(-1));
    assert.match(form, /"title":\{"type":"plain_text","text":"스토리보드"\}/);
    assert.match(form, /"submit":\{"type":"plain_text","text":"가격 보기"\}/);
    assert.match(form, /"text":"샷 1"/);
    assert.doesNotMatch(form, /Price it|One shot per field|"Shot 1"/);
  });
});
