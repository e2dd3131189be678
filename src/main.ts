/**
 * The process entry point: read config, start the bot, stop cleanly on
 * SIGTERM/SIGINT. Run as `node` directly in containers: npm does not forward
 * SIGTERM to its child (field guide §6).
 */
import { startBot } from './app.js';
import { ConfigError, loadConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its meaning.\n`);
      process.exit(1);
    }
    throw error;
  }

  let bot;
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

  let stopping = false;
  const stop = async (reason: string) => {
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

  if (bot.console) {
    await bot.console.finished;
    await stop('console input ended');
  }
}

void main();
