/**
 * The simulator's render queue. Jobs walk queued → in_progress (progress
 * rising) → completed | failed on the injected clock. State is computed from
 * timestamps whenever someone looks, instead of by timers: a test that moves a
 * ManualClock forward an hour sees exactly what a provider would show after an
 * hour, with no sleepers to fire and nothing to leak after `stop()`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { SimProtocol } from './faults.js';

export type SimJobStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

/** Job-level fault fixed at creation time. */
export type SimJobFault = 'moderation' | 'stall' | 'cameo_denied';

/** A resolution's frame size (`1080p`, portrait → `1080x1920`), as the simulator renders it. */
export function frameSize(resolution: string, portrait: boolean): string {
  const [long, short] = resolution === '4k' ? [3840, 2160] : resolution === '1080p' ? [1920, 1080] : resolution === '540p' ? [960, 540] : resolution === '480p' ? [854, 480] : resolution === '360p' ? [640, 360] : [1280, 720];
  return portrait ? `${short}x${long}` : `${long}x${short}`;
}

export interface SimJob {
  id: string;
  protocol: SimProtocol;
  prompt: string;
  seconds: number;
  size: string;
  /** The request asked for sound (the clip gets a sine tone) or not (a silent track). */
  sound: boolean;
  model: string;
  /** Character ids this job was asked to render. */
  characters: string[];
  remixedFrom: string | undefined;
  hasInputReference: boolean;
  /** SHA-256 of the start image the job was given, when it came as a file. */
  inputReferenceSha256: string | undefined;
  createdAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  status: SimJobStatus;
  progress: number;
  error: { code: string; message: string } | undefined;
  fault: SimJobFault | undefined;
  /** Clock time the render takes once started. */
  renderMs: number;
}

export interface JobBoardOptions {
  clock: Clock;
  /** Render time per second of video (default 1000: a 4 s video takes 4 s of clock time). */
  renderMsPerVideoSecond?: number;
  /** Jobs rendering at once; the rest wait queued (default 2), so `queued` is observable. */
  concurrency?: number;
}

export interface NewJob {
  protocol: SimProtocol;
  prompt: string;
  seconds: number;
  size: string;
  /** Default false: a silent clip. */
  sound?: boolean;
  model: string;
  characters?: string[];
  remixedFrom?: string;
  hasInputReference?: boolean;
  inputReferenceSha256?: string;
  fault?: SimJobFault;
}

/** Failure each job fault ends in, in each protocol's words. */
const FAULT_ERRORS: Record<Exclude<SimJobFault, 'stall'>, Record<SimProtocol, { code: string; message: string }>> = {
  moderation: {
    // OpenAI: observed code on moderated Sora jobs (https://platform.openai.com/docs/guides/video-generation).
    openai: { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' },
    // Resellers report policy blocks as free text (docs/providers.md: no published spec exists).
    apiyi: { code: 'content_violation', message: 'Generation failed: content violation detected in prompt or output.' },
    // fal: 422 `detail[].type` (https://docs.fal.ai/model-apis/model-endpoints/queue).
    fal: { code: 'content_policy_violation', message: 'The content could not be processed because it contained material flagged by a content checker.' },
    // Veo: the operation ends without samples and a filtered count.
    gemini: { code: 'rai_media_filtered', message: 'The generated video was filtered by responsible AI safety checks.' },
    // Kling: `task_status_msg` free text on a failed task.
    kling: { code: 'risk_control', message: 'Failure to pass the risk control system' },
    // Vidu: a failed task's `err_code` (https://platform.vidu.com/docs/error-code).
    vidu: { code: 'CreationPolicyViolation', message: 'creation policy violation' },
  },
  cameo_denied: {
    openai: { code: 'cameo_permission_denied', message: 'You do not have permission to use this cameo.' },
    apiyi: { code: 'cameo_permission_denied', message: 'cameo_permission_denied' },
    fal: { code: 'permission_denied', message: 'permission denied for a referenced asset' },
    gemini: { code: 'PERMISSION_DENIED', message: 'permission denied for a referenced asset' },
    kling: { code: 'element_permission', message: 'invalid parameter: element is not accessible' },
    vidu: { code: 'Forbidden', message: 'forbidden' },
  },
};

/** Id shapes per protocol; Gemini and Kling ids are opaque strings, fal's are request ids. */
const JOB_ID_PREFIX: Record<SimProtocol, string> = { openai: 'video_', apiyi: 'task_', fal: 'req_', gemini: 'op_', kling: 'kt_', vidu: 'vt_' };

export function newSimId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

export class JobBoard {
  private readonly clock: Clock;
  private readonly msPerSecond: number;
  private readonly concurrency: number;
  /** Insertion order is queue order. */
  private readonly jobs = new Map<string, SimJob>();

  constructor(options: JobBoardOptions) {
    this.clock = options.clock;
    this.msPerSecond = options.renderMsPerVideoSecond ?? 1000;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
  }

  create(init: NewJob): SimJob {
    this.refresh();
    const prefix = JOB_ID_PREFIX[init.protocol];
    const job: SimJob = {
      id: newSimId(prefix),
      protocol: init.protocol,
      prompt: init.prompt,
      seconds: init.seconds,
      size: init.size,
      sound: init.sound ?? false,
      model: init.model,
      characters: init.characters ?? [],
      remixedFrom: init.remixedFrom,
      hasInputReference: init.hasInputReference ?? false,
      inputReferenceSha256: init.inputReferenceSha256,
      createdAt: this.clock.now(),
      startedAt: undefined,
      completedAt: undefined,
      status: 'queued',
      progress: 0,
      error: undefined,
      fault: init.fault,
      renderMs: init.seconds * this.msPerSecond,
    };
    this.jobs.set(job.id, job);
    this.refresh();
    return job;
  }

  get(id: string): SimJob | undefined {
    this.refresh();
    return this.jobs.get(id);
  }

  list(protocol: SimProtocol): SimJob[] {
    this.refresh();
    return [...this.jobs.values()].filter((j) => j.protocol === protocol);
  }

  /** Deletes a job (OpenAI `DELETE /videos/{id}`); a rendering job frees its slot. */
  remove(id: string): SimJob | undefined {
    this.refresh();
    const job = this.jobs.get(id);
    this.jobs.delete(id);
    this.refresh();
    return job;
  }

  /** How many jobs sit in each state, for tests and the control route. */
  counts(): Record<SimJobStatus, number> {
    this.refresh();
    const counts: Record<SimJobStatus, number> = { queued: 0, in_progress: 0, completed: 0, failed: 0 };
    for (const job of this.jobs.values()) counts[job.status]++;
    return counts;
  }

  /** Replays everything that happened between the last look and now, in time order. */
  refresh(): void {
    const now = this.clock.now();
    for (;;) {
      const next = this.nextFinish();
      if (!next || next.at > now) break;
      this.finish(next.job, next.at);
      this.startQueued(next.at);
    }
    this.startQueued(now);
    for (const job of this.jobs.values()) {
      if (job.status !== 'in_progress' || job.startedAt === undefined) continue;
      const fraction = job.renderMs === 0 ? 1 : (now - job.startedAt) / job.renderMs;
      // Never 100 before it is done; a stalled job sits at 99 for ever ("heavy load" resellers).
      job.progress = Math.max(0, Math.min(99, Math.floor(fraction * 100)));
    }
  }

  private nextFinish(): { job: SimJob; at: number } | undefined {
    let best: { job: SimJob; at: number } | undefined;
    for (const job of this.jobs.values()) {
      if (job.status !== 'in_progress' || job.startedAt === undefined || job.fault === 'stall') continue;
      const at = job.startedAt + job.renderMs;
      if (!best || at < best.at) best = { job, at };
    }
    return best;
  }

  private finish(job: SimJob, at: number): void {
    job.completedAt = at;
    if (job.fault === 'moderation' || job.fault === 'cameo_denied') {
      // Output moderation: the block arrives when the render ends, as with Sora.
      job.status = 'failed';
      job.error = FAULT_ERRORS[job.fault][job.protocol];
      return;
    }
    job.status = 'completed';
    job.progress = 100;
  }

  private startQueued(at: number): void {
    let running = 0;
    for (const job of this.jobs.values()) if (job.status === 'in_progress') running++;
    for (const job of this.jobs.values()) {
      if (running >= this.concurrency) break;
      if (job.status !== 'queued') continue;
      job.status = 'in_progress';
      job.startedAt = Math.max(at, job.createdAt);
      job.progress = 0;
      running++;
    }
  }
}
