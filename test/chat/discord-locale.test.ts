/**
 * Discord sends each person's client language with every interaction
 * (`locale`): a member whose Discord is in Korean (`ko`) gets Korean replies,
 * with Discord's own option syntax, while everyone else keeps English. Real
 * bot wiring and discord.js against the fake Discord; no module of ours mocked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FakeInteraction, FakeUser } from '../fakes/discord/fake-discord.js';
import { alice, GUILD, harness, int, str, target, until, type Harness } from '../fakes/discord/harness.js';
import { driveUntil } from '../helpers/drive.js';

const kim: FakeUser = { id: '800000000000000042', username: 'kim' };
const HANGUL = /[\uAC00-\uD7A3]/;

describe('Discord replies in the member’s language', { concurrency: false }, () => {
  let h: Harness;
  let channel: string;
  before(async () => {
    h = await harness({ msPerVideoSecond: 10_000 });
    channel = h.fake.addChannel(GUILD).id;
  });
  after(async () => h.close());

  const callback = (i: FakeInteraction) => h.fake.interactions.get(i.id)!.callback;
  const answer = async (i: FakeInteraction, what: string): Promise<string> => {
    await until(() => callback(i) !== undefined, what);
    return String(callback(i)!.data?.content ?? '');
  };

  test('a refusal from the one permission check, in Korean for `ko` and English for `en-US`', async () => {
    const ko = h.fake.command(target(channel, kim, { locale: 'ko' }), 'budget', 'set', [{ name: 'amount', type: 10, value: 5 }]);
    assert.equal(await answer(ko, 'Korean refusal'), '/budget set은(는) 서버 관리 권한이 있는 멤버만 쓸 수 있습니다.');
    const en = h.fake.command(target(channel, alice), 'budget', 'set', [{ name: 'amount', type: 10, value: 5 }]);
    assert.equal(await answer(en, 'English refusal'), 'Only members with the Manage Server permission can use /budget set.');
  });

  test('the acceptance of a video, in Korean in the public reply', async () => {
    const i = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'generate', [str('prompt', 'a paper boat on a rainy street'), int('seconds', 4)]);
    await until(() => {
      const id = h.fake.interactions.get(i.id)!.originalMessageId;
      return id !== undefined && (h.fake.messages.get(id)?.content ?? '') !== '';
    }, 'the acceptance');
    const accepted = h.fake.messages.get(h.fake.interactions.get(i.id)!.originalMessageId!)!.content;
    assert.match(accepted, /작업 `j_[0-9a-z]+` 접수: 4초 가로 720p, (무음|소리 있음), .+에서, 예상 비용 \$\d+\.\d{2}\./);
    assert.match(accepted, /이번 달 남은 예산: 팀 \$\d+\.\d{2}, 내 예산 \$\d+\.\d{2}\./);
    assert.match(accepted, /이 백엔드를 고른 이유: /);
    const jobId = /`(j_[0-9a-z]+)`/.exec(accepted)![1]!;

    const status = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'status', [str('job', jobId)]);
    const line = await answer(status, 'Korean status');
    assert.ok(line.startsWith(`\`${jobId}\` kim: "a paper boat on a rainy street" (`), line);
    assert.match(line, /(대기 중|제출|생성 중)/);
  });

  test('a job nobody can see: the core’s refusal rendered in each reader’s language', async () => {
    const ko = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'status', [str('job', 'j_nope')]);
    assert.equal(await answer(ko, 'Korean unknown job'), '이 팀에 내가 볼 수 있는 작업 j_nope이(가) 없습니다.');
    // A language the bot does not speak falls back to English.
    const ja = h.fake.command(target(channel, alice, { locale: 'ja' }), 'sora', 'status', [str('job', 'j_nope')]);
    const english = await answer(ja, 'English unknown job');
    assert.equal(english, 'There is no job j_nope in this team that you can see.');
    assert.doesNotMatch(english, HANGUL);
    // A storyboard id (`b_…`) goes to the storyboard desk, whose refusal is a message too.
    const board = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'status', [str('job', 'b_nope')]);
    assert.equal(await answer(board, 'Korean unknown storyboard'), '이 팀에 내가 볼 수 있는 스토리보드 b_nope이(가) 없습니다.');
  });

  test('refusals that name a character or an option: Korean words, Discord’s option names', async () => {
    const unknown = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'generate', [str('prompt', '@nobody dances on the roof')]);
    assert.equal(await answer(unknown, 'Korean unknown character'), '이 팀에 @nobody 캐릭터가 없습니다. 이 팀에는 아직 캐릭터가 없습니다. /character create 로 만들어 보세요.');
    const options = [str('prompt', 'a paper boat on a rainy street'), str('quality', 'high'), str('resolution', '720p')];
    const ko = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'generate', options);
    assert.equal(await answer(ko, 'Korean option conflict'), '`quality:high`은(는) 1080p인데 `resolution`은(는) 720p입니다. `resolution`만 주세요.');
    const en = h.fake.command(target(channel, alice), 'sora', 'generate', options);
    assert.equal(await answer(en, 'English option conflict'), '`quality:high` means 1080p, but `resolution` says 720p. Give just `resolution`.');
  });

  test('a storyboard’s acceptance in Korean: its head, a line per shot, and why its backend', async () => {
    const i = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'storyboard', [str('shots', 'a fox wakes | a fox runs'), int('seconds', 4)]);
    const reply = () => h.fake.messages.get(h.fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => reply() !== '', 'the storyboard acceptance');
    assert.match(reply(), /^스토리보드 `b_[0-9a-z]+` 접수: 샷 2개, 8초 가로, .+에서, 예상 비용 합계 \$\d+\.\d{2}\.\n샷 1: 4초 "a fox wakes" \(\$\d+\.\d{2}\)\n/);
    assert.match(reply(), /\n이 백엔드를 고른 이유: .+이\(가\) 모든 샷을 만들므로 모습이 그대로 유지됩니다\.$/);
    assert.doesNotMatch(reply(), /accepted|makes every shot/);
  });

  test('the bot’s own words around a reply, in Korean: an outdated button, the characters list’s title', async () => {
    const post = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'status', [str('job', 'j_nope')]);
    await answer(post, 'a message to click on');
    const old = h.fake.button(target(channel, kim, { locale: 'ko' }), h.fake.interactions.get(post.id)!.originalMessageId ?? '1', 'job:sparkle:j_0000');
    assert.equal(await answer(old, 'Korean outdated button'), '이 버튼은 더 이상 지원하지 않습니다. 대신 /sora status 을(를) 쓰세요.');
    const list = h.fake.command(target(channel, kim, { locale: 'ko' }), 'character', 'list', []);
    await until(() => callback(list) !== undefined, 'the characters list');
    const original = () => h.fake.messages.get(h.fake.interactions.get(list.id)!.originalMessageId ?? '');
    const inline = () => (callback(list)!.data?.embeds as unknown[] | undefined) ?? [];
    await until(() => (original()?.embeds.length ?? 0) > 0 || inline().length > 0, 'the characters embed');
    const embeds = JSON.stringify(original()?.embeds.length ? original()!.embeds : inline());
    assert.match(embeds, /"title":"캐릭터"/);
  });

  test('the note only the requester sees when their video fails: in Korean for `ko`, the thread keeps English', async () => {
    // Only this prompt: the earlier tests' jobs are still running on the same simulator.
    h.sim.faults.inject({ protocol: 'openai', fault: 'moderation', bodyIncludes: 'a kite over the harbour' });
    const i = h.fake.command(target(channel, kim, { locale: 'ko' }), 'sora', 'generate', [str('prompt', 'a kite over the harbour'), int('seconds', 4)]);
    const reply = () => h.fake.messages.get(h.fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => /`j_[0-9a-z]+`/.test(reply()), 'the acceptance');
    const jobId = /`(j_[0-9a-z]+)`/.exec(reply())![1]!;
    const note = () => [...h.fake.messages.values()].find((m) => m.interactionId === i.id && (m.flags & 64) !== 0 && m.content.includes(jobId));
    await driveUntil(h.clock, async () => note() !== undefined, { stepMs: 1_000, maxSteps: 600 });
    assert.match(note()!.content, new RegExp(`^요청하신 영상 \`${jobId}\` 생성에 실패했습니다: `));
    assert.match(note()!.content.split(': ').slice(1).join(': '), HANGUL, 'the reason too, in Korean');
    assert.doesNotMatch(note()!.content, /Your video|failed/);
  });
});

