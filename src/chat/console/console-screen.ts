/**
 * What the console draws. On a terminal: a prompt with line editing and history
 * (node:readline), one progress line per running job kept just above the prompt
 * and redrawn in place, and every other message (replies, warnings from the log)
 * printed above that block, never inside the line being typed. Piped: plain
 * lines, one per change, so a script's output can be read by another program.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface ConsoleScreen {
  /** A message, above the progress block and the prompt. */
  print(text: string): void;
  /** Sets (or, with undefined, removes) a job's progress line. */
  progress(jobId: string, text: string | undefined): void;
  /** Shows the prompt again after a command finished. */
  prompt(): void;
  readonly lines: readline.Interface;
  close(): void;
}

/** How many lines of history a terminal session keeps on disk. */
const HISTORY_LINES = 200;

const CLEAR_LINE = '\r\x1b[K';
const CLEAR_DOWN = '\x1b[J';
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');

export function terminalScreen(input: Readable, output: Writable & { columns?: number }, historyFile: string | undefined): ConsoleScreen {
  const history = historyFile ? readHistory(historyFile) : [];
  const lines = readline.createInterface({ input, output, terminal: true, prompt: '> ', history, historySize: HISTORY_LINES, removeHistoryDuplicates: true });
  if (historyFile) {
    lines.on('history', (entries: string[]) => {
      try {
        writeFileSync(historyFile, `${entries.slice(0, HISTORY_LINES).reverse().join('\n')}\n`, { mode: 0o600 });
      } catch {
        // History is a convenience: a read-only DATA_DIR must not break the console.
      }
    });
  }
  const jobs = new Map<string, string>();
  let drawn = 0;
  let closed = false;

  const width = () => Math.max(20, (output.columns ?? 80) - 1);
  // A line longer than the terminal would wrap and throw off the count of lines to move up over.
  const fit = (text: string) => (text.length > width() ? `${text.slice(0, width() - 1)}…` : text);

  /** Erases the progress block and the prompt line; the cursor ends where the block began. */
  const erase = () => output.write(`${CLEAR_LINE}${up(drawn)}${CLEAR_DOWN}`);
  const draw = () => {
    for (const line of jobs.values()) output.write(`${fit(line)}\n`);
    drawn = jobs.size;
    if (!closed) lines.prompt(true);
  };

  return {
    lines,
    print(text) {
      erase();
      output.write(`${text}\n`);
      draw();
    },
    progress(jobId, text) {
      if (text === undefined) jobs.delete(jobId);
      else jobs.set(jobId, text);
      erase();
      draw();
    },
    prompt() {
      if (!closed) lines.prompt(true);
    },
    close() {
      closed = true;
      lines.close();
    },
  };
}

export function pipedScreen(input: Readable, output: Writable): ConsoleScreen {
  const lines = readline.createInterface({ input, terminal: false });
  const last = new Map<string, string>();
  const print = (text: string) => output.write(`${text}\n`);
  return {
    lines,
    print,
    progress(jobId, text) {
      // One line per change: the caller already coarsens a percentage to quarters.
      if (text === undefined) return void last.delete(jobId);
      if (last.get(jobId) === text) return;
      last.set(jobId, text);
      print(text);
    },
    prompt() {},
    close: () => lines.close(),
  };
}

function readHistory(file: string): string[] {
  try {
    // readline wants the newest entry first.
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_LINES);
  } catch {
    return [];
  }
}
