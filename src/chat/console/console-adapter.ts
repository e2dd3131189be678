/**
 * The console adapter: the embedded default chat surface. It reads commands in
 * the shared text syntax, one per line, and prints replies in plain text, one
 * progress line per job and the path of each saved video. On a terminal it has
 * line editing, history and a progress block redrawn in place (console-screen);
 * with piped input it runs the script, waits for every job, and resolves
 * `finished`, so it is scriptable.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { runCommand } from '../../../commands/index.js';
import { CommandInputError } from '../../command-line/options.js';
import { parseTextCommand } from '../../command-line/text-syntax.js';
import { UserFacingError } from '../../core/errors.js';
import { stageOf } from '../../core/job-lifecycle.js';
import { formatUsd } from '../../core/money.js';
import type { Surface } from '../../core/ports.js';
import { msg, render, type Locale } from '../../core/messages.js';
import { deniedText, describeDelivered, describeReply, elapsedProgress, inLocale, plainText, progressBar } from '../../core/present.js';
import type { Reply } from '../../core/replies.js';
import type { OpenSurface, Studio } from '../../core/studio.js';
import { takeLabel } from '../../core/takes.js';
import type { Actor, JobEvent, JobRecord } from '../../core/types.js';
import { consoleBoardView } from './console-board.js';
import { pipedScreen, terminalScreen, type ConsoleScreen } from './console-screen.js';

export interface ConsoleAdapterConfig {
  studio: Studio;
  logger: Logger;
  input: Readable;
  output: Writable;
  /** Interactive terminal: line editing, history and progress lines redrawn in place. */
  interactive: boolean;
  /** The one name of the console's user, as id and display name alike ($USER, or `you`). */
  userName: string;
  /** Where the log goes while the console owns the terminal (told once at start). */
  logFile?: string;
  /** Where a terminal session keeps its command history. */
  historyFile?: string;
  /** Where `/cost` writes its chart and CSV, whose paths it prints. */
  reportsDir: string;
  /** The language of the replies (from LC_ALL, LC_MESSAGES or LANG: `localeFromEnv`); English when unset. */
  locale?: Locale;
}

export interface ConsoleAdapter {
  /** Starts reading commands; called once the bot is ready and unfinished jobs have resumed. */
  start(): void;
  /** Resolves after end of input once every job has finished. */
  readonly finished: Promise<void>;
  /** Prints a message above the prompt (the log's warnings while the console owns the terminal). */
  notice(text: string): void;
  close(): void;
}

export const CONSOLE_TENANT = 'console:local';

/** The console shows files by path: `/cost`'s chart (and CSV) are written under DATA_DIR/reports. */
async function saveReportFiles(dir: string, reply: Extract<Reply, { kind: 'cost' }>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  if (reply.chart) {
    const file = path.join(dir, reply.chart.fileName);
    await writeFile(file, reply.chart.bytes);
    lines.push(`Chart: ${displayPath(file)}`);
  }
  if (reply.csv) {
    const file = path.join(dir, reply.csv.fileName);
    await writeFile(file, reply.csv.text);
    lines.push(`CSV: ${displayPath(file)}`);
  }
  return lines.join('\n');
}

/** Relative to the working directory when the file is under it (the usual ./data), else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

export function createConsoleAdapter(config: ConsoleAdapterConfig): ConsoleAdapter {
  const { studio, output, interactive } = config;
  // One name everywhere: the id budgets and /cost key on is the name the console shows.
  // The console's one user is the team's only admin, so they may approve their own expensive videos.
  const actor: Actor = { tenant: CONSOLE_TENANT, userId: config.userName, displayName: config.userName, isAdmin: true, soleAdmin: true };
  // Plain text in the language of the console's environment.
  const m = inLocale(plainText, config.locale ?? 'en');
  let screen: ConsoleScreen | undefined;
  const early: string[] = [];
  const print = (text: string) => (screen ? screen.print(text) : early.push(text));
  // `[j_abc]`, or `[j_abc take 2/3]` for one of several takes.
  const label = (job: JobRecord) => `[${job.id}${job.take ? ` ${takeLabel(job).toLowerCase()}` : ''}]`;
  const progress = (job: JobRecord, text: string | undefined) => (screen ? screen.progress(job.id, text === undefined ? undefined : `${label(job)} ${text}`) : undefined);

  const surface: Surface = {
    platform: 'console',
    progressIntervalMs: interactive ? 500 : 2_000,
    async update(job: JobRecord, event: JobEvent) {
      switch (event.type) {
        case 'queued':
          return void progress(job, `queued, position ${event.position}`);
        case 'progress': {
          const elapsed = event.phase === 'generating' ? elapsedProgress(job, event.progress, studio.backend(job.backend)?.capabilities, studio.clock.now()) : undefined;
          // Piped output gets a line per stage and per quarter (and no clock); a terminal gets a live bar.
          const quarter = Math.floor(event.progress / 25) * 25;
          const stage = stageOf(job, studio.backend(job.backend)?.capabilities.displayName ?? job.backend, event);
          const text =
            elapsed !== undefined
              ? interactive ? `${stage}, ${elapsed}` : `${stage} (no percentage from this provider)`
              : event.phase === 'generating' ? `${stage} ${progressBar(interactive ? event.progress : quarter)}` : stage;
          return void progress(job, text);
        }
        case 'finished':
          progress(job, undefined);
          print(`${label(job)} done: ${displayPath(event.path)} (${(event.bytes / 1024).toFixed(0)} KiB, ${job.seconds}s ${describeDelivered(job)} on ${job.backend}, ${formatUsd(job.priceMicros ?? 0)})`);
          return { printedAt: Date.now() };
        case 'failed':
          progress(job, undefined);
          return void print(`${label(job)} failed: ${event.reason}`);
        case 'cancelled':
          progress(job, undefined);
          return void print(`${label(job)} cancelled by ${event.byName}.`);
        case 'awaiting-approval':
          return void print(`${label(job)} waiting for an admin's approval (above ${formatUsd(event.thresholdMicros)}): /sora approve ${job.id} or /sora deny ${job.id} --reason …`);
        case 'approved':
          return void print(`${label(job)} approved by ${event.byName}.`);
        case 'denied':
          progress(job, undefined);
          return void print(`${label(job)} ${deniedText(event)} The reserved budget went back to the team.`);
      }
    },
    // Piped output gets a line per change of a shot's state; a terminal also gets the live percentages.
    updateBoard: consoleBoardView({ print, progress: (id, text) => (interactive ? screen?.progress(id, text) : undefined), displayPath }),
  };
  studio.attachSurface(surface);

  const resolveAttachment = async (value: string): Promise<string> => {
    // The console's operator owns the machine, so a local path is a legitimate source here (and only here).
    const file = path.resolve(value);
    try {
      await access(file);
    } catch {
      throw new UserFacingError(msg('console.no_file', { path: value }), { code: 'no_file' });
    }
    return file;
  };
  // A job's place on the console is the lines that follow its acceptance.
  const openSurface: OpenSurface = async (accepted) => {
    print(describeReply({ kind: 'accepted', accepted }, m));
    return {};
  };
  // The console knows its members by name: `--user @alice` is alice, and `@you`/`@me` is the console's user.
  const resolveMemberName = (name: string) => (['you', 'me'].includes(name.toLowerCase()) ? config.userName : name);

  const runLine = async (line: string) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    try {
      const parsed = parseTextCommand(trimmed);
      if (parsed.kind === 'help') return print(parsed.text);
      const reply = await runCommand(parsed.command, { studio, actor, surface: { platform: 'console' }, openSurface, resolveAttachment, resolveMemberName });
      // A launched job's acceptance was printed as its surface opened, before it ran.
      if (reply.kind !== 'accepted') print(describeReply(reply, m));
      if (reply.kind === 'cost') print(await saveReportFiles(config.reportsDir, reply));
      if (reply.kind === 'board-accepted') await studio.boards.start(reply.accepted.board.id);
    } catch (error) {
      if (error instanceof CommandInputError) print(`${error.userMessage}${error.usage ? `\nUsage:\n${error.usage}` : ''}`);
      else if (error instanceof UserFacingError) print(error.sentence(m));
      else {
        config.logger.error({ err: error, line: trimmed }, 'console command failed');
        print(render(msg('internal'), m));
      }
    }
  };

  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const start = () => {
    if (screen) return;
    screen = interactive ? terminalScreen(config.input, output, config.historyFile) : pipedScreen(config.input, output);
    for (const text of early.splice(0)) screen.print(text);
    if (interactive) {
      const logs = config.logFile ? ` The log is in ${displayPath(config.logFile)}; warnings also show here.` : '';
      screen.print(`Type /help for commands. Up and down recall earlier commands. Ctrl+D quits once your videos are done.${logs}`);
      // Ctrl+C in raw mode reaches readline, not the process: stop the bot as a SIGINT would (jobs resume on the next start).
      screen.lines.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    }
    let chain = Promise.resolve();
    const lines = screen.lines;
    lines.on('line', (line) => {
      // Lines run one after another: a script's `/character create` finishes before the generate that names it.
      chain = chain.then(() => runLine(line)).then(() => screen?.prompt());
    });
    lines.once('close', () => {
      void chain.then(async () => {
        if (interactive) output.write('\nWaiting for running videos to finish; Ctrl+C stops now (they resume on the next start).\n');
        await studio.idle();
        resolveFinished();
      });
    });
  };
  return { start, finished, notice: print, close: () => screen?.close() };
}
