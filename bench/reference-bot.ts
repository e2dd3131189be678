/**
 * The acknowledge-only reference for bench/ack-latency.ts: the same libraries
 * the bot uses, configured the same way against the same fakes, doing nothing
 * but acknowledge. Its latency is the floor the libraries set; the bench
 * reports the bot's p99 against it.
 *
 * - discord: a discord.js gateway client; `deferReply()` on every interaction.
 * - discord-http: node:http and node:crypto's Ed25519 check; the payload becomes a discord.js interaction
 *   through the client's own INTERACTION_CREATE handling, as in the bot (http-interactions.ts), and the
 *   type-5 defer is written as the response. (Until 3 December this mode answered from the raw JSON
 *   without discord.js; that floor is in bench/README.md.)
 * - slack-http: Bolt's HTTPReceiver (signature check included); `ack()`.
 * - slack-socket: Bolt's SocketModeReceiver; `ack()`.
 *
 * Reads the bot's own environment (PORT, DISCORD_*, SLACK_*) and answers
 * /healthz with 200 once connected, so the bench starts it exactly like the bot.
 * Usage: node --import tsx bench/reference-bot.ts discord|discord-http|slack-http|slack-socket
 */
import http from 'node:http';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import { interactionPublicKey, verifyInteractionSignature } from '../src/chat/discord/http-interactions.js';

const mode = process.argv[2];
const env = process.env;
const port = Number(env.PORT ?? 8080);
let ready = false;
const healthz = (res: http.ServerResponse) => res.writeHead(ready ? 200 : 503).end();

if (mode === 'discord' || mode === 'discord-http') {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: env.DISCORD_API_URL! } });
  /** HTTP interactions waiting for their answer, by interaction id. */
  const waiting = new Map<string, http.ServerResponse>();
  const DEFER = JSON.stringify({ type: 5 });
  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    const res = waiting.get(interaction.id);
    if (!res) return void interaction.deferReply().catch(() => undefined);
    waiting.delete(interaction.id);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(DEFER) }).end(DEFER);
  });
  const actions = (client as unknown as { actions: { InteractionCreate: { handle(payload: unknown): void } } }).actions;
  const key = mode === 'discord-http' ? interactionPublicKey(env.DISCORD_PUBLIC_KEY!) : undefined;
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') return healthz(res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!key || verifyInteractionSignature(key, req, body, Date.now()) !== 'ok') return void res.writeHead(401).end();
      const payload = JSON.parse(body.toString('utf8')) as { type: number; id: string };
      if (payload.type === 1) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 1 }));
      waiting.set(payload.id, res);
      actions.InteractionCreate.handle(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  if (mode === 'discord') await client.login(env.DISCORD_TOKEN!);
  ready = true;
} else {
  const clientOptions = { slackApiUrl: `${env.SLACK_API_URL}/` };
  const socket = mode === 'slack-socket';
  const receiver = socket
    ? new SocketModeReceiver({ appToken: env.SLACK_APP_TOKEN!, logLevel: LogLevel.ERROR, installerOptions: { clientOptions } })
    : new HTTPReceiver({
        signingSecret: env.SLACK_SIGNING_SECRET!,
        endpoints: '/slack/events',
        logLevel: LogLevel.ERROR,
        processBeforeResponse: false,
        customRoutes: [{ path: '/healthz', method: 'GET', handler: (_req, res) => healthz(res) }],
      });
  const app = new App({ token: env.SLACK_BOT_TOKEN!, receiver, logLevel: LogLevel.ERROR, clientOptions });
  app.command(/.*/, async ({ ack }) => ack());
  if (socket) {
    await app.start();
    const server = http.createServer((req, res) => (req.url === '/healthz' ? healthz(res) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  } else {
    await app.start({ port, host: '127.0.0.1' });
  }
  ready = true;
}
// A profiled reference (BENCH_BOT_NODE_ARGS) writes its profile on exit: SIGTERM exits instead of killing.
process.once('SIGTERM', () => process.exit(0));
