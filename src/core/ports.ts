/**
 * The core's ports. Backends (src/backends), chat adapters (src/chat), the store
 * (src/store) and media handling (src/media) implement these; the core depends
 * on nothing else outside itself.
 */
import type { Readable } from 'node:stream';
import type { Micros } from './money.js';
import type { BackendCapabilities } from './capabilities.js';
import type {
  BoardEvent,
  BoardRecord,
  Character,
  CharacterBinding,
  DeliveredVideo,
  JobEvent,
  JobRecord,
  Orientation,
  Resolution,
  Sound,
  SurfaceRef,
} from './types.js';

// ---------------------------------------------------------------------------
// Backend
// ---------------------------------------------------------------------------

export interface BoundCharacter {
  name: string;
  description: string;
  binding: CharacterBinding;
}

export interface GenerationRequest {
  jobId: string;
  /** Stable across restarts: a resubmission after a crash must not create a second provider job. */
  idempotencyKey: string;
  /** Already rendered in this backend's mention syntax. */
  prompt: string;
  seconds: number;
  size: string;
  orientation: Orientation;
  resolution: Resolution;
  /** Make the video with sound (`on`) or silent (`off`): the backend declared it can, at this price. */
  audio: Sound;
  /** In order of the tags in `prompt` (`@Element1` is characters[0]). */
  characters: BoundCharacter[];
  imagePath: string | undefined;
  /** Provider id of the video this one remixes, on this same backend. */
  remixOfProviderJobId: string | undefined;
  /** Where the provider should call back, when the backend completes by webhook. */
  webhookUrl: string | undefined;
  /**
   * Options the user set explicitly for this job (`seconds` after `--seconds`). A provider's
   * rejection that names one of these is the user's to fix; any other is the bot's.
   */
  userChose?: readonly import('./errors.js').UserChosenField[];
}

export type ProviderJobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ProviderStatus {
  state: ProviderJobState;
  /** 0–100 when the provider reports it. */
  progress: number | undefined;
  /** The provider's own queue position, when it reports one. */
  queuePosition: number | undefined;
  /** Set when state is `failed`. */
  error: import('./errors.js').ProviderError | undefined;
  /** Seconds of video actually produced, when the provider reports it (drives per-second settlement). */
  seconds: number | undefined;
}

export interface ResultStream {
  body: Readable;
  contentLength: number | undefined;
  contentType: string | undefined;
}

export interface CharacterSourceForBackend {
  name: string;
  description: string;
  /** Local clip, when the bot holds one. */
  clipPath: string | undefined;
  /** A URL the provider can fetch the clip from (the original URL, or the bot's own signed link). */
  clipUrl: string | undefined;
  /** When the source is an earlier job that ran on this same backend: its provider id. */
  providerJobId: string | undefined;
  /** Reference frames cut from the clip (frontal first), when the binding needs images. */
  frames: string[];
}

export interface Backend {
  readonly id: string;
  readonly capabilities: BackendCapabilities;
  submit(request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }>;
  status(providerJobId: string, signal?: AbortSignal): Promise<ProviderStatus>;
  /** Opens the finished video. Called again if a download fails or the URL expired. */
  openResult(providerJobId: string, signal?: AbortSignal): Promise<ResultStream>;
  cancel?(providerJobId: string): Promise<void>;
  /** Creates the provider-side form of a character (provider character id or element). */
  createCharacter?(source: CharacterSourceForBackend, signal?: AbortSignal): Promise<CharacterBinding>;
  deleteCharacter?(binding: CharacterBinding): Promise<void>;
}

// ---------------------------------------------------------------------------
// Surface: where a job's life is shown to people
// ---------------------------------------------------------------------------

export interface Surface {
  readonly platform: string;
  /** Smallest gap between progress updates this platform tolerates (Discord: ~5 edits / 5 s per channel). */
  readonly progressIntervalMs: number;
  /**
   * Shows one step of a job's life. May return a patch to the job's surface ref
   * (e.g. a new status message id), which the core persists.
   * `finished` must be idempotent per job: the core may repeat it after a crash.
   */
  update(job: JobRecord, event: JobEvent): Promise<Partial<SurfaceRef> | void>;
  /**
   * Shows one step of a storyboard's life: one status line per shot, the shots and a retry
   * when one failed, the joined video. Same contract as `update`; `finished` must be idempotent.
   * A surface without it takes no storyboards.
   */
  updateBoard?(board: BoardRecord, event: BoardEvent): Promise<Partial<SurfaceRef> | void>;
  /**
   * The ref a new board (an extension of `ref`'s delivered board) starts with: the same thread, without
   * the ids of that board's own status and delivery messages, which the new board must not edit or take
   * for its own delivery. A surface without it gives the board's ref as it is.
   */
  threadOfBoard?(ref: SurfaceRef): SurfaceRef;
  /**
   * Posts a notice for the team's admins in one of the team's channels (an 80% budget warning in the
   * channel `/settings alerts` named). A surface without it shows warnings only in the reply.
   */
  postAlert?(tenant: string, channelId: string, text: string): Promise<void>;
}

// ---------------------------------------------------------------------------
// Store: a key-value document store (keyv over SQLite, Redis or Postgres)
// ---------------------------------------------------------------------------

/**
 * Keys seen within a while: a request or webhook delivered twice acts once, across restarts and across
 * the processes sharing the store (src/chat/replay-guard.ts, src/webhooks/dispatch.ts).
 */
export interface SeenKeys {
  /** True the first time `key` is seen within `ttlMs`; false for every later copy, even one arriving at the same time. */
  first(key: string, ttlMs: number): Promise<boolean>;
}

export interface KeyValueStore {
  /**
   * True when other processes may write the same keys (Redis, Postgres): then no document may be
   * cached in-process (core/document-cache.ts), or one replica would go on reading another's old caps.
   */
  readonly shared?: boolean;
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Jobs: every job's record, the active set a restart resumes, each team's recent list
// ---------------------------------------------------------------------------

/**
 * Where jobs live. The key-value implementation (core/job-store.ts) writes a
 * job and its reservation separately and relies on acceptance.ts's
 * reconciliation; a store with transactions (src/store/sql) implements
 * `createReserved` and makes them durable together.
 */
export interface JobRepository {
  get(jobId: string): Promise<JobRecord | undefined>;
  /** A job as seen by a tenant: another tenant's job does not exist. */
  getForTenant(tenant: string, jobId: string): Promise<JobRecord | undefined>;
  /** Writes a new job into the active set (not yet listed). */
  create(job: JobRecord): Promise<void>;
  /** Lists an accepted job among its tenant's recent jobs. */
  publish(job: JobRecord): Promise<void>;
  /** Removes a job that was never accepted. */
  discard(job: JobRecord): Promise<void>;
  reindex(job: JobRecord): Promise<void>;
  unindex(jobId: string): Promise<void>;
  activeIds(): Promise<string[]>;
  isActive(jobId: string): Promise<boolean>;
  isRecent(job: JobRecord): Promise<boolean>;
  /**
   * Persists a transition; a terminal state leaves the active set. With `previous`, it writes only
   * if the stored record is still `previous` and throws JobMovedOn otherwise: replicas sharing a
   * database then cannot both make the same move. A store one process owns may ignore it.
   */
  save(job: JobRecord, previous?: JobRecord): Promise<void>;
  /** Unfinished jobs, oldest first. */
  activeJobs(): Promise<JobRecord[]>;
  recent(tenant: string): Promise<JobRecord[]>;
  /**
   * Accepts in one transaction: the job (active and listed), its reservation and the
   * reservation's audit entry (audited-ledger.ts `reserveEntry`) become durable together,
   * or none does when the budget refuses.
   */
  createReserved?(job: JobRecord, reservation: ReservationRequest): Promise<ReservationResult>;
  /** The same for a storyboard's shots: every job and every reservation, or none. */
  createReservedAll?(jobs: JobRecord[], reservations: ReservationRequest[]): Promise<ReservationResult>;
  /**
   * With several replicas: the unfinished jobs this replica should follow (its own, and those of
   * replicas no longer seen alive), claimed for it, oldest first. Without it, every active job is this process's.
   */
  claimActive?(): Promise<JobRecord[]>;
}

// ---------------------------------------------------------------------------
// Ledger: budget reservations in integer micro-dollars
// ---------------------------------------------------------------------------

export interface BudgetCaps {
  tenantCapMicros: Micros;
  userCapMicros: Micros;
}

export interface ReservationRequest {
  tenant: string;
  userId: string;
  userName: string;
  jobId: string;
  month: string;
  micros: Micros;
  caps: BudgetCaps;
}

export type ReservationResult =
  /** `previousMicros`: what the job held before (0 for a new reservation; the old amount when adjusted or retried). */
  | { ok: true; tenantLeftMicros: Micros; userLeftMicros: Micros; previousMicros: Micros }
  | { ok: false; scope: 'tenant' | 'user'; leftMicros: Micros; capMicros: Micros };

export interface Settlement {
  tenant: string;
  jobId: string;
  month: string;
  backend: string;
  priceMicros: Micros;
  officialMicros: Micros;
}

export interface SpendLine {
  spentMicros: Micros;
  reservedMicros: Micros;
  officialMicros: Micros;
  jobs: number;
}

export interface MonthSummary {
  tenant: string;
  month: string;
  total: SpendLine;
  byUser: Record<string, SpendLine & { name: string }>;
  byBackend: Record<string, SpendLine>;
}

/**
 * Reserve → settle | release. Implementations must make `reserve` atomic
 * against the caps: concurrent requests never overspend. The SQLite/keyv
 * implementation serializes per tenant in-process; a multi-process deployment
 * needs a store-side implementation (Postgres row lock or a Redis script).
 */
export interface Ledger {
  reserve(request: ReservationRequest): Promise<ReservationResult>;
  /**
   * Reserves several jobs of one tenant, member and month at once: the sum is checked against the caps
   * and every job holds its own amount after ONE write, or none does (a storyboard's shots).
   */
  reserveAll(requests: ReservationRequest[]): Promise<ReservationResult>;
  /** Replaces a reservation's amount (fallback to a backend with another price). */
  adjust(request: ReservationRequest): Promise<ReservationResult>;
  /** Idempotent: settling twice charges once. Returns the reservation it closed, undefined when none was open. */
  settle(settlement: Settlement): Promise<ClosedReservation | undefined>;
  /** Idempotent: releasing an unknown or settled reservation does nothing and returns undefined. */
  release(tenant: string, month: string, jobId: string): Promise<ClosedReservation | undefined>;
  summary(tenant: string, month: string): Promise<MonthSummary>;
  /** The amount a job holds, if it holds a reservation. */
  held(tenant: string, month: string, jobId: string): Promise<Micros | undefined>;
  /** Every open reservation, for the start-up reconciliation (nothing else runs then). */
  openReservations(): Promise<OpenReservation[]>;
}

/** A reservation that a settle or release closed: whose it was and how much it held. */
export interface ClosedReservation {
  userId: string;
  userName: string;
  micros: Micros;
}

export interface OpenReservation {
  tenant: string;
  month: string;
  jobId: string;
  userId: string;
  micros: Micros;
}

// ---------------------------------------------------------------------------
// Media: files under DATA_DIR, kept locally or in shared storage
// ---------------------------------------------------------------------------

export interface MediaStore {
  /** Streams a result into DATA_DIR without holding it in memory; enforces the size cap. */
  saveResult(jobId: string, stream: ResultStream, signal?: AbortSignal): Promise<{ path: string; bytes: number; video?: DeliveredVideo }>;
  /** Fetches a user-supplied clip or image URL under the safety rules (scheme, address, size, type, time) to a hand-over file. */
  fetchSource(url: string, kind: 'video' | 'image', signal?: AbortSignal): Promise<{ path: string; bytes: number }>;
  /**
   * Takes a local file (console path, adapter hand-over, fetched URL, the bot's own result) into the
   * team's folder after checking its kind, the size cap and the team's disk quota. Hand-over files are moved.
   */
  importFile(path: string, kind: 'video' | 'image', tenant: string): Promise<{ path: string; bytes: number }>;
  /** Removes files the bot made (character clips, frames, input images); other paths are ignored. */
  discard(paths: Array<string | undefined>): Promise<void>;
  /** Whether the bot still holds this file of its own. */
  holds(path: string): Promise<boolean>;
  /** One frontal and up to three reference frames from a clip. Empty when frames cannot be cut. */
  extractFrames(clipPath: string, count: number): Promise<string[]>;
  /** The video's last frame as an image in the team's folder, owned like an `--image` (a continuous shot's start). */
  lastFrame(videoPath: string, tenant: string): Promise<{ path: string; bytes: number }>;
  /** Joins videos in order into `videos/<name>.mp4`, normalized to one size, frame rate and codec. */
  joinVideos(name: string, paths: string[]): Promise<{ path: string; bytes: number; seconds: number }>;
  /** A URL the providers can fetch this file from (signed or presigned), or undefined when none can be made. */
  publicUrlFor(path: string, ttlMs: number): Promise<string | undefined>;
  /** Makes sure the bot's own files are on this process's disk before something reads them (shared storage keeps the truth). */
  bringLocal(paths: Array<string | undefined>): Promise<void>;
}

export type { Character };

// ---------------------------------------------------------------------------
// Logger: structured log lines (pino in production, wired in src/app.ts)
// ---------------------------------------------------------------------------

/** The core logs through this port, so it never depends on a logging library. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}
