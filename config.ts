import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Process configuration, read once from the environment by each composition root
 * (worker.ts, api/server.ts, scripts/start.ts) and passed down. Nothing else reads process.env.
 */
/** A Worker Deployment's name, and a build id (the package version and the git commit by default). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$/;
/** An ID token claim's name, and OAuth scopes (RFC 6749 §3.3) starting with openid. */
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/;
const SCOPES = /^openid( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('greenlane'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  // Worker Versioning: with a deployment name the worker runs as one version of that Worker Deployment
  // (build id: TEMPORAL_BUILD_ID, else the package version and the git commit); operators make a version
  // current with the Temporal CLI, or the worker does at start when TEMPORAL_PROMOTE=on-start (npm start).
  TEMPORAL_DEPLOYMENT: z.string().regex(NAME).optional(),
  TEMPORAL_BUILD_ID: z.string().regex(BUILD_ID).optional(),
  TEMPORAL_PROMOTE: z.enum(['on-start', 'manual']).optional(),
  // Projects a worker keeps in its workflow cache (none or empty: sized from its heap, worker-cache.ts).
  WORKER_CACHED_PROJECTS: z.coerce.number().int().min(2).max(1_000_000).or(z.literal('')).optional(),
  DATABASE_URL: z.string().url().optional(),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // Notifications (notify/): whether this process runs the dispatcher, and the JSON file
  // holding the targets (their URLs, keys and secrets) and the delivery settings (NotifyFile below).
  NOTIFY_ENABLED: z.enum(['true', 'false']).default('true'),
  NOTIFY_CONFIG_FILE: z.string().optional(),
  // Signing in to the dashboard with the organisation's identity (OpenID Connect, authorization code
  // with PKCE): the provider's issuer URL and this client's id there; a secret for a confidential client
  // (none: a public client). Unset or empty issuer: API-key sign-in only. OIDC_PERSON_CLAIM names a
  // claim of the ID token carrying the Greenlane person id, to link an identity at its first sign-in
  // (none: only operators link identities, PUT /people/{id}/identity). OIDC_SCOPE: the scopes asked
  // for (none: `openid profile`). Empty values read as unset (compose passes `${NAME:-}`).
  OIDC_ISSUER: z.string().url().or(z.literal('')).optional(),
  OIDC_CLIENT_ID: z.string().max(255).optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_PERSON_CLAIM: z.string().regex(CLAIM_NAME, 'a claim name').or(z.literal('')).optional(),
  OIDC_SCOPE: z.string().regex(SCOPES, 'scopes, space-separated, openid first').or(z.literal('')).optional(),
});

/** A target's name, as `notification_routes.target` refers to it. */
export const TargetName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a target name is 1–63 letters, digits, _ . -');
const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL');

/**
 * Where notifications go, by channel and target name. URLs, keys and secrets live only here (a webhook
 * URL with its token is itself a credential: whoever holds it can post to the group): never in the
 * database, never in a log.
 */
export const NotifyTargets = z
  .object({
    /** DingTalk custom robot: the webhook URL with its access_token; `secret` (SEC…) when 加签 is on. */
    dingtalk: z.record(TargetName, z.object({ url: HttpUrl, secret: z.string().min(1).optional() }).strict()),
    /** WeCom group robot: the webhook URL with its key (the key is the only credential; no signing). */
    wecom: z.record(TargetName, z.object({ url: HttpUrl }).strict()),
    /** Feishu custom bot: the hook URL; `secret` when 签名校验 is on. */
    feishu: z.record(TargetName, z.object({ url: HttpUrl, secret: z.string().min(1).optional() }).strict()),
    /** SMTP relays; `to` adds fixed addresses (a department mailbox) to the people routed here. */
    email: z.record(
      TargetName,
      z
        .object({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535).default(587),
          /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
          secure: z.boolean().default(false),
          requireTls: z.boolean().default(false),
          user: z.string().min(1).optional(),
          password: z.string().min(1).optional(),
          from: z.string().min(3),
          to: z.array(z.string().email()).default([]),
        })
        .strict(),
    ),
    /** Generic JSON webhook, signed `X-Greenlane-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. */
    webhook: z.record(TargetName, z.object({ url: HttpUrl, secret: z.string().min(16) }).strict()),
  })
  .partial()
  .strict();
export type NotifyTargets = z.infer<typeof NotifyTargets>;

/** How the dispatcher paces and retries; every field has a default. */
export const NotifyDelivery = z
  .object({
    pollMs: z.number().int().min(50).max(60_000).default(1_000),
    /** Attempts per notification before it is `failed` (kept for operators). */
    maxAttempts: z.number().int().min(1).max(50).default(10),
    sendTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Retry n waits base·2^(n−1), half of it random, at most the cap. */
    backoffBaseMs: z.number().int().min(10).max(3_600_000).default(15_000),
    backoffCapMs: z.number().int().min(10).max(86_400_000).default(1_800_000),
    /** At most this many messages folded into one digest when a robot's rate limit is reached. */
    digestMax: z.number().int().min(1).max(50).default(10),
  })
  .strict();

const HostPattern = z
  .string()
  .regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$/, 'a host name, optionally *.domain, optionally :port')
  .transform((h) => h.toLowerCase());

/** Whether `url`'s host (with its port, if the pattern has one) is one the allow-list names. */
export function hostAllowed(url: string, allowed: readonly string[]): boolean {
  const { hostname, host } = new URL(url);
  return allowed.some((pattern) => {
    const subject = pattern.includes(':') ? host : hostname;
    return pattern.startsWith('*.') ? subject.endsWith(pattern.slice(1)) : subject === pattern;
  });
}

/**
 * The file NOTIFY_CONFIG_FILE names (mount it as a secret): `{ "targets": {…}, "delivery": {…},
 * "allowedHosts": […] }`. Targets come only from this file, which only the operator writes; where it
 * lists `allowedHosts` (e.g. `["oapi.dingtalk.com", "qyapi.weixin.qq.com", "open.feishu.cn",
 * "hooks.city.gov.cn"]`), every robot and webhook URL must be on one of them, so a slip cannot point
 * Greenlane's signed requests at an internal address. Without it any http(s) URL is taken.
 */
export const NotifyFile = z
  .object({
    targets: NotifyTargets.prefault({}),
    delivery: NotifyDelivery.prefault({}),
    allowedHosts: z.array(HostPattern).min(1).optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    if (!file.allowedHosts) return;
    for (const channel of ['dingtalk', 'wecom', 'feishu', 'webhook'] as const) {
      for (const [name, target] of Object.entries(file.targets[channel] ?? {})) {
        if (!hostAllowed(target.url, file.allowedHosts)) {
          ctx.addIssue({
            code: 'custom',
            path: ['targets', channel, name, 'url'],
            message: `host ${new URL(target.url).host} is not in allowedHosts`,
          });
        }
      }
    }
  });

export type NotifySettings = Readonly<
  z.infer<typeof NotifyDelivery> & {
    /** Run the dispatcher in this process (several workers may; they share the work through the table). */
    enabled: boolean;
    targets: NotifyTargets;
  }
>;

export type Deployment = Readonly<{ name: string; buildId: string | undefined; promoteOnStart: boolean }>;

export type Config = Readonly<{
  temporal: Readonly<{
    address: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    /** Absent: an unversioned worker (tests, the benchmarks). */
    deployment?: Deployment;
    /** Projects a worker keeps cached; absent: sized from the heap (worker-cache.ts). */
    cachedProjects?: number;
  }>;
  databaseUrl: string;
  api: Readonly<{ host: string; port: number; publicUrl: string }>;
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  notify: NotifySettings;
  /** Signing in through the organisation's identity provider; absent when OIDC_ISSUER is unset. */
  oidc?: OidcSettings;
}>;

export type OidcSettings = Readonly<{
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE alone). */
  clientSecret?: string;
  /** The ID token claim carrying the Greenlane person id, for linking at a first sign-in. */
  personClaim?: string;
  scope: string;
}>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Greenlane configuration is invalid:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.OIDC_ISSUER && !e.OIDC_CLIENT_ID) {
    throw new Error(
      'Greenlane configuration is invalid:\n  OIDC_CLIENT_ID: required when OIDC_ISSUER is set',
    );
  }
  if (e.OIDC_ISSUER && new URL(e.OIDC_ISSUER).protocol !== 'https:' && !loopback(e.OIDC_ISSUER)) {
    throw new Error(
      'Greenlane configuration is invalid:\n  OIDC_ISSUER: must be https (plain http only on a loopback address)',
    );
  }
  if (!e.DATABASE_URL) {
    throw new Error(
      'DATABASE_URL is not set: point it at PostgreSQL (npm start sets it for the local cluster).',
    );
  }
  return Object.freeze({
    temporal: Object.freeze({
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
      ...(e.TEMPORAL_DEPLOYMENT
        ? {
            deployment: Object.freeze({
              name: e.TEMPORAL_DEPLOYMENT,
              buildId: e.TEMPORAL_BUILD_ID,
              promoteOnStart: e.TEMPORAL_PROMOTE === 'on-start',
            }),
          }
        : {}),
      ...(typeof e.WORKER_CACHED_PROJECTS === 'number' ? { cachedProjects: e.WORKER_CACHED_PROJECTS } : {}),
    }),
    databaseUrl: e.DATABASE_URL,
    api: Object.freeze({
      host: e.API_HOST,
      port: e.API_PORT,
      publicUrl: e.PUBLIC_URL ?? `http://${e.API_HOST}:${e.API_PORT}`,
    }),
    logLevel: e.LOG_LEVEL,
    notify: notifySettings(e),
    ...(e.OIDC_ISSUER && e.OIDC_CLIENT_ID
      ? {
          oidc: Object.freeze({
            issuer: e.OIDC_ISSUER,
            clientId: e.OIDC_CLIENT_ID,
            clientSecret: e.OIDC_CLIENT_SECRET || undefined,
            personClaim: e.OIDC_PERSON_CLAIM || undefined,
            scope: e.OIDC_SCOPE || 'openid profile',
          }),
        }
      : {}),
  });
}

function loopback(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

/**
 * The notification settings: NOTIFY_ENABLED and the file NOTIFY_CONFIG_FILE names (none: no targets,
 * default delivery). Errors name the path and the rule broken, never the file's text: it holds secrets
 * (JSON.parse's message can quote it).
 */
function notifySettings(e: z.infer<typeof Env>): NotifySettings {
  const invalid = (why: string) => new Error(`Greenlane configuration is invalid: NOTIFY_CONFIG_FILE ${why}`);
  let json: unknown = {};
  if (e.NOTIFY_CONFIG_FILE) {
    let text: string;
    try {
      text = readFileSync(e.NOTIFY_CONFIG_FILE, 'utf8');
    } catch {
      throw invalid(`(${e.NOTIFY_CONFIG_FILE}) cannot be read`);
    }
    try {
      json = JSON.parse(text);
    } catch {
      throw invalid('is not valid JSON');
    }
  }
  const parsed = NotifyFile.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  NOTIFY_CONFIG_FILE ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Greenlane configuration is invalid:\n${lines.join('\n')}`);
  }
  const { delivery, targets } = parsed.data;
  return Object.freeze({
    ...delivery,
    backoffCapMs: Math.max(delivery.backoffCapMs, delivery.backoffBaseMs),
    enabled: e.NOTIFY_ENABLED === 'true',
    targets,
  });
}
