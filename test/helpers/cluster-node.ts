/**
 * One bot process of a cluster test: the real startBot with the environment it
 * was spawned with, driven over IPC by the test (test/e2e/cluster.test.ts).
 * Requests enter at the Studio, where the chat adapters hand them over; the
 * surface reports each step of a job's life back to the test.
 */
import { startBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Surface } from '../../src/core/ports.js';
import type { GenerationInput } from '../../src/core/types.js';
import { createLogger } from '../../src/log.js';
import { internalsOf } from '../../src/core/studio-internals.js';

export type ClusterCommand =
  | { type: 'accept'; requests: Array<{ userId: string; input: GenerationInput }> }
  | { type: 'generate'; userId: string; input: GenerationInput }
  | { type: 'setBudget'; amountMicros: number }
  | { type: 'storyboard'; userId: string; prompts: string[]; backend: string; seconds: number }
  | { type: 'stop' };

export type ClusterMessage =
  | { type: 'ready'; port: number; backends: Array<{ id: string; webhook: boolean }> }
  | { type: 'accepted'; jobIds: string[]; refused: string[] }
  | { type: 'generated'; jobId: string }
  | { type: 'budgetSet' }
  | { type: 'event'; jobId: string; event: string; state: string }
  | { type: 'boardStarted'; boardId: string }
  | { type: 'boardEvent'; boardId: string; event: string; state: string };

const send = (message: ClusterMessage) => process.send!(message);
const tenant = process.env.CLUSTER_TENANT ?? 'test:cluster';
const actorOf = (userId: string, isAdmin = false) => ({ tenant, userId, displayName: userId, isAdmin });

const surface: Surface = {
  platform: 'test',
  progressIntervalMs: 0,
  async update(job, event) {
    send({ type: 'event', jobId: job.id, event: event.type, state: job.state });
  },
  async updateBoard(board, event) {
    send({ type: 'boardEvent', boardId: board.id, event: event.type, state: board.state });
  },
};

const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, secrets: config.secrets, fd: 2 });
const bot = await startBot(config, { logger, surfaces: [surface] });

process.on('message', (command: ClusterCommand) => {
  void (async () => {
    if (command.type === 'accept') {
      const outcomes = await Promise.allSettled(command.requests.map((r) => internalsOf(bot.studio).accept(actorOf(r.userId), r.input, { platform: 'test' })));
      send({
        type: 'accepted',
        jobIds: outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.job.id] : [])),
        refused: outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as { userMessage?: string }).userMessage ?? o.reason)] : [])),
      });
    } else if (command.type === 'generate') {
      const accepted = await bot.studio.generate(actorOf(command.userId), command.input, { platform: 'test' });
      send({ type: 'generated', jobId: accepted.job.id });
    } else if (command.type === 'storyboard') {
      const request = { shots: command.prompts.map((prompt) => ({ prompt })), seconds: command.seconds, orientation: 'landscape' as const, resolution: '720p' as const, audio: undefined, backend: command.backend, continuous: false };
      const accepted = await bot.studio.boards.request(actorOf(command.userId), request, { platform: 'test' });
      await bot.studio.boards.start(accepted.board.id);
      send({ type: 'boardStarted', boardId: accepted.board.id });
    } else if (command.type === 'setBudget') {
      await bot.studio.setBudget(actorOf('admin', true), { amountMicros: command.amountMicros });
      send({ type: 'budgetSet' });
    } else {
      await bot.stop();
      process.exit(0);
    }
  })().catch((error: unknown) => {
    logger.error({ err: error }, 'cluster test command failed');
    process.exit(1);
  });
});
send({ type: 'ready', port: bot.port, backends: bot.backends.map((b) => ({ id: b.id, webhook: b.capabilities.completion === 'webhook' })) });
