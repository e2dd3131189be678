/**
 * What a use case answers, as data: each chat surface renders it its own way
 * (embeds, Block Kit, plain text) and in the user's language.
 */
import type { AcceptedBoard } from './storyboard-desk.js';
import type { Accepted, BudgetView, CharacterView, CostReport } from './studio.js';
import type { BoardRecord, Character, JobRecord, ShotLine } from './types.js';

export type Reply =
  | { kind: 'accepted'; accepted: Accepted }
  | { kind: 'job'; job: JobRecord; position: number | undefined; elapsed?: string }
  | { kind: 'jobs'; jobs: JobRecord[] }
  | { kind: 'cancelled'; job: JobRecord }
  | { kind: 'character'; view: CharacterView; created: boolean }
  | { kind: 'characters'; characters: Character[] }
  | { kind: 'character-deleted'; character: Character }
  | { kind: 'cost'; report: CostReport }
  | { kind: 'budget'; view: BudgetView; changed: boolean }
  | { kind: 'board-accepted'; accepted: AcceptedBoard }
  | { kind: 'board'; board: BoardRecord; lines: ShotLine[] };
