import type { BenchOptions } from './lib/results';

/**
 * npm run bench [-- <name>...] [--quick] [--volatile] [--projects N] [--concurrency C] [--temporal dev|cluster]: runs the named benchmarks,
 * or all of them, one after another. Each prints its table and writes
 * bench/results/<name>-<time>.json|.md and latest-<name>.json|.md. Exits non-zero when a benchmark
 * fails (e.g. a history past Temporal's warning levels, or a decision that was refused).
 */

/** Sizes a benchmark may take from the command line; one that has no use for them ignores them. */
type RunOptions = BenchOptions & { projects?: number; concurrency?: number; temporal?: 'dev' | 'cluster' };
type Benchmark = { describe: string; run(opts: RunOptions): Promise<void> };

/** Flags that take a positive integer: `--projects 20` or `--projects=20`. */
const sizeFlags = { '--projects': 'projects', '--concurrency': 'concurrency' } as const;

// Imported on demand, so one benchmark's start-up cost is not paid by another.
const benchmarks: Record<string, Benchmark> = {
  'project-lifecycle': {
    describe: 'one 47-item gov-building project end to end; history events and bytes per decision',
    run: async (opts) => (await import('./project-lifecycle')).projectLifecycle(opts),
  },
  decisions: {
    describe:
      'gov-building projects driven to approval over HTTP vs. straight to Temporal: decisions/s, p50/p99',
    run: async (opts) => (await import('./decisions')).decisions(opts),
  },
  forecast: {
    describe:
      'the permit forecast backtested on a synthetic record: P80/P50 coverage, MAE vs plan; its timing',
    run: async (opts) => (await import('./forecast')).forecastBench(opts),
  },
  burst: {
    describe:
      'a joint review: the 11 items of a wave take each step on one project at once, HTTP vs. raw updates',
    run: async (opts) => (await import('./burst')).burst(opts),
  },
  scale: {
    describe: 'up to 2,000 open projects: worker RSS per project, decision p50/p99, worker kill and restart',
    run: async (opts) => (await import('./scale')).scale(opts),
  },
};

function usage(): string {
  const names = Object.entries(benchmarks).map(([name, b]) => `  ${name.padEnd(20)} ${b.describe}`);
  return [
    'usage: npm run bench -- [name...] [--quick] [--volatile] [--projects N] [--concurrency C] [--temporal dev|cluster]',
    '  durable by default (PostgreSQL with fsync, Temporal with its SQLite file); --volatile for comparison only',
    '  --temporal cluster: decisions on the production topology (scripts/temporal-cluster.ts, durable PostgreSQL)',
    '',
    'benchmarks:',
    ...names,
  ].join('\n');
}

/** Splits argv into benchmark names, plain flags and sized options; `problems` lists what is wrong. */
function parse(argv: string[]) {
  const names: string[] = [];
  const flags: string[] = [];
  const sizes: { projects?: number; concurrency?: number; temporal?: 'dev' | 'cluster' } = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--temporal') {
      const raw = inline ?? argv[++i];
      if (raw === 'dev' || raw === 'cluster') sizes.temporal = raw;
      else problems.push(`--temporal is dev or cluster, not ${raw}`);
    } else if (Object.hasOwn(sizeFlags, flag)) {
      const raw = inline ?? argv[++i];
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) problems.push(`${flag} needs a positive integer, not ${raw}`);
      else sizes[sizeFlags[flag as keyof typeof sizeFlags]] = n;
    } else if (arg.startsWith('-')) flags.push(arg);
    else names.push(arg);
  }
  problems.push(
    ...flags.filter((f) => !['--quick', '--volatile', '--help', '-h'].includes(f)).map((f) => `unknown ${f}`),
  );
  problems.push(...names.filter((n) => !Object.hasOwn(benchmarks, n)).map((n) => `unknown benchmark ${n}`));
  return { names, flags, sizes, problems };
}

async function main(argv: string[]): Promise<number> {
  const { names, flags, sizes, problems } = parse(argv);
  if (flags.includes('--help') || flags.includes('-h')) {
    console.log(usage());
    return 0;
  }
  if (problems.length > 0) {
    console.error(`${problems.join('; ')}\n\n${usage()}`);
    return 2;
  }
  const opts: RunOptions = {
    quick: flags.includes('--quick'),
    volatile: flags.includes('--volatile'),
    ...sizes,
  };
  let failed = 0;
  for (const name of names.length > 0 ? names : Object.keys(benchmarks)) {
    console.log(
      `bench: ${name}${opts.quick ? ' (quick)' : ''}${opts.volatile ? ' (volatile: no fsync, Temporal in memory)' : ''}`,
    );
    try {
      await benchmarks[name]!.run(opts);
    } catch (error) {
      failed += 1;
      console.error(`bench: ${name} FAILED\n${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

// Exit explicitly: a worker or connection left behind by a failed benchmark must not keep the process up.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
