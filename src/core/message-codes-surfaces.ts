/**
 * What the chat surfaces post around a job: the message that opens its
 * thread, its status lines and notes. Every platform shares these words.
 */
import type { Micros } from './money.js';
import type { Orientation } from './types.js';

export interface SurfaceParams {
  /** A notification's one line: `alice asked for a 4s video (estimated $0.40).` */
  'thread.asked': { requesterName: string; seconds: number; estimateMicros: Micros };
  /** `who` is a mention or a name, already safe for the platform. */
  'thread.request': { who: string; remixOf?: string };
  'thread.estimate-label': Record<string, never>;
  'thread.estimate': { estimateMicros: Micros; seconds: number; orientation: Orientation; backendName: string };
  'thread.budget-label': Record<string, never>;
  'thread.budget': { who: string; tenantLeftMicros: Micros; userLeftMicros: Micros };
  'thread.follow': { jobId: string };
  /** A button or form from an older version of the bot; `use`: the command that does the same. */
  'control.unsupported': { what: 'button' | 'form'; use: string };
  /** The remix and extend forms (Discord allows 45 characters in a title or label). */
  'form.remix-title': Record<string, never>;
  'form.remix-prompt': Record<string, never>;
  /** Slack's remix form: a title of at most 24 characters, its buttons, what it varies. */
  'form.slack-remix-title': Record<string, never>;
  'form.generate': Record<string, never>;
  'form.cancel': Record<string, never>;
  'form.remix-note': { jobId: string };
  'form.extend-title': Record<string, never>;
  /** Slack's storyboard and extend forms (titles of at most 24 characters). */
  'form.storyboard-title': Record<string, never>;
  'form.price-it': Record<string, never>;
  'form.storyboard-note': { maxShots: number };
  'form.shot': { shot: number };
  'form.slack-extend-title': Record<string, never>;
  'form.extend': Record<string, never>;
  'form.extend-note': { id: string; board: boolean };
  'form.extend-prompt': Record<string, never>;
  'form.extend-seconds': { defaultSeconds: number };
  /** The Shots button: a board's single shots were posted in its thread. */
  'board.shots-posted': { boardId: string };
  'characters.title': Record<string, never>;
  /** Slack's /cost fields: a label above its amount. */
  'spend.amount': { spentMicros: Micros; reservedMicros: Micros; capMicros?: Micros };
  'spend.left-label': Record<string, never>;
  'spend.videos-label': Record<string, never>;
  'spend.member-cap-label': Record<string, never>;
  /** `savedMicros`: what the official prices would have cost more, when they would have. */
  'spend.official-short': { backendName: string; officialMicros: Micros; savedMicros?: Micros };
  /** Slack's /cost: its chart (and CSV) went to the asker's direct messages, not the channel. */
  'cost.files-sent': { fileNames: string[] };
  /** Notes only the requester sees (Discord's ephemeral follow-ups); `take`: `{index, of}` when one of several takes. */
  'note.failed': { jobId: string; take?: { index: number; of: number }; reason: string };
  'note.approved': { jobId: string; byName: string };
  /** `denied`: deniedText's sentence, already in the reader's language. */
  'note.denied': { jobId: string; denied: string };
}
