/**
 * The Slack adapter: a Bolt app over the bot's own HTTP server (signed
 * requests at /slack/events) or, when SLACK_APP_TOKEN is set, over Socket
 * Mode for workspaces that cannot expose a public URL.
 */
import path from 'node:path';
import { AFTER_ACK_CONCURRENCY, AfterAckGate } from '../after-ack.js';
import { App, HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import { ConfigError } from '../../config.js';
import type { ChatAdapterContext, ChatAdapterHandle } from '../index.js';
import { boltLogger } from './bolt-logger.js';
import { slackEventsGate } from './http-events.js';
import { register } from './listeners/index.js';
import { SlackMembers } from './members.js';
import { SlackPlaceAccess } from './place-access.js';
import type { SlackRuntime } from './runtime.js';
import { SlackSurface, slackErrorCode } from './surface.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export async function startSlackAdapter(ctx: ChatAdapterContext): Promise<ChatAdapterHandle> {
  const { config, logger: baseLogger } = ctx;
  const logger = baseLogger.child({ adapter: 'slack' });
  const token = config.SLACK_BOT_TOKEN;
  if (!token) throw new ConfigError(['SLACK_BOT_TOKEN must be set to start the Slack adapter.']);
  // The Web API client joins method names onto this base, so it needs the trailing slash.
  const slackApiUrl = config.SLACK_API_URL ? `${config.SLACK_API_URL}/` : undefined;
  const clientOptions = slackApiUrl ? { slackApiUrl } : {};
  const bolt = boltLogger(logger);
  const socketMode = config.SLACK_APP_TOKEN !== undefined;

  let receiver: Receiver;
  let socketReceiver: SocketModeReceiver | undefined;
  let connected = false;
  let stopped = false;
  if (socketMode) {
    // Socket Mode's client calls apps.connections.open on the Web API, so the same override applies.
    socketReceiver = new SocketModeReceiver({ appToken: config.SLACK_APP_TOKEN!, logger: bolt, installerOptions: { clientOptions } });
    socketReceiver.client.on('connected', () => {
      connected = true;
    });
    socketReceiver.client.on('disconnected', () => {
      connected = false;
    });
    receiver = socketReceiver;
  } else {
    if (!config.SLACK_SIGNING_SECRET) {
      throw new ConfigError(['SLACK_SIGNING_SECRET must be set for Slack over HTTP (or set SLACK_APP_TOKEN to use Socket Mode).']);
    }
    // Bolt's HTTPReceiver request listener is mounted on the bot's one HTTP server instead of a second port.
    // The gate in front of it (http-events.ts) caps the body, verifies the signature and the 5-minute
    // timestamp window (401 otherwise) and drops replays, so Bolt does not verify the same bytes again.
    const http = new HTTPReceiver({ signingSecret: config.SLACK_SIGNING_SECRET, endpoints: SLACK_EVENTS_PATH, logger: bolt, processBeforeResponse: false, signatureVerification: false });
    const gate = slackEventsGate({ signingSecret: config.SLACK_SIGNING_SECRET, seen: ctx.seen, logger, next: http.requestListener });
    ctx.http.route('POST', SLACK_EVENTS_PATH, (req, res) => {
      if (stopped) {
        res.writeHead(503).end();
        return;
      }
      return gate(req, res);
    });
    receiver = http;
  }

  // No conversation store: the bot keeps no per-conversation state in Bolt, and its middleware ran before every ack.
  const app = new App({ token, receiver, logger: bolt, clientOptions, convoStore: false });
  const members = new SlackMembers(app.client, config.SLACK_ADMIN_USER_IDS, ctx.clock, logger, (tenant) => ctx.studio.team.groupsInUse(tenant));
  const surface = new SlackSurface(app.client, ctx.studio, logger);
  const apiHost = slackApiUrl ? new URL(slackApiUrl).host : undefined;
  const runtime: SlackRuntime = {
    studio: ctx.studio,
    afterAck: new AfterAckGate(AFTER_ACK_CONCURRENCY, ctx.studio.arrivals),
    client: app.client,
    members,
    places: new SlackPlaceAccess(app.client, ctx.clock, logger),
    surface,
    logger,
    sharedFiles: {
      client: app.client,
      botToken: token,
      trustedHosts: ['files.slack.com', ...(apiHost ? [apiHost] : [])],
      tmpDir: path.join(config.dataDir, 'tmp', 'slack'),
      maxBytes: config.MAX_SOURCE_MB * 1024 * 1024,
    },
  };
  register(app, runtime);
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a slack listener');
  });
  ctx.studio.attachSurface(surface);

  // A wrong token is a configuration error worth stopping for; Slack being unreachable is not.
  try {
    await app.client.auth.test();
  } catch (error) {
    const code = slackErrorCode(error);
    if (code === 'invalid_auth' || code === 'not_authed' || code === 'account_inactive' || code === 'token_revoked') {
      throw new ConfigError([`SLACK_BOT_TOKEN was refused by Slack (${code}).`]);
    }
    logger.warn({ err: error }, 'could not reach Slack at start-up; will keep trying on each request');
  }
  if (socketMode) await app.start();
  logger.info({ mode: socketMode ? 'socket' : 'http' }, 'slack adapter started');

  return {
    name: 'slack',
    ready: () => !stopped && (!socketMode || connected),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // HTTPReceiver never started a server of its own, so only Socket Mode has something to close.
      if (socketMode) await app.stop();
    },
  };
}
