import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { formatUsd, usdToMicros } from '../src/core/money.js';

describe('config', () => {
  it('runs with no variables at all, on SQLite in ./data', () => {
    const config = loadConfig({});
    assert.match(config.storeUrl, /^sqlite:\/\/.*data\/bot\.sqlite$/);
    assert.equal(config.DEFAULT_MONTHLY_BUDGET_USD, 50_000_000);
    assert.equal(config.ROUTING_POLICY, 'cost');
    assert.equal(config.PORT, 8080);
  });

  it('an invalid STORE_URL is shown with its password masked, even when it does not parse as a URL', () => {
    for (const [value, shown] of [
      ['mysql://bot:hunter2-secret@db.internal:3306/bot', 'mysql://bot:***@db.internal:3306/bot'],
      ['mongodb://admin:p@ss/w0rd:x@db/bot', 'mongodb://admin:***@db/bot'],
      ['postgress://bot:hunter2-secret@db/bot', 'postgress://bot:***@db/bot'],
    ] as const) {
      assert.throws(
        () => loadConfig({ STORE_URL: value }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.ok(error.message.includes(`(got "${shown}")`), error.message);
          assert.doesNotMatch(error.message, /hunter2|p@ss|w0rd/);
          return true;
        },
      );
    }
    // TEAM_DISK_QUOTA_MB: 0 means no limit; a negative or fractional quota is a sentence.
    assert.equal(loadConfig({ TEAM_DISK_QUOTA_MB: '0' }).TEAM_DISK_QUOTA_MB, 0);
    assert.equal(loadConfig({}).TEAM_DISK_QUOTA_MB, 2048);
    assert.throws(() => loadConfig({ TEAM_DISK_QUOTA_MB: '-1' }), /TEAM_DISK_QUOTA_MB must be 0 \(no limit\) or more/);
  });

  it('names each invalid variable in a sentence, without echoing secrets', () => {
    assert.throws(
      () => loadConfig({ PORT: '99999', STORE_URL: 'mysql://x', ROUTING_POLICY: 'fastest', OPENAI_BASE_URL: 'ftp://x', PRICE_OVERRIDES: 'openai=cheap' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.message;
        assert.match(text, /PORT must be a TCP port \(0–65535\) \(got "99999"\)/);
        assert.match(text, /STORE_URL must start with sqlite:\/\/, redis:\/\/ or postgres:\/\//);
        assert.match(text, /ROUTING_POLICY/);
        assert.match(text, /OPENAI_BASE_URL must be an http\(s\) URL/);
        assert.match(text, /"openai=cheap" must look like backend\.resolution\[\.on\|\.off\]=USD/);
        return true;
      },
    );
    assert.throws(() => loadConfig({ DISCORD_APPLICATION_ID: 'abc', OPENAI_API_KEY: '' }), /DISCORD_APPLICATION_ID must be the numeric application id/);
  });

  it('parses money exactly and collects every secret for log scrubbing', () => {
    const config = loadConfig({
      DEFAULT_USER_MONTHLY_BUDGET_USD: '12.345678',
      PRICE_OVERRIDES: 'openai.standard=0.12, apiyi.standard=0.1, fal-veo31.4k.on=0.65, kling.1080p.off=0.11',
      OPENAI_API_KEY: 'sk-abcdef',
      SLACK_SIGNING_SECRET: 'shh-123456',
      STORE_URL: 'postgres://bot:p%40ss-word@127.0.0.1/test',
    });
    assert.equal(config.DEFAULT_USER_MONTHLY_BUDGET_USD, 12_345_678);
    // `standard` is 720p, as `--quality standard` is; without `.on`/`.off` a price holds for whichever sound the backend prices.
    assert.deepEqual(config.PRICE_OVERRIDES, {
      openai: { '720p': { any: 120_000 } },
      apiyi: { '720p': { any: 100_000 } },
      'fal-veo31': { '4k': { on: 650_000 } },
      kling: { '1080p': { off: 110_000 } },
    });
    assert.ok(config.secrets.includes('sk-abcdef'));
    assert.ok(config.secrets.includes('shh-123456'));
    assert.ok(config.secrets.includes('p@ss-word'));
  });

  it('formats and parses dollars without floating-point drift', () => {
    assert.equal(usdToMicros('0.1') * 3, 300_000);
    assert.equal(usdToMicros(0.29), 290_000);
    assert.equal(formatUsd(1_234_500_000), '$1,234.50');
    assert.equal(formatUsd(4_200), '<$0.01');
    assert.throws(() => usdToMicros('-1'), RangeError);
  });
});
