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
  /** Slack's /cost: its chart (and CSV) went to the asker's direct messages, not the channel. */
  'cost.files-sent': { fileNames: string[] };
}
