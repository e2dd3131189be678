/**
 * The real bot (startBot through test/helpers/test-bot) wired to a FakeSlack,
 * in HTTP or Socket Mode, with helpers to send slash commands and button
 * clicks the way Slack does and to wait for Slack-side effects.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ManualClock } from '../../../src/core/clock.js';
import type { JobRecord } from '../../../src/core/types.js';
import type { Simulator } from '../../../src/simulator/server.js';
import { driveUntil, realWait } from '../../helpers/drive.js';
import { startTestBot, type TestBot } from '../../helpers/test-bot.js';
import { blockActionPayload, FakeSlack, postSigned, slashCommandPayload, viewSubmissionPayload, type BlockActionInput, type SignOptions, type ViewSubmissionInput } from './fake-slack.js';
import { internalsOf } from '../../../src/core/studio-internals.js';

export const SIGNING_SECRET = 'slack-signing-secret-for-tests';
export const TEAM = 'T0TEAM';
export const CHANNEL = 'C0GENERAL';
export const TENANT = `slack:${TEAM}`;

export const sampleVideo = (): Promise<Buffer> => readFile(fileURLToPath(new URL('../../../src/simulator/assets/sample.mp4', import.meta.url)));

export interface SlackBot {
  tb: TestBot;
  fake: FakeSlack;
  socket: boolean;
  eventsUrl: string;
  /** Sends a slash command (signed HTTP POST or Socket Mode envelope); returns the ack and how long it took. */
  slash(command: string, text: string, user?: string, channel?: string): Promise<{ status: number; ack: Record<string, unknown> | undefined; ms: number; responseUrl: string }>;
  click(input: Omit<BlockActionInput, 'team' | 'channel'> & { channel?: string }): Promise<number>;
  /** Submits a modal; returns the ack's body (`response_action: 'errors'` keeps the form open). */
  submitView(input: Omit<ViewSubmissionInput, 'team'>): Promise<Record<string, unknown> | undefined>;
  /** The views the bot opened, newest last. */
  openedViews(): Array<{ callback_id: string; private_metadata: string; blocks: Array<{ block_id?: string; type: string }> }>;
  post(form: Record<string, string>, sign?: Partial<SignOptions>): ReturnType<typeof postSigned>;
  drive(predicate: () => boolean | Promise<boolean>, maxSteps?: number): Promise<void>;
  jobs(): Promise<JobRecord[]>;
  restart(): Promise<SlackBot>;
  stop(): Promise<void>;
}

export async function startSlackBot(
  options: { socket?: boolean; env?: Record<string, string>; fake?: FakeSlack; shared?: { clock: ManualClock; sim: Simulator; dataDir: string } } = {},
): Promise<SlackBot> {
  const socket = options.socket ?? false;
  const fake = options.fake ?? (await new FakeSlack({ teamId: TEAM }).start());
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_API_URL: fake.apiUrl,
    LOG_LEVEL: 'warn',
    ...(socket ? { SLACK_APP_TOKEN: fake.appToken } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    ...options.env,
  };
  const tb = await startTestBot(env, options.shared);
  if (socket) await waitReal(() => fake.socketConnected, 'socket mode connection');
  const eventsUrl = `http://127.0.0.1:${tb.bot.port}/slack/events`;
  const post = (form: Record<string, string>, sign: Partial<SignOptions> = {}) => postSigned(eventsUrl, form, { secret: SIGNING_SECRET, ...sign });
  const bot: SlackBot = {
    tb,
    fake,
    socket,
    eventsUrl,
    post,
    async slash(command, text, user = 'U0ALICE', channel = CHANNEL) {
      const responseUrl = fake.newResponseUrl();
      const payload = slashCommandPayload({ command, text, user, channel, team: TEAM, responseUrl });
      const started = Date.now();
      if (socket) {
        const acked = await fake.sendEnvelope('slash_commands', payload);
        // An empty ack arrives as `{}` over Socket Mode and as an empty body over HTTP.
        const body = acked.payload as Record<string, unknown> | undefined;
        return { status: 200, ack: body && Object.keys(body).length > 0 ? body : undefined, ms: Date.now() - started, responseUrl };
      }
      const res = await post(payload);
      return { status: res.status, ack: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined, ms: res.ms, responseUrl };
    },
    async click(input) {
      const payload = blockActionPayload({ team: TEAM, channel: CHANNEL, ...input });
      if (socket) {
        await fake.sendEnvelope('interactive', payload);
        return 200;
      }
      return (await post({ payload: JSON.stringify(payload) })).status;
    },
    async submitView(input) {
      const payload = viewSubmissionPayload({ team: TEAM, ...input });
      if (socket) {
        const acked = (await fake.sendEnvelope('interactive', payload)).payload as Record<string, unknown> | undefined;
        return acked && Object.keys(acked).length > 0 ? acked : undefined;
      }
      const res = await post({ payload: JSON.stringify(payload) });
      return res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined;
    },
    openedViews: () => fake.callsTo('views.open').map((c) => (typeof c.args.view === 'string' ? JSON.parse(c.args.view) : c.args.view)),
    drive: (predicate, maxSteps = 600) => driveUntil(tb.clock, predicate, { stepMs: 200, maxSteps }),
    jobs: () => internalsOf(tb.bot.studio).jobs.recent(TENANT),
    async restart() {
      await tb.bot.stop();
      return startSlackBot({ socket, env: options.env, fake, shared: { clock: tb.clock, sim: tb.sim, dataDir: tb.dataDir } });
    },
    async stop() {
      await tb.bot.stop();
      if (!options.shared) await tb.sim.stop();
      if (!options.fake) await fake.stop();
    },
  };
  return bot;
}

/** Waits in real time (no clock movement) for work that follows an ack. The timeout only names a hang; a machine
 * kept busy by other work can take many seconds to answer, so it is generous (it was 5 s, red under load). */
export async function waitReal(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await realWait(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every text of a message, blocks included, for `includes` checks. */
export function messageText(message: { text: string; blocks: unknown[] } | undefined): string {
  return message ? `${message.text}\n${JSON.stringify(message.blocks)}` : '';
}
