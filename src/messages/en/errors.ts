/** English refusals and failures (src/core/message-codes-errors.ts). */
import { formatByteSize as size } from '../../core/byte-size.js';
import type { BackendRefusal, ErrorParams, Unsuitability } from '../../core/message-codes-errors.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';

/** Why a backend cannot take a request, as a clause after its name. */
function why(u: Unsuitability): string {
  switch (u.kind) {
    case 'no_characters':
      return 'cannot hold characters';
    case 'too_many_characters':
      return `holds at most ${u.max} character${u.max === 1 ? '' : 's'} per video`;
    case 'no_frames_source':
      return 'needs reference frames, and a named character has no clip to cut them from';
    case 'needs_public_url':
      return "needs PUBLIC_URL set so it can fetch the character's clip";
    case 'no_size':
      return `has no ${u.resolution} ${u.orientation} size`;
    case 'no_price':
      return `has no ${u.resolution} price`;
    case 'no_sound':
      return 'makes no sound';
    case 'no_silence':
      return 'cannot make a silent video';
    case 'no_image':
      return 'does not accept a starting image';
  }
}

/** Who decides who may spend: the admin who last set the rules, or admins in general. */
const whoDecides = (changedBy: string | undefined) => (changedBy ? `${changedBy} or another admin decides this with /settings access` : 'Admins decide this with /settings access');

const refusals = (list: BackendRefusal[]) => list.map((r) => `${r.backendName} ${why(r.why)}`).join('; ');
const kindOf = (kind: 'video' | 'image') => (kind === 'video' ? 'a video file (MP4, MOV or WebM)' : 'a PNG, JPEG or WebP image');

export const errors: Sentences<ErrorParams> = {
  'internal': () => "Something went wrong on the bot's side. Nothing was charged; try again, and if it keeps happening tell the bot's admin (details are in its log).",
  'text': (p) => p.en,
  'unknown_command': (p) => `The bot does not know ${p.name}.`,
  'admin_only': (p) => `Only ${p.adminsAre ?? 'admins'} can use ${p.name}.`,
  'admins.discord': () => 'members with the Manage Server permission',
  'not_in_server': () => 'This bot works in servers, where teams share budgets and characters. Use it in a server channel.',
  'shutting_down': () => 'The bot is restarting and not taking new videos for a moment. Try again shortly.',
  'budget_exceeded': (p) => {
    const s = p.subject;
    const what =
      s.kind === 'video'
        ? `This video is estimated at ${usd(s.estimateMicros)}`
        : s.kind === 'takes'
          ? `${s.count} takes of this video are estimated at ${usd(s.eachMicros * s.count)} together (${usd(s.eachMicros)} each)`
          : `${s.kind === 'extension' ? 'This extension is' : `These ${s.count} shots are`} estimated at ${usd(s.totalMicros)} together`;
    const advice = s.kind === 'video' ? 'Try a shorter video' : s.kind === 'takes' ? 'Ask for fewer takes or a shorter video' : 'Try fewer or shorter shots';
    return `${what}, but ${p.scope === 'tenant' ? 'the team has' : 'you have'} ${usd(p.leftMicros)} left of ${p.scope === 'tenant' ? "the team's" : 'your'} ${usd(p.capMicros)} monthly cap. Nothing was spent. ${advice}, or ask an admin to raise the cap with /budget set.`;
  },
  'unknown_job': (p) => (p.visible ? `There is no job ${p.jobId} in this team that you can see.` : `There is no job ${p.jobId} in this team.`),
  'cancel.not_allowed': (p) => `Only ${p.requesterName} or an admin can cancel job ${p.jobId}.`,
  'cancel.already_finished': (p) => `Job ${p.jobId} is already ${p.state}.`,
  'cancel.too_late': (p) => `Job ${p.jobId} has already been made and is being posted, so it can no longer be cancelled.`,
  'cancel.board_waiting': (p, m) => `Job ${m.code(p.jobId)} is a shot of storyboard ${m.code(p.boardId)}, which waits for an admin's decision; the shot cannot be cancelled alone. An admin's Deny cancels the whole storyboard and releases its money.`,
  'remix.not_finished': (p) => `Job ${p.jobId} has not finished, so it cannot be remixed yet.`,
  'extend.not_yet': (p) => `Job ${p.jobId} has not finished, so it cannot be extended yet.`,
  'job.no_video_to': (p) => `Job ${p.jobId} has no finished video to ${p.to}.`,
  'button.not_here': () => 'That button does not belong to a job in this channel.',
  'unknown_board': (p) => `There is no storyboard ${p.boardId} in this team that you can see.`,
  'storyboard.unknown_shot': (p) => `Storyboard ${p.boardId} has no shot ${p.shot}.`,
  'storyboard.shot_not_failed': (p) => `Shot ${p.shot} of ${p.boardId} has not failed, so there is nothing to retry.`,
  'storyboard.shot_lost': (p) => `Shot ${p.shot} of ${p.boardId} can no longer be retried; start a new storyboard.`,
  'take.single': (p) => `Job ${p.jobId} is a single video, not one of several takes, so there is nothing to keep it over.`,
  'take.not_allowed': (p) => `Only ${p.requesterName} or an admin can choose which take of job ${p.requestId} to keep.`,
  'take.not_finished': (p) => `Take ${p.take}/${p.takes} (job ${p.jobId}) cannot be kept: ${p.noVideo ? 'it has no video' : 'it is not finished yet'}.`,
  'access.blocked': (p) => `You are not allowed to make videos in this team. ${whoDecides(p.changedBy)}. Nothing was spent.`,
  'access.not_in_groups': (p) => `Only members of ${p.groupNames.join(', ')} can make videos in this team. ${whoDecides(p.changedBy)}. Nothing was spent.`,
  'decide.not_allowed': (p) => `Only admins${p.groupNames.length > 0 ? ` or members of ${p.groupNames.join(', ')}` : ''} can approve or deny videos.`,
  'decide.own_request': (p) =>
    `${p.board ? 'Storyboard' : 'Job'} ${p.id} is your own request: another admin has to approve or deny it.${
      p.unknown === 'intent_off'
        ? ' The bot cannot read this server\'s member list (its Server Members intent is off), so it cannot tell whether you are the only admin: another member with Manage Server decides, or the bot\'s owner turns on "Server Members Intent" in the Discord Developer Portal.'
        : p.unknown === 'unreadable'
          ? ' The bot could not read this server\'s member list to check whether you are the only admin, so another member with Manage Server decides.'
          : ''
    }`,
  'extend.not_finished': (p) => `${p.board ? 'Storyboard' : 'Job'} ${p.id} has no finished video the bot still holds, so it cannot be extended.`,
  'already_decided': (p) =>
    `${p.what === 'board' ? 'Storyboard' : 'Job'} ${p.jobId} is ${
      p.outcome === 'expired' ? 'expired without a decision' : p.outcome === 'undecided' ? `not waiting for approval (it is ${p.state ?? 'gone'})` : `already ${p.outcome} by ${p.byName}`
    }.`,
  'attachment.missing': () => 'The attached file did not reach the bot. Attach it again.',
  'attachment.too_big': (p) => `The attached file is ${p.sizeMiB.toFixed(1)} MiB; the bot takes files up to ${p.maxMiB} MiB.`,
  'no_attachments': () => 'Attachments are not supported here.',
  'not_a_mention': (p) => `${p.ref} is not a member mention here. Type @ and pick the member from the list, so it becomes a mention.`,
  'thread.discord': (p, m) =>
    `I couldn't open a thread for job ${m.code(p.jobId)}, so it was cancelled and nothing was charged. Check the bot's permissions in this channel and try again.`,
  'thread.slack_not_in_channel': () =>
    "I can't post in this conversation, so the video was not started and nothing was spent. Add me to the channel (/invite) or use a channel I'm in.",
  'thread.slack_refused': () => 'Slack did not accept my message, so the video was not started and nothing was spent. Try again in a moment.',
  'slack.unreadable_command': () => 'Slack sent that command in a form I could not read. Please try again.',
  'unknown_character': (p) =>
    `There is no character called @${p.name} in this team.${
      p.suggestions.length > 0
        ? ` Did you mean ${p.suggestions.map((s) => `@${s}`).join(' or ')}?`
        : p.otherwise === 'create'
          ? ' This team has no characters yet: create one with /character create.'
          : p.otherwise === 'list'
            ? ' See /character list.'
            : ''
    }`,
  'character.bad_name': () => 'Character names are 2–32 letters, digits, _ or -, with no spaces (e.g. mascot or team_robot).',
  'character.bad_source': (_p, m) => `Give exactly one source for the character: a video clip, ${m.flag('video_url')}, or ${m.flag('from_job')}.`,
  'character.name_taken': (p) => `This team already has a character called @${p.name}.${p.advice ? ' Pick another name or delete the old one first.' : ''}`,
  'character.job_not_finished': (p) => `Job ${p.jobId} has no finished video to take the character from.`,
  'character.source_gone': (p) => `The video of job ${p.jobId} is no longer stored. Use a clip or a link instead.`,
  'character.not_allowed': (p) => `Only ${p.ownerName} (who created @${p.name}) or an admin can delete it.`,
  'character.gone_before_start': () => 'A character named in this prompt was deleted before the video started.',
  'binding.lost': (p) =>
    `${p.backendName} no longer knew the character @${p.name}, and setting it up there again failed. Nothing was charged; try again, or pick another backend.`,
  'binding.still_lost': (p) =>
    `${p.backendName} still did not know ${p.names.map((n) => `@${n}`).join(', ')} after it was set up again. Nothing was charged; try again, or pick another backend.`,
  'binding.no_frames': (p) => `Reference frames for @${p.name} could not be cut from its clip, so ${p.backendName} cannot use it.`,
  'binding.unsupported': (p) => `${p.backendName} cannot hold characters.`,
  'image_gone': () => 'The image for that video is no longer kept by the bot. Start a new video with /sora generate and attach the image again.',
  'budget.nothing_to_set': (_p, m) =>
    `Say what to set: an amount in USD (e.g. /budget set 20), ${m.option('policy', 'cost|stability')}, ${m.option('audio', 'on|off')}, and/or ${m.option('approve-above', 'USD')}.`,
  'budget.member_amount': (_p, m) => `Give the amount for that member, e.g. /budget set 5 ${m.option('user', '@alice')}.`,
  'settings.no_channel': () => 'Run /settings channel in the channel whose defaults you want to set.',
  'settings.nothing_to_set': (_p, m) => `Say what to set, e.g. /settings channel ${m.option('orientation', 'portrait')} ${m.option('seconds', '8')}.`,
  'settings.unknown_backend': (p) => `There is no backend or provider called ${p.backend} here.`,
  'backend.why': (p) => why(p.why),
  'backend.unsuitable': (p, m) => `${p.backendName} ${why(p.why)}. Leave out ${m.flag('backend')} to let the bot choose.`,
  'backend.provider_unsuitable': (p, m) => `No ${p.provider} backend can make this video: ${refusals(p.refusals)}. Leave out ${m.flag('backend')} to let the bot choose.`,
  'backend.none_suitable': (p) => `No configured backend can make this video: ${refusals(p.refusals)}.`,
  'backend.unknown': (p) => `There is no backend called "${p.name}". Available: ${p.available.join(', ')}${p.providers.length > 0 ? `, or a provider: ${p.providers.join(', ')}` : ''}.`,
  'backend.gone': (p) => `The backend this job was sent to (${p.backendId}) is no longer configured.`,
  'storyboard.shot_count': (p) => `A storyboard has 1 to ${p.max} shots; this one has ${p.count}.`,
  'storyboard.too_many_shots': (p) => `A storyboard has at most ${p.max} shots; this one has ${p.count}.`,
  'storyboard.mixed_orientation': () => 'The shots mix portrait and landscape. One video has one shape: give every shot the same orientation.',
  'storyboard.no_shots': () => 'Give the shots separated by |, e.g. /sora storyboard @mascot wakes up | @mascot makes coffee.',
  // A shot's own flags are typed in the shots text on every platform (commands/storyboard-shots.ts), so they read as typed.
  'storyboard.shot_seconds': (p) => `Shot ${p.shot}: --seconds must be a whole number from 1 to 20.`,
  'storyboard.shot_orientation': (p) => `Shot ${p.shot}: --orientation must be landscape or portrait.`,
  'storyboard.empty_shot': (p) => `Shot ${p.shot} needs a prompt of at least 3 characters.`,
  'options.quality_conflict': (p, m) => `${m.option('quality', p.quality)} means ${p.means}, but ${m.flag('resolution')} says ${p.resolution}. Give just ${m.flag('resolution')}.`,
  'no_ffmpeg.continue': () => 'The bot cannot cut frames from videos here (ffmpeg is not installed), so it cannot continue a video.',
  'no_ffmpeg.join': () => 'The bot cannot join videos here (ffmpeg is not installed).',
  'disk_full': (p) => `The bot's disk is full, so the ${p.what} could not be saved. An admin needs to free space.`,
  'source.bad_type': (p) => `That ${p.from} is not ${kindOf(p.kind)}, so the bot cannot use it.`,
  'source.missing': (p) => `The bot cannot read the file ${p.fileName}. Check the path.`,
  'source.too_large': (p) => `That file is larger than the ${size(p.maxBytes)} the bot accepts for ${p.kind === 'video' ? 'character clips' : 'reference images'}.`,
  'source.disk_quota': (p) =>
    `Your team already keeps ${size(p.usedBytes)} of clips and images on this bot, and this file (${size(p.incomingBytes)}) would pass the team's ${size(p.quotaBytes)} limit. Delete a character you no longer use with /character delete, then try again.`,
  'link.bad_url': () => 'That does not look like a web link. Paste a full http:// or https:// address.',
  'link.bad_scheme': () => 'Only http:// and https:// links can be fetched.',
  'link.unresolvable': (p) => `The bot could not find the server ${p.host}. Check the link.`,
  'link.private_address': () => 'That link points to a private network address, which the bot does not fetch.',
  'link.redirects_nowhere': () => 'That link redirects nowhere, so there was nothing to fetch.',
  'link.too_many_redirects': (p) => `That link redirects more than ${p.max} times; paste the final address instead.`,
  'link.http_error': (p) => `That link answered with an error (HTTP ${p.status}), so there was nothing to fetch. Check that it is public.`,
  'link.timeout': (p) => `That link took longer than ${p.seconds} s to download, so the bot gave up. Try a smaller file or another host.`,
  'link.unreachable': () => 'The bot could not download that link. Check that it is public and try again.',
  'console.no_file': (p) => `There is no file at ${p.path}.`,
  'slack_file.bad_ref': (_p, m) =>
    `Name a file shared in Slack by its link (More actions → Copy link) or its id, like F0123ABCD. To use a web link, pass it with ${m.flag('video_url')}.`,
  'slack_file.cannot_open': (p) => `I can't open Slack file ${p.fileId}. Share it in a channel I'm in and try again.`,
  'slack_file.cannot_download': (p) => `I can't download Slack file ${p.fileId}.${p.missingScope ? ' The app may be missing the files:read permission.' : ''}`,
  'slack_file.wrong_type': (p) => `${p.name} is not a ${p.kind} file.`,
  'slack_file.too_large': (p) => `${p.name} is larger than the ${p.limitMb} MB limit for sources.`,
  'slack_file.download_failed': (p) => `Downloading ${p.name} from Slack failed. Try again.`,
};
