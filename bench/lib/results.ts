import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../../scripts/toolchain';
import { machine } from './machine';

/** What every benchmark is given by bench/run.ts. */
export type BenchOptions = {
  /** A smaller run for CI: a smoke check that the benchmark still works, not a measurement. */
  quick: boolean;
  /**
   * PostgreSQL without fsync and Temporal in memory: not what anyone runs, kept as a labelled extra
   * row beside the durable figures. Default: durable, as `npm start` runs them.
   */
  volatile?: boolean;
};

export const resultsDir = join(projectRoot, 'bench', 'results');

/** `2026-11-22T04:54:45.123Z` → `2026-11-22T04-54-45Z`: sortable and safe in any file system. */
export function fileStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
}

/**
 * Write `<name>-<stamp>.json|.md` and overwrite `latest-<name>.json|.md`. Each file is written to a
 * temporary name first and renamed, so a reader never sees half a result.
 */
export async function writeResults(
  name: string,
  at: Date,
  result: unknown,
  markdown: string,
): Promise<{ json: string; markdown: string }> {
  await mkdir(resultsDir, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stamped = join(resultsDir, `${name}-${fileStamp(at)}`);
  const latest = join(resultsDir, `latest-${name}`);
  for (const base of [stamped, latest]) {
    await writeAtomically(`${base}.json`, json);
    await writeAtomically(`${base}.md`, markdown);
  }
  return { json: `${stamped}.json`, markdown: `${stamped}.md` };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** A Markdown table; numbers are right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (string | number)[][]): string {
  const align = header.map((_, i) => (rows.every((r) => typeof r[i] === 'number') ? '---:' : '---'));
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

/**
 * A benchmark's result written (`<name>-quick` for a `--quick` run, so CI never overwrites the
 * measurement) and its Markdown printed, with where the files went.
 */
export async function publishResults(
  name: string,
  opts: BenchOptions & { startedAt: Date },
  result: unknown,
  markdown: string,
): Promise<void> {
  const resultName = opts.quick ? `${name}-quick` : name;
  const files = await writeResults(resultName, opts.startedAt, result, markdown);
  console.log(markdown);
  console.log(`\nwritten: ${files.json}\n         ${files.markdown} (and latest-${resultName}.json/.md)`);
}

/** The first fields of every stack benchmark's result: which, when, how large, on what machine. */
export function resultHead(name: string, run: { startedAt: Date; quick: boolean; loadBefore: number }) {
  return {
    benchmark: name,
    startedAt: run.startedAt.toISOString(),
    quick: run.quick,
    machine: machine(run.loadBefore),
  };
}
