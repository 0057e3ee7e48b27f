import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dingtalkSign, dingtalkSignedUrl } from '../../notify/dingtalk';
import { feishuPayload, feishuSign } from '../../notify/feishu';
import { verifyWebhookSignature, webhookSignature } from '../../notify/webhook';
import { message } from './notify-fixtures';

/** The test vectors of shared/domain/approval-catalog.md §4.4, and the signing schemes around them. */

describe('DingTalk signing (加签)', () => {
  const secret = 'SECtestsecret0123456789';
  const ts = 1700000000000;

  it('matches the catalog vector: HmacSHA256 keyed by the secret over `timestamp\\nsecret`, base64', () => {
    expect(dingtalkSign(secret, ts)).toBe('zrLWzK97t62y5CpqN8Ok9UIdPvX+jL1PNoW8nKT5a9k=');
  });

  it('puts the millisecond timestamp and the URL-encoded sign in the query string', () => {
    const url = new URL(
      dingtalkSignedUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', secret, ts),
    );
    expect(url.searchParams.get('access_token')).toBe('abc');
    expect(url.searchParams.get('timestamp')).toBe('1700000000000');
    expect(url.search).toContain('&sign=zrLWzK97t62y5CpqN8Ok9UIdPvX%2BjL1PNoW8nKT5a9k%3D');
    expect(url.searchParams.get('sign')).toBe('zrLWzK97t62y5CpqN8Ok9UIdPvX+jL1PNoW8nKT5a9k=');
  });

  it('leaves the URL alone when the robot has no secret', () => {
    const plain = 'https://oapi.dingtalk.com/robot/send?access_token=abc';
    expect(dingtalkSignedUrl(plain, undefined, ts)).toBe(plain);
  });
});

describe('Feishu signing (签名校验), different from DingTalk', () => {
  const secret = 'feishu-test-secret';
  const ts = 1700000000;
  const wrong = 'h/YXgyoiyw0K/L0ImDtWRHoDgH10ksHhmznCTaRFMR4=';

  it('matches the catalog vector: HmacSHA256 keyed by `timestamp\\nsecret` over an empty message', () => {
    expect(feishuSign(secret, ts)).toBe('e3MJ8Q5llVxGJ8pVkGPBhexDAgjvYqpjPP1GkY9XceI=');
  });

  it('is not the common secret-keyed mistake (which the negative vector pins down)', () => {
    const secretKeyed = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
    expect(secretKeyed).toBe(wrong);
    expect(feishuSign(secret, ts)).not.toBe(wrong);
  });

  it('puts the timestamp in seconds, as a string, and the sign unencoded, in the JSON body', () => {
    const body = feishuPayload([message()], { publicUrl: 'https://gl.example' }, secret, ts);
    expect(body.timestamp).toBe('1700000000');
    expect(body.sign).toBe('e3MJ8Q5llVxGJ8pVkGPBhexDAgjvYqpjPP1GkY9XceI=');
    expect(feishuPayload([message()], { publicUrl: 'https://gl.example' }, undefined, ts)).not.toHaveProperty(
      'sign',
    );
  });
});

describe('webhook signature', () => {
  const secret = 'webhook-secret-0123456789';
  const body = '{"type":"greenlane.escalations","sentAt":1700000000,"escalations":[]}';

  it('is sha256=<hex HMAC-SHA256 of the raw body>', () => {
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    expect(webhookSignature(secret, body)).toBe(`sha256=${hex}`);
    expect(webhookSignature(secret, body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('verifies only the exact body with the right secret', () => {
    const sig = webhookSignature(secret, body);
    expect(verifyWebhookSignature(secret, body, sig)).toBe(true);
    expect(verifyWebhookSignature(secret, `${body} `, sig)).toBe(false);
    expect(verifyWebhookSignature('another-secret-000000', body, sig)).toBe(false);
    expect(verifyWebhookSignature(secret, body, undefined)).toBe(false);
  });
});
