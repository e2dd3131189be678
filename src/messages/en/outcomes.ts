/** English outcomes (src/core/message-codes-outcomes.ts): failures, route reasons, readiness, storyboard notices. */
import type { UserChosenField } from '../../core/errors.js';
import type { OutcomeParams, RouteReason } from '../../core/message-codes-outcomes.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';
import { errors } from './errors.js';

const FIELD_WORDS: Record<UserChosenField, string> = {
  seconds: 'duration',
  orientation: 'orientation',
  resolution: 'resolution',
  audio: 'sound setting',
  image: 'starting image',
  prompt: 'prompt',
};

function providerFailure(p: OutcomeParams['failure.provider']): string {
  const name = p.backendName;
  switch (p.kind) {
    case 'moderation':
      return `${name} blocked this request under its content policy. Rephrase the prompt (or use a different reference) and try again.`;
    case 'auth':
      return `${name} refused the bot's credentials. An admin needs to check the API key for this backend.`;
    case 'quota':
      return `${name} says the account is out of credit. An admin needs to top it up or pick another backend.`;
    case 'rate_limit':
      return `${name} is rate-limiting the bot right now. Try again in a few minutes.`;
    case 'invalid_input':
      return p.field
        ? `${name} could not accept the ${FIELD_WORDS[p.field]} you chose. Try another ${FIELD_WORDS[p.field]}.`
        : // No option named: nothing tells which choice to change, so none is suggested.
          `${name} could not accept this request. Try rewording the prompt, or pick another backend.`;
    case 'rejected_request':
      // The bot built the request: never the person's fault.
      return `${name} rejected the request the bot built for it. This is the bot's problem, not yours; the team running the bot has been told. Try again later or pick another backend.`;
    case 'binding_missing':
      return `${name} no longer knows a character named in this prompt, and it could not be set up again. Try again, or pick another backend.`;
    case 'not_found':
      return `${name} no longer has this video. Generate it again.`;
    case 'expired':
      return `${name}'s download link for the video expired before it could be saved. Retry the job.`;
    case 'too_large':
      return `The finished video from ${name} was larger than the bot accepts, so it was not saved.`;
    case 'transient':
      return `${name} is having trouble right now and the video could not be made. Try again shortly.`;
  }
}

export function routeReason(r: RouteReason): string {
  switch (r.kind) {
    case 'forced':
      return `${r.backendName}, as requested`;
    case 'provider':
      return `${r.backendName}: the cheapest of ${r.count} ${r.provider} backend${r.count === 1 ? '' : 's'} that can take this, as requested`;
    case 'policy': {
      const policy = r.policy === 'cost' ? 'the cheapest' : 'the most stable';
      const holding = r.characters.length > 0 ? ` that can hold ${r.characters.join(' and ')}` : '';
      const exactly = r.exactSeconds !== undefined ? `${holding ? ' and' : ' that can'} make exactly ${r.exactSeconds} s` : '';
      const chosen = r.pool !== undefined ? `${r.backendName}: ${policy} of ${r.pool} backend${r.pool === 1 ? '' : 's'}${holding}${exactly}` : `${r.backendName}: ${policy} backend (team policy "${r.policy}")`;
      return r.skipped.length > 0 ? `${chosen}; skipped ${r.skipped.join(', ')} after recent failures` : chosen;
    }
    case 'fallback':
      return `${r.backendName}: ${r.failedName} failed (${r.failure.replace('_', ' ')}), so the next backend ran`;
    case 'board_shared':
      return `${r.backendName} makes every shot${r.characters.length > 0 ? ` and holds ${r.characters.join(' and ')}` : ''}, so the look stays the same`;
    case 'board_split':
      return 'no one backend can make every shot, so each shot goes where its characters fit';
  }
}

const Kind = (kind: 'storyboard' | 'extension') => (kind === 'extension' ? 'Extension' : 'Storyboard');

export const outcomes: Sentences<OutcomeParams> = {
  'failure.provider': providerFailure,
  'failure.internal': () => 'Something went wrong inside the bot while making this video. Your budget was not charged; try again.',
  'failure.deadline': (p) => `${p.backendName} did not finish the video within ${p.minutes} minutes, so the job was stopped. Nothing was charged; try again.`,
  'failure.provider_cancelled': (p) => `${p.backendName} cancelled the job on its side. Nothing was charged; try again.`,
  'failure.download': (p) => `The finished video could not be downloaded from ${p.backendName}. Nothing was charged; try again.`,
  'failure.fallback_over_budget': (p) => `${p.failedName} failed, and the next backend (${p.nextName}) would cost more than the budget left. Nothing was charged.`,
  'failure.not_approved': (p) => (p.byName !== undefined ? `Denied by ${p.byName}${p.reason ? `: ${p.reason}` : ''}.` : 'Nobody approved it in time.'),
  'board.shots_failed': (p) =>
    `${p.shots.map((s) => `Shot ${s}`).join(' and ')} could not be made (${p.reason ?? 'it failed'}). The other shots are here; retry ${p.shots.length === 1 ? 'it' : 'them'} to finish the video. Failed shots were not charged.`,
  'board.join_failed': () => 'The shots were made but could not be joined into one video. They are available one by one with the Shots button or /sora status.',
  'board.shot_lost': () => 'its record was lost',
  'board.shot_cancelled': () => 'cancelled',
  'route.reason': routeReason,
  'character.readiness': (p, m) =>
    p.state === 'ready' ? 'ready' : p.state === 'on-first-use' ? 'prepared automatically the first time a video uses it here' : p.why ? errors['backend.why']({ why: p.why }, m) : 'cannot hold characters',
  'board.accepted': (p, m) =>
    p.lead
      ? `Extension ${m.code(p.boardId)} accepted: ${p.seconds}s more after ${m.code(p.lead.jobId)} (${p.lead.seconds}s) on ${p.backendNames.join(', ')}, estimated ${usd(p.estimateMicros)}. The longer video is posted where ${p.lead.jobId} was.`
      : `Storyboard ${m.code(p.boardId)} accepted: ${p.shots} shots, ${p.seconds}s ${p.orientation} on ${p.backendNames.join(', ')}, estimated ${usd(p.estimateMicros)} together.`,
  'board.accepted-shot': (p) => `Shot ${p.shot}: ${p.seconds}s "${p.prompt}" (${usd(p.estimateMicros)})`,
  'board.continuous': () => 'The shots render one after another, each starting from the last frame of the one before.',
  'board.accepted-awaiting': (p, m) => `That is above the ${usd(p.thresholdMicros)} approval threshold: the money is held and the shots start once an admin approves (${m.code(`/sora approve ${p.boardId}`)}).`,
  'board.decided': (p, m) =>
    p.approved
      ? `Approved ${p.kind} ${m.code(p.boardId)} for ${p.requesterName}; its ${p.shots} shot(s) start now.`
      : `Denied ${p.kind} ${m.code(p.boardId)} for ${p.requesterName}; its ${usd(p.totalMicros)} went back to the budget.`,
  'board.awaiting': (p, m) => {
    const commands = `${m.code(`/sora approve ${p.boardId}`)}, ${m.code(`/sora deny ${p.boardId} --reason …`)}`;
    const how = p.buttons ? `with the buttons below (or ${commands})` : `(${commands})`;
    return `Estimated ${usd(p.totalMicros)} in all, above the ${usd(p.thresholdMicros)} approval threshold; the money is held and no shot starts until an admin approves ${how}.`;
  },
  'board.decision-notice': (p, m) =>
    p.approvedBy !== undefined ? `${Kind(p.kind)} ${m.code(p.boardId)} was approved by ${p.approvedBy}; its shots start now.` : `${Kind(p.kind)} ${m.code(p.boardId)} was not approved. ${p.denied ?? ''}`.trim(),
  'board.denied': (p) => {
    const who = p.expired || p.byName === undefined ? 'Nobody approved it in time' : `Denied by ${p.byName}${p.reason ? `: ${p.reason}` : ''}`;
    return `${who}. Its ${usd(p.totalMicros)} went back to the budget and no shot was made.`;
  },
};
