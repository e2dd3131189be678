/**
 * A helper process for the benchmark: the provider simulator and, when asked,
 * the fake Slack, on the real clock. Capacity and relay memory are measured in
 * the bot's process only, so what the simulator keeps per job (10,000 jobs) and
 * what the fake buffers of an upload (200 MB) must live here instead.
 *
 * Usage: node --import tsx bench/peer.ts '{"renderMsPerVideoSecond":1000,"concurrency":10000,"slack":1,"oversizedBytes":209715200}'
 */
import { startSimulator } from '../src/simulator/server.js';
import { FakeSlack } from '../test/fakes/slack/fake-slack.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  renderMsPerVideoSecond?: number;
  concurrency?: number;
  slack?: number;
  oversizedBytes?: number;
};

const sim = await startSimulator({
  renderMsPerVideoSecond: args.renderMsPerVideoSecond ?? 1000,
  concurrency: args.concurrency ?? 2,
  // The bench measures the bot, not ffmpeg: the simulator serves its bundled sample clip.
  render: { ffmpegPath: false },
});
if (args.oversizedBytes) {
  // Every download streams this many bytes (the simulator's "oversized" result), without holding them.
  sim.faults.inject({ fault: 'oversized', oversizedBytes: args.oversizedBytes });
}
const slack = args.slack ? await new FakeSlack({ teamId: 'T0BENCH' }).start() : undefined;

process.stdout.write(
  `PEER_READY ${JSON.stringify({
    openaiBaseUrl: sim.openaiBaseUrl,
    simUrl: sim.url,
    ...(slack ? { slackApiUrl: slack.apiUrl, slackBotToken: slack.botToken, slackUrl: slack.url } : {}),
  })}\n`,
);

const stop = async () => {
  await slack?.stop();
  await sim.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
