import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../commands/index.js';
import { buildSlackManifest } from '../../src/chat/slack/manifest.js';

test('the Slack manifest lists every command from the specs, with the scopes the adapter uses, for both modes', () => {
  const http = buildSlackManifest({ socketMode: false, publicUrl: 'https://bot.example.com/' }) as any;
  assert.deepEqual(http.features.slash_commands.map((c: { command: string }) => c.command), COMMANDS.map((c) => `/${c.name}`));
  for (const c of http.features.slash_commands) {
    assert.equal(c.url, 'https://bot.example.com/slack/events');
    assert.equal(c.should_escape, true);
  }
  for (const scope of ['commands', 'chat:write', 'files:write', 'files:read', 'users:read', 'channels:history', 'groups:history']) assert.ok(http.oauth_config.scopes.bot.includes(scope), scope);
  assert.equal(http.settings.interactivity.request_url, 'https://bot.example.com/slack/events');
  assert.equal(http.settings.socket_mode_enabled, false);

  const socket = buildSlackManifest({ socketMode: true }) as any;
  assert.equal(socket.settings.socket_mode_enabled, true);
  assert.equal(socket.settings.interactivity.request_url, undefined);
  assert.equal(socket.features.slash_commands[0].url, undefined);
  assert.throws(() => buildSlackManifest({ socketMode: false }), /public URL/);
});

test('slack:manifest refuses a --url that is not an https address, with a sentence and a non-zero exit', async () => {
  const { spawnSync } = await import('node:child_process');
  const root = new URL('../..', import.meta.url).pathname;
  for (const bad of ['notaurl', 'http://bot.example.com', 'https://bot.example.com/?x=1']) {
    assert.throws(() => buildSlackManifest({ socketMode: false, publicUrl: bad }), /--url must be the bot's public address, like https:\/\/bot\.example\.com/);
  }
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/chat/slack/manifest.ts', '--url', 'notaurl'], { cwd: root, encoding: 'utf8' });
  assert.notEqual(run.status, 0);
  assert.equal(run.stdout, '', 'no manifest is written');
  assert.match(run.stderr, /^--url must be the bot's public address, like https:\/\/bot\.example\.com \(got "notaurl"\)/);
});
