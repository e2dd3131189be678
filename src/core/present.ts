/**
 * Replies and job states composed from the message catalogs (messages.ts),
 * shared by every surface. Each surface passes its markup: the console plain
 * text, Slack and Discord `*bold*` and backticks, options in the syntax the
 * user types there, and the reader's language.
 */
import { describeBoard, describeBoardAccepted, describeBoardDecision } from './present-board.js';
import { acceptanceNotes, describeAudit, describeDecision, describeSettings } from './present-team.js';
import type { Reply } from './replies.js';
import { chatMarkdown, plainText, type Markup } from './markup.js';
import type { StatusPhrase } from './message-codes-replies.js';
import type { RouteReason } from './message-codes-outcomes.js';
import { msg, render, words } from './messages.js';
import { formatUsd, type Micros } from './money.js';
import type { DurationNotice } from './router.js';
import type { CostReport } from './studio.js';
import type { BackendCapabilities } from './capabilities.js';
import type { JobEvent, JobRecord } from './types.js';

export { chatMarkdown, discordMarkdown, inLocale, plainText, type Markup } from './markup.js';
export { formatDuration } from './durations.js';

export function progressBar(percent: number, width = 20): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(p).padStart(3)}%`;
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
  m: Markup = chatMarkdown,
): string | undefined {
  if (!caps || caps.progress === 'percent' || progress > 0) return undefined;
  const elapsedMs = now - (job.submittedAt ?? job.createdAt);
  const typical = caps.typicalRenderSeconds;
  const t = words(m);
  if (typical === undefined) return t('elapsed.no-percent', { elapsedMs });
  return t('elapsed.estimate', { elapsedMs, leftMs: typical * 1000 - elapsedMs, typicalMs: typical * 1000 });
}

/** The sentence about the length, when the router had something to say. */
export function describeDuration(d: DurationNotice, m: Markup = chatMarkdown): string {
  const t = words(m);
  if (d.madeSeconds === d.askedSeconds) {
    if (!d.cheaper) return '';
    return t('duration.cheaper', {
      seconds: d.askedSeconds,
      backendName: d.backendName,
      estimateMicros: d.estimateMicros,
      cheaperBackendId: d.cheaper.backendId,
      cheaperSeconds: d.cheaper.seconds,
      cheaperMicros: d.cheaper.estimateMicros,
    });
  }
  return t('duration.differs', {
    askedSeconds: d.askedSeconds,
    madeSeconds: d.madeSeconds,
    estimateMicros: d.estimateMicros,
    ...(d.forced && { forcedName: d.backendName }),
    policy: d.policy,
    characterNames: d.characterNames,
    ...(d.exact && { exact: { backendId: d.exact.backendId, estimateMicros: d.exact.estimateMicros } }),
  });
}

/** `720p, with sound` or `1080p, silent`: what the job was priced for. */
export function describeMade(job: JobRecord, m: Markup = chatMarkdown): string {
  return words(m)('made', { resolution: job.input.resolution, sound: job.audio });
}

/** What arrived, as ffprobe read the file (`1920x1080, with sound`); the size asked for when it could not be read. */
export function describeDelivered(job: JobRecord, m: Markup = chatMarkdown): string {
  const v = job.resultVideo;
  if (!v) return words(m)('made', { resolution: job.size, sound: job.audio });
  return words(m)('delivered.probed', { width: v.width, height: v.height, sound: job.audio, hasAudio: v.hasAudio });
}

export function describeAccepted(reply: Extract<Reply, { kind: 'accepted' }>, m: Markup = chatMarkdown): string {
  const a = reply.accepted;
  const t = words(m);
  const duration = a.duration ? describeDuration(a.duration, m) : '';
  const takes = a.takes && a.takes.length > 1 ? a.takes : undefined;
  const job = a.job;
  return [
    t('accepted.head', {
      jobId: job.id,
      seconds: job.seconds,
      orientation: job.input.orientation,
      resolution: job.input.resolution,
      sound: job.audio,
      backendName: a.backendName,
      estimateMicros: a.estimateMicros,
      ...(takes && { takes: { count: takes.length, eachMicros: job.estimateMicros } }),
    }),
    ...(takes ? [t('accepted.takes', { ids: takes.map((take) => take.id) })] : []),
    ...(duration ? [duration] : []),
    t('accepted.budget-left', { tenantLeftMicros: a.tenantLeftMicros, userLeftMicros: a.userLeftMicros }),
    t('accepted.why', { reason: a.reason }),
    ...acceptanceNotes(a, m),
  ].join('\n');
}

/** Why a job that waited for approval will not run: who denied it and why, or that nobody decided in time. */
export function deniedText(event: Extract<JobEvent, { type: 'denied' }>, escape: (text: string) => string = (t) => t, m: Markup = chatMarkdown): string {
  if (event.expired || event.byName === undefined) return words(m)('denied.expired');
  return words(m)('denied.by', { byName: escape(event.byName), ...(event.reason && { reason: escape(event.reason) }) });
}

/** `elapsed` is `elapsedProgress` for the job when its provider reports no percent. */
export function describeJobStatus(job: JobRecord, position?: number, elapsed?: string, m: Markup = chatMarkdown): string {
  return words(m)('job.status', statusPhrase(job, position, elapsed, m));
}

/** `m`: the reader's markup, for a failure kept as a message (its reason in their language). */
/** Why a job's backend was chosen, as a clause in `m`'s language (a string as stored before reasons were messages). */
export function describeRouteReason(reason: RouteReason | string, m: Markup = plainText): string {
  return typeof reason === 'string' ? reason : render(msg('route.reason', reason), m);
}

/** `m`: the reader's markup, for a failure kept as a message (its reason in their language). */
function statusPhrase(job: JobRecord, position: number | undefined, elapsed: string | undefined, m: Markup): StatusPhrase {
  switch (job.state) {
    case 'awaiting_approval':
      return { state: job.state, estimateMicros: job.estimateMicros };
    case 'queued':
      return { state: job.state, ...(position !== undefined && { position }) };
    case 'running':
      return elapsed ? { state: job.state, elapsed } : { state: job.state, percentBar: progressBar(job.progress) };
    case 'delivered':
      return { state: job.state, priceMicros: job.priceMicros ?? 0 };
    case 'failed':
      return { state: job.state, ...(job.error && { reason: job.error.said ? render(job.error.said, m) : job.error.message }) };
    case 'cancelled': {
      const d = job.approval?.decision;
      if (d?.outcome === 'denied') return { state: job.state, how: 'denied', byName: d.byName ?? '', ...(d.reason && { reason: d.reason }) };
      return { state: job.state, how: d?.outcome === 'expired' ? 'expired' : 'cancelled' };
    }
    default:
      return { state: job.state };
  }
}

export function jobLine(job: JobRecord, position?: number, m: Markup = chatMarkdown, elapsed?: string): string {
  const prompt = job.input.prompt.length > 60 ? `${job.input.prompt.slice(0, 59)}…` : job.input.prompt;
  const take = job.take ? { index: job.take.index, of: job.take.ids.length, kept: job.take.kept === true } : undefined;
  return words(m)('job.line', { jobId: job.id, ...(take && { take }), requesterName: job.requesterName, prompt, backend: job.backend, status: describeJobStatus(job, position, elapsed, m) });
}

function line(m: Markup, label: string, spentMicros: Micros, reservedMicros: Micros, capMicros?: Micros): string {
  return words(m)('spend.line', { label, spentMicros, reservedMicros, ...(capMicros !== undefined && { capMicros }) });
}

export function describeCost(report: CostReport, m: Markup = chatMarkdown): string {
  const { summary } = report;
  const t = words(m);
  const out = [m.bold(t('spend.title', { month: report.month }))];
  if (report.user) {
    const u = summary.byUser[report.user.id];
    out.push(line(m, report.user.name, u?.spentMicros ?? 0, u?.reservedMicros ?? 0, report.user.capMicros), t('spend.videos', { count: u?.jobs ?? 0 }));
    if (u && u.officialMicros > 0) out.push(t('spend.official-user', { backendName: report.referenceBackendName, officialMicros: u.officialMicros }));
    for (const line of report.takes.slice(0, 10)) out.push(`• ${t('takes.line', line)}`);
    return out.join('\n');
  }
  out.push(line(m, t('spend.team'), summary.total.spentMicros, summary.total.reservedMicros, report.tenantCapMicros));
  out.push(t('spend.left', { leftMicros: Math.max(0, report.tenantCapMicros - summary.total.spentMicros - summary.total.reservedMicros), userCapMicros: report.userCapMicros }));
  const users = Object.entries(summary.byUser).sort((a, b) => b[1].spentMicros - a[1].spentMicros);
  if (users.length > 0) {
    out.push('', m.bold(t('spend.by-member')));
    for (const [, u] of users.slice(0, 10)) out.push(`• ${line(m, u.name, u.spentMicros, u.reservedMicros)} · ${t('spend.count', { count: u.jobs })}`);
  }
  const backends = Object.entries(summary.byBackend).sort((a, b) => b[1].spentMicros - a[1].spentMicros);
  if (backends.length > 0) {
    out.push('', m.bold(t('spend.by-backend')));
    for (const [id, b] of backends) out.push(`• ${report.backendNames[id] ?? id}: ${formatUsd(b.spentMicros)} · ${t('spend.count', { count: b.jobs })}`);
  }
  if (report.takes.length > 0) {
    out.push('', m.bold(t('spend.takes')));
    for (const line of report.takes.slice(0, 10)) out.push(`• ${t('takes.line', line)}`);
  }
  if (summary.total.jobs > 0) {
    out.push('', t('spend.compare', { backendName: report.referenceBackendName, officialMicros: summary.total.officialMicros, paidMicros: summary.total.spentMicros }));
  }
  return out.join('\n');
}

export function describeReply(reply: Reply, m: Markup = chatMarkdown): string {
  const t = words(m);
  switch (reply.kind) {
    case 'accepted':
      return describeAccepted(reply, m);
    case 'job':
      return [jobLine(reply.job, reply.position, m, reply.elapsed), reply.job.routeReason ? t('accepted.why', { reason: reply.job.routeReason }) : ''].filter(Boolean).join('\n');
    case 'jobs':
      return reply.jobs.length === 0 ? t('jobs.none') : reply.jobs.map((j) => jobLine(j, undefined, m)).join('\n');
    case 'kept':
      return t('job.kept', { index: reply.job.take?.index ?? 1, of: reply.job.take?.ids.length ?? 1, jobId: reply.job.id, requestId: reply.job.take?.ids[0] ?? reply.job.id });
    case 'cancelled':
      return t('job.cancelled', { jobId: reply.job.id, estimateMicros: reply.job.estimateMicros });
    case 'character': {
      const c = reply.view.character;
      const head = reply.created ? t('character.created', { name: c.name }) : `@${c.name}${c.description ? `: ${c.description}` : ''}`;
      return [head, t('character.owner', { ownerName: c.ownerName, source: c.source }), ...reply.view.readiness.map((r) => `• ${r.name}: ${t('character.readiness', r)}`)].join('\n');
    }
    case 'characters':
      return reply.characters.length === 0
        ? t('characters.none')
        : reply.characters.map((c) => t('character.line', { name: c.name, ...(c.description && { description: c.description }), ownerName: c.ownerName })).join('\n');
    case 'character-deleted':
      return t('character.deleted', { name: reply.character.name });
    case 'board-accepted':
      return describeBoardAccepted(reply, m);
    case 'board':
      return describeBoard(reply.board, reply.lines, m);
    case 'cost':
      return [describeCost(reply.report, m), ...(reply.csv ? [t('spend.csv', { rows: reply.csv.rows, fileName: reply.csv.fileName })] : [])].join('\n');
    case 'settings':
      return describeSettings(reply, m);
    case 'audit':
      return describeAudit(reply.entries, m);
    case 'decided':
      return describeDecision(reply, m);
    case 'board-decided':
      return describeBoardDecision(reply.board, reply.totalMicros, m);
    case 'budget': {
      const v = reply.view;
      const out = [
        m.bold(reply.changed ? t('budget.updated') : t('budget.title', { month: v.month })),
        line(m, t('spend.team'), v.tenantSpentMicros, v.tenantReservedMicros, v.tenantCapMicros),
        line(m, t('spend.you'), v.userSpentMicros, v.userReservedMicros, v.userCapMicros),
        t('budget.policy', { policy: v.policy }),
        t('budget.sound', { audio: v.audio }),
      ];
      for (const u of v.userCaps) out.push(t('budget.member-cap', { name: u.name, capMicros: u.capMicros }));
      return out.join('\n');
    }
  }
}
