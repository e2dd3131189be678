/**
 * Discord autocomplete for `--backend` offers both forms: a provider name (its cheapest backend that
 * fits) and each exact backend id, filtered by what the user typed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AutocompleteInteraction } from 'discord.js';
import { suggestionsFor } from '../../src/chat/discord/autocomplete.js';
import type { DiscordDeps } from '../../src/chat/discord/interaction-context.js';
import { declaredBackend } from '../helpers/fixtures.js';

const backends = [
  declaredBackend('fal-kling-o3', { provider: 'fal', displayName: 'Kling O3 on fal' }),
  declaredBackend('fal-wan27', { provider: 'fal', displayName: 'Wan 2.7 on fal' }),
  declaredBackend('gemini', { provider: 'gemini', displayName: 'Google Veo 3.1' }),
  declaredBackend('openai', { displayName: 'OpenAI Sora 2' }),
];

async function suggest(typed: string): Promise<{ name: string; value: string }[]> {
  const interaction = {
    guildId: '100',
    member: null,
    user: { id: '200', globalName: 'Alice', username: 'alice' },
    memberPermissions: null,
    commandName: 'sora',
    options: { getSubcommand: () => 'generate', getFocused: () => ({ name: 'backend', value: typed }) },
  } as unknown as AutocompleteInteraction;
  const deps = { studio: { backendList: () => backends }, places: { forInteraction: () => () => Promise.resolve(true) } } as unknown as DiscordDeps;
  return (await suggestionsFor(deps, interaction)) as { name: string; value: string }[];
}

describe('--backend autocomplete', () => {
  it('offers the provider first, then each exact id', async () => {
    assert.deepEqual((await suggest('fa')).map((c) => c.value), ['fal', 'fal-kling-o3', 'fal-wan27']);
    assert.match((await suggest('fal'))[0]!.name, /^fal: the cheapest of its 2 backends that fits$/);
  });

  it('does not repeat a provider whose name is already a backend id', async () => {
    assert.deepEqual((await suggest('')).map((c) => c.value), ['fal', 'fal-kling-o3', 'fal-wan27', 'gemini', 'openai']);
  });
});
