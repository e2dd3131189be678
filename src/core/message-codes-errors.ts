/**
 * Refusals and failures a person reads (a UserFacingError carries one). They
 * say what happened and what to do, never provider internals.
 */
import type { None } from './message-codes.js';
import type { Micros } from './money.js';
import type { BoardState, JobState } from './types.js';

/** What a cap refused: one video, the takes of one request, a storyboard's shots, an extension. */
export type CapSubject =
  | { kind: 'video'; estimateMicros: Micros }
  | { kind: 'takes'; count: number; eachMicros: Micros }
  | { kind: 'shots'; count: number; totalMicros: Micros }
  | { kind: 'extension'; totalMicros: Micros };

/** Why one backend cannot take a request (router.ts); each language says it as a clause after the backend's name. */
export type Unsuitability =
  | { kind: 'no_characters' }
  | { kind: 'too_many_characters'; max: number }
  | { kind: 'no_frames_source' }
  | { kind: 'needs_public_url' }
  | { kind: 'no_size'; resolution: string; orientation: 'landscape' | 'portrait' }
  | { kind: 'no_price'; resolution: string }
  | { kind: 'no_sound' }
  | { kind: 'no_silence' }
  | { kind: 'no_image' };

/** Why a platform could not say whether an admin is the only one: the member list needs an intent that is off, or failed. */
export type SoleAdminUnknown = 'intent_off' | 'unreadable';

/** One backend and why it cannot take the request. */
export type BackendRefusal = { backendName: string; why: Unsuitability };

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
  'cancel.board_waiting': { jobId: string; boardId: string };
  'remix.not_finished': { jobId: string };
  /** A job's Extend button before the job finished (Discord). */
  'extend.not_yet': { jobId: string };
  /** A job's Remix or Extend button with no finished video (Slack). */
  'job.no_video_to': { jobId: string; to: 'remix' | 'extend' };
  /** A Slack button naming a job of another channel. */
  'button.not_here': None;
  'unknown_board': { boardId: string };
  'storyboard.unknown_shot': { boardId: string; shot: number };
  'storyboard.shot_not_failed': { boardId: string; shot: number };
  'storyboard.shot_lost': { boardId: string; shot: number };
  'take.single': { jobId: string };
  /** `requestId`: the first take's id, which names the request. */
  'take.not_allowed': { requestId: string; requesterName: string };
  /** `take`: its number of `takes`; `noVideo`: failed or cancelled rather than still running. */
  'take.not_finished': { jobId: string; take: number; takes: number; noVideo: boolean };
  /** `changedBy`: the admin who last set the rules, if known. */
  'access.blocked': { changedBy?: string };
  'access.not_in_groups': { groupNames: string[]; changedBy?: string };
  'decide.not_allowed': { groupNames: string[] };
  /** `unknown`: the platform would not say whether this admin is the only one (types.ts `soleAdminUnknown`). */
  'decide.own_request': { id: string; board: boolean; unknown?: SoleAdminUnknown };
  /** `/sora extend` of a job or board (`board`) with no delivered video the bot still holds. */
  'extend.not_finished': { id: string; board: boolean };
  /** `what: 'board'`: a storyboard or extension waited (its id is `b_…`), with a board's state. */
  'already_decided': { jobId: string; outcome: 'approved' | 'denied' | 'expired' | 'undecided'; byName?: string; state?: JobState | BoardState; what?: 'board' };
  'attachment.missing': None;
  'attachment.too_big': { sizeMiB: number; maxMiB: number };
  'no_attachments': None;
  'not_a_mention': { ref: string };
  'thread.discord': { jobId: string };
  'thread.slack_not_in_channel': None;
  'thread.slack_refused': None;
  'slack.unreadable_command': None;
  /** `suggestions`: close names; else `otherwise` says where to look (nothing, the list, or how to create one). */
  'unknown_character': { name: string; suggestions: string[]; otherwise: 'nothing' | 'list' | 'create' };
  'character.bad_name': None;
  'character.bad_source': None;
  /** `advice`: tell them to pick another name or delete the old one. */
  'character.name_taken': { name: string; advice: boolean };
  'character.job_not_finished': { jobId: string };
  'character.source_gone': { jobId: string };
  'character.not_allowed': { ownerName: string; name: string };
  'character.gone_before_start': None;
  'binding.lost': { backendName: string; name: string };
  'binding.still_lost': { backendName: string; names: string[] };
  'binding.no_frames': { name: string; backendName: string };
  'binding.unsupported': { backendName: string };
  'image_gone': None;
  'budget.nothing_to_set': None;
  'budget.member_amount': None;
  'settings.no_channel': None;
  'settings.nothing_to_set': None;
  'settings.unknown_backend': { backend: string };
  /** The clause alone, for the character view's readiness notes. */
  'backend.why': { why: Unsuitability };
  'backend.unsuitable': BackendRefusal;
  'backend.provider_unsuitable': { provider: string; refusals: BackendRefusal[] };
  'backend.none_suitable': { refusals: BackendRefusal[] };
  'backend.unknown': { name: string; available: string[]; providers: string[] };
  'backend.gone': { backendId: string };
  'storyboard.shot_count': { count: number; max: number };
  'storyboard.too_many_shots': { count: number; max: number };
  'storyboard.mixed_orientation': None;
  'storyboard.no_shots': None;
  'storyboard.shot_seconds': { shot: number };
  'storyboard.shot_orientation': { shot: number };
  'storyboard.empty_shot': { shot: number };
  'options.quality_conflict': { quality: string; means: string; resolution: string };
  'no_ffmpeg.continue': None;
  'no_ffmpeg.join': None;
  /** What could not be saved: a finished video or a source file. */
  'disk_full': { what: 'video' | 'file' };
  /** `from`: a file handed to the bot or a web link. */
  'source.bad_type': { kind: 'video' | 'image'; from: 'file' | 'link' };
  'source.missing': { fileName: string };
  'source.too_large': { kind: 'video' | 'image'; maxBytes: number };
  'source.disk_quota': { usedBytes: number; incomingBytes: number; quotaBytes: number };
  'link.bad_url': None;
  'link.bad_scheme': None;
  'link.unresolvable': { host: string };
  'link.private_address': None;
  'link.redirects_nowhere': None;
  'link.too_many_redirects': { max: number };
  'link.http_error': { status: number };
  'link.timeout': { seconds: number };
  'link.unreachable': None;
  'console.no_file': { path: string };
  'slack_file.bad_ref': None;
  'slack_file.cannot_open': { fileId: string };
  /** `missingScope`: Slack refused the download itself, so the app likely lacks files:read. */
  'slack_file.cannot_download': { fileId: string; missingScope: boolean };
  'slack_file.wrong_type': { name: string; kind: 'video' | 'image' };
  'slack_file.too_large': { name: string; limitMb: number };
  'slack_file.download_failed': { name: string };
}
