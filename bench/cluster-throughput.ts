/**
 * Throughput of accepted and delivered jobs with one bot process and with two,
 * on the same Postgres (issue 13, done-when 4). Each run gets a fresh schema,
 * the provider simulator (renders of a quarter second per video second, no
 * ffmpeg) and the fake Slack in this process, and N bot processes
 * (test/helpers/cluster.ts) behind the round-robin entry point. R signed
 * `/sora generate` commands go in at a fixed concurrency; the figures are
 *   accepted/s  = jobs durable with their reservation / seconds until the last was;
 *   delivered/s = jobs posted to Slack / seconds until the last was.
 * On a 2-core machine that also runs the fakes and the simulator, a second
 * process adds little CPU: the ratio says how far the cluster path (shared
 * line, compare-and-set writes) costs or pays, not what more cores would give.
 *
 * Usage: node --import tsx bench/cluster-throughput.ts <processes> [requests]
 */
import pg from 'pg';
import { startSimulator } from '../src/simulator/server.js';
import { FakeSlack, postSigned, slashCommandPayload } from '../test/fakes/slack/fake-slack.js';
import { ClusterNode } from '../test/helpers/cluster.js';
import { startLoadBalancer } from '../test/helpers/load-balancer.js';
import { freshSchema } from '../test/helpers/pg-schema.js';
import { emitResult, round, until } from './lib.js';

const processes = Number(process.argv[2] ?? 1);
const requests = Number(process.argv[3] ?? 200);
const IN_FLIGHT = 20;
const SECRET = 'cluster-throughput-secret';
const TEAM = 'T0THRU';

const schema = await freshSchema('throughput');
const sim = await startSimulator({ renderMsPerVideoSecond: 250, concurrency: 10_000, render: { ffmpegPath: false } });
const slack = await new FakeSlack({ teamId: TEAM, botToken: 'xoxb-throughput' }).start();
const env = {
  STORE_URL: schema.url,
  SIMULATOR: 'off',
  OPENAI_API_KEY: 'sk-throughput-0123456789',
  OPENAI_BASE_URL: sim.openaiBaseUrl,
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_API_URL: slack.apiUrl,
  SLACK_SIGNING_SECRET: SECRET,
  DEFAULT_MONTHLY_BUDGET_USD: '100000',
  DEFAULT_USER_MONTHLY_BUDGET_USD: '100000',
  TENANT_CONCURRENCY: '1000',
  BACKEND_CONCURRENCY: '1000',
  LOG_LEVEL: 'warn',
};
const nodes = await Promise.all(Array.from({ length: processes }, () => ClusterNode.start(env)));
const lb = await startLoadBalancer(() => nodes.map((n) => n.port));
const db = new pg.Client({ connectionString: schema.url });
await db.connect();
const count = async (where: string) => Number((await db.query(`SELECT count(*) AS n FROM jobs ${where}`)).rows[0].n);

try {
  const started = Date.now();
  let next = 0;
  let refused = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const form = slashCommandPayload({ command: '/sora', text: `generate throughput clip ${i} of a kite over dunes --seconds 4 --backend openai`, user: `U0T${i % 10}`, channel: 'C0THRU', team: TEAM, responseUrl: slack.newResponseUrl() });
      const answer = await postSigned(`${lb.url}/slack/events`, form, { secret: SECRET });
      if (answer.status !== 200) refused++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await until(async () => (await count('')) >= requests - refused, 'every request to be accepted', 300_000, 50);
  const acceptedMs = Date.now() - started;
  await until(async () => (await count("WHERE state NOT IN ('delivered', 'failed', 'cancelled')")) === 0, 'every job to end', 600_000, 100);
  const delivered = await count("WHERE state = 'delivered'");
  const posted = [...slack.uploads.values()].filter((u) => u.completed && u.filename.endsWith('.mp4')).length;
  const deliveredMs = Date.now() - started;
  emitResult({
    processes,
    requests,
    refused,
    accepted: await count(''),
    delivered,
    posted,
    acceptedPerSecond: round(((await count('')) * 1000) / acceptedMs, 1),
    deliveredPerSecond: round((delivered * 1000) / deliveredMs, 1),
    acceptedSeconds: round(acceptedMs / 1000, 1),
    deliveredSeconds: round(deliveredMs / 1000, 1),
  });
} finally {
  await db.end();
  for (const n of nodes) await n.stop();
  await lb.stop();
  await slack.stop();
  await sim.stop();
  await schema.drop();
}
