/**
 * The console adapter: the embedded default chat surface. It reads commands in
 * the shared text syntax from stdin, one per line, and prints replies, a live
 * progress line and the path of each saved video. With piped input it runs the
 * script, waits for every job, and resolves `finished`, so it is scriptable.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { CommandInputError } from '../../commands/options.js';
import { parseTextCommand } from '../../commands/text-syntax.js';
import { handleCommand } from '../../commands/handle-command.js';
import { UserFacingError } from '../../core/errors.js';
import { formatUsd } from '../../core/money.js';
import type { Surface } from '../../core/ports.js';
import { describeReply, progressBar } from '../../core/present.js';
import type { Studio } from '../../core/studio.js';
import type { Actor, JobEvent, JobRecord } from '../../core/types.js';

export interface ConsoleAdapterConfig {
  studio: Studio;
  logger: Logger;
  input: Readable;
  output: Writable;
  /** Interactive terminal: a prompt and a progress line rewritten in place. */
  interactive: boolean;
  userName: string;
}

export interface ConsoleAdapter {
  /** Starts reading commands; called once the bot is ready and unfinished jobs have resumed. */
  start(): void;
  /** Resolves after end of input once every job has finished. */
  readonly finished: Promise<void>;
  close(): void;
}

export const CONSOLE_TENANT = 'console:local';

/** Relative to the working directory when the file is under it (the usual ./data), else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

export function createConsoleAdapter(config: ConsoleAdapterConfig): ConsoleAdapter {
  const { studio, output, interactive } = config;
  const actor: Actor = { tenant: CONSOLE_TENANT, userId: 'local', displayName: config.userName, isAdmin: true };
  const print = (text: string) => {
    if (interactive) output.write('\r\x1b[K');
    output.write(`${text}\n`);
  };
  const lastPrinted = new Map<string, string>();

  const surface: Surface = {
    platform: 'console',
    progressIntervalMs: interactive ? 500 : 2_000,
    async update(job: JobRecord, event: JobEvent) {
      switch (event.type) {
        case 'queued':
          return void printChange(job, `queued, position ${event.position}`);
        case 'progress': {
          // Piped output gets a line per stage and per quarter; a terminal gets a live bar.
          const quarter = Math.floor(event.progress / 25) * 25;
          const text = event.stage === 'generating' ? `${event.stage} ${progressBar(interactive ? event.progress : quarter)}` : event.stage;
          if (interactive) output.write(`\r\x1b[K[${job.id}] ${text}`);
          else printChange(job, text);
          return;
        }
        case 'finished':
          print(`[${job.id}] done: ${displayPath(event.path)} (${(event.bytes / 1024).toFixed(0)} KiB, ${job.seconds}s on ${job.backend}, ${formatUsd(job.priceMicros ?? 0)})`);
          return { printedAt: Date.now() };
        case 'failed':
          return void print(`[${job.id}] failed: ${event.reason}`);
        case 'cancelled':
          return void print(`[${job.id}] cancelled by ${event.byName}.`);
      }
    },
  };
  const printChange = (job: JobRecord, text: string) => {
    if (lastPrinted.get(job.id) === text) return;
    lastPrinted.set(job.id, text);
    print(`[${job.id}] ${text}`);
  };
  studio.attachSurface(surface);

  const resolveAttachment = async (value: string): Promise<string> => {
    // The console's operator owns the machine, so a local path is a legitimate source here (and only here).
    const file = path.resolve(value);
    try {
      await access(file);
    } catch {
      throw new UserFacingError('no_file', `There is no file at ${value}.`);
    }
    return file;
  };

  const runLine = async (line: string) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    try {
      const parsed = parseTextCommand(trimmed);
      if (parsed.kind === 'help') return print(parsed.text);
      const reply = await handleCommand(studio, parsed.command, { actor, surface: { platform: 'console' }, resolveAttachment });
      print(describeReply(reply));
      if (reply.kind === 'accepted') await studio.startJob(reply.accepted.job.id);
    } catch (error) {
      if (error instanceof CommandInputError) print(`${error.userMessage}${error.usage ? `\nUsage:\n${error.usage}` : ''}`);
      else if (error instanceof UserFacingError) print(error.userMessage);
      else {
        config.logger.error({ err: error, line: trimmed }, 'console command failed');
        print('Something went wrong running that command; details are in the log.');
      }
    }
  };

  let rl: readline.Interface | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const start = () => {
    if (rl) return;
    rl = readline.createInterface({ input: config.input, terminal: false });
    let chain = Promise.resolve();
    if (interactive) {
      print('Type /help for commands. Ctrl+D quits once your videos are done.');
      output.write('> ');
    }
    rl.on('line', (line) => {
      // Lines run one after another: a script's `/character create` finishes before the generate that names it.
      chain = chain.then(() => runLine(line)).then(() => {
        if (interactive) output.write('> ');
      });
    });
    rl.once('close', () => {
      void chain.then(async () => {
        await studio.runner.idle();
        resolveFinished();
      });
    });
  };
  return { start, finished, close: () => rl?.close() };
}
