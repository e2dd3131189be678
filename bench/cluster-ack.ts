/**
 * The acknowledgement burst of bench/ack-latency.ts against 1 or 2 bot processes on one Postgres
 * (issue 13: "show the same burst against two replicas"). 500 signed requests in one go through the
 * round-robin entry point (test/helpers/load-balancer.ts); each latency runs from the fake sending the
 * request to its acknowledgement arriving:
 * - slack-http: a signed `/sora generate` POST to /slack/events → Bolt's 200;
 * - discord-http: a signed interaction POST to /discord/interactions → the type-5 defer as its response.
 * The simulator runs in a process of its own (bench/peer.ts), as in ack-latency.ts. On this 2-core
 * machine the fakes, Postgres and the bots share the cores: the figure says what the cluster path
 * costs an acknowledgement, not what a second machine would add.
 *
 * Usage: node --import tsx bench/cluster-ack.ts slack-http|discord-http <processes> [count]
 */
import { generateKeyPairSync } from 'node:crypto';
import { systemClock } from '../src/core/clock.js';
import { FakeDiscord } from '../test/fakes/discord/fake-discord.js';
import { FakeSlack, postSigned, slashCommandPayload } from '../test/fakes/slack/fake-slack.js';
import { ClusterNode } from '../test/helpers/cluster.js';
import { startLoadBalancer } from '../test/helpers/load-balancer.js';
import { freshSchema } from '../test/helpers/pg-schema.js';
import { ackLatencies, burstPrompt, deferLatencies, discordBurst } from './bursts.js';
import { emitResult, percentile, round, startPeer } from './lib.js';

const mode = process.argv[2] ?? 'slack-http';
const processes = Number(process.argv[3] ?? 2);
const COUNT = Number(process.argv[4] ?? 500);
const SECRET = 'cluster-ack-secret';
const TEAM = 'T0CACK';
const GUILD = '910000000000000077';

const schema = await freshSchema('clusterack');
const peer = await startPeer({ renderMsPerVideoSecond: 60_000, concurrency: 1_000 });
const slack = await new FakeSlack({ teamId: TEAM, botToken: 'xoxb-cluster-ack' }).start();
const discord = new FakeDiscord({ clock: systemClock });
await discord.start();
const keys = generateKeyPairSync('ed25519');
const env = {
  STORE_URL: schema.url,
  SIMULATOR: 'off',
  OPENAI_API_KEY: 'sk-cluster-ack-0123456789',
  OPENAI_BASE_URL: peer.info.openaiBaseUrl!,
  ...(mode === 'slack-http'
    ? { SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.apiUrl, SLACK_SIGNING_SECRET: SECRET }
    : {
        DISCORD_TOKEN: 'discord-cluster-ack-token',
        DISCORD_APPLICATION_ID: discord.applicationId,
        DISCORD_API_URL: discord.apiUrl,
        DISCORD_PUBLIC_KEY: keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'),
        DISCORD_GATEWAY: 'off',
      }),
  DEFAULT_MONTHLY_BUDGET_USD: '1000000',
  DEFAULT_USER_MONTHLY_BUDGET_USD: '1000000',
  TENANT_CONCURRENCY: '1000',
  BACKEND_CONCURRENCY: '1000',
  LOG_LEVEL: 'silent',
};
const nodes = await Promise.all(Array.from({ length: processes }, () => ClusterNode.start(env)));
const lb = await startLoadBalancer(() => nodes.map((n) => n.port));
const latencies: number[] = [];

try {
  if (mode === 'slack-http') {
    const payloads = Array.from({ length: COUNT }, (_, i) =>
      slashCommandPayload({ command: '/sora', text: `generate ${burstPrompt(i)} --seconds 4`, user: `U${String(i % 50).padStart(6, '0')}`, channel: 'C0CACK', team: TEAM, responseUrl: slack.newResponseUrl() }),
    );
    latencies.push(...(await ackLatencies(payloads, async (payload) => (await postSigned(`${lb.url}/slack/events`, payload, { secret: SECRET })).status === 200)));
  } else {
    discord.deliverOverHttp(`${lb.url}/discord/interactions`, keys.privateKey);
    const channel = discord.addChannel(GUILD).id;
    const member = (i: number) => ({ id: String(810_000_000_000_000_000n + BigInt(i % 50)), username: `member${i % 50}` });
    latencies.push(...(await deferLatencies(discord, discordBurst(discord, COUNT, (i) => ({ guildId: GUILD, channelId: channel, user: member(i) })))));
  }
  emitResult({ platform: mode, processes, count: latencies.length, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), maxMs: round(Math.max(...latencies)) });
} finally {
  for (const n of nodes) await n.stop().catch(() => undefined);
  await lb.stop();
  await slack.stop();
  await discord.stop();
  await peer.stop();
  await schema.drop();
}
process.exit(0);
