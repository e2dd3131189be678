/**
 * How things turned out, as data: why a job failed, why the router chose a
 * backend, whether a character is ready on a backend, and what a storyboard's
 * acceptance and approval say. Kept with the records they describe (a job's
 * `error.said`, its `routeReason`), so each reader gets them in their language.
 */
import type { ProviderErrorKind, UserChosenField } from './errors.js';
import type { None } from './message-codes.js';
import type { Unsuitability } from './message-codes-errors.js';
import type { Micros } from './money.js';
import type { Orientation } from './types.js';

/**
 * Why the router chose a backend (router.ts, storyboard-plan.ts, job-fallback.ts).
 * `characters` are names with their `@`; `skipped`: backends passed over after recent failures.
 */
export type RouteReason =
  | { kind: 'forced'; backendName: string }
  | { kind: 'provider'; backendName: string; provider: string; count: number }
  /** `pool`: how many backends were compared, when characters or an exact length narrowed them (`exactSeconds`). */
  | { kind: 'policy'; backendName: string; policy: 'cost' | 'stability'; pool?: number; characters: string[]; exactSeconds?: number; skipped: string[] }
  | { kind: 'fallback'; backendName: string; failedName: string; failure: ProviderErrorKind }
  | { kind: 'board_shared'; backendName: string; characters: string[] }
  | { kind: 'board_split' };

/** A character on one backend (character-catalog.ts): bound, made on first use, or why it cannot be. */
export type Readiness = { state: 'ready' } | { state: 'on-first-use' } | { state: 'unsupported'; why?: Unsuitability };

export interface OutcomeParams {
  /** What a person reads when a provider failed, free of the provider's own wording. */
  'failure.provider': { kind: ProviderErrorKind; backendName: string; field?: UserChosenField };
  'failure.internal': None;
  'failure.deadline': { backendName: string; minutes: number };
  'failure.provider_cancelled': { backendName: string };
  'failure.download': { backendName: string };
  'failure.fallback_over_budget': { failedName: string; nextName: string };
  /** A cancelled shot of a board nobody approved: `byName` denied it, else it expired. */
  'failure.not_approved': { byName?: string; reason?: string };
  /** Shots of a board that failed; `reason`: the first one's, already in the reader's language. */
  'board.shots_failed': { shots: number[]; reason?: string };
  'board.join_failed': None;
  'board.shot_lost': None;
  /** A shot cancelled with no other reason recorded. */
  'board.shot_cancelled': None;
  'route.reason': RouteReason;
  'character.readiness': Readiness;
  'board.accepted': {
    kind: 'storyboard' | 'extension';
    boardId: string;
    shots: number;
    seconds: number;
    orientation: Orientation;
    backendNames: string[];
    estimateMicros: Micros;
    /** An extension: the video it continues. */
    lead?: { jobId: string; seconds: number };
  };
  'board.accepted-shot': { shot: number; seconds: number; prompt: string; estimateMicros: Micros };
  'board.continuous': None;
  'board.accepted-awaiting': { boardId: string; thresholdMicros: Micros };
  /** The answer to the admin who decided. */
  'board.decided': { kind: 'storyboard' | 'extension'; boardId: string; requesterName: string; approved: boolean; shots: number; totalMicros: Micros };
  /** A waiting board's status; `buttons`: the surface shows Approve and Deny. */
  'board.awaiting': { boardId: string; totalMicros: Micros; thresholdMicros: Micros; buttons: boolean };
  /** In the board's thread: never "your storyboard", the Discord surface finds its delivery by those words. */
  'board.decision-notice': { kind: 'storyboard' | 'extension'; boardId: string; approvedBy?: string; denied?: string };
  'board.denied': { byName?: string; reason?: string; expired: boolean; totalMicros: Micros };
}
