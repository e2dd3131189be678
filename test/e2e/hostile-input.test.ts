/**
 * Hostile input through the real adapters: every option of every command spec
 * is fuzzed through Slack (signed slash commands → Bolt → the shared text
 * parser → the core), and character source URLs are tried against the SSRF
 * guard through `/character create --video_url` with production settings.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { COMMANDS } from '../../commands/index.js';
import { CommandInputError } from '../../src/command-line/options.js';
import { parseTextCommand } from '../../src/command-line/text-syntax.js';
import { runCommand } from '../../commands/index.js';
import { describeReply } from '../../src/core/present.js';
import { UserFacingError } from '../../src/core/errors.js';
import { readFile } from 'node:fs/promises';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { CHANNEL, messageText, startSlackBot, waitReal, type SlackBot } from '../fakes/slack/harness.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const HOSTILE: string[] = [
  'x'.repeat(40_000),
  '@everyone look',
  '@here',
  '<!everyone> <!channel> <!here>',
  '<!subteam^S0TEAM|@devs>',
  '<@&123456789012345678> role ping',
  '<@U0VICTIM>',
  '*bold* _it_ ~strike~ `code` ```block``` > quote [link](http://evil.example)',
  'line\u0000null\u0007bell\u001b[31mred\u202Eevil',
  'emoji 🎬👩‍👩‍👧 ｆｕｌｌ width 한국어 العربية',
  '\u200B\u200B',
  '-5',
  '0',
  '1e309',
  '99999999999999999999999',
  'NaN',
  '../../etc/passwd',
  'nope-backend',
  '"unterminated',
  '--',
];

const STACK = /\bat [\w.<>]+ \(|Error:|node:internal|\/src\/\w/;
const PING = /<!(everyone|channel|here|subteam)|<@&/;

/** Every (command, subcommand, option) from the specs, as text lines with a hostile value. */
function fuzzLines(): { command: string; text: string }[] {
  const out: { command: string; text: string }[] = [];
  for (const command of COMMANDS) {
    for (const sub of command.subcommands ?? [undefined]) {
      const options = sub ? sub.options : (command.options ?? []);
      const head = sub ? `${sub.name} ` : '';
      for (const option of options) {
        for (const value of HOSTILE) {
          const quoted = JSON.stringify(value.slice(0, 3000));
          const others = options.filter((o) => o.required && o !== option && !o.positional).map((o) => `--${o.name} x`).join(' ');
          const self = option.positional ? quoted : `--${option.name} ${quoted}`;
          out.push({ command: command.name, text: `${head}${self} ${others}`.trim() });
        }
      }
    }
  }
  return out;
}

describe('hostile input through the Slack adapter and the text parser', { timeout: 180_000 }, () => {
  let s: SlackBot;
  before(async () => {
    s = await startSlackBot({ env: { SLACK_ADMIN_USER_IDS: 'U0ADMIN', DEFAULT_MONTHLY_BUDGET_USD: '3' } });
    s.fake.users.set('U0EVE', { id: 'U0EVE', name: 'eve', real_name: '<!channel> Eve *bold*' });
  });
  after(async () => s.stop());

  it('the parser and the core answer every fuzzed option with a sentence or a result, never a crash', async () => {
    const lines = fuzzLines();
    assert.ok(lines.length > 200, `${lines.length} cases`);
    const admin = actor('test:fuzz', 'admin', true);
    for (const { command, text } of lines) {
      try {
        const parsed = parseTextCommand(text, command);
        if (parsed.kind === 'help') continue;
        await runCommand(parsed.command, {
          studio: s.tb.bot.studio,
          actor: admin,
          surface: { platform: 'test' },
          resolveAttachment: async () => {
            throw new UserFacingError('no_file', 'Attachments are not part of this test.');
          },
          // An accepted job is not shown or run here: launch cancels it and releases its budget.
          openSurface: async () => {
            throw new UserFacingError('not_shown', 'This test shows no jobs.');
          },
        });
      } catch (error) {
        const sentence = error instanceof CommandInputError || error instanceof UserFacingError ? error.userMessage : undefined;
        assert.ok(sentence, `/${command} ${text.slice(0, 80)} threw ${String(error)}`);
        assert.doesNotMatch(sentence, STACK);
        assert.ok(sentence.length < 4000, 'a sentence, not an echo of 40 000 characters');
      }
    }
  });

  it('over Slack: every fuzzed command is acked, answered without a stack trace, and nothing posted can ping', async () => {
    // Generate with pings and markdown in the prompt, from a member whose display name is a ping.
    for (const prompt of ['a cat <!channel> <!here> <!everyone>', 'a dog <@&123456789012345678> *bold* `x` <!subteam^S0TEAM>']) {
      await s.slash('/sora', `generate ${prompt} --backend openai`, 'U0EVE');
    }
    // Slack turns `<!channel>` into `@channel`, which then reads as an unknown character: a private sentence.
    await s.drive(async () => (await s.jobs()).filter((j) => j.state === 'delivered').length >= 1, 2000);
    const lines = fuzzLines().filter((_, i) => i % 3 === 0); // a third of them: Slack round trips are the slow part
    for (const { command, text } of lines) {
      const res = await s.slash(`/${command}`, text, 'U0EVE');
      assert.equal(res.status, 200, `/${command} ${text.slice(0, 60)}`);
    }
    await waitReal(() => true, 'settle');
    const posted = [...s.fake.callsTo('chat.postMessage'), ...s.fake.callsTo('chat.update')];
    assert.ok(posted.length > 0);
    for (const call of posted) {
      const text = `${String(call.args.text ?? '')}\n${JSON.stringify(call.args.blocks ?? '')}`;
      assert.doesNotMatch(text, PING, `a public message can ping: ${text.slice(0, 300)}`);
      assert.doesNotMatch(text, STACK);
    }
    const privateReplies = [...s.fake.ephemerals.map((e) => String(e.text)), ...s.fake.responses.map((r) => JSON.stringify(r.body))];
    for (const text of privateReplies) assert.doesNotMatch(text, STACK);
    assert.ok(s.fake.topLevel(CHANNEL).some((m) => /a dog/.test(messageText(m))), 'the prompt itself is still shown');
  });
});

describe('numbers and member ids from members are plain data', { timeout: 60_000 }, () => {
  let t: TestBot;
  before(async () => {
    t = await startTestBot();
  });
  after(async () => t.stop());

  it('amounts and seconds accept only decimal notation: 0x10, 1e1, 0b11 and 1_000 are refused with a sentence', () => {
    for (const [command, text] of [['budget', 'set 0x10'], ['budget', 'set 1e1'], ['budget', 'set 0b11'], ['budget', 'set 1_000'], ['sora', 'generate a cat --seconds 1e1'], ['sora', 'generate a cat --seconds 0x8']] as const) {
      assert.throws(() => parseTextCommand(text, command), (e: unknown) => e instanceof CommandInputError && /must be a number\./.test(e.userMessage), text);
    }
    const parsed = parseTextCommand('set 12.50', 'budget');
    assert.equal(parsed.kind === 'command' && parsed.command.options.amount, 12.5, 'control: a decimal amount');
  });

  it('member ids such as toString, constructor and __proto__ are members, not Object.prototype: no $NaN, no pollution', async () => {
    const admin = actor('test:KEYS', 'admin', true);
    const run = async (text: string, command: string) => {
      const parsed = parseTextCommand(text, command);
      assert.equal(parsed.kind, 'command');
      if (parsed.kind !== 'command') throw new Error('unreachable');
      return describeReply(await runCommand(parsed.command, { studio: t.bot.studio, actor: admin, surface: { platform: 'test' } }));
    };
    for (const id of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      const text = await run(`--user ${id}`, 'cost');
      assert.doesNotMatch(text, /NaN|undefined|function/, `/cost --user ${id}: ${text}`);
    }
    const set = await run('set 3 --user constructor', 'budget');
    assert.match(set, /Cap for constructor: \$3\.00/);
    assert.doesNotMatch(await run('--user constructor', 'cost'), /NaN/);
    // A member literally called __proto__ gets a cap of their own, and no other object changes.
    await t.bot.studio.setBudget(admin, { amountMicros: 4_000_000, userId: '__proto__' });
    assert.equal((await internalsOf(t.bot.studio).settings.capsFor('test:KEYS', '__proto__')).userCapMicros, 4_000_000);
    assert.equal(({} as Record<string, unknown>).userCapMicros, undefined);
    assert.equal((await internalsOf(t.bot.studio).settings.capsFor('test:KEYS', 'someone')).userCapMicros, (await internalsOf(t.bot.studio).settings.capsFor('test:OTHER', 'someone')).userCapMicros);
    const accepted = await internalsOf(t.bot.studio).accept(actor('test:KEYS', 'toString', false), { prompt: 'a cat', seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: 'openai', imagePath: undefined, remixOf: undefined }, { platform: 'test' });
    assert.ok(Number.isFinite(accepted.userLeftMicros), 'a member called toString has a real budget');
    await t.bot.studio.cancel(admin, accepted.job.id);
  });
});

describe('Slack markup in user text, and malformed URLs', { timeout: 60_000 }, () => {
  let s: SlackBot;
  before(async () => {
    s = await startSlackBot();
    s.fake.users.set('U0EVE', { id: 'U0EVE', name: 'eve', real_name: 'Eve' });
    s.fake.users.set('U0BOB', { id: 'U0BOB', name: 'bob', real_name: 'Bob' });
  });
  after(async () => s.stop());

  const replyTo = async (responseUrl: string) => {
    // Fetching and probing a clip takes real time on a busy machine; wait for the reply itself.
    await waitReal(() => s.fake.responsesTo(responseUrl).length > 0, 'reply', 30_000);
    return String(s.fake.responsesTo(responseUrl)[0]!.text);
  };

  it("a description cannot carry a disguised link into another member's /character list, nor a name into a refusal", async () => {
    s.fake.publicFiles.set('bait.mp4', { mimetype: 'video/mp4', content: await readFile(SAMPLE_CLIP_PATH) });
    // What a member types as <https://…|…> reaches the bot with Slack's own escaping of < and >.
    const created = await s.slash('/character', `create bait --video_url <${s.fake.url}/public/bait.mp4> --description "&lt;https://evil.example/grab|Open your video&gt; &lt;!channel&gt;"`, 'U0EVE');
    assert.equal(created.ack, undefined, JSON.stringify(created.ack));
    assert.match(await replyTo(created.responseUrl), /Created @bait/);
    const list = await s.slash('/character', 'list', 'U0BOB');
    const listed = await replyTo(list.responseUrl);
    assert.match(listed, /@bait/);
    assert.doesNotMatch(listed, /<https:\/\/evil|<!channel>/, `the list renders a live link or ping: ${listed}`);
    assert.match(listed, /&lt;https:\/\/evil\.example\/grab\|Open your video&gt;/, 'the words are still shown, as text');

    const show = await s.slash('/character', 'show "&lt;https://e.co|x&gt;"', 'U0BOB');
    // Refused by the parser (in the ack itself) or by the core (through response_url): either way escaped.
    const refusal = show.ack ? String(show.ack.text) : await replyTo(show.responseUrl);
    assert.match(refusal, /no character called @&lt;https:\/\/e\.co\|x&gt;/);
    assert.doesNotMatch(refusal, /<https:/, `a refusal echoes the name as a live link: ${refusal}`);
  });

  it('a malformed percent-escape in a URL is a 400, logged below error level', async () => {
    const before = s.tb.logs.lines.length;
    for (const bad of ['/files/%E0%A4%A', '/files/%', '/files/abc%zz']) {
      const res = await fetch(`http://127.0.0.1:${s.tb.bot.port}${bad}`);
      assert.equal(res.status, 400, bad);
      assert.deepEqual(await res.json(), { error: 'The request URL is malformed.' });
    }
    const errors = s.tb.logs.lines.slice(before).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    assert.deepEqual(errors, [], 'a client-side mistake is not an error of the bot');
  });
});

describe('character source URLs are refused unless public http(s), end to end', { timeout: 60_000 }, () => {
  let t: TestBot;
  let hits = 0;
  const internal = createServer(async (_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'video/mp4' }).end(await readFile(SAMPLE_CLIP_PATH));
  });
  before(async () => {
    t = await startTestBot({}, { allowPrivateSourceUrls: false });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await t.stop();
    internal.close();
  });

  it('loopback, private, link-local, metadata, IPv6-mapped and non-http URLs get a sentence and no request is made', async () => {
    const port = (internal.address() as AddressInfo).port;
    const urls = [
      `http://127.0.0.1:${port}/clip.mp4`,
      `http://localhost:${port}/clip.mp4`,
      `http://[::ffff:127.0.0.1]:${port}/clip.mp4`,
      `http://[::1]:${port}/clip.mp4`,
      `http://2130706433:${port}/clip.mp4`,
      `http://0x7f.1:${port}/clip.mp4`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00::1]/clip.mp4',
      'http://10.0.0.8/clip.mp4',
      'http://192.168.1.1/clip.mp4',
      'http://metadata.google.internal/computeMetadata/v1/',
      'file:///etc/passwd',
      'ftp://example.com/clip.mp4',
      'gopher://127.0.0.1:6379/_INFO',
      'javascript:alert(1)',
    ];
    const admin = actor('test:A', 'admin', true);
    for (const url of urls) {
      const parsed = parseTextCommand(`create probe --video_url ${JSON.stringify(url)}`, 'character');
      assert.equal(parsed.kind, 'command');
      if (parsed.kind !== 'command') continue;
      await assert.rejects(
        runCommand(parsed.command, { studio: t.bot.studio, actor: admin, surface: { platform: 'test' }, resolveAttachment: async () => '' }),
        (error: unknown) => {
          const message = (error as UserFacingError | CommandInputError).userMessage;
          assert.ok(typeof message === 'string' && message.length > 10, `${url}: ${String(error)}`);
          assert.doesNotMatch(message, STACK);
          return true;
        },
        url,
      );
    }
    assert.equal(hits, 0, 'the internal server was never contacted');
    assert.deepEqual(await t.bot.studio.listCharacters(admin), []);
  });
});
