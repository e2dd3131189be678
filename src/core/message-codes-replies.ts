/**
 * The sentences replies are built from (present.ts composes them): the
 * acceptance, a job's status, spending, budgets and characters.
 */
import type { None } from './message-codes.js';
import type { RouteReason } from './message-codes-outcomes.js';
import type { Micros } from './money.js';
import type { TakesLine } from './takes.js';
import type { BoardState, CharacterSource, JobState, Orientation, ShotLine, Sound } from './types.js';

/** A job's state as one phrase; `cancelled` tells a denial and an expired approval apart. */
export type StatusPhrase =
  | { state: Exclude<JobState, 'awaiting_approval' | 'queued' | 'running' | 'delivered' | 'failed' | 'cancelled'> }
  | { state: 'awaiting_approval'; estimateMicros: Micros }
  | { state: 'queued'; position?: number }
  | { state: 'running'; percentBar?: string; elapsed?: string }
  | { state: 'delivered'; priceMicros: Micros }
  | { state: 'failed'; reason?: string }
  | { state: 'cancelled'; how: 'cancelled' | 'expired' }
  | { state: 'cancelled'; how: 'denied'; byName: string; reason?: string };

export interface ReplyParams {
  /** `takes`: a request made with `--takes N`, priced together and per take. */
  'accepted.head': {
    jobId: string;
    seconds: number;
    orientation: Orientation;
    resolution: string;
    sound: Sound;
    backendName: string;
    estimateMicros: Micros;
    takes?: { count: number; eachMicros: Micros };
  };
  'accepted.takes': { ids: string[] };
  /** `Take 2/3`. */
  'take.label': { index: number; of: number };
  'accepted.budget-left': { tenantLeftMicros: Micros; userLeftMicros: Micros };
  /** A string: the reason as stored before reasons were messages. */
  'accepted.why': { reason: RouteReason | string };
  'accepted.defaults': { options: { option: string; value: string }[] };
  'accepted.awaiting-approval': { thresholdMicros: Micros; expiresInMs: number };
  /** The length asked for is made exactly; another backend makes a nearby length for less. */
  'duration.cheaper': { seconds: number; backendName: string; estimateMicros: Micros; cheaperBackendId: string; cheaperSeconds: number; cheaperMicros: Micros };
  /** The length differs from the one asked for. `forcedName` when the user chose the backend. */
  'duration.differs': {
    askedSeconds: number;
    madeSeconds: number;
    estimateMicros: Micros;
    forcedName?: string;
    policy: 'cost' | 'stability';
    characterNames: string;
    exact?: { backendId: string; estimateMicros: Micros };
  };
  'elapsed.no-percent': { elapsedMs: number };
  'elapsed.estimate': { elapsedMs: number; leftMs: number; typicalMs: number };
  'made': { resolution: string; sound: Sound };
  'delivered.probed': { width: number; height: number; sound: Sound; hasAudio: boolean };
  'denied.expired': None;
  'denied.by': { byName: string; reason?: string };
  'job.status': StatusPhrase;
  /** `Shot 2: rendering 45%`, `Shot 1: done (4s, $0.40)`. */
  'shot.line': ShotLine;
  'board.head': { kind: 'storyboard' | 'extension'; boardId: string; requesterName: string; state: BoardState; continuous: boolean };
  /** `heldMicros`: reserved for shots still to come. */
  'board.total': { chargedMicros: Micros; heldMicros: Micros };
  'job.line': { jobId: string; take?: { index: number; of: number; kept: boolean }; requesterName: string; prompt: string; backend: string; status: string };
  'job.kept': { index: number; of: number; jobId: string; requestId: string };
  'jobs.none': None;
  'job.cancelled': { jobId: string; estimateMicros: Micros };
  'character.created': { name: string };
  'character.owner': { ownerName: string; source: CharacterSource };
  'characters.none': None;
  'character.line': { name: string; description?: string; ownerName: string };
  'character.deleted': { name: string };
  'spend.title': { month: string };
  'spend.line': { label: string; spentMicros: Micros; reservedMicros: Micros; capMicros?: Micros };
  'spend.team': None;
  'spend.you': None;
  'spend.videos': { count: number };
  'spend.official-user': { backendName: string; officialMicros: Micros };
  'spend.left': { leftMicros: Micros; userCapMicros: Micros };
  'spend.by-member': None;
  'spend.by-backend': None;
  'spend.count': { count: number };
  'spend.compare': { backendName: string; officialMicros: Micros; paidMicros: Micros };
  'spend.csv': { rows: number; fileName: string };
  'spend.takes': None;
  'takes.line': TakesLine;
  'budget.updated': None;
  'budget.title': { month: string };
  'budget.policy': { policy: 'cost' | 'stability' };
  'budget.sound': { audio: Sound };
  'budget.member-cap': { name: string; capMicros: Micros };
}
