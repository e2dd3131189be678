/**
 * The console on a real pseudo-terminal, as a person runs `npm start`: the bot
 * runs inside tmux (its own server socket), keys are sent with `tmux send-keys`
 * and the screen is read back with `tmux capture-pane`, so what is checked is
 * what a person would see. Skips with one line when tmux is not installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
// In CI nothing may be skipped: .ci/run installs tmux, so its absence there is a failure.
if (!hasTmux && (process.env.CI === 'true' || process.env.CI === '1')) throw new Error('tmux is not installed, and CI=true forbids skipping the pseudo-terminal console test (apt-get install tmux)');
const socket = `ux-console-${process.pid}`;
const session = 'bot';

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);

/** Waits for the screen to show something (the event itself); the limit only bounds a broken run. */
async function waitForScreen(test: (text: string) => boolean, what: string, limitMs = 90_000): Promise<string> {
  const end = Date.now() + limitMs;
  for (;;) {
    const text = screen();
    if (test(text)) return text;
    if (Date.now() > end) throw new Error(`the console never showed ${what}; screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const lines = (text: string) => text.split('\n').map((l) => l.trimEnd());
const lastLine = (text: string) => lines(text).filter(Boolean).at(-1) ?? '';

describe('console on a terminal', { skip: hasTmux ? false : 'tmux is not installed: the pseudo-terminal console test is skipped (apt-get install tmux)' }, () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-tty-'));
    const env = {
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'info',
      SIMULATOR_SECONDS_PER_VIDEO_SECOND: '1',
      USER: 'alice',
      TERM: 'xterm',
    };
    const exports = Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', '-c', root, `env ${exports} ${JSON.stringify(process.execPath)} --import tsx src/main.ts`);
  });

  after(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('edits and recalls lines, keeps info logs in DATA_DIR/bot.log, and prints warnings above the prompt, never inside it', async () => {
    await waitForScreen((t) => t.includes('Type /help for commands.'), 'its welcome line');
    await waitForScreen((t) => lastLine(t) === '>', 'the prompt');
    const log = path.join(dataDir, 'bot.log');

    // Line editing: type, move left over a word and fix it; the arrow keys do not print escape codes.
    keys('-l', '/budget sho');
    keys('Left', 'Left', 'Left', 'Right', 'Right', 'Right');
    keys('-l', 'w');
    keys('Enter');
    await waitForScreen((t) => t.includes('Budget for '), 'the budget');
    // Up recalls the last command into the prompt.
    keys('Up');
    await waitForScreen((t) => lastLine(t) === '> /budget show', 'the recalled command');
    keys('Enter');
    await waitForScreen((t) => t.split('Budget for ').length === 3, 'the budget a second time');
    assert.doesNotMatch(screen(), /\^\[\[|\x1b/, 'no raw escape codes on screen');

    // The console user has one name: the cap set for @alice is the one /budget shows as "You".
    keys('-l', '/budget set 3 --user @alice');
    keys('Enter');
    await waitForScreen((t) => /Cap for alice: \$3\.00/.test(t), "alice's cap");
    assert.match(screen(), /You: \$0\.00 of \$3\.00/);

    // Info logs went to the file, not the screen.
    const logged = await readFile(log, 'utf8');
    assert.match(logged, /"msg":"bot ready"/);
    assert.doesNotMatch(screen(), /bot ready|"level"/);

    // A warning while a line is half typed: the provider refuses the next job (moderation),
    // the runner logs a warning, and both land above the prompt, which keeps the typed text.
    const simulatorUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*built-in provider simulator/.exec(logged)?.[1];
    assert.ok(simulatorUrl, 'the simulator url is in the log');
    const armed = await fetch(`${simulatorUrl}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault: 'moderation', times: 1 }) });
    assert.equal(armed.status, 201);
    keys('-l', '/sora generate a red kite over a beach --seconds 8');
    keys('Enter');
    await waitForScreen((t) => /Job j_\w+ accepted/.test(t), 'the acceptance');
    keys('-l', '/cos');
    const shown = await waitForScreen((t) => /warning: provider failed the job/.test(t) && /\] failed: /.test(t), 'the warning and the failure');
    const all = lines(shown);
    assert.equal(lastLine(shown), '> /cos', 'the half-typed line is intact at the bottom');
    const warning = all.find((l) => l.includes('warning: provider failed the job'))!;
    assert.match(warning, /^warning: provider failed the job \(details in .*bot\.log\)$/, 'the warning has a line of its own');
    assert.equal(all.filter((l) => l.startsWith('>') && /warning|failed/.test(l)).length, 0, 'nothing printed into a prompt line');
    // Plain text on the console: no Slack markup or backticks anywhere.
    assert.doesNotMatch(shown, /[`*]/);
  });
});
