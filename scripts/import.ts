import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bodiesFromCsv, bodiesFromJson, type ImportBody } from './import-batch';

/**
 * `npm run import`: bring in the projects a service centre already serves, through the API (POST
 * /projects/import), so a batch meets exactly the rules of a single import. Every project is checked
 * first (a dry run each); only when all pass is any of them started. Each body goes with an
 * Idempotency-Key made from its content: running the same batch again after an interruption answers
 * the projects already imported instead of failing on them.
 */

export const USAGE = `Usage:
  npm run import -- <projects.json>
  npm run import -- --projects <projects.csv> --history <history.csv> [--problems <problems.csv>]

Options:
  --check     check every project and stop (start nothing)
  --api <url> the API (default $GREENLANE_API_URL or http://127.0.0.1:3000)

Environment:
  GREENLANE_API_KEY  an operator's API key (npm run keys -- create --role operator --label 导入)

The CSV columns are described in scripts/import-batch.ts and README.md ("Projects already under way").`;

export type Outcome = { code: string; status: number; body: Record<string, unknown> };

export type ImportReport = { checked: Outcome[]; imported: Outcome[] };

/** Check every body with a dry run; import them all only if every check passed. */
export async function importBatch(
  bodies: readonly ImportBody[],
  options: { api: string; key: string; checkOnly?: boolean },
): Promise<ImportReport> {
  const send = async (body: ImportBody, dryRun: boolean): Promise<Outcome> => {
    const text = JSON.stringify(body);
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 32);
    const res = await fetch(`${options.api}/projects/import${dryRun ? '?dryRun=true' : ''}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.key}`,
        'content-type': 'application/json',
        'idempotency-key': `import-${dryRun ? 'check' : 'run'}-${digest}`,
      },
      body: text,
    });
    return { code: body.code, status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const checked: Outcome[] = [];
  for (const body of bodies) checked.push(await send(body, true));
  if (options.checkOnly || checked.some((c) => c.status !== 200)) return { checked, imported: [] };
  const imported: Outcome[] = [];
  for (const body of bodies) imported.push(await send(body, false));
  return { checked, imported };
}

/** One line a project: what the check or the import answered. */
export function describe(o: Outcome): string {
  if (o.status === 200 || o.status === 201) {
    const statuses = Object.entries((o.body.statuses ?? {}) as Record<string, number>)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    const late = (o.body.escalatesAtOnce as unknown[] | undefined)?.length ?? 0;
    return `${o.code}: ${o.status === 201 ? 'imported' : 'ok'} (${o.body.facts} facts; ${statuses}; ${late} rungs due at once)`;
  }
  const errors = (o.body.errors ?? []) as { path: string; message: string }[];
  const why =
    errors.length > 0 ? errors.map((e) => `${e.path}: ${e.message}`).join('; ') : String(o.body.detail);
  return `${o.code}: refused ${o.status} ${String(o.body.type ?? '')} — ${why}`;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      projects: { type: 'string' },
      history: { type: 'string' },
      problems: { type: 'string' },
      check: { type: 'boolean' },
      api: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const key = process.env.GREENLANE_API_KEY;
  const json = positionals[0];
  if (values.help || (!json && !values.projects) || !key) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const read = (path: string) => readFileSync(path, 'utf8');
  const bodies =
    json !== undefined
      ? bodiesFromJson(read(json))
      : bodiesFromCsv({
          projects: read(values.projects!),
          history: values.history ? read(values.history) : 'code,on,item,action\n',
          problems: values.problems ? read(values.problems) : undefined,
        });
  const api = values.api ?? process.env.GREENLANE_API_URL ?? 'http://127.0.0.1:3000';
  const report = await importBatch(bodies, { api, key, checkOnly: values.check });
  for (const o of report.checked) console.log(`check  ${describe(o)}`);
  for (const o of report.imported) console.log(`import ${describe(o)}`);
  const refused = report.checked.filter((c) => c.status !== 200).length;
  if (refused > 0) {
    console.error(
      `${refused} of ${bodies.length} project(s) refused: nothing was imported; fix them and run again`,
    );
    return 1;
  }
  const failed = report.imported.filter((o) => o.status !== 201).length;
  if (failed > 0) console.error(`${failed} project(s) failed to import; run the same batch again to retry`);
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
