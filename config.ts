import { z } from 'zod';

/**
 * Process configuration, read once from the environment by each composition root
 * (worker.ts, api/server.ts, scripts/start.ts) and passed down. Nothing else reads process.env.
 */
const Env = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('greenlane'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  DATABASE_URL: z.string().url().optional(),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type Config = Readonly<{
  temporal: Readonly<{ address: string; namespace: string; taskQueue: string; uiUrl: string }>;
  databaseUrl: string;
  api: Readonly<{ host: string; port: number; publicUrl: string }>;
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
}>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Greenlane configuration is invalid:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
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
    }),
    databaseUrl: e.DATABASE_URL,
    api: Object.freeze({
      host: e.API_HOST,
      port: e.API_PORT,
      publicUrl: e.PUBLIC_URL ?? `http://${e.API_HOST}:${e.API_PORT}`,
    }),
    logLevel: e.LOG_LEVEL,
  });
}
