/**
 * Refusals and failures a person reads (a UserFacingError carries one). They
 * say what happened and what to do, never provider internals.
 */
import type { None } from './message-codes.js';
import type { Micros } from './money.js';
import type { JobState } from './types.js';

/** What a cap refused: one video, the takes of one request, a storyboard's shots, an extension. */
export type CapSubject =
  | { kind: 'video'; estimateMicros: Micros }
  | { kind: 'takes'; count: number; eachMicros: Micros }
  | { kind: 'shots'; count: number; totalMicros: Micros }
  | { kind: 'extension'; totalMicros: Micros };

export interface ErrorParams {
  /** Any failure that was not the person's doing; the details are in the log. */
  'internal': None;
  /** A sentence not yet given a code of its own (English only). */
  'text': { en: string };
  'unknown_command': { name: string };
  /** `adminsAre`: who the platform's admins are, already in the reader's language. */
  'admin_only': { name: string; adminsAre?: string };
  'admins.discord': None;
  'not_in_server': None;
  'shutting_down': None;
  'budget_exceeded': { subject: CapSubject; scope: 'tenant' | 'user'; leftMicros: Micros; capMicros: Micros };
  'unknown_job': { jobId: string; visible: boolean };
  'cancel.not_allowed': { jobId: string; requesterName: string };
  'cancel.already_finished': { jobId: string; state: JobState };
  'cancel.too_late': { jobId: string };
  'remix.not_finished': { jobId: string };
  /** `/sora extend` of a job or board (`board`) with no delivered video the bot still holds. */
  'extend.not_finished': { id: string; board: boolean };
  'already_decided': { jobId: string; outcome: 'approved' | 'denied' | 'expired' | 'undecided'; byName?: string; state?: JobState };
  'attachment.missing': None;
  'attachment.too_big': { sizeMiB: number; maxMiB: number };
  'no_attachments': None;
  'not_a_mention': { ref: string };
  'thread.discord': { jobId: string };
  'thread.slack_not_in_channel': None;
  'thread.slack_refused': None;
  'slack.unreadable_command': None;
}
