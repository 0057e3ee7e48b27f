import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';

/** Notification settings as configuration: a zod-parsed file of targets, secrets never echoed in errors. */

const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/greenlane' };
const secret = 'SECverysecret0123456789';
const dir = mkdtempSync(join(tmpdir(), 'gl-notify-'));
let files = 0;
function file(text: string): string {
  const path = join(dir, `notify-${++files}.json`);
  writeFileSync(path, text);
  return path;
}
const withFile = (text: string) => loadConfig({ ...base, NOTIFY_CONFIG_FILE: file(text) });

const good = {
  targets: {
    dingtalk: { leaders: { url: 'https://oapi.dingtalk.com/robot/send?access_token=tok123456', secret } },
    email: { smtp: { host: 'smtp.gov.example', from: 'noreply@gov.example', password: 'pw-secret-1' } },
  },
  delivery: { maxAttempts: 4 },
};

describe('notification configuration', () => {
  it('without a file: the dispatcher runs, with default delivery and no targets', () => {
    for (const env of [base, { ...base, NOTIFY_CONFIG_FILE: '' }]) {
      expect(loadConfig(env).notify).toEqual({
        enabled: true,
        pollMs: 1_000,
        maxAttempts: 10,
        sendTimeoutMs: 10_000,
        backoffBaseMs: 15_000,
        backoffCapMs: 1_800_000,
        digestMax: 10,
        targets: {},
      });
    }
    expect(loadConfig({ ...base, NOTIFY_ENABLED: 'false' }).notify.enabled).toBe(false);
  });

  it('reads targets and delivery settings from the file, filling in defaults', () => {
    const { notify } = withFile(JSON.stringify(good));
    expect(notify.targets.dingtalk?.leaders?.secret).toBe(secret);
    expect(notify.targets.email?.smtp).toMatchObject({ port: 587, secure: false, requireTls: false, to: [] });
    expect(notify).toMatchObject({ maxAttempts: 4, digestMax: 10 });
  });

  it('names what is wrong without quoting the file, which holds secrets', () => {
    const badUrl = JSON.stringify({
      targets: { dingtalk: { leaders: { url: `not a url ${secret}`, secret } } },
    });
    expect(() => withFile(badUrl)).toThrow(/NOTIFY_CONFIG_FILE targets\.dingtalk\.leaders\.url/);
    for (const text of [badUrl, `{"targets": ${secret}`]) {
      expect(() => withFile(text)).toThrow(/invalid/);
      try {
        withFile(text);
      } catch (error) {
        expect(String(error)).not.toContain(secret);
      }
    }
    expect(() => withFile('{"targets":{"sms":{}}}')).toThrow(/invalid/);
    expect(() =>
      withFile('{"targets":{"webhook":{"x":{"url":"https://a.example","secret":"short"}}}}'),
    ).toThrow(/targets\.webhook\.x\.secret/);
    expect(() => loadConfig({ ...base, NOTIFY_CONFIG_FILE: join(dir, 'missing.json') })).toThrow(
      /cannot be read/,
    );
  });
});
