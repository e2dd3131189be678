/**
 * Who may run a command is decided once, by the dispatcher, from the spec's
 * `permission`: every platform's command reaches `runCommand` (Discord's typed
 * options, Slack's and the console's text), and a member's admin-only command
 * is refused there before any use case runs. The Discord and Slack end-to-end
 * tests (test/chat) see this same sentence come back through their adapters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_MODULES, runCommand, type CommandContext } from '../../commands/index.js';
import { parseTextCommand } from '../../src/command-line/text-syntax.js';
import { validateCommand } from '../../src/command-line/options.js';
import { UserFacingError } from '../../src/core/errors.js';
import type { Studio } from '../../src/core/studio.js';
import type { Actor } from '../../src/core/types.js';

const member: Actor = { tenant: 'test:A', userId: 'bob', displayName: 'bob', isAdmin: false };
const admin: Actor = { ...member, userId: 'alice', displayName: 'alice', isAdmin: true };

/** A Studio that fails the test when touched: a refusal must come before any use case. */
const untouchable = new Proxy({} as Studio, {
  get: (_, key) => {
    throw new Error(`the refused command reached studio.${String(key)}`);
  },
});

const parsed = (line: string) => {
  const result = parseTextCommand(line);
  assert.equal(result.kind, 'command');
  return (result as Extract<typeof result, { kind: 'command' }>).command;
};

describe('the one permission check', () => {
  it('the specs name admin-only subcommands, /budget set among them', () => {
    const adminOnly = COMMAND_MODULES.flatMap((m) => (m.spec.subcommands ?? []).filter((s) => s.permission === 'admin').map((s) => `${m.spec.name} ${s.name}`));
    assert.ok(adminOnly.includes('budget set'), adminOnly.join(', '));
  });

  it("a member's /budget set is refused by the dispatcher from each platform's input, before any use case", async () => {
    const inputs: { platform: string; command: ReturnType<typeof parsed>; adminsAre?: string; sentence: string }[] = [
      // Discord: typed options, validated as Discord shows them.
      {
        platform: 'discord',
        command: validateCommand('budget', 'set', { amount: 0.5 }, 'discord'),
        adminsAre: 'members with the Manage Server permission',
        sentence: 'Only members with the Manage Server permission can use /budget set.',
      },
      // Slack and the console: the text syntax.
      { platform: 'slack', command: parsed('/budget set 0.5'), sentence: 'Only admins can use /budget set.' },
      { platform: 'console', command: parsed('/budget set 0.5 --user @you'), sentence: 'Only admins can use /budget set.' },
    ];
    for (const input of inputs) {
      const ctx: CommandContext = { studio: untouchable, actor: member, surface: { platform: input.platform }, ...(input.adminsAre && { adminsAre: input.adminsAre }) };
      await assert.rejects(
        runCommand(input.command, ctx),
        (error: unknown) => error instanceof UserFacingError && error.code === 'admin_only' && error.userMessage === input.sentence,
        input.platform,
      );
    }
  });

  it("an admin's /budget set and a member's /budget show reach the use case, with options typed from the spec", async () => {
    const calls: unknown[] = [];
    const studio = {
      setBudget: async (actor: Actor, change: { amountMicros?: number; policy?: string }) => (calls.push({ who: actor.userId, change: { amountMicros: change.amountMicros, policy: change.policy } }), {}),
      budget: async (actor: Actor) => (calls.push({ who: actor.userId }), {}),
    } as unknown as Studio;
    await runCommand(parsed('/budget set 12.5 --policy stability'), { studio, actor: admin, surface: { platform: 'test' } });
    await runCommand(parsed('/budget show'), { studio, actor: member, surface: { platform: 'test' } });
    assert.deepEqual(calls, [{ who: 'alice', change: { amountMicros: 12_500_000, policy: 'stability' } }, { who: 'bob' }]);
  });
});
