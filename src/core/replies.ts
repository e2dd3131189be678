/**
 * What a use case answers, as data: each chat surface renders it its own way
 * (embeds, Block Kit, plain text) and in the user's language.
 */
import type { AcceptedBoard } from './storyboard-desk.js';
import type { Accepted, BudgetView, CharacterView, CostReport } from './studio.js';
import type { AuditEntry } from './audit-log.js';
import type { SettingsView } from './team-desk.js';
import type { Micros } from './money.js';
import type { BoardRecord, Character, JobRecord, ShotLine } from './types.js';

export interface ReplyFile {
  fileName: string;
  bytes: Uint8Array;
}

export type Reply =
  | { kind: 'accepted'; accepted: Accepted }
  | { kind: 'job'; job: JobRecord; position: number | undefined; elapsed?: string }
  | { kind: 'jobs'; jobs: JobRecord[] }
  | { kind: 'cancelled'; job: JobRecord }
  /** A take just kept as its request's result (`--takes`). */
  | { kind: 'kept'; job: JobRecord }
  | { kind: 'character'; view: CharacterView; created: boolean }
  | { kind: 'characters'; characters: Character[] }
  | { kind: 'character-deleted'; character: Character }
  /** `chart`: the month's spending as a PNG; `csv`: the month's jobs, when asked for. */
  | { kind: 'cost'; report: CostReport; chart?: ReplyFile; csv?: { fileName: string; text: string; rows: number } }
  | { kind: 'settings'; view: SettingsView; changed: boolean }
  | { kind: 'audit'; entries: AuditEntry[] }
  /** An approval or denial just made; the job's thread tells the requester. */
  | { kind: 'decided'; job: JobRecord }
  /** The same for a storyboard or extension; `totalMicros` is its summed estimate. */
  | { kind: 'board-decided'; board: BoardRecord; totalMicros: Micros }
  | { kind: 'budget'; view: BudgetView; changed: boolean }
  | { kind: 'board-accepted'; accepted: AcceptedBoard }
  | { kind: 'board'; board: BoardRecord; lines: ShotLine[] };
