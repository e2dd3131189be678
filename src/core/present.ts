/**
 * Words for replies and job states, shared by every surface. The core's
 * messages are data (the reply kinds, the duration notice); each surface renders
 * them with its own markup: the console in plain text, Slack and Discord with
 * `*bold*` and backticks, and options in the syntax the user types there.
 */
import { describeBoard, describeBoardAccepted } from './present-board.js';
import { acceptanceNotes, describeAudit, describeDecision, describeSettings } from './present-team.js';
import type { Reply } from './replies.js';
import { formatUsd, type Micros } from './money.js';
import type { DurationNotice } from './router.js';
import { takeLabel, type TakesLine } from './takes.js';
import type { CostReport } from './studio.js';
import type { BackendCapabilities } from './capabilities.js';
import type { JobEvent, JobRecord } from './types.js';

export interface Markup {
  bold(text: string): string;
  /** An id or a value the user can copy. */
  code(text: string): string;
  /** How the user names an option with a value on this surface: `--backend kling`, `backend:kling`. */
  option(name: string, value: string): string;
}

/** The console: no markup at all. */
export const plainText: Markup = { bold: (t) => t, code: (t) => t, option: (n, v) => `--${n} ${v}` };

/** Slack's mrkdwn, with the shared text syntax. */
export const chatMarkdown: Markup = { bold: (t) => `*${t}*`, code: (t) => `\`${t}\``, option: (n, v) => `\`--${n} ${v}\`` };

/** Discord: the same marks, with options as Discord's command form shows them (`backend:kling`). */
export const discordMarkdown: Markup = { ...chatMarkdown, option: (n, v) => `\`${n}:${v}\`` };

export function progressBar(percent: number, width = 20): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(p).padStart(3)}%`;
}

/** `45s`, `2m 05s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m > 0 ? `${m}m ${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/**
 * The progress of a job whose provider reports no percent (Gemini, Kling; fal
 * while it gives only a queue position): time elapsed since the provider took it
 * and, when the backend declares a typical render time, an estimate marked as one.
 * Undefined when a real percent is there to show as a bar.
 */
export function elapsedProgress(
  job: Pick<JobRecord, 'submittedAt' | 'createdAt'>,
  progress: number,
  caps: Pick<BackendCapabilities, 'progress' | 'typicalRenderSeconds'> | undefined,
  now: number,
): string | undefined {
  if (!caps || caps.progress === 'percent' || progress > 0) return undefined;
  const elapsedMs = now - (job.submittedAt ?? job.createdAt);
  const typical = caps.typicalRenderSeconds;
  if (typical === undefined) return `${formatDuration(elapsedMs)} elapsed (this provider reports no percentage)`;
  const leftMs = typical * 1000 - elapsedMs;
  const estimate = leftMs > 0 ? `about ${formatDuration(leftMs)} left` : 'taking longer than usual';
  return `${formatDuration(elapsedMs)} elapsed, ${estimate} (estimate: renders here usually take ${formatDuration(typical * 1000)})`;
}

/** The sentence about the length, when the router had something to say. */
export function describeDuration(d: DurationNotice, m: Markup = chatMarkdown): string {
  const keeping = d.characterNames ? ` that can keep ${d.characterNames}` : '';
  if (d.madeSeconds === d.askedSeconds) {
    if (!d.cheaper) return '';
    return `Exactly ${d.askedSeconds} s as asked on ${d.backendName} (${formatUsd(d.estimateMicros)}); ${m.option('backend', d.cheaper.backendId)} makes ${d.cheaper.seconds} s for ${formatUsd(d.cheaper.estimateMicros)}.`;
  }
  const which = d.forced ? d.backendName : `the ${d.policy === 'cost' ? 'cheapest' : 'most stable'} backend${keeping}`;
  const made = `${d.askedSeconds} s asked; ${which} makes ${d.madeSeconds} s (${formatUsd(d.estimateMicros)})`;
  if (d.exact) return `${made}; ${m.option('backend', d.exact.backendId)} makes exactly ${d.askedSeconds} s (${formatUsd(d.exact.estimateMicros)}).`;
  return `${made}; no backend${keeping} makes exactly ${d.askedSeconds} s.`;
}

/** `720p, with sound` or `1080p, silent`: what the job was priced for. */
export function describeMade(job: JobRecord): string {
  return `${job.input.resolution}, ${job.audio === 'on' ? 'with sound' : 'silent'}`;
}

/** What arrived, as ffprobe read the file (`1920x1080, with sound`); the size asked for when it could not be read. */
export function describeDelivered(job: JobRecord): string {
  const v = job.resultVideo;
  if (!v) return `${job.size}, ${job.audio === 'on' ? 'with sound' : 'silent'}`;
  // A silent video may still carry a silent track, so only a missing track says something about sound paid for.
  return `${v.width}x${v.height}, ${job.audio === 'on' ? (v.hasAudio ? 'with sound' : 'no sound track') : 'silent'}`;
}

export function describeAccepted(reply: Extract<Reply, { kind: 'accepted' }>, m: Markup = chatMarkdown): string {
  const a = reply.accepted;
  const duration = a.duration ? describeDuration(a.duration, m) : '';
  const takes = a.takes && a.takes.length > 1 ? a.takes : undefined;
  const what = takes ? `${takes.length} takes of a ` : '';
  const price = takes ? `estimated ${formatUsd(a.estimateMicros)} together (${formatUsd(a.job.estimateMicros)} each)` : `estimated ${formatUsd(a.estimateMicros)}`;
  return [
    `Job ${m.code(a.job.id)} accepted: ${what}${a.job.seconds}s ${a.job.input.orientation} ${describeMade(a.job)}, on ${a.backendName}, ${price}.`,
    ...(takes ? [`Takes: ${takes.map((t, i) => `${i + 1}. ${m.code(t.id)}`).join(', ')}. Each is its own job; keep the one you like with Keep or /sora keep <job>.`] : []),
    ...(duration ? [duration] : []),
    `Budget left this month: team ${formatUsd(a.tenantLeftMicros)}, you ${formatUsd(a.userLeftMicros)}.`,
    `Why this backend: ${a.reason}.`,
    ...acceptanceNotes(a, m),
  ].join('\n');
}

/** Why a job that waited for approval will not run: who denied it and why, or that nobody decided in time. */
export function deniedText(event: Extract<JobEvent, { type: 'denied' }>, escape: (text: string) => string = (t) => t): string {
  if (event.expired || event.byName === undefined) return 'Nobody approved this video in time, so it was not made.';
  return `Denied by ${escape(event.byName)}${event.reason ? `: ${escape(event.reason)}` : '.'}`;
}

/** `elapsed` is `elapsedProgress` for the job when its provider reports no percent. */
export function describeJobStatus(job: JobRecord, position?: number, elapsed?: string): string {
  switch (job.state) {
    case 'awaiting_approval':
      return `awaiting an admin's approval (estimated ${formatUsd(job.estimateMicros)}, held)`;
    case 'queued':
      return position !== undefined ? `queued, position ${position}` : 'queued';
    case 'submitting':
    case 'submitted':
      return job.state;
    case 'running':
      return elapsed ? `generating, ${elapsed}` : `generating ${progressBar(job.progress)}`;
    case 'downloading':
      return 'downloading the finished video';
    case 'delivering':
      return 'posting the video';
    case 'delivered':
      return `delivered (${formatUsd(job.priceMicros ?? 0)})`;
    case 'failed':
      return `failed: ${job.error?.message ?? 'unknown reason'}`;
    case 'cancelled':
      return job.approval?.decision?.outcome === 'denied'
        ? `denied by ${job.approval.decision.byName}${job.approval.decision.reason ? `: ${job.approval.decision.reason}` : ''}`
        : job.approval?.decision?.outcome === 'expired'
          ? 'not approved in time; released'
          : 'cancelled';
  }
}

export function jobLine(job: JobRecord, position?: number, m: Markup = chatMarkdown, elapsed?: string): string {
  const prompt = job.input.prompt.length > 60 ? `${job.input.prompt.slice(0, 59)}…` : job.input.prompt;
  const take = job.take ? ` (${takeLabel(job).toLowerCase()}${job.take.kept ? ', kept' : ''})` : '';
  return `${m.code(job.id)}${take} ${job.requesterName}: "${prompt}" on ${job.backend}, ${describeJobStatus(job, position, elapsed)}`;
}

function line(label: string, spent: Micros, reserved: Micros, cap?: Micros): string {
  const capText = cap !== undefined ? ` of ${formatUsd(cap)}` : '';
  const reservedText = reserved > 0 ? ` (+${formatUsd(reserved)} reserved)` : '';
  return `${label}: ${formatUsd(spent)}${reservedText}${capText}`;
}

/** `j_abc (alice): 3 takes, 2 delivered, 1 failed, $0.80 charged, take 2 kept`. */
function takesLine(t: TakesLine, m: Markup): string {
  const parts = [`${t.takes} takes`, `${t.delivered} delivered`];
  if (t.failed > 0) parts.push(`${t.failed} failed (not charged)`);
  parts.push(`${formatUsd(t.chargedMicros)} charged`);
  if (t.heldMicros > 0) parts.push(`${formatUsd(t.heldMicros)} held`);
  parts.push(t.kept === undefined ? 'none kept yet' : `take ${t.kept} kept`);
  return `${m.code(t.requestId)} (${t.requesterName}): ${parts.join(', ')}`;
}

export function describeCost(report: CostReport, m: Markup = chatMarkdown): string {
  const { summary } = report;
  const out = [m.bold(`Spend for ${report.month}`)];
  if (report.user) {
    const u = summary.byUser[report.user.id];
    out.push(line(report.user.name, u?.spentMicros ?? 0, u?.reservedMicros ?? 0, report.user.capMicros), `Videos: ${u?.jobs ?? 0}`);
    if (u && u.officialMicros > 0) out.push(`At ${report.referenceBackendName} official prices: ${formatUsd(u.officialMicros)}`);
    for (const t of report.takes.slice(0, 10)) out.push(`• ${takesLine(t, m)}`);
    return out.join('\n');
  }
  out.push(line('Team', summary.total.spentMicros, summary.total.reservedMicros, report.tenantCapMicros));
  out.push(`Left: ${formatUsd(Math.max(0, report.tenantCapMicros - summary.total.spentMicros - summary.total.reservedMicros))}. Default cap per member: ${formatUsd(report.userCapMicros)}.`);
  const users = Object.entries(summary.byUser).sort((a, b) => b[1].spentMicros - a[1].spentMicros);
  if (users.length > 0) {
    out.push('', m.bold('By member'));
    for (const [, u] of users.slice(0, 10)) out.push(`• ${line(u.name, u.spentMicros, u.reservedMicros)} · ${u.jobs} video${u.jobs === 1 ? '' : 's'}`);
  }
  const backends = Object.entries(summary.byBackend).sort((a, b) => b[1].spentMicros - a[1].spentMicros);
  if (backends.length > 0) {
    out.push('', m.bold('By backend'));
    for (const [id, b] of backends) out.push(`• ${report.backendNames[id] ?? id}: ${formatUsd(b.spentMicros)} · ${b.jobs} video${b.jobs === 1 ? '' : 's'}`);
  }
  if (report.takes.length > 0) {
    out.push('', m.bold('Takes per request'));
    for (const t of report.takes.slice(0, 10)) out.push(`• ${takesLine(t, m)}`);
  }
  if (summary.total.jobs > 0) {
    const official = summary.total.officialMicros;
    const diff = official - summary.total.spentMicros;
    out.push(
      '',
      `At ${report.referenceBackendName} official prices the same videos would have cost ${formatUsd(official)}` +
        (diff > 0 ? ` (you saved ${formatUsd(diff)}).` : diff < 0 ? ` (${formatUsd(-diff)} less than you paid).` : '.'),
    );
  }
  return out.join('\n');
}

export function describeReply(reply: Reply, m: Markup = chatMarkdown): string {
  switch (reply.kind) {
    case 'accepted':
      return describeAccepted(reply, m);
    case 'job':
      return [jobLine(reply.job, reply.position, m, reply.elapsed), reply.job.routeReason ? `Why this backend: ${reply.job.routeReason}.` : ''].filter(Boolean).join('\n');
    case 'jobs':
      return reply.jobs.length === 0 ? 'No videos yet. Start one with /sora generate.' : reply.jobs.map((j) => jobLine(j, undefined, m)).join('\n');
    case 'kept':
      return `Kept ${takeLabel(reply.job).toLowerCase()} (job ${m.code(reply.job.id)}) of request ${m.code(reply.job.take?.ids[0] ?? reply.job.id)}: remix, extend and --from_job of any of its takes now use it.`;
    case 'cancelled':
      return `Cancelled job ${m.code(reply.job.id)}; its reserved ${formatUsd(reply.job.estimateMicros)} went back to the budget.`;
    case 'character': {
      const c = reply.view.character;
      const head = reply.created ? `Created @${c.name}. Name it in a prompt, e.g. /sora generate @${c.name} waves at the camera.` : `@${c.name}${c.description ? `: ${c.description}` : ''}`;
      const src = c.source.kind === 'url' ? c.source.url : c.source.kind === 'job' ? `job ${c.source.jobId}` : c.source.fileName;
      return [head, `Owner: ${c.ownerName}. Source: ${src}.`, ...reply.view.readiness.map((r) => `• ${r.name}: ${r.note}`)].join('\n');
    }
    case 'characters':
      return reply.characters.length === 0
        ? 'This team has no characters yet. Create one with /character create <name> --video_url <link>.'
        : reply.characters.map((c) => `• @${c.name}${c.description ? ` — ${c.description}` : ''} (by ${c.ownerName})`).join('\n');
    case 'character-deleted':
      return `Deleted @${reply.character.name}.`;
    case 'board-accepted':
      return describeBoardAccepted(reply, m);
    case 'board':
      return describeBoard(reply.board, reply.lines, m);
    case 'cost':
      return [describeCost(reply.report, m), ...(reply.csv ? [`CSV: ${reply.csv.rows} job${reply.csv.rows === 1 ? '' : 's'} (${reply.csv.fileName}).`] : [])].join('\n');
    case 'settings':
      return describeSettings(reply, m);
    case 'audit':
      return describeAudit(reply.entries);
    case 'decided':
      return describeDecision(reply, m);
    case 'budget': {
      const v = reply.view;
      const out = [
        reply.changed ? m.bold('Budget updated.') : m.bold(`Budget for ${v.month}`),
        line('Team', v.tenantSpentMicros, v.tenantReservedMicros, v.tenantCapMicros),
        line('You', v.userSpentMicros, v.userReservedMicros, v.userCapMicros),
        `Routing policy: ${v.policy === 'cost' ? 'cheapest backend first' : 'most stable backend first'}.`,
        `Default sound: ${v.audio === 'on' ? 'on (videos come with sound where the backend can)' : 'off (silent where the backend can; --audio on asks for sound)'}.`,
      ];
      for (const u of v.userCaps) out.push(`• Cap for ${u.name}: ${formatUsd(u.capMicros)}`);
      return out.join('\n');
    }
  }
}
