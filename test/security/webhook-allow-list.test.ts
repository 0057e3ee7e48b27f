import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostAllowed, loadConfig } from '../../config';

/** Finding 9: robot and webhook targets may be held to an allow-list of hosts by the operator. */

const dir = mkdtempSync(join(tmpdir(), 'gl-allow-'));
const load = (file: unknown) => {
  const path = join(dir, `notify-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(file));
  return loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/g', NOTIFY_CONFIG_FILE: path });
};
const targets = {
  dingtalk: { leaders: { url: 'https://oapi.dingtalk.com/robot/send?access_token=t' } },
  webhook: { oa: { url: 'http://169.254.169.254/latest/meta-data', secret: 'a-secret-of-16-chars' } },
};

describe('allowedHosts in the notification file', () => {
  it('matches exact hosts, *.domain suffixes and host:port', () => {
    expect(hostAllowed('https://oapi.dingtalk.com/robot', ['oapi.dingtalk.com'])).toBe(true);
    expect(hostAllowed('https://hooks.city.gov.cn/x', ['*.gov.cn'])).toBe(true);
    expect(hostAllowed('https://gov.cn.evil.example/x', ['*.gov.cn'])).toBe(false);
    expect(hostAllowed('http://127.0.0.1:8080/x', ['127.0.0.1:8080'])).toBe(true);
    expect(hostAllowed('http://127.0.0.1:9090/x', ['127.0.0.1:8080'])).toBe(false);
    expect(hostAllowed('http://10.0.0.5/x', ['oapi.dingtalk.com'])).toBe(false);
  });

  it('refuses a file whose target points outside the list, naming the target and not its URL', () => {
    expect(() => load({ targets, allowedHosts: ['oapi.dingtalk.com'] })).toThrow(
      /NOTIFY_CONFIG_FILE targets\.webhook\.oa\.url: host 169\.254\.169\.254 is not in allowedHosts/,
    );
  });

  it('takes a file whose targets are all on the list, and any target when there is no list', () => {
    expect(
      load({ targets, allowedHosts: ['oapi.dingtalk.com', '169.254.169.254'] }).notify.targets.webhook,
    ).toBeDefined();
    expect(load({ targets }).notify.targets.webhook?.oa?.url).toBe('http://169.254.169.254/latest/meta-data');
  });
});
