/**
 * The process entry point: read config, start the bot, stop cleanly on
 * SIGTERM/SIGINT. Run as `node` directly in containers: npm does not forward
 * SIGTERM to its child (README, Operations).
 */
import path from 'node:path';
import { startBot } from './app.js';
import { applyDotEnv, ConfigError, loadConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  let fromDotEnv: string[] = [];
  try {
    // Under node's test runner (NODE_TEST_CONTEXT is inherited by every process a test
    // spawns) a developer's .env, possibly with real keys, must never reach a test bot.
    const envFile = process.env.ENV_FILE ?? (process.env.NODE_TEST_CONTEXT ? undefined : '.env');
    if (envFile) fromDotEnv = applyDotEnv(path.resolve(envFile));
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its meaning.\n`);
      process.exit(1);
    }
    throw error;
  }

  // Signals are taken before start-up: a SIGTERM that lands between "bot ready"
  // and here must still stop the bot cleanly, not kill it mid-write.
  let bot: Awaited<ReturnType<typeof startBot>> | undefined;
  let pendingStop: string | undefined;
  let stopping = false;
  const stop = async (reason: string) => {
    if (!bot) {
      pendingStop ??= reason;
      return;
    }
    if (stopping) return;
    stopping = true;
    bot.logger.info({ reason }, 'shutting down: no new work; jobs resume on next start');
    // Hard limit so an orchestrator's kill timer is never what ends us.
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  try {
    bot = await startBot(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`The bot could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }

  if (fromDotEnv.length > 0) bot.logger.info({ variables: fromDotEnv }, 'read .env (variables already set in the environment win over it)');
  if (pendingStop) return stop(pendingStop);

  if (bot.console) {
    await bot.console.finished;
    await stop('console input ended');
  }
}

void main();
