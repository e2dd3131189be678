/**
 * The Slack app manifest, derived from the command specs like Discord's
 * registration payload, so Slack's command list cannot drift from the parser.
 *
 *   npm run slack:manifest -- --url https://bot.example.com   # HTTP mode
 *   npm run slack:manifest -- --socket                         # Socket Mode
 *
 * Paste the JSON at https://api.slack.com/apps → Create New App → From a manifest.
 */
import { pathToFileURL } from 'node:url';
import { COMMANDS } from '../../../commands/index.js';
import type { CommandSpec } from '../../../commands/spec.js';
import { SLACK_EVENTS_PATH } from './index.js';

/**
 * Bot scopes, each for a call the adapter makes:
 * commands (slash commands), chat:write (parent and status messages, chat.update,
 * chat.postEphemeral), chat:write.public (post in public channels the bot was not
 * invited to), files:write (files.uploadV2), files:read (files.info and the
 * url_private_download of shared clips, files.list to avoid a double upload after
 * a crash), users:read (users.info: display names and is_admin/is_owner for /budget set),
 * usergroups:read (usergroups.users.list: the user groups `/settings access` allows or makes approvers),
 * im:write (conversations.open: /cost sends its chart and CSV to the asker's direct messages),
 * channels:history, groups:history, im:history, mpim:history (conversations.history and
 * conversations.replies, only after a crash: to find a job's thread by its message
 * metadata instead of posting it twice).
 */
export const SLACK_BOT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'files:write',
  'files:read',
  'users:read',
  'usergroups:read',
  'im:write',
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
] as const;

export interface SlackManifestOptions {
  /** Public base URL of the bot (HTTP mode); Slack posts commands and button clicks to `{url}/slack/events`. */
  publicUrl?: string;
  socketMode: boolean;
  name?: string;
}

function usageHint(command: CommandSpec): string {
  if (!command.subcommands) return (command.options ?? []).map((o) => `[--${o.name}]`).join(' ');
  const hint = command.subcommands
    .map((s) => {
      const positional = s.options.find((o) => o.positional);
      return positional ? `${s.name} <${positional.name}>` : s.name;
    })
    .join(' | ');
  return `${hint} | help`.slice(0, 1000);
}

/** An https base URL without query or fragment: Slack refuses anything else as a request URL (https://api.slack.com/reference/manifests). */
function isPublicBase(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

export function buildSlackManifest(options: SlackManifestOptions): Record<string, unknown> {
  if (!options.socketMode && !options.publicUrl) throw new Error('HTTP mode needs the public URL (--url https://…), or use --socket.');
  if (!options.socketMode && options.publicUrl && !isPublicBase(options.publicUrl)) {
    throw new Error(`--url must be the bot's public address, like https://bot.example.com (got "${options.publicUrl}"). Slack only accepts https request URLs.`);
  }
  const requestUrl = options.publicUrl ? `${options.publicUrl.replace(/\/+$/, '')}${SLACK_EVENTS_PATH}` : undefined;
  const name = options.name ?? 'Sora Team Bot';
  return {
    display_information: {
      name,
      description: 'AI videos for your team, with shared characters and budgets.',
      background_color: '#2c2d30',
    },
    features: {
      bot_user: { display_name: name, always_online: true },
      slash_commands: COMMANDS.map((command) => ({
        command: `/${command.name}`,
        description: command.description.en,
        usage_hint: usageHint(command),
        // Escaping turns `--user @alice` into a user id; the adapter turns escaped `@character` words back.
        should_escape: true,
        ...(options.socketMode ? {} : { url: requestUrl }),
      })),
    },
    oauth_config: { scopes: { bot: [...SLACK_BOT_SCOPES] } },
    settings: {
      interactivity: { is_enabled: true, ...(options.socketMode ? {} : { request_url: requestUrl }) },
      org_deploy_enabled: false,
      socket_mode_enabled: options.socketMode,
      token_rotation_enabled: false,
    },
  };
}

function main(argv: string[]): void {
  const socketMode = argv.includes('--socket');
  const urlIndex = argv.indexOf('--url');
  const publicUrl = urlIndex !== -1 ? argv[urlIndex + 1] : process.env.PUBLIC_URL;
  try {
    process.stdout.write(`${JSON.stringify(buildSlackManifest({ socketMode, publicUrl: socketMode ? undefined : publicUrl }), null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
