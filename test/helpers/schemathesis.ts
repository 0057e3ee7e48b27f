import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../../scripts/toolchain';

/**
 * Runs schemathesis (scripts/fuzz-requirements.txt, installed by `GREENLANE_SETUP_FOR=test bash
 * scripts/setup.sh` into .tools/venv) against a served API and reads back what it did: its JSON run
 * report (failures, errors, counts) and its HAR archive (every request with its response), so a test
 * can check each exchange itself instead of trusting the exit code.
 */

export const ST_BIN = join(projectRoot, '.tools', 'venv', 'bin', 'st');

export type FuzzOptions = {
  /** Base URL of the API; its /openapi.json is the schema. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` on every request. */
  apiKey: string;
  /** Where the reports go (emptied first). */
  reportDir: string;
  /** schemathesis `--checks` (comma-separated) and `--exclude-checks`. */
  checks: string;
  excludeChecks?: string;
  /** Test cases per operation and phase (`--max-examples`). */
  maxExamples: number;
  /** Fixed, so a run is repeatable (`--seed`; schemathesis 4 renamed `--hypothesis-seed`). */
  seed: number;
  /** Killed after this long; the test fails rather than hangs. */
  timeoutMs: number;
  /**
   * Values schemathesis draws a parameter from half the time (`"path.code"`, `"body.leader"` → the
   * seeded project codes, people…), so requests reach the handlers and the workflows instead of
   * stopping at a 404. Written to the run's schemathesis.toml as dictionaries bound to parameters.
   */
  dictionaries?: Record<string, (string | number)[]>;
};

/** One request as the HAR archive recorded it. */
export type Exchange = {
  method: string;
  /** Path and query as sent (percent-encoded). */
  path: string;
  status: number;
  contentType: string | null;
  requestId: string | null;
  replayed: boolean;
  body: string;
};

/** The parts of schemathesis' JSON run report the tests read. */
export type RunReport = {
  schemathesis_version: string;
  seed: number;
  complete: boolean;
  exit_code: number;
  running_time: number;
  operations: { total: number; selected: number; tested: number; errored: number; skipped: number };
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  phases: Record<string, { status: string; skip_reason: string | null }>;
  failures: { code: string; title: string; count: number; operations: string[] }[];
  errors: unknown[];
};

export type FuzzResult = {
  command: string[];
  exitCode: number | null;
  /** The end of schemathesis' console output: its failures, with curl commands to reproduce them. */
  output: string;
  report: RunReport;
  exchanges: Exchange[];
};

export async function runSchemathesis(o: FuzzOptions): Promise<FuzzResult> {
  if (!existsSync(ST_BIN)) {
    throw new Error(
      `${ST_BIN} is missing: run GREENLANE_SETUP_FOR=test bash scripts/setup.sh (npm test does) to install schemathesis`,
    );
  }
  await rm(o.reportDir, { recursive: true, force: true });
  await mkdir(o.reportDir, { recursive: true });
  const configFile = join(o.reportDir, 'schemathesis.toml');
  await writeFile(configFile, configToml(o.dictionaries ?? {}));
  const args = [
    // Named, so no schemathesis.toml in a parent folder is picked up instead.
    '--config-file',
    configFile,
    'run',
    `${o.baseUrl}/openapi.json`,
    '--url',
    o.baseUrl,
    '--header',
    `Authorization: Bearer ${o.apiKey}`,
    '--checks',
    o.checks,
    ...(o.excludeChecks ? ['--exclude-checks', o.excludeChecks] : []),
    '--max-examples',
    String(o.maxExamples),
    '--seed',
    String(o.seed),
    // One worker: with a fixed seed, the same requests in the same order on every run.
    '--workers',
    '1',
    '--request-timeout',
    '15',
    // Nothing remembered between runs: the seed alone decides what is sent.
    '--generation-database',
    'none',
    '--report',
    'json,har,junit',
    '--report-dir',
    o.reportDir,
    '--no-color',
  ];
  const { code, output } = await run(ST_BIN, args, o.reportDir, o.timeoutMs);
  const files = await readdir(o.reportDir);
  const find = (prefix: string) => {
    const name = files.find((f) => f.startsWith(prefix));
    if (!name) throw new Error(`schemathesis wrote no ${prefix} report (exit ${code}):\n${output}`);
    return join(o.reportDir, name);
  };
  const report = JSON.parse(await readFile(find('json-'), 'utf8')) as RunReport;
  const har = JSON.parse(await readFile(find('har-'), 'utf8')) as Har;
  // The key is only in the command line shown here, never in the reports (schemathesis filters it).
  const command = ['st', ...args.map((a) => (a.includes(o.apiKey) ? 'Authorization: Bearer gl_…' : a))];
  return { command, exitCode: code, output, report, exchanges: har.log.entries.map(exchange) };
}

/** `[dictionaries.<n>] values = [...]` and `[parameters] "<parameter>" = { dictionary = "<n>", probability = 0.5 }`. */
function configToml(dictionaries: Record<string, (string | number)[]>): string {
  // JSON strings and numbers are valid TOML values.
  const lines = ['# Written by test/helpers/schemathesis.ts for one run.'];
  const bindings: string[] = [];
  Object.entries(dictionaries).forEach(([parameter, values], i) => {
    lines.push(`[dictionaries.d${i}]`, `values = [${values.map((v) => JSON.stringify(v)).join(', ')}]`);
    bindings.push(`${JSON.stringify(parameter)} = { dictionary = "d${i}", probability = 0.5 }`);
  });
  return [...lines, '[parameters]', ...bindings, ''].join('\n');
}

type HarHeader = { name: string; value: string };
type Har = {
  log: {
    entries: {
      request: { method: string; url: string };
      response: { status: number; headers: HarHeader[]; content?: { text?: string } };
    }[];
  };
};

function exchange(e: Har['log']['entries'][number]): Exchange {
  const header = (name: string) =>
    e.response.headers.find((h) => h.name.toLowerCase() === name)?.value ?? null;
  const url = new URL(e.request.url);
  return {
    method: e.request.method,
    path: url.pathname + url.search,
    status: e.response.status,
    contentType: header('content-type'),
    requestId: header('x-request-id'),
    replayed: header('idempotent-replayed') === 'true',
    body: e.response.content?.text ?? '',
  };
}

function run(
  bin: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // cwd is the report folder, so no schemathesis.toml from elsewhere is picked up.
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-60_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`schemathesis did not finish within ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
