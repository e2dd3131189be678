/**
 * The domain's shared records: tenants, places, characters, jobs and boards.
 * What differs between providers is described apart, in capabilities.ts.
 */
import type { Micros } from './money.js';
import type { SoleAdminUnknown } from './message-codes-errors.js';
import type { Message } from './messages.js';
import type { RouteReason } from './message-codes-outcomes.js';

/** `discord:123`, `slack:T123`, `console:local`: the platform plus the server or workspace id. */
export type TenantId = string;

export function tenantId(platform: string, space: string): TenantId {
  return `${platform}:${space}`;
}

export interface Actor {
  tenant: TenantId;
  userId: string;
  displayName: string;
  /** Admin on this platform (Manage Server on Discord, workspace admin/owner on Slack, always on the console). */
  isAdmin: boolean;
  /** Discord role ids or Slack user group ids this member belongs to (for `/settings access`). */
  groups?: readonly string[];
  /** The team's only admin (the console's one user): may approve their own videos, as nobody else can. */
  soleAdmin?: boolean;
  /**
   * Set when the platform would not say whether this admin is the only one (Discord without the Server
   * Members intent): why, so the refusal of their own request says what to do.
   */
  soleAdminUnknown?: SoleAdminUnknown;
  /**
   * Where the request was made. A new job is recorded there, and only those who
   * can see that place see the job (src/core/visibility.ts). Undefined on the
   * console, whose one user sees everything.
   */
  place?: Place;
  /**
   * Whether this member can see another place of the same tenant (channel
   * membership, checked by the adapter: the core never calls a platform).
   */
  canSee?: (place: Place) => Promise<boolean>;
}

/** A channel (public, private, or a group DM) or one member's direct messages with the bot. */
export interface Place {
  kind: 'channel' | 'dm';
  id: string;
}

export type Orientation = 'landscape' | 'portrait';

/** The output resolutions a user can ask for with `--resolution` (`--quality standard|high` means 720p|1080p). */
export const RESOLUTIONS = ['720p', '1080p', '4k'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** `--audio on|off`: a video with sound, or a silent one. */
export type Sound = 'on' | 'off';

// ---------------------------------------------------------------------------
// Characters
// ---------------------------------------------------------------------------

export type CharacterSource =
  | { kind: 'clip'; fileName: string }
  | { kind: 'url'; url: string }
  | { kind: 'job'; jobId: string };

export type CharacterBinding =
  | { kind: 'provider-character'; id: string; createdAt: number }
  | { kind: 'element'; id: string; createdAt: number }
  | { kind: 'reference-images'; frontal: string; references: string[]; createdAt: number };

export interface Character {
  tenant: TenantId;
  /** As the owner typed it; lookups use `key`. */
  name: string;
  key: string;
  description: string;
  ownerId: string;
  ownerName: string;
  source: CharacterSource;
  /** Local copy of the source clip under DATA_DIR, kept so any backend can be bound later. */
  clipPath: string | undefined;
  /** One binding per backend id. */
  bindings: Record<string, CharacterBinding>;
  createdAt: number;
}

// ---------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------

export type JobState =
  | 'awaiting_approval' // accepted and reserved, estimated above the approval threshold: waits for an admin
  | 'queued' // accepted, budget reserved, waiting for a backend slot
  | 'submitting' // provider call in flight; the idempotency key is already persisted
  | 'submitted' // provider accepted it and we hold its id
  | 'running' // provider reports progress
  | 'downloading' // provider finished; copying the file into DATA_DIR
  | 'delivering' // file saved; handing it to the chat surface
  | 'delivered'
  | 'failed'
  | 'cancelled';

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['delivered', 'failed', 'cancelled']);

/**
 * A job whose video is made, paid for and ours: delivered, or being posted. A chat surface shows
 * Remix, Extend and Keep with the posted video, a moment before the job is recorded as delivered
 * (posted first, so a crash finds the post instead of posting twice); a click in between must find it.
 */
export function hasVideo(job: Pick<JobRecord, 'state' | 'resultPath'>): boolean {
  return job.state === 'delivered' || (job.state === 'delivering' && job.resultPath !== undefined);
}

/** The options a user can leave to the channel's defaults. */
export type GivenOption = 'seconds' | 'orientation' | 'resolution' | 'backend';

export interface GenerationInput {
  prompt: string;
  seconds: number | undefined;
  orientation: Orientation;
  resolution: Resolution;
  /**
   * Sound the user asked for with `--audio`; undefined leaves it to the team's default, which
   * the router prefers but does not insist on (a backend that can only do the other still runs).
   */
  audio: Sound | undefined;
  /** Backend the user asked for, if any. */
  backend: string | undefined;
  /** Local path of an input image, already fetched and checked by the adapter/core. */
  imagePath: string | undefined;
  /** For a remix: the job it varies. */
  remixOf: string | undefined;
  /** Which of the options the user typed (the rest may come from the channel's defaults). */
  given?: readonly GivenOption[];
}

/** Opaque to the core: what a chat adapter needs to find its thread and status message again. */
export type SurfaceRef = { platform: string } & Record<string, unknown>;

export interface JobRecord {
  id: string;
  tenant: TenantId;
  requesterId: string;
  requesterName: string;
  input: GenerationInput;
  /** Character keys named in the prompt, in order of first mention. */
  characterKeys: string[];
  /** Chosen backend and the candidates left for fallback. */
  backend: string;
  fallbacks: string[];
  triedBackends: string[];
  /** Why its backend was chosen; a string on jobs stored before reasons were messages. */
  routeReason: RouteReason | string;
  seconds: number;
  size: string;
  /** Whether the chosen backend makes this video with sound: what the price and the acceptance say. */
  audio: Sound;
  renderedPrompt: string | undefined;
  estimateMicros: Micros;
  priceMicros: Micros | undefined;
  /** What the same video costs at the reference (official) price list. */
  officialMicros: Micros;
  /** Ledger month this job's reservation lives in (`2026-11`). */
  ledgerMonth: string;
  state: JobState;
  /** The surface has been attached; before this the scheduler does not run the job. */
  started: boolean;
  progress: number;
  /** Sent as the provider's idempotency key, and persisted before the submit call. */
  submissionKey: string;
  providerJobId: string | undefined;
  resultPath: string | undefined;
  resultBytes: number | undefined;
  /** What ffprobe read from the delivered file (its real size and whether it has sound). */
  resultVideo?: DeliveredVideo;
  /** One of several takes of the same request (`--takes N`). */
  take?: Take;
  /** `message`: the English sentence (logs, records from before `said`); `said`: the same as a message, for each reader's language. */
  error: { code: string; message: string; said?: Message } | undefined;
  surface: SurfaceRef;
  /** Present when the job needed an admin's approval: what was decided, by whom. */
  approval?: Approval;
  /** Where it was requested: who may see its prompt and video. Absent on jobs made before places were recorded. */
  place?: Place;
  createdAt: number;
  updatedAt: number;
  submittedAt: number | undefined;
  completedAt: number | undefined;
  /** A job still running at this time fails (a provider stuck at 99% never finishes on its own). */
  deadlineAt: number;
  polls: number;
  /** A shot of a storyboard or extension: its board posts the joined video, not the shot itself. */
  board?: { id: string; shot: number };
  /**
   * Set, in a compare-and-set, by the attempt about to post the video, right before its post: a
   * later attempt that finds it may follow a post nobody recorded, and an attempt that finds it
   * changed since it read it must not post (see JobEvent `finished`).
   */
  deliveryMark?: DeliveryMark;
}

/** Who last set out to post a job's video, and when (job-delivery.ts). */
export interface DeliveryMark {
  at: number;
  attempt: string;
}

/** A delivered file as ffprobe saw it. */
export interface DeliveredVideo {
  width: number;
  height: number;
  hasAudio: boolean;
}

/**
 * One of the takes of a request (`--takes N`): each is a job of its own for money and restarts.
 * `ids` lists every take of the request in order (`index` counts from 1). The take a member
 * keeps stands for all of them in remix, extend and `--from_job`.
 */
export interface Take {
  ids: string[];
  index: number;
  kept: boolean;
}

export interface Approval {
  /** The threshold its estimate was above. */
  thresholdMicros: number;
  /** When it is released if nobody decides. */
  expiresAt: number;
  decision?: { outcome: 'approved' | 'denied' | 'expired'; byId: string; byName: string; at: number; reason?: string };
}

/** What a live job is doing, for a surface to put in words (`stageOf` in job-lifecycle.ts). */
export type JobPhase = 'sending' | 'provider-queue' | 'generating' | 'downloading' | 'uploading' | 'retrying';

export type JobEvent =
  | { type: 'queued'; position: number }
  | { type: 'progress'; phase: JobPhase; progress: number; position: number | undefined }
  /**
   * `beforePost`: a surface without an idempotency key calls it right before its post becomes
   * visible; it marks the job (JobRecord.deliveryMark) and throws when another attempt marked it since
   * this one began (a replica taken for dead that was only slow), so this one posts nothing.
   * `earlierAttemptAt`: an earlier attempt was about to post then (and may have, then died, before
   * recording it): the surface looks for that post before posting again. Absent when no attempt
   * got that far: the surface posts with no look.
   */
  | { type: 'finished'; path: string; bytes: number; earlierAttemptAt?: number; beforePost?: () => Promise<void> }
  | { type: 'failed'; reason: string }
  | { type: 'cancelled'; byName: string }
  /** Reserved and waiting for an admin; the surface shows Approve and Deny to those who may decide. */
  | { type: 'awaiting-approval'; thresholdMicros: number; expiresAt: number }
  | { type: 'approved'; byName: string }
  /** Denied by an admin, or `expired` with nobody deciding in time: the reservation was released. */
  | { type: 'denied'; byName: string | undefined; reason: string | undefined; expired: boolean };

// ---------------------------------------------------------------------------
// Storyboards: several shots (each a job) joined into one video
// ---------------------------------------------------------------------------

/**
 * A board's life (the table is BOARD_TRANSITIONS in job-lifecycle.ts):
 * its shots render, then are joined, then the joined video is posted.
 * `incomplete`: every shot ended but one failed; a "Retry shot N" renders it again.
 * `awaiting_approval`: its sum is above the approval threshold; reserved, shots not started, an admin decides.
 * `cancelled`: denied, or nobody decided in time; every shot was cancelled and released.
 */
export type BoardState = 'awaiting_approval' | 'rendering' | 'incomplete' | 'joining' | 'delivering' | 'delivered' | 'failed' | 'cancelled';

export const TERMINAL_BOARD_STATES: ReadonlySet<BoardState> = new Set(['delivered', 'failed', 'cancelled']);

export interface BoardRecord {
  /** `b_…`, so a board id never reads as a job id. */
  id: string;
  tenant: TenantId;
  requesterId: string;
  requesterName: string;
  place?: Place;
  kind: 'storyboard' | 'extension';
  /** Each shot starts from the previous shot's last frame, so shots render one after another. */
  continuous: boolean;
  /** Job ids in shot order. A retried shot's new job takes its predecessor's place. */
  shots: string[];
  /** Retries made per shot (index), the automatic one included. */
  retries: number[];
  /**
   * An extension: the delivered video that comes first in the joined result, and the job it came from,
   * or the board (`b_…`: a storyboard or an earlier extension) despite the key's name, kept for stored records.
   */
  lead?: { jobId: string; path: string; seconds: number };
  state: BoardState;
  /** Present when the board's sum needed an admin's approval: what was decided, by whom. */
  approval?: Approval;
  resultPath: string | undefined;
  resultBytes: number | undefined;
  /** Seconds of the joined video. */
  seconds: number;
  /** `message`: the English sentence (logs, records from before `said`); `said`: the same as a message, for each reader's language. */
  error: { code: string; message: string; said?: Message } | undefined;
  surface: SurfaceRef;
  started: boolean;
  /** When delivery of the joined video was first attempted (as JobRecord.deliveryMark; boards are not taken over by other replicas). */
  deliveryStartedAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** One line of a board's status: a shot and how far it got. */
export interface ShotLine {
  /** 1-based, as users count. */
  shot: number;
  jobId: string;
  status: 'approval' | 'waiting' | 'queued' | 'rendering' | 'done' | 'failed';
  progress: number;
  seconds: number;
  /** Charged (done) or held (live) for this shot. */
  micros: Micros;
  reason?: Message;
}

export type BoardEvent =
  | { type: 'status'; lines: ShotLine[]; totalMicros: Micros }
  /** Every shot ended, at least one failed: the delivered shots and a retry for each failed one. */
  | { type: 'incomplete'; lines: ShotLine[]; delivered: { shot: number; path: string }[]; reason: string }
  /** `earlierAttemptAt` as in JobEvent `finished`. */
  | { type: 'finished'; path: string; bytes: number; lines: ShotLine[]; totalMicros: Micros; earlierAttemptAt?: number }
  | { type: 'failed'; reason: string }
  /** Reserved and waiting for an admin, as a single job does (JobEvent): the surface shows Approve and Deny. */
  | { type: 'awaiting-approval'; lines: ShotLine[]; totalMicros: Micros; thresholdMicros: number; expiresAt: number }
  | { type: 'approved'; byName: string }
  /** Denied, or `expired`: every shot was cancelled and its reservation released. */
  | { type: 'denied'; byName: string | undefined; reason: string | undefined; expired: boolean; totalMicros: Micros };
