import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../../notify/webhook';

/**
 * A city system receiving Greenlane's signed webhook on loopback, slow on purpose: it records each
 * request as it arrives and answers `delayMs` later, so a worker killed in between has sent a
 * notification it never learns was delivered — the window in which at-least-once delivery repeats one.
 */
export type Delivery = {
  /** Arrival, by the test's clock. */
  at: number;
  /** The outbox row ids in this request (`X-Greenlane-Delivery`). */
  ids: number[];
  escalationKeys: string[];
  verified: boolean;
  /** When our 200 was written, if the sender was still there to take it. */
  answeredAt?: number;
};

export type WebhookReceiver = {
  url: string;
  secret: string;
  deliveries: Delivery[];
  /** Called on each arrival, before the (delayed) answer. */
  onDelivery(fn: (d: Delivery) => void): void;
  /** Outbox row id → how many times it arrived. */
  counts(): Map<number, number>;
  close(): Promise<void>;
};

export async function startWebhookReceiver(delayMs: number): Promise<WebhookReceiver> {
  const secret = 'faults-webhook-secret-0123456789';
  const deliveries: Delivery[] = [];
  let listener: (d: Delivery) => void = () => {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let keys: string[] = [];
      try {
        keys = (JSON.parse(raw).escalations ?? []).map((e: { key: string }) => e.key);
      } catch {
        keys = [];
      }
      const header = req.headers[DELIVERY_HEADER];
      const delivery: Delivery = {
        at: Date.now(),
        ids: String(header ?? '')
          .split(',')
          .filter(Boolean)
          .map(Number),
        escalationKeys: keys,
        verified: verifyWebhookSignature(secret, raw, req.headers[SIGNATURE_HEADER] as string | undefined),
      };
      deliveries.push(delivery);
      listener(delivery);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}', () => {
          delivery.answeredAt = Date.now();
        });
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/greenlane`,
    secret,
    deliveries,
    onDelivery(fn) {
      listener = fn;
    },
    counts() {
      const counts = new Map<number, number>();
      for (const d of deliveries) for (const id of d.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      return counts;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
