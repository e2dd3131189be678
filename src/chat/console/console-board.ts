/**
 * How the console shows a storyboard: a line whenever a shot changes state
 * (piped output stays short and scriptable), the running shots' progress on
 * the terminal's progress line, and the joined video's path at the end.
 */
import { formatUsd } from '../../core/money.js';
import { boardAwaitingText, boardDecisionNotice, shotLineText } from '../../core/present-board.js';
import { plainText } from '../../core/present.js';
import type { BoardEvent, BoardRecord } from '../../core/types.js';

export interface ConsoleBoardOutput {
  print(text: string): void;
  /** The terminal's redrawn line for this board; undefined removes it. */
  progress(boardId: string, text: string | undefined): void;
  displayPath(file: string): string;
}

export function consoleBoardView(out: ConsoleBoardOutput): (board: BoardRecord, event: BoardEvent) => Promise<void> {
  /** The last status printed per board and shot, so a line is printed only when it changes. */
  const shown = new Map<string, string>();
  return async (board, event) => {
    const tag = `[${board.id}]`;
    switch (event.type) {
      case 'status': {
        for (const line of event.lines) {
          const key = `${board.id}:${line.shot}`;
          // Progress percentages go to the live line only; a change of state gets a printed line.
          const status = line.status === 'rendering' ? 'rendering' : line.status;
          if (shown.get(key) === status) continue;
          shown.set(key, status);
          out.print(`${tag} ${line.status === 'rendering' ? `Shot ${line.shot}: rendering` : shotLineText(line)}`);
        }
        const live = event.lines.filter((l) => l.status === 'rendering').map((l) => `shot ${l.shot} ${l.progress}%`);
        out.progress(board.id, live.length > 0 ? `${tag} ${live.join(', ')}` : undefined);
        return;
      }
      case 'incomplete': {
        out.progress(board.id, undefined);
        const files = event.delivered.map((d) => `Shot ${d.shot}: ${out.displayPath(d.path)}`);
        const failed = event.lines.filter((l) => l.status === 'failed').map((l) => `/sora retry ${board.id} --shot ${l.shot}`);
        return void out.print([`${tag} ${event.reason}`, ...files, `Retry: ${failed.join(' ; ')}`].join('\n'));
      }
      case 'finished': {
        out.progress(board.id, undefined);
        for (const line of event.lines) shown.delete(`${board.id}:${line.shot}`);
        const what = board.kind === 'extension' ? `extended ${board.lead!.jobId}` : `${event.lines.length} shots`;
        return void out.print(`${tag} done: ${out.displayPath(event.path)} (${(event.bytes / 1024).toFixed(0)} KiB, ${board.seconds}s, ${what}, ${formatUsd(event.totalMicros)})`);
      }
      case 'failed':
        out.progress(board.id, undefined);
        return void out.print(`${tag} failed: ${event.reason}`);
      case 'awaiting-approval':
        return void out.print([`${tag} ${boardAwaitingText(board, event, plainText, false)}`, ...event.lines.map((l) => `${tag} ${shotLineText(l)}`)].join('\n'));
      case 'approved':
      case 'denied':
        return void out.print(`${tag} ${boardDecisionNotice(board, event, plainText)}`);
    }
  };
}

