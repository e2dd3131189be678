/**
 * Autocomplete for character names (in `name` options and after `@` in
 * prompts), job ids and backends. Suggestions come only from the server the
 * interaction came from: the tenant is derived from its guild id, never from
 * anything the user typed.
 */
import type { AutocompleteInteraction, ApplicationCommandOptionChoiceData } from 'discord.js';
import { findCommand, findSubcommand, optionsOf } from '../../command-line/options.js';
import { actorOf, type DiscordDeps } from './interaction-context.js';

/** Discord shows at most 25 choices, each name and value at most 100 characters. */
const MAX_CHOICES = 25;
const MAX_CHOICE_LENGTH = 100;

function choice(name: string, value: string): ApplicationCommandOptionChoiceData<string> | undefined {
  if (value.length > MAX_CHOICE_LENGTH) return undefined;
  return { name: name.length > MAX_CHOICE_LENGTH ? `${name.slice(0, MAX_CHOICE_LENGTH - 1)}…` : name, value };
}

export async function suggestionsFor(deps: DiscordDeps, interaction: AutocompleteInteraction): Promise<ApplicationCommandOptionChoiceData<string>[]> {
  const actor = actorOf(interaction, deps.places);
  if (!actor) return [];
  const command = findCommand(interaction.commandName);
  if (!command) return [];
  const sub = command.subcommands ? findSubcommand(command, interaction.options.getSubcommand(false) ?? '') : undefined;
  const focused = interaction.options.getFocused(true);
  const spec = optionsOf(command, sub).find((o) => o.name === focused.name);
  const typed = String(focused.value ?? '');
  const { studio } = deps;
  switch (spec?.autocomplete) {
    case 'character':
      return (await studio.suggestCharacters(actor.tenant, typed, MAX_CHOICES)).map((n) => choice(`@${n}`, n)).filter((c) => c !== undefined);
    case 'character-mention': {
      // Complete the `@partial` being typed at the end of the prompt; the value is the whole prompt.
      const match = /(^|\s)@([\p{L}\p{N}_-]*)$/u.exec(typed);
      if (!match) return [];
      const before = typed.slice(0, typed.length - match[2]!.length);
      const names = await studio.suggestCharacters(actor.tenant, match[2]!, MAX_CHOICES);
      return names.map((n) => choice(`${before}${n}`, `${before}${n} `)).filter((c) => c !== undefined);
    }
    case 'job':
      return (await studio.suggestJobs(actor, typed, MAX_CHOICES))
        .map((j) => choice(`${j.id} · ${j.state} · ${j.input.prompt}`, j.id))
        .filter((c) => c !== undefined);
    case 'backend': {
      // Both forms: a provider name (its cheapest backend that fits), then each exact backend id.
      const prefix = typed.trim().toLowerCase();
      const backends = studio.backendList();
      const providers = new Map<string, number>();
      for (const b of backends) {
        const provider = b.capabilities.provider ?? b.id;
        if (!backends.some((x) => x.id === provider)) providers.set(provider, (providers.get(provider) ?? 0) + 1);
      }
      const byProvider = [...providers]
        .filter(([p]) => p.startsWith(prefix))
        .map(([p, n]) => choice(`${p}: the cheapest of its ${n} backend${n === 1 ? '' : 's'} that fits`, p));
      const byId = backends.filter((b) => b.id.startsWith(prefix)).map((b) => choice(`${b.capabilities.displayName} (${b.id})`, b.id));
      return [...byProvider, ...byId].filter((c) => c !== undefined).slice(0, MAX_CHOICES);
    }
    default:
      return [];
  }
}

export async function handleAutocomplete(deps: DiscordDeps, interaction: AutocompleteInteraction): Promise<void> {
  let choices: ApplicationCommandOptionChoiceData<string>[] = [];
  try {
    choices = await suggestionsFor(deps, interaction);
  } catch (error) {
    deps.logger.warn({ err: error }, 'autocomplete failed');
  }
  try {
    await interaction.respond(choices);
  } catch (error) {
    // A late answer (10062) just means the user typed on; nothing to do.
    deps.logger.debug({ err: error }, 'autocomplete answer not delivered');
  }
}
