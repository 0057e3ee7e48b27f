import type { BenchOptions } from './lib/results';

/**
 * npm run bench [-- <name>...] [--quick]: runs the named benchmarks, or all of them, one after another.
 * Each prints its table and writes bench/results/<name>-<time>.json|.md and latest-<name>.json|.md.
 * Exits non-zero when a benchmark fails (e.g. a history past Temporal's warning levels).
 */

type Benchmark = { describe: string; run(opts: BenchOptions): Promise<void> };

// Imported on demand, so one benchmark's start-up cost is not paid by another.
const benchmarks: Record<string, Benchmark> = {
  'project-lifecycle': {
    describe: 'one 47-item gov-building project end to end; history events and bytes per decision',
    run: async (opts) => (await import('./project-lifecycle')).projectLifecycle(opts),
  },
};

function usage(): string {
  const names = Object.entries(benchmarks).map(([name, b]) => `  ${name.padEnd(20)} ${b.describe}`);
  return ['usage: npm run bench -- [name...] [--quick]', '', 'benchmarks:', ...names].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const flags = argv.filter((a) => a.startsWith('-'));
  const names = argv.filter((a) => !a.startsWith('-'));
  if (flags.includes('--help') || flags.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const unknownFlags = flags.filter((f) => f !== '--quick');
  const unknownNames = names.filter((n) => !(n in benchmarks));
  if (unknownFlags.length > 0 || unknownNames.length > 0) {
    console.error(`unknown: ${[...unknownFlags, ...unknownNames].join(', ')}\n\n${usage()}`);
    return 2;
  }
  const opts: BenchOptions = { quick: flags.includes('--quick') };
  let failed = 0;
  for (const name of names.length > 0 ? names : Object.keys(benchmarks)) {
    console.log(`bench: ${name}${opts.quick ? ' (quick)' : ''}`);
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
