/**
 * Plain-text presentation of replies and job states, shared by the console and
 * as the text fallback of richer surfaces. Markdown-light: `*bold*` and
 * backticks read fine in a terminal and in Slack's mrkdwn.
 */
import type { Reply } from './replies.js';
import { formatUsd, type Micros } from './money.js';
import type { CostReport } from './studio.js';
import type { JobRecord } from './types.js';

export function progressBar(percent: number, width = 20): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${String(p).padStart(3)}%`;
}

export function describeAccepted(reply: Extract<Reply, { kind: 'accepted' }>): string {
  const a = reply.accepted;
  return [
    `Job \`${a.job.id}\` accepted: ${a.job.seconds}s ${a.job.input.orientation} on ${a.backendName}, estimated ${formatUsd(a.estimateMicros)}.`,
    `Budget left this month: team ${formatUsd(a.tenantLeftMicros)}, you ${formatUsd(a.userLeftMicros)}.`,
    `Why this backend: ${a.reason}.`,
  ].join('\n');
}

export function describeJobStatus(job: JobRecord, position?: number): string {
  switch (job.state) {
    case 'queued':
      return position !== undefined ? `queued, position ${position}` : 'queued';
    case 'submitting':
    case 'submitted':
      return job.stage;
    case 'running':
      return `${job.stage} ${progressBar(job.progress)}`;
    case 'downloading':
      return 'downloading the finished video';
    case 'delivering':
      return 'posting the video';
    case 'delivered':
      return `delivered (${formatUsd(job.priceMicros ?? 0)})`;
    case 'failed':
      return `failed: ${job.error?.message ?? 'unknown reason'}`;
    case 'cancelled':
      return 'cancelled';
  }
}

export function jobLine(job: JobRecord, position?: number): string {
  const prompt = job.input.prompt.length > 60 ? `${job.input.prompt.slice(0, 59)}…` : job.input.prompt;
  return `\`${job.id}\` ${job.requesterName}: "${prompt}" on ${job.backend}, ${describeJobStatus(job, position)}`;
}

function line(label: string, spent: Micros, reserved: Micros, cap?: Micros): string {
  const capText = cap !== undefined ? ` of ${formatUsd(cap)}` : '';
  const reservedText = reserved > 0 ? ` (+${formatUsd(reserved)} reserved)` : '';
  return `${label}: ${formatUsd(spent)}${reservedText}${capText}`;
}

export function describeCost(report: CostReport): string {
  const { summary } = report;
  const out = [`*Spend for ${report.month}*`];
  if (report.user) {
    const u = summary.byUser[report.user.id];
    out.push(line(report.user.name, u?.spentMicros ?? 0, u?.reservedMicros ?? 0, report.user.capMicros), `Videos: ${u?.jobs ?? 0}`);
    if (u && u.officialMicros > 0) out.push(`At ${report.referenceBackendName} official prices: ${formatUsd(u.officialMicros)}`);
    return out.join('\n');
  }
  out.push(line('Team', summary.total.spentMicros, summary.total.reservedMicros, report.tenantCapMicros));
  out.push(`Left: ${formatUsd(Math.max(0, report.tenantCapMicros - summary.total.spentMicros - summary.total.reservedMicros))}. Default cap per member: ${formatUsd(report.userCapMicros)}.`);
  const users = Object.entries(summary.byUser).sort((a, b) => b[1].spentMicros - a[1].spentMicros);
  if (users.length > 0) {
    out.push('', '*By member*');
    for (const [, u] of users.slice(0, 10)) out.push(`• ${line(u.name, u.spentMicros, u.reservedMicros)} · ${u.jobs} video${u.jobs === 1 ? '' : 's'}`);
  }
  const backends = Object.entries(summary.byBackend).sort((a, b) => b[1].spentMicros - a[1].spentMicros);
  if (backends.length > 0) {
    out.push('', '*By backend*');
    for (const [id, b] of backends) out.push(`• ${report.backendNames[id] ?? id}: ${formatUsd(b.spentMicros)} · ${b.jobs} video${b.jobs === 1 ? '' : 's'}`);
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

export function describeReply(reply: Reply): string {
  switch (reply.kind) {
    case 'accepted':
      return describeAccepted(reply);
    case 'job':
      return [jobLine(reply.job, reply.position), reply.job.routeReason ? `Why this backend: ${reply.job.routeReason}.` : ''].filter(Boolean).join('\n');
    case 'jobs':
      return reply.jobs.length === 0 ? 'No videos yet. Start one with /sora generate.' : reply.jobs.map((j) => jobLine(j)).join('\n');
    case 'cancelled':
      return `Cancelled job \`${reply.job.id}\`; its reserved ${formatUsd(reply.job.estimateMicros)} went back to the budget.`;
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
    case 'cost':
      return describeCost(reply.report);
    case 'budget': {
      const v = reply.view;
      const out = [
        reply.changed ? '*Budget updated.*' : `*Budget for ${v.month}*`,
        line('Team', v.tenantSpentMicros, v.tenantReservedMicros, v.tenantCapMicros),
        line('You', v.userSpentMicros, v.userReservedMicros, v.userCapMicros),
        `Routing policy: ${v.policy === 'cost' ? 'cheapest backend first' : 'most stable backend first'}.`,
      ];
      for (const u of v.userCaps) out.push(`• Cap for ${u.name}: ${formatUsd(u.capMicros)}`);
      return out.join('\n');
    }
  }
}
