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
  'control.unsupported': (p) => `This ${p.what} is no longer supported. Use ${p.use} instead.`,
  'form.remix-title': () => 'Remix this video',
  'form.remix-prompt': () => 'What should change?',
  'form.slack-remix-title': () => 'Remix video',
  'form.generate': () => 'Generate',
  'form.cancel': () => 'Cancel',
  'form.remix-note': (p, m) => `Varies job ${m.code(p.jobId)}. The price is shown before anything is spent.`,
  'form.storyboard-title': () => 'Storyboard',
  'form.price-it': () => 'Price it',
  'form.storyboard-note': (p) => `One shot per field, up to ${p.maxShots}; a shot may end with its own --seconds N. The price is shown before anything is spent.`,
  'form.shot': (p) => `Shot ${p.shot}`,
  'form.slack-extend-title': () => 'Extend video',
  'form.extend': () => 'Extend',
  'form.extend-note': (p, m) => `Continues ${p.board ? 'storyboard' : 'job'} ${m.code(p.id)} from its last frame; the longer video is posted in its thread. The price is shown before anything is spent.`,
  'form.extend-title': () => 'Extend this video',
  'form.extend-prompt': () => 'What happens next? (empty: the same prompt)',
  'form.extend-seconds': (p) => `Seconds to add (empty: ${p.defaultSeconds})`,
  'board.shots-posted': (p, m) => `The single shots of ${m.code(p.boardId)} are in its thread.`,
  'characters.title': () => 'Characters',
  'spend.amount': (p) => `${usd(p.spentMicros)}${p.reservedMicros > 0 ? ` (+${usd(p.reservedMicros)} reserved)` : ''}${p.capMicros !== undefined ? ` of ${usd(p.capMicros)}` : ''}`,
  'spend.left-label': () => 'Left',
  'spend.videos-label': () => 'Videos',
  'spend.member-cap-label': () => 'Default cap per member',
  'spend.official-short': (p) => `At ${p.backendName} official prices: ${usd(p.officialMicros)}${p.savedMicros ? ` (saved ${usd(p.savedMicros)})` : ''}.`,
  'cost.files-sent': (p, m) => `${p.fileNames.map((f) => m.code(f)).join(' and ')} ${p.fileNames.length > 1 ? 'are' : 'is'} in your direct messages with the bot, where only you see ${p.fileNames.length > 1 ? 'them' : 'it'}.`,
};
