/**
 * What users read: money in cents, the duration notice worded per surface, the
 * progress line of a provider that reports no percent, and plain text on the console.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatUsd, usdToMicros } from '../../src/core/money.js';
import { chatMarkdown, describeCost, describeDuration, describeJobStatus, discordMarkdown, elapsedProgress, plainText } from '../../src/core/present.js';
import type { DurationNotice } from '../../src/core/router.js';
import type { CostReport } from '../../src/core/studio.js';
import type { JobRecord } from '../../src/core/types.js';

describe('money on screen', () => {
  it('shows cents, rounded half up, and never a third decimal', () => {
    assert.equal(formatUsd(504_000), '$0.50');
    assert.equal(formatUsd(505_000), '$0.51');
    assert.equal(formatUsd(16_896_000), '$16.90');
    assert.equal(formatUsd(5_076_000), '$5.08');
    assert.equal(formatUsd(1_234_500_000), '$1,234.50');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(-120_000), '-$0.12');
    assert.equal(formatUsd(4_999), '<$0.01');
    assert.equal(formatUsd(5_000), '$0.01');
    assert.equal(formatUsd(usdToMicros('0.995')), '$1.00');
  });

  it('/cost rounds the exact totals once: three videos at $0.504 make $1.51, not three rounded $0.50', () => {
    const line = (spent: number, jobs = 1) => ({ spentMicros: spent, reservedMicros: 0, officialMicros: 0, jobs });
    const report: CostReport = {
      tenant: 't',
      month: '2026-12',
      summary: {
        tenant: 't',
        month: '2026-12',
        total: line(1_512_000, 3),
        byUser: { a: { ...line(504_000), name: 'ana' }, b: { ...line(504_000), name: 'bo' }, c: { ...line(504_000), name: 'cy' } },
        byBackend: { kling: line(1_512_000, 3) },
      },
      tenantCapMicros: 50_000_000,
      userCapMicros: 10_000_000,
      user: undefined,
      referenceBackendName: 'OpenAI',
      backendNames: { kling: 'Kling' },
      takes: [],
    };
    const text = describeCost(report, plainText);
    assert.match(text, /^Spend for 2026-12\nTeam: \$1\.51 of \$50\.00\nLeft: \$48\.49\./);
    assert.match(text, /• ana: \$0\.50 · 1 video/);
    assert.match(text, /• Kling: \$1\.51 · 3 videos/);
    assert.doesNotMatch(text, /[*`]|\$\d+\.\d{3}/);
    assert.match(describeCost(report, chatMarkdown), /^\*Spend for 2026-12\*/);
  });
});

describe('the duration notice', () => {
  const notice: DurationNotice = {
    askedSeconds: 8,
    madeSeconds: 10,
    backendName: 'Sora character API',
    estimateMicros: 120_000,
    characterNames: '@mascot',
    policy: 'cost',
    forced: false,
    exact: { backendId: 'kling', backendName: 'Kling', estimateMicros: 672_000 },
  };

  it('says the length made, and names the exact backend in each surface’s own syntax', () => {
    assert.equal(
      describeDuration(notice, plainText),
      '8 s asked; the cheapest backend that can keep @mascot makes 10 s ($0.12); --backend kling makes exactly 8 s ($0.67).',
    );
    assert.match(describeDuration(notice, chatMarkdown), /; `--backend kling` makes exactly 8 s \(\$0\.67\)\.$/);
    assert.match(describeDuration(notice, discordMarkdown), /; `backend:kling` makes exactly 8 s \(\$0\.67\)\.$/);
  });

  it('says so when no backend makes the length, and when a forced backend rounds it', () => {
    const { exact: _exact, ...none } = notice;
    assert.equal(describeDuration(none, plainText), '8 s asked; the cheapest backend that can keep @mascot makes 10 s ($0.12); no backend that can keep @mascot makes exactly 8 s.');
    assert.match(describeDuration({ ...notice, forced: true, backendName: 'OpenAI' }, plainText), /^8 s asked; OpenAI makes 10 s \(\$0\.12\); --backend kling makes exactly 8 s/);
  });

  it('when exactness cost more than another length, names the cheaper one', () => {
    const exact: DurationNotice = { ...notice, madeSeconds: 8, backendName: 'Kling', estimateMicros: 672_000, exact: undefined, cheaper: { backendId: 'apiyi', seconds: 10, estimateMicros: 120_000 } };
    assert.equal(describeDuration(exact, plainText), 'Exactly 8 s as asked on Kling ($0.67); --backend apiyi makes 10 s for $0.12.');
  });
});

describe('progress without a percent', () => {
  const job = { submittedAt: 1_000_000, createdAt: 990_000 };
  const none = { progress: 'none' as const, typicalRenderSeconds: 120 };

  it('shows time elapsed against the backend’s typical render time, marked as an estimate', () => {
    assert.equal(elapsedProgress(job, 0, none, 1_000_000 + 45_000), '45s elapsed, about 1m 15s left (estimate: renders here usually take 2m 00s)');
    assert.equal(elapsedProgress(job, 0, none, 1_000_000 + 150_000), '2m 30s elapsed, taking longer than usual (estimate: renders here usually take 2m 00s)');
    assert.equal(elapsedProgress(job, 0, { progress: 'none' }, 1_000_000 + 5_000), '5s elapsed (this provider reports no percentage)');
  });

  it('leaves real percentages to the bar', () => {
    assert.equal(elapsedProgress(job, 0, { progress: 'percent' }, 1_050_000), undefined);
    assert.equal(elapsedProgress(job, 40, { progress: 'queue-position', typicalRenderSeconds: 120 }, 1_050_000), undefined);
  });

  it('a running job’s status reads the elapsed line instead of a frozen 0%', () => {
    const running = { state: 'running', progress: 0 } as JobRecord;
    assert.equal(describeJobStatus(running, undefined, '45s elapsed, about 1m 15s left (estimate: renders here usually take 2m 00s)'), 'generating, 45s elapsed, about 1m 15s left (estimate: renders here usually take 2m 00s)');
    assert.match(describeJobStatus(running), /generating ░+ +0%/);
  });
});

describe('the duration notice on Slack', () => {
  it('sits under the estimate in the thread’s opening message, with the option as Slack users type it', async () => {
    const { parentMessageForAccepted } = await import('../../src/chat/slack/blocks.js');
    const job = {
      id: 'j_abcdefgh', requesterId: 'U1', requesterName: 'ana', seconds: 10, estimateMicros: 120_000,
      input: { prompt: '@mascot waves', orientation: 'landscape', seconds: 8, quality: 'standard', backend: undefined, imagePath: undefined, remixOf: undefined },
    } as unknown as JobRecord;
    const duration: DurationNotice = {
      askedSeconds: 8, madeSeconds: 10, backendName: 'Sora character API', estimateMicros: 120_000, characterNames: '@mascot', policy: 'cost', forced: false,
      exact: { backendId: 'kling', backendName: 'Kling', estimateMicros: 672_000 },
    };
    const message = parentMessageForAccepted({ job, estimateMicros: 120_000, tenantLeftMicros: 1_000_000, userLeftMicros: 500_000, backendName: 'Sora character API', reason: { kind: 'forced', backendName: 'x' }, duration });
    assert.match(JSON.stringify(message.blocks[2]), /8 s asked; the cheapest backend that can keep @mascot makes 10 s \(\$0\.12\); `--backend kling` makes exactly 8 s \(\$0\.67\)\./);
  });
});
