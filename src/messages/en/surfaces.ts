/** English words around a job on the chat surfaces (src/core/message-codes-surfaces.ts). */
import type { SurfaceParams } from '../../core/message-codes-surfaces.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';

export const surfaces: Sentences<SurfaceParams> = {
  'thread.asked': (p) => `${p.requesterName} asked for a ${p.seconds}s video (estimated ${usd(p.estimateMicros)}).`,
  'thread.request': (p, m) => `${p.who} asked for a video${p.remixOf ? ` (a remix of ${m.code(p.remixOf)})` : ''}:`,
  'thread.estimate-label': () => 'Estimate',
  'thread.estimate': (p) => `${usd(p.estimateMicros)} · ${p.seconds}s ${p.orientation} on ${p.backendName}`,
  'thread.budget-label': () => 'Budget left this month',
  'thread.budget': (p) => `team ${usd(p.tenantLeftMicros)} · ${p.who} ${usd(p.userLeftMicros)}`,
  'thread.follow': (p, m) => `Job ${m.code(p.jobId)} · progress and the video follow in the thread.`,
  'cost.files-sent': (p, m) => `${p.fileNames.map((f) => m.code(f)).join(' and ')} ${p.fileNames.length > 1 ? 'are' : 'is'} in your direct messages with the bot, where only you see ${p.fileNames.length > 1 ? 'them' : 'it'}.`,
};
