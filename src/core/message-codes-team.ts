/**
 * What the team controls say to the member who asked: /settings, the audit
 * trail, an admin's decision on a job, and the 80% budget warning.
 */
import type { Micros } from './money.js';

export interface TeamParams {
  'settings.title': { changed: boolean };
  /** `approveAboveMicros` absent: no approval threshold is set. */
  'settings.approval': { approveAboveMicros?: Micros };
  /** `allowed`: the groups whose members may make videos (besides admins); empty: every member. */
  'settings.access': { allowed: string[]; blocked: string[] };
  'settings.approvers': { groups: string[] };
  /** `channel`: where warnings are also posted, as the platform shows a channel. */
  'settings.alerts': { channel?: string };
  /** `defaults` absent: the channel has none of its own; each one in the platform's option syntax. */
  'settings.channel': { defaults?: { option: string; value: string }[] };
  'settings.others': { count: number };
  'audit.empty': Record<string, never>;
  /** The answer to the admin who approved or denied a job. */
  'job.decided': { approved: boolean; jobId: string; requesterName: string; estimateMicros: Micros };
  /** `memberName`: absent when the reader is the member. */
  'budget.warning': { scope: 'team' | 'member'; percent: number; usedMicros: Micros; capMicros: Micros; memberName?: string };
}
