/**
 * `npm run register`: sends the application commands to Discord, to one
 * server when DISCORD_GUILD_ID is set (instant, for development) or globally.
 * Registration is a step a person runs, never a side effect of start-up: a
 * bulk overwrite on every boot would count against Discord's daily command
 * create limit and reset per-server permission overrides for nothing.
 *
 * Idempotent: it compares with what Discord has and only writes when
 * something differs, then prints what changed.
 */
import { pathToFileURL } from 'node:url';
import { REST, Routes } from 'discord.js';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../config.js';
import { applicationCommandsPayload, describeChange, diffCommands } from './registration.js';

const existingCommandsSchema = z.array(z.object({ name: z.string() }).passthrough());

export interface RegisterResult {
  target: string;
  changed: boolean;
  lines: string[];
}

export async function registerCommands(env: NodeJS.ProcessEnv = process.env, print: (line: string) => void = console.log): Promise<RegisterResult> {
  const config = loadConfig(env);
  if (!config.DISCORD_TOKEN || !config.DISCORD_APPLICATION_ID) {
    throw new ConfigError(['DISCORD_TOKEN and DISCORD_APPLICATION_ID must be set to register commands (see README.md "Run on Discord").']);
  }
  const rest = new REST({ ...(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}) }).setToken(config.DISCORD_TOKEN);
  const route = config.DISCORD_GUILD_ID
    ? Routes.applicationGuildCommands(config.DISCORD_APPLICATION_ID, config.DISCORD_GUILD_ID)
    : Routes.applicationCommands(config.DISCORD_APPLICATION_ID);
  const target = config.DISCORD_GUILD_ID ? `server ${config.DISCORD_GUILD_ID}` : 'all servers (global; Discord may take up to an hour to show changes)';
  const existing = existingCommandsSchema.parse(await rest.get(route));
  const desired = applicationCommandsPayload();
  const changes = diffCommands(existing, desired);
  const lines: string[] = [];
  if (changes.length === 0) {
    lines.push(`Commands for ${target} are already up to date (${desired.map((c) => `/${c.name}`).join(', ')}).`);
  } else {
    await rest.put(route, { body: desired });
    lines.push(`Registered ${desired.length} commands for ${target}:`, ...changes.map(describeChange));
  }
  for (const line of lines) print(line);
  return { target, changed: changes.length > 0, lines };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  registerCommands().catch((error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`Registration failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
