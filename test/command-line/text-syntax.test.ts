import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandInputError, renderHelp, validateCommand } from '../../src/command-line/options.js';
import { parseTextCommand } from '../../src/command-line/text-syntax.js';

function command(line: string, name?: string) {
  const parsed = parseTextCommand(line, name);
  assert.equal(parsed.kind, 'command');
  return (parsed as Extract<typeof parsed, { kind: 'command' }>).command;
}

describe('text syntax', () => {
  it('parses the issue example: free words fill the prompt, flags are typed', () => {
    assert.deepEqual(command('/sora generate @mascot waves --seconds 8 --orientation portrait'), {
      command: 'sora',
      subcommand: 'generate',
      options: { prompt: '@mascot waves', seconds: 8, orientation: 'portrait' },
    });
  });

  it('accepts quotes (straight and curly), --flag=value, and a command name given separately (Slack)', () => {
    assert.deepEqual(command('create mascot --video_url=https://x.test/a.mp4 --description “a round orange robot”', 'character').options, {
      name: 'mascot',
      video_url: 'https://x.test/a.mp4',
      description: 'a round orange robot',
    });
    assert.deepEqual(command('remix j_abc --prompt "same, at night"', 'sora').options, { job: 'j_abc', prompt: 'same, at night' });
  });

  it('reads user mentions from Discord and Slack forms', () => {
    assert.equal(command('/budget set 5 --user <@U123|alice>').options.user, 'U123');
    assert.equal(command('/budget set 5 --user <@!4567>').options.user, '4567');
    assert.equal(command('/budget set 12.5').options.amount, 12.5);
  });

  it('strips control characters from text but keeps the words', () => {
    assert.equal(command('/sora generate a\u0007 cat\u202e naps').options.prompt, 'a cat naps');
  });

  const refusal = (line: string, pattern: RegExp) =>
    assert.throws(
      () => parseTextCommand(line),
      (e: unknown) => e instanceof CommandInputError && pattern.test(e.userMessage) && typeof e.usage === 'string' && e.usage.length > 0,
    );

  it('refuses bad input with a sentence and the usage', () => {
    refusal('/sora generate a cat --seconds 99', /--seconds must be at most 20/);
    refusal('/sora generate a cat --seconds -3', /at least 1/);
    refusal('/sora generate a cat --seconds eight', /must be a number/);
    refusal('/sora generate a cat --orientation diagonal', /must be one of: landscape, portrait/);
    refusal('/sora generate a cat --colour red', /Unknown option --colour/);
    refusal('/sora generate --seconds 8', /Missing prompt/);
    refusal('/sora dance', /no "dance" subcommand/);
    refusal('/cost extra words', /Unexpected text/);
    refusal(`/sora generate ${'x'.repeat(2001)}`, /at most 2000 characters/);
    assert.throws(() => parseTextCommand('/nope'), /There is no \/nope command/);
  });

  it('shows help for a bare command, /help and --help', () => {
    const sora = parseTextCommand('/sora');
    assert.equal(sora.kind, 'help');
    assert.match((sora as { text: string }).text, /\/sora generate <prompt> \[--seconds N\]/);
    assert.equal(parseTextCommand('/sora help').kind, 'help');
    assert.match(renderHelp(), /\/character create/);
    assert.match(renderHelp('budget', 'ko'), /월 한도/);
  });

  it('takes the rest of the line as the remix prompt without quotes, up to the next --flag', () => {
    assert.deepEqual(command('/sora remix j_abc --prompt make the balloon blue').options, { job: 'j_abc', prompt: 'make the balloon blue' });
    assert.deepEqual(command('/character create mascot --description a round orange robot --video_url https://x.test/a.mp4').options, {
      name: 'mascot',
      description: 'a round orange robot',
      video_url: 'https://x.test/a.mp4',
    });
    // Every example the help shows parses.
    const help = renderHelp('sora');
    for (const example of help.split('\n').filter((l) => l.startsWith('  e.g. ')).map((l) => l.slice(7))) command(example);
  });

  it('names options in errors the way each surface shows them', () => {
    refusal(`/sora generate ${'x'.repeat(2001)}`, /^The prompt must be at most 2000 characters\.$/);
    refusal('/budget set lots', /^The amount must be a number\.$/);
    refusal('/sora generate a cat --seconds 99', /^--seconds must be at most 20\.$/);
    const discord = (raw: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(() => validateCommand('sora', 'generate', raw, 'discord'), (e: unknown) => e instanceof CommandInputError && pattern.test(e.userMessage));
    discord({ prompt: 'a cat', seconds: 99 }, /^`seconds:` must be at most 20\.$/);
    discord({ prompt: 'x'.repeat(2001) }, /^`prompt:` must be at most 2000 characters\.$/);
    discord({ seconds: 8 }, /^Missing `prompt:`\.$/);
    assert.throws(() => validateCommand('sora', 'remix', { job: 'j_1', prompt: 'ab' }, 'form'), /: The prompt must be at least 3 characters\.$/);
  });

  it('takes a budget of at most two decimals, from text and from Discord numbers', () => {
    assert.equal(command('/budget set 5.55').options.amount, 5.55);
    refusal('/budget set 5.555', /^The amount can have at most 2 decimals \(whole cents\), e\.g\. 5\.50\.$/);
    assert.throws(() => validateCommand('budget', 'set', { amount: 5.555 }, 'discord'), /`amount:` can have at most 2 decimals/);
    assert.throws(() => validateCommand('budget', 'set', { amount: 1e-7 }, 'discord'), /at most 2 decimals/);
    assert.equal(validateCommand('budget', 'set', { amount: 20 }, 'discord').options.amount, 20);
  });
});
